import { createHash } from 'node:crypto';
import { PROTOCOL_VERSION, NOTIFICATION_OBJECTS, notificationProblems, type NotificationObject } from '../protocol/index.js';

/**
 * Conformance checks of NBWSS messages (spec §2–§5), as pure functions: each takes a parsed JSON value (never
 * trusted to have any shape) and returns the list of problems it finds; none of them throws. The mock endpoint
 * runs the NetBackup-side checks on every frame it receives; a conformance checker for real endpoints reuses
 * the endpoint-side checks on what an endpoint sends back. No socket code lives here.
 */

/** How bad a problem is: an `error` breaks the protocol, a `warning` departs from the guide's examples. */
export type Severity = 'error' | 'warning';

/** One thing wrong with one message. */
export interface Problem {
  /** Stable rule id (e.g. `envelope.timeStamp`), for filtering and tests. */
  rule: string;
  /** Where in the message: a field path such as `payload[0].data[1].jobId`, or `$` for the whole frame. */
  path: string;
  message: string;
  severity: Severity;
}

/** A set-like lookup of ids (a `Set`, or anything with `has`). */
export interface IdLookup {
  has(id: string): boolean;
}

/** What the NetBackup-side checks may know about the session (all optional: unknown facts are not checked). */
export interface NetBackupCheckContext {
  /** Ids of COMMAND REQUESTs the endpoint sent on this connection: a COMMAND RESPONSE must carry one of them. */
  sentCommandIds?: IdLookup;
}

/** What the endpoint-side checks may know about the session (all optional). */
export interface EndpointCheckContext {
  /** Id of the CONNECT REQUEST NetBackup sent: the CONNECT RESPONSE must carry it. */
  connectRequestId?: string;
  /** Ids of NOTIFICATION REQUESTs NetBackup sent: a NOTIFICATION RESPONSE must carry one of them. */
  notificationIds?: IdLookup;
}

/** The state of one connection as seen by an endpoint, for {@link sequenceProblems}. */
export interface SessionState {
  /** A CONNECT RESPONSE `valid:true` was sent. */
  connected: boolean;
  /** A CONNECT RESPONSE `valid:false` was sent (NetBackup must close, and send nothing more). */
  rejected: boolean;
  /** Ids of NOTIFICATION REQUESTs received on this connection and not acknowledged (yet). */
  unackedNotificationIds: IdLookup & { readonly size: number };
}

const UUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;
/** Above this a timeStamp is taken to be milliseconds (1e11 s is the year 5138). */
const MS_THRESHOLD = 1e11;
const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

