import { RULES, type Problem } from '../conformance/index.js';

/**
 * Readable renderings of NBWSS messages for people watching a mock endpoint (the CLI). Every function takes
 * values that may not have the guide's shape and never throws. Tokens are never shown, only their length.
 */

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function str(v: unknown): string {
  if (typeof v === 'string') return v === '' ? '""' : v;
  return v === undefined ? '?' : JSON.stringify(v);
}

/** `*** (22 chars)`: how a token is shown. */
export function maskToken(token: unknown): string {
  return typeof token === 'string' ? `*** (${token.length} chars)` : `(${token === undefined ? 'missing' : typeof token})`;
}

/**
 * One JOB notification: `JOB 146 ACTIVE (parent 145) BACKUP vmware2 DummyTestVM`; a DONE job shows its status
 * (`JOB 146 DONE status 0 …`). The parent is shown when it is another job.
 */
export function formatJob(d: unknown): string {
  if (!isObject(d)) return `JOB ${str(d)}`;
  const parts = ['JOB', str(d.jobId), str(d.state)];
  if (d.state === 'DONE' || (d.status !== undefined && d.status !== 0)) parts.push(`status ${str(d.status)}`);
  if (d.parentJobId !== undefined && d.parentJobId !== 0 && d.parentJobId !== d.jobId) parts.push(`(parent ${str(d.parentJobId)})`);
  parts.push(str(d.jobType), str(d.policyName), str(d.clientName));
  return parts.join(' ');
}

/** One IMAGE notification: `IMAGE CREATE DummyTestVM_1459811698`. */
export function formatImage(d: unknown): string {
  if (!isObject(d)) return `IMAGE ${str(d)}`;
  return `IMAGE ${str(d.operationId)} ${str(d.backupId)}`;
}

/** The lines of a NOTIFICATION REQUEST payload: one per notification. */
export function formatNotificationPayload(payload: unknown): string[] {
  if (!Array.isArray(payload)) return [`(payload not an array: ${str(payload)})`];
  const lines: string[] = [];
  for (const el of payload) {
    if (!isObject(el) || !Array.isArray(el.data)) {
      lines.push(`(element ${str(el)})`);
      continue;
    }
    for (const d of el.data) lines.push(el.object === 'JOB' ? formatJob(d) : el.object === 'IMAGE' ? formatImage(d) : `${str(el.object)} ${str(d)}`);
  }
  return lines;
}

/** Extra facts the caller knows about a message (pairing, de-duplication). */
export interface FormatContext {
  /** For a NOTIFICATION REQUEST: it repeats an id already seen (the count of times). */
  timesSeen?: number;
  /** For a COMMAND RESPONSE: the request it answers, and the round trip. */
  request?: { method?: unknown; uri?: unknown };
  rttMs?: number;
  /** For a CONNECT REQUEST: how it was answered. */
  valid?: boolean;
}

function bytes(s: unknown): string {
  return typeof s === 'string' ? `${Buffer.byteLength(s, 'utf8')} bytes` : 'no body';
}

/**
 * A message in a few lines: the first line names the type, the id and the gist; NOTIFICATION REQUESTs add one
 * line per notification (indented by two spaces).
 */
export function formatMessage(message: unknown, context: FormatContext = {}): string {
  if (!isObject(message)) return `(not a message: ${str(message)})`;
  const head = `${str(message.type)} ${str(message.subType)} ${str(message.id)}`;
  const p = message.payload;
  const pl = isObject(p) ? p : {};
  switch (`${String(message.type)} ${String(message.subType)}`) {
    case 'CONNECT REQUEST':
      return `${head} token=${maskToken(pl.token)}${context.valid === undefined ? '' : context.valid ? ' → valid' : ' → REJECTED'}`;
    case 'CONNECT RESPONSE':
      return `${head} valid=${str(pl.valid)}`;
    case 'NOTIFICATION REQUEST': {
      const counts = Array.isArray(p) ? p.map((el) => (isObject(el) && Array.isArray(el.data) ? `${el.data.length} ${str(el.object)}` : '?')).join(', ') : '?';
      const resend = context.timesSeen !== undefined && context.timesSeen > 1 ? ` (resend #${context.timesSeen - 1})` : '';
      return [`${head}: ${counts}${resend}`, ...formatNotificationPayload(p).map((l) => `  ${l}`)].join('\n');
    }
    case 'NOTIFICATION RESPONSE':
      return `${head} ack`;
    case 'COMMAND REQUEST':
      return `${head} ${str(pl.method)} ${str(pl.uri)}${pl.parameters === undefined ? '' : ` (${bytes(pl.parameters)})`}`;
    case 'COMMAND RESPONSE': {
      const headers = isObject(pl.headers) ? pl.headers : {};
      const type = typeof headers['content-type'] === 'string' ? `, ${headers['content-type']}` : '';
      const rtt = context.rttMs === undefined ? '' : ` in ${Math.round(context.rttMs)} ms`;
      const req = context.request ? ` ← ${str(context.request.method)} ${str(context.request.uri)}` : '';
      return `${head} ${str(pl.responseCode)} (${bytes(pl.body)}${type})${rtt}${req}`;
    }
    default:
      return `${head} (unknown message)`;
  }
}

/** A body preview: the first `max` characters on one line. */
export function previewBody(body: unknown, max = 200): string {
  const s = typeof body === 'string' ? body : JSON.stringify(body) ?? '';
  const one = s.replace(/\s*\n\s*/g, ' ');
  return one.length > max ? `${one.slice(0, max)}… (${s.length} chars)` : one;
}

/**
 * One conformance problem, with its rule id and spec section:
 * `! error payload[0].data[0].jobId: must be an integer, got "x" [notification.item §5]`.
 */
export function formatProblem(p: Problem): string {
  const section = RULES[p.rule]?.section;
  return `! ${p.severity} ${p.path}: ${p.message} [${p.rule}${section ? ` ${section}` : ''}]`;
}

/**
 * A copy of a message safe to print as JSON: `payload.token` of a CONNECT REQUEST replaced by its mask.
 */
export function redactMessage(message: unknown): unknown {
  if (!isObject(message) || !isObject(message.payload) || !('token' in message.payload)) return message;
  return { ...message, payload: { ...message.payload, token: maskToken(message.payload.token) } };
}
