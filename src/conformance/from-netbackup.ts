import { NOTIFICATION_OBJECTS, notificationProblems, type NotificationObject } from '../protocol/index.js';
import { checkEnvelope, route, sizeProblems, unknownRoute, type EnvelopeContext } from './envelope.js';
import { isObject, problem, show, type IdLookup, type Problem } from './problem.js';

/**
 * The rules of what NetBackup sends an endpoint (spec §3–§5): the mock endpoint runs them on every frame it
 * receives, so a NetBackup side (this daemon, or another) can be checked against the guide.
 */

/** What the NetBackup-side checks may know about the session (all optional: unknown facts are not checked). */
export interface NetBackupCheckContext extends EnvelopeContext {
  /** Ids of COMMAND REQUESTs the endpoint sent on this connection: a COMMAND RESPONSE must carry one of them. */
  sentCommandIds?: IdLookup;
}

/** CONNECT REQUEST (NetBackup → endpoint, spec §3): envelope plus `payload.token`, a non-empty string. */
export function checkConnectRequest(m: unknown, context: EnvelopeContext = {}): Problem[] {
  const out = checkEnvelope(m, 'CONNECT', 'REQUEST', 'upperUuid', context);
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
export function checkNotificationRequest(m: unknown, context: EnvelopeContext = {}): Problem[] {
  const out = checkEnvelope(m, 'NOTIFICATION', 'REQUEST', 'upperUuid', context);
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
    const known = NOTIFICATION_OBJECTS.includes(object as NotificationObject);
    if (!known) {
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
    if (!known) return;
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
  const out = checkEnvelope(m, 'COMMAND', 'RESPONSE', 'any', context);
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

/**
 * Check any message NetBackup sends to an endpoint, chosen by its `type`/`subType`. A message NetBackup never
 * sends (CONNECT RESPONSE, COMMAND REQUEST, NOTIFICATION RESPONSE) is a `direction` problem.
 */
export function checkFromNetBackup(m: unknown, context: NetBackupCheckContext = {}): Problem[] {
  const r = route(m);
  switch (r && `${r.type} ${r.subType}`) {
    case 'CONNECT REQUEST':
      return checkConnectRequest(m, context);
    case 'NOTIFICATION REQUEST':
      return checkNotificationRequest(m, context);
    case 'COMMAND RESPONSE':
      return checkCommandResponse(m, context);
    case 'CONNECT RESPONSE':
    case 'COMMAND REQUEST':
    case 'NOTIFICATION RESPONSE':
      return [...sizeProblems(context.bytes), problem('direction', 'type', `NetBackup never sends a ${r!.type} ${r!.subType}`)];
    default:
      return [...sizeProblems(context.bytes), ...unknownRoute(m)];
  }
}