function problem(rule: string, path: string, message: string, severity: Severity = 'error'): Problem {
  return { rule, path, message, severity };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function show(v: unknown): string {
  const s = v === undefined ? 'undefined' : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** How ids are judged: NetBackup's request ids must be upper-case UUIDs; an endpoint's should be. */
type IdStyle = 'upperUuid' | 'uuid' | 'any';

/**
 * Parse one frame as a JSON object. Returns the value (when it parsed to an object) and the problems:
 * a binary frame, text that is not JSON, or JSON that is not an object.
 */
export function parseFrame(data: Buffer | string, isBinary: boolean): { value?: Record<string, unknown>; problems: Problem[] } {
  if (isBinary) return { problems: [problem('frame.binary', '$', 'binary frame: NBWSS messages are JSON text frames')] };
  let value: unknown;
  try {
    value = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  } catch (err) {
    return { problems: [problem('frame.json', '$', `not JSON: ${(err as Error).message}`)] };
  }
  if (!isObject(value)) return { problems: [problem('frame.object', '$', `must be one JSON object, got ${Array.isArray(value) ? 'an array' : show(value)}`)] };
  return { value, problems: [] };
}

/**
 * The envelope of spec §2: `version` "1.0", `id` (checked per `idStyle`), the expected `type` and `subType`,
 * `timeStamp` in integer epoch seconds, and a `payload` that is an array (NOTIFICATION) or an object.
 */
export function checkEnvelope(m: unknown, type: string, subType: string, idStyle: IdStyle): Problem[] {
  if (!isObject(m)) return [problem('frame.object', '$', 'must be one JSON object')];
  const out: Problem[] = [];
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
  }
  const wantsArray = type === 'NOTIFICATION';
  const p = m.payload;
  if (wantsArray ? !Array.isArray(p) : !isObject(p)) {
    out.push(problem('envelope.payload', 'payload', `must be ${wantsArray ? 'an array' : 'an object'}, got ${show(p)}`));
  }
  return out;
}

/** CONNECT REQUEST (NetBackup → endpoint, spec §3): envelope plus `payload.token`, a non-empty string. */
export function checkConnectRequest(m: unknown): Problem[] {
  const out = checkEnvelope(m, 'CONNECT', 'REQUEST', 'upperUuid');
  const p = isObject(m) ? m.payload : undefined;
  if (isObject(p) && (typeof p.token !== 'string' || p.token === '')) {
    out.push(problem('connect.token', 'payload.token', `must be a non-empty string, got ${typeof p.token === 'string' ? 'an empty string' : typeof p.token}`));
  }
  return out;
}

/**
 * NOTIFICATION REQUEST (NetBackup → endpoint, spec §5): envelope; a non-empty payload array of
 * `{notificationType:"INFO", object: JOB|IMAGE, data:[…]}`, at most one element per object type, every data
 * item valid as the guide's JOB/IMAGE notification.
 */
export function checkNotificationRequest(m: unknown): Problem[] {
  const out = checkEnvelope(m, 'NOTIFICATION', 'REQUEST', 'upperUuid');
  const p = isObject(m) ? m.payload : undefined;
  if (!Array.isArray(p)) return out;
  if (p.length === 0) out.push(problem('notification.payload', 'payload', 'must hold at least one element'));
  const seen = new Map<string, number>();
  p.forEach((el, i) => {
    const at = `payload[${i}]`;
    if (!isObject(el)) {
      out.push(problem('notification.element', at, `must be an object, got ${show(el)}`));
      return;
    }
    if (el.notificationType !== 'INFO') out.push(problem('notification.notificationType', `${at}.notificationType`, `must be "INFO", got ${show(el.notificationType)}`));
    const object = el.object;
    if (!NOTIFICATION_OBJECTS.includes(object as NotificationObject)) {
      out.push(problem('notification.object', `${at}.object`, `must be one of ${NOTIFICATION_OBJECTS.join(', ')}, got ${show(object)}`));
    } else {
      const first = seen.get(object as string);
      if (first !== undefined) out.push(problem('notification.oneElementPerObject', `${at}.object`, `${String(object)} already in payload[${first}]: one element per object type`));
      else seen.set(object as string, i);
    }
    if (!Array.isArray(el.data) || el.data.length === 0) {
      out.push(problem('notification.data', `${at}.data`, `must be a non-empty array, got ${show(el.data)}`));
      return;
    }
    if (!NOTIFICATION_OBJECTS.includes(object as NotificationObject)) return;
    el.data.forEach((item, j) => {
      for (const text of notificationProblems(object as NotificationObject, item, `${at}.data[${j}]`)) {
        // notificationProblems says "<OBJECT> <path> <what>": split it back into a path and a message
        const match = /^\S+ (\S+?)\s(.*)$/.exec(text);
        out.push(problem('notification.item', match?.[1] ?? `${at}.data[${j}]`, match?.[2] ?? text));
      }
    });
  });
  return out;
}

/**
 * COMMAND RESPONSE (NetBackup → endpoint, spec §4): envelope with the id of a request that was sent
 * (when `sentCommandIds` is given), `headers` an object of lower-case names and string values, `responseCode`
 * an integer HTTP status, `body` a string.
 */
export function checkCommandResponse(m: unknown, context: NetBackupCheckContext = {}): Problem[] {
  const out = checkEnvelope(m, 'COMMAND', 'RESPONSE', 'any');
  if (!isObject(m)) return out;
  if (typeof m.id === 'string' && context.sentCommandIds && !context.sentCommandIds.has(m.id)) {
    out.push(problem('commandResponse.id', 'id', `no COMMAND REQUEST with id ${show(m.id)} was sent on this connection`));
  }
  const p = m.payload;
  if (!isObject(p)) return out;
  if (!isObject(p.headers)) {
    out.push(problem('commandResponse.headers', 'payload.headers', `must be an object, got ${show(p.headers)}`));
  } else {
    for (const [name, value] of Object.entries(p.headers)) {
      if (name !== name.toLowerCase()) out.push(problem('commandResponse.headerName', `payload.headers.${name}`, 'header names must be lower case'));
      if (typeof value !== 'string') out.push(problem('commandResponse.headerValue', `payload.headers.${name}`, `must be a string, got ${show(value)}`));
    }
  }
  const code = p.responseCode;
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 100 || code > 599) {
    out.push(problem('commandResponse.responseCode', 'payload.responseCode', `must be an integer HTTP status (100-599), got ${show(code)}`));
  }
  if (typeof p.body !== 'string') out.push(problem('commandResponse.body', 'payload.body', `must be a string, got ${show(p.body)}`));
  return out;
}

