import { sameId } from '../protocol/index.js';
import { checkEnvelope, route, sizeProblems, unknownRoute, type EnvelopeContext } from './envelope.js';
import { isObject, problem, show, type IdLookup, type Problem } from './problem.js';

/**
 * The rules of what an endpoint sends NetBackup (spec §3–§5): `nbwss check-endpoint` runs them on every frame a
 * real endpoint sends, and the mock endpoint's tests run them on what the mock sends.
 */

/** What the endpoint-side checks may know about the session (all optional). */
export interface EndpointCheckContext extends EnvelopeContext {
  /** Id of the CONNECT REQUEST NetBackup sent: the CONNECT RESPONSE must carry it. */
  connectRequestId?: string;
  /** Ids of NOTIFICATION REQUESTs NetBackup sent: a NOTIFICATION RESPONSE must carry one of them. */
  notificationIds?: IdLookup;
}

/** The HTTP methods a COMMAND may carry. */
export const HTTP_METHODS: readonly string[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

/**
 * How a response's id compares with the request's (spec §5, project decision: without regard to case). The same
 * id in another case is a warning: this daemon accepts it, but NetBackup compares ids, and UUID libraries that
 * parse and re-print an id write it in lower case.
 */
function responseIdProblems(id: unknown, matches: (id: string) => 'exact' | 'case' | 'none', what: string): Problem[] {
  if (typeof id !== 'string' || id === '') return []; // envelope.id reports it
  const match = matches(id);
  if (match === 'exact') return [];
  if (match === 'case') {
    return [problem('response.idCase', 'id', `${show(id)} is the ${what} id in another case: echo the id exactly (NetBackup compares ids; UUID libraries print lower case)`, 'warning')];
  }
  return [problem('response.id', 'id', `must be the id of the ${what}, got ${show(id)}`)];
}

/** CONNECT RESPONSE (endpoint → NetBackup, spec §3): the request's id, `payload.valid` a boolean. */
export function checkConnectResponse(m: unknown, context: EndpointCheckContext = {}): Problem[] {
  const out = checkEnvelope(m, 'CONNECT', 'RESPONSE', 'any', context);
  if (!isObject(m)) return out;
  const expected = context.connectRequestId;
  if (expected !== undefined) {
    out.push(...responseIdProblems(m.id, (id) => (id === expected ? 'exact' : sameId(id, expected) ? 'case' : 'none'), `CONNECT REQUEST (${expected})`));
  }
  const p = m.payload;
  if (isObject(p) && typeof p.valid !== 'boolean') out.push(problem('connect.valid', 'payload.valid', `must be true or false, got ${show(p.valid)}`));
  return out;
}

/** NOTIFICATION RESPONSE (endpoint → NetBackup, spec §5): the id of a request that was sent, `payload` `[]`. */
export function checkNotificationResponse(m: unknown, context: EndpointCheckContext = {}): Problem[] {
  const out = checkEnvelope(m, 'NOTIFICATION', 'RESPONSE', 'any', context);
  if (!isObject(m)) return out;
  const ids = context.notificationIds;
  if (ids) {
    const matches = (id: string) => (ids.has(id) ? 'exact' : ids.has(id.toUpperCase()) || ids.has(id.toLowerCase()) ? 'case' : 'none');
    out.push(...responseIdProblems(m.id, matches, 'NOTIFICATION REQUEST'));
  }
  if (Array.isArray(m.payload) && m.payload.length > 0) out.push(problem('notificationResponse.payload', 'payload', 'must be an empty array []'));
  return out;
}

/**
 * COMMAND REQUEST (endpoint → NetBackup, spec §4): a UUID id, `uri` a path (not an absolute URL), `method` an
 * HTTP method, `headers` (optional) an object of strings, `parameters` (optional) the body as a JSON-escaped
 * string, the frame within NetBackup's 2 MB.
 */
export function checkCommandRequest(m: unknown, context: EnvelopeContext = {}): Problem[] {
  const out = [...sizeProblems(context.bytes, 'command.size'), ...checkEnvelope(m, 'COMMAND', 'REQUEST', 'uuid', context)];
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
      return checkCommandRequest(m, context);
    case 'CONNECT REQUEST':
    case 'NOTIFICATION REQUEST':
    case 'COMMAND RESPONSE':
      return [...sizeProblems(context.bytes), problem('direction', 'type', `an endpoint never sends a ${r!.type} ${r!.subType}`)];
    default:
      return [...sizeProblems(context.bytes), ...unknownRoute(m)];
  }
}
