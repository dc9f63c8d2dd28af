import { MAX_FRAME_BYTES, PROTOCOL_VERSION } from '../protocol/index.js';
import { isObject, problem, show, type Problem, type Severity } from './problem.js';

/**
 * Frames and the envelope of spec §2, as pure functions: each takes a value never trusted to have any shape and
 * returns the problems it finds; none of them throws.
 */

/** Python `websockets`' default `max_size`: 1 MiB. An endpoint built on it closes (1009) on larger NBWSS requests. */
export const PYTHON_WEBSOCKETS_MAX_SIZE = 1024 * 1024;
/** How far (seconds) a `timeStamp` may be from the receiver's clock before it is reported (a warning). */
export const TIMESTAMP_SKEW_SECONDS = 300;

const UUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;
/** Above this a timeStamp is taken to be milliseconds (1e11 s is the year 5138). */
const MS_THRESHOLD = 1e11;

/** How ids are judged: NetBackup's request ids must be upper-case UUIDs; an endpoint's should be. */
export type IdStyle = 'upperUuid' | 'uuid' | 'any';

/** What the envelope check may know (optional: unknown facts are not checked). */
export interface EnvelopeContext {
  /** Size of the frame in bytes: over {@link MAX_FRAME_BYTES} is a problem. */
  bytes?: number;
  /** The receiver's clock, epoch seconds: a `timeStamp` further than {@link TIMESTAMP_SKEW_SECONDS} away is reported. */
  nowSeconds?: number;
}

/**
 * Parse one frame as a JSON object. Returns the value (when it parsed to an object) and the problems: a binary
 * frame, text that is not JSON, or JSON that is not an object. (The frame's size is judged with the message:
 * {@link EnvelopeContext.bytes}.)
 */
export function parseFrame(data: Buffer | string, isBinary: boolean): { value?: Record<string, unknown>; problems: Problem[] } {
  if (isBinary) return { problems: [problem('frame.binary', '$', 'binary frame: NBWSS messages are JSON text frames')] };
  let value: unknown;
  try {
    value = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  } catch (err) {
    return { problems: [problem('frame.json', '$', `not JSON: ${(err as Error).message.slice(0, 120)}`)] };
  }
  if (!isObject(value)) return { problems: [problem('frame.object', '$', `must be one JSON object, got ${Array.isArray(value) ? 'an array' : show(value)}`)] };
  return { value, problems: [] };
}

/**
 * A frame over NetBackup's 2 MB limit (spec §7): `frame.size`, or the rule given (a COMMAND REQUEST's size is
 * `command.size`). Empty when `bytes` is unknown or within the limit.
 */
export function sizeProblems(bytes: number | undefined, rule = 'frame.size'): Problem[] {
  if (bytes === undefined || bytes <= MAX_FRAME_BYTES) return [];
  return [problem(rule, '$', `frame of ${bytes} bytes: over NetBackup's 2 MB limit (${MAX_FRAME_BYTES} bytes); NetBackup drops the connection with 1009`)];
}

/**
 * The envelope of spec §2: `version` "1.0", `id` (checked per `idStyle`), the expected `type` and `subType`,
 * `timeStamp` in integer epoch seconds (near `context.nowSeconds` when given), and a `payload` that is an array
 * (NOTIFICATION) or an object.
 */
export function checkEnvelope(m: unknown, type: string, subType: string, idStyle: IdStyle, context: EnvelopeContext = {}): Problem[] {
  if (!isObject(m)) return [problem('frame.object', '$', 'must be one JSON object')];
  const out: Problem[] = type === 'COMMAND' && subType === 'REQUEST' ? [] : sizeProblems(context.bytes);
  if (m.version !== PROTOCOL_VERSION) out.push(problem('envelope.version', 'version', `must be "${PROTOCOL_VERSION}", got ${show(m.version)}`));
  if (typeof m.id !== 'string' || m.id === '') {
    out.push(problem('envelope.id', 'id', `must be a non-empty string, got ${show(m.id)}`));
  } else if (idStyle !== 'any' && !UUID.test(m.id)) {
    out.push(problem('envelope.idUuid', 'id', `must be a UUID, got ${show(m.id)}`));
  } else if (idStyle !== 'any' && m.id !== m.id.toUpperCase()) {
    const sev: Severity = idStyle === 'upperUuid' ? 'error' : 'warning';
    out.push(problem('envelope.idUpperCase', 'id', `UUID should be upper case as in the guide, got ${show(m.id)}`, sev));
  }
  if (m.type !== type) out.push(problem('envelope.type', 'type', `must be "${type}", got ${show(m.type)}`));
  if (m.subType !== subType) out.push(problem('envelope.subType', 'subType', `must be "${subType}", got ${show(m.subType)}`));
  const ts = m.timeStamp;
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) {
    out.push(problem('envelope.timeStamp', 'timeStamp', `must be integer epoch seconds, got ${show(ts)}`));
  } else if (ts >= MS_THRESHOLD) {
    out.push(problem('envelope.timeStamp', 'timeStamp', `looks like milliseconds (${ts}); must be epoch seconds`));
  } else if (context.nowSeconds !== undefined && Math.abs(ts - context.nowSeconds) > TIMESTAMP_SKEW_SECONDS) {
    const off = ts - context.nowSeconds;
    out.push(problem('envelope.timeStampSkew', 'timeStamp', `${Math.abs(off)} s ${off > 0 ? 'ahead of' : 'behind'} the receiver's clock (more than ${TIMESTAMP_SKEW_SECONDS} s): is the sender's clock set?`, 'warning'));
  }
  const wantsArray = type === 'NOTIFICATION';
  const p = m.payload;
  if (wantsArray ? !Array.isArray(p) : !isObject(p)) {
    out.push(problem('envelope.payload', 'payload', `must be ${wantsArray ? 'an array' : 'an object'}, got ${show(p)}`));
  }
  return out;
}

/** The type and subType of a message, when both are strings. */
export function route(m: unknown): { type: string; subType: string } | undefined {
  if (!isObject(m) || typeof m.type !== 'string' || typeof m.subType !== 'string') return undefined;
  return { type: m.type, subType: m.subType };
}

/** Problems of a message whose type/subType is not one of the protocol's. */
export function unknownRoute(m: unknown): Problem[] {
  const r = isObject(m) ? m : {};
  const out: Problem[] = [];
  if (!['CONNECT', 'COMMAND', 'NOTIFICATION'].includes(r.type as string)) out.push(problem('envelope.type', 'type', `must be CONNECT, COMMAND or NOTIFICATION, got ${show(r.type)}`));
  if (!['REQUEST', 'RESPONSE'].includes(r.subType as string)) out.push(problem('envelope.subType', 'subType', `must be REQUEST or RESPONSE, got ${show(r.subType)}`));
  return out;
}