/** CONNECT RESPONSE (endpoint → NetBackup, spec §3): same id as the request, `payload.valid` a boolean. */
export function checkConnectResponse(m: unknown, context: EndpointCheckContext = {}): Problem[] {
  const out = checkEnvelope(m, 'CONNECT', 'RESPONSE', 'any');
  if (!isObject(m)) return out;
  if (context.connectRequestId !== undefined && m.id !== context.connectRequestId) {
    out.push(problem('response.id', 'id', `must be the CONNECT REQUEST's id ${context.connectRequestId}, got ${show(m.id)}`));
  }
  const p = m.payload;
  if (isObject(p) && typeof p.valid !== 'boolean') out.push(problem('connect.valid', 'payload.valid', `must be true or false, got ${show(p.valid)}`));
  return out;
}

/** NOTIFICATION RESPONSE (endpoint → NetBackup, spec §5): the id of a request that was sent, `payload` `[]`. */
export function checkNotificationResponse(m: unknown, context: EndpointCheckContext = {}): Problem[] {
  const out = checkEnvelope(m, 'NOTIFICATION', 'RESPONSE', 'any');
  if (!isObject(m)) return out;
  if (typeof m.id === 'string' && context.notificationIds && !context.notificationIds.has(m.id)) {
    out.push(problem('response.id', 'id', `no NOTIFICATION REQUEST with id ${show(m.id)} was sent`));
  }
  if (Array.isArray(m.payload) && m.payload.length > 0) out.push(problem('notificationResponse.payload', 'payload', 'must be an empty array []'));
  return out;
}

/**
 * COMMAND REQUEST (endpoint → NetBackup, spec §4): a UUID id, `uri` a path (not an absolute URL), `method` an
 * HTTP method, `headers` (optional) an object of strings, `parameters` (optional) the body as a JSON-escaped string.
 */
export function checkCommandRequest(m: unknown): Problem[] {
  const out = checkEnvelope(m, 'COMMAND', 'REQUEST', 'uuid');
  const p = isObject(m) ? m.payload : undefined;
  if (!isObject(p)) return out;
  if (typeof p.uri !== 'string' || !p.uri.startsWith('/') || p.uri.startsWith('//')) {
    out.push(problem('command.uri', 'payload.uri', `must be a path starting with "/" (NBWSS adds host and port), got ${show(p.uri)}`));
  }
  if (typeof p.method !== 'string' || !HTTP_METHODS.includes(p.method)) {
    out.push(problem('command.method', 'payload.method', `must be one of ${HTTP_METHODS.join(', ')}, got ${show(p.method)}`));
  }
  if (p.headers !== undefined) {
    if (!isObject(p.headers)) out.push(problem('command.headers', 'payload.headers', `must be an object, got ${show(p.headers)}`));
    else {
      for (const [name, value] of Object.entries(p.headers)) {
        if (typeof value !== 'string') out.push(problem('command.headers', `payload.headers.${name}`, `must be a string, got ${show(value)}`));
      }
    }
  }
  if (p.parameters !== undefined && typeof p.parameters !== 'string') {
    out.push(problem('command.parameters', 'payload.parameters', `must be the request body as a JSON-escaped string, got ${show(p.parameters)}`));
  }
  return out;
}

function route(m: unknown): { type: string; subType: string } | undefined {
  if (!isObject(m) || typeof m.type !== 'string' || typeof m.subType !== 'string') return undefined;
  return { type: m.type, subType: m.subType };
}

function unknownRoute(m: unknown): Problem[] {
  const r = isObject(m) ? m : {};
  const out: Problem[] = [];
  if (!['CONNECT', 'COMMAND', 'NOTIFICATION'].includes(r.type as string)) out.push(problem('envelope.type', 'type', `must be CONNECT, COMMAND or NOTIFICATION, got ${show(r.type)}`));
  if (!['REQUEST', 'RESPONSE'].includes(r.subType as string)) out.push(problem('envelope.subType', 'subType', `must be REQUEST or RESPONSE, got ${show(r.subType)}`));
  return out;
}

/**
 * Check any message NetBackup sends to an endpoint, chosen by its `type`/`subType`. A message NetBackup never
 * sends (CONNECT RESPONSE, COMMAND REQUEST, NOTIFICATION RESPONSE) is a `direction` problem.
 */
export function checkFromNetBackup(m: unknown, context: NetBackupCheckContext = {}): Problem[] {
  const r = route(m);
  switch (r && `${r.type} ${r.subType}`) {
    case 'CONNECT REQUEST':
      return checkConnectRequest(m);
    case 'NOTIFICATION REQUEST':
      return checkNotificationRequest(m);
    case 'COMMAND RESPONSE':
      return checkCommandResponse(m, context);
    case 'CONNECT RESPONSE':
    case 'COMMAND REQUEST':
    case 'NOTIFICATION RESPONSE':
      return [problem('direction', 'type', `NetBackup never sends a ${r!.type} ${r!.subType}`)];
    default:
      return unknownRoute(m);
  }
}

/**
 * Check any message an endpoint sends to NetBackup, chosen by its `type`/`subType`. A message an endpoint never
 * sends (CONNECT REQUEST, NOTIFICATION REQUEST, COMMAND RESPONSE) is a `direction` problem.
 */
export function checkFromEndpoint(m: unknown, context: EndpointCheckContext = {}): Problem[] {
  const r = route(m);
  switch (r && `${r.type} ${r.subType}`) {
    case 'CONNECT RESPONSE':
      return checkConnectResponse(m, context);
    case 'NOTIFICATION RESPONSE':
      return checkNotificationResponse(m, context);
    case 'COMMAND REQUEST':
      return checkCommandRequest(m);
    case 'CONNECT REQUEST':
    case 'NOTIFICATION REQUEST':
    case 'COMMAND RESPONSE':
      return [problem('direction', 'type', `an endpoint never sends a ${r!.type} ${r!.subType}`)];
    default:
      return unknownRoute(m);
  }
}

/**
 * Order rules an endpoint can see on one connection (spec §3, §5): the first message is a CONNECT REQUEST;
 * nothing follows a rejected CONNECT; no NOTIFICATION REQUEST before the connection is established; and
 * stop-and-wait: while a NOTIFICATION REQUEST is unacknowledged only a resend of it (same id) may come.
 */
export function sequenceProblems(state: Readonly<SessionState>, m: { type?: unknown; subType?: unknown; id?: unknown }): Problem[] {
  const what = `${String(m.type)} ${String(m.subType)}`;
  if (state.rejected) return [problem('sequence.afterReject', 'type', `${what} after CONNECT RESPONSE valid:false (NetBackup must close the connection)`)];
  if (m.type === 'CONNECT' && m.subType === 'REQUEST') {
    return state.connected ? [problem('sequence.connectTwice', 'type', 'second CONNECT REQUEST on an established connection', 'warning')] : [];
  }
  if (!state.connected) return [problem('sequence.beforeConnect', 'type', `${what} before the connection was established by CONNECT`)];
  if (m.type === 'NOTIFICATION' && m.subType === 'REQUEST' && state.unackedNotificationIds.size > 0 && !state.unackedNotificationIds.has(String(m.id))) {
    return [problem('sequence.stopAndWait', 'id', `new NOTIFICATION REQUEST ${String(m.id)} while an earlier one is unacknowledged (stop-and-wait)`)];
  }
  return [];
}

/** JSON with object keys sorted, so that two serializations of the same value compare equal. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** A short digest of a payload (SHA-256 of its {@link canonicalJson}): what an endpoint keeps to compare resends. */
export function payloadDigest(payload: unknown): string {
  return createHash('sha256').update(canonicalJson(payload)).digest('base64url');
}

/**
 * A resend of a NOTIFICATION REQUEST (same id) must carry the same notifications (spec §5, project decision),
 * so that an endpoint can de-duplicate. `previousDigest` is the {@link payloadDigest} of the first payload with
 * that id; key order does not matter.
 */
export function resendProblems(previousDigest: string, payload: unknown): Problem[] {
  return previousDigest === payloadDigest(payload)
    ? []
    : [problem('sequence.resendChanged', 'payload', 'resend with the same id carries different notifications')];
}
