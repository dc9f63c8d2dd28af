/**
 * HTTP plumbing of the mock primary: NetBackup error bodies, media-type negotiation, replies.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { JsonInputError } from '../errors.js';
import { readJson } from '../strict-json.js';

/**
 * `errorCode` values of the mock's error bodies. Where NetBackup has a status code for the case, it is used (20
 * "invalid command parameter", 226 "the entity already exists", 227 "no entity was found" — the strings the NBWSS
 * guide quotes); otherwise **[project decision]** the HTTP status doubles as the code.
 */
export const NbErrorCode = {
  invalidParameter: 20,
  alreadyExists: 226,
  notFound: 227,
  unauthorized: 401,
  routeNotFound: 404,
  methodNotAllowed: 405,
  notAcceptable: 406,
  payloadTooLarge: 413,
  unsupportedMediaType: 415,
  internal: 500,
} as const;

/** A request the mock refuses: the server answers `status` with a NetBackup error body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
    readonly errorDetails: unknown[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The NetBackup error body: `{"errorCode", "errorMessage", "errorDetails"}`. */
export function errorBody(errorCode: number, errorMessage: string, errorDetails: unknown[] = []): { errorCode: number; errorMessage: string; errorDetails: unknown[] } {
  return { errorCode, errorMessage, errorDetails };
}

/** What a route hands back; the server writes it. */
export interface Reply {
  status: number;
  /** Serialised as JSON with the negotiated media type. */
  json?: unknown;
  /** Sent as is (test routes). */
  raw?: string | Buffer;
  /** With `raw`: send without `Content-Length` (chunked transfer encoding). */
  chunked?: boolean;
  headers?: Record<string, string>;
}

/** The NetBackup media type, without parameters. */
export const NB_MEDIA_TYPE = 'application/vnd.netbackup+json';

/**
 * API versions the mock accepts: `<major>.<minor>` with major 1…10 (the range seen in the wild, 8.1.1 through
 * 10.x). Anything else in a `version` parameter is refused (406 in Accept, 415 in Content-Type).
 */
export function isSupportedApiVersion(version: string): boolean {
  const m = /^(\d+)\.(\d+)$/.exec(version);
  if (!m) return false;
  const major = Number(m[1]);
  return major >= 1 && major <= 10;
}

/** The full media type for an API version: `application/vnd.netbackup+json;version=<v>`. */
export function nbMediaType(version: string): string {
  return `${NB_MEDIA_TYPE};version=${version}`;
}

interface MediaRange {
  type: string;
  version: string | undefined;
  q: number;
}

/** Parse one media range (`type/subtype; a=b; q=0.5`), lower-casing the type. Quoted parameter values are unquoted. */
function parseMediaRange(text: string): MediaRange | undefined {
  const [head, ...params] = text.split(';');
  const type = head?.trim().toLowerCase() ?? '';
  if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+*-]+$|^\*\/\*$/.test(type)) return undefined;
  let version: string | undefined;
  let q = 1;
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    const name = p.slice(0, eq).trim().toLowerCase();
    const value = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    if (name === 'version') version = value;
    else if (name === 'q') q = Number(value);
  }
  return { type, version, q: Number.isFinite(q) ? q : 0 };
}

/** The outcome of {@link negotiate}: the version to answer in, or the refusal. */
export type Negotiation = { ok: true; version: string } | { ok: false; error: HttpError };

/**
 * Check `Content-Type` and `Accept` the way the spec asks (**[project decision]** on which status when):
 * - a `Content-Type` that is not the NetBackup type, or names an unsupported version → **415**; a request with a
 *   body but no `Content-Type` → 415;
 * - an `Accept` with no range the mock can produce (`*\/*`, `application/*`, the NetBackup type with a supported
 *   version, or without one) → **406**;
 * - both sent, both naming a version, and no Accept version equal to the Content-Type version → **406** (the answer
 *   cannot be in the version asked for and the version the body was written in at once).
 * The answer's version: the Accept's, else the Content-Type's, else `defaultVersion`.
 */
export function negotiate(headers: IncomingHttpHeaders, hasBody: boolean, defaultVersion: string): Negotiation {
  const fail = (status: 406 | 415, message: string): Negotiation => ({
    ok: false,
    error: new HttpError(status, status === 406 ? NbErrorCode.notAcceptable : NbErrorCode.unsupportedMediaType, message),
  });
  let ctVersion: string | undefined;
  const ct = headers['content-type'];
  if (ct !== undefined) {
    const range = parseMediaRange(ct);
    if (!range || range.type !== NB_MEDIA_TYPE) return fail(415, `Unsupported Content-Type '${ct}': use ${nbMediaType(defaultVersion)}`);
    if (range.version !== undefined && !isSupportedApiVersion(range.version)) return fail(415, `Unsupported API version '${range.version}' in Content-Type`);
    ctVersion = range.version;
  } else if (hasBody) {
    return fail(415, `A request body needs Content-Type ${nbMediaType(defaultVersion)}`);
  }
  const accept = headers.accept;
  if (accept === undefined || accept.trim() === '') return { ok: true, version: ctVersion ?? defaultVersion };
  const ranges = accept.split(',').map(parseMediaRange).filter((r): r is MediaRange => r !== undefined && r.q > 0);
  const wildcard = ranges.some((r) => r.type === '*/*' || r.type === 'application/*');
  const nb = ranges.filter((r) => r.type === NB_MEDIA_TYPE && (r.version === undefined || isSupportedApiVersion(r.version)));
  if (nb.length === 0) {
    if (wildcard) return { ok: true, version: ctVersion ?? defaultVersion };
    return fail(406, `Not acceptable: '${accept}'; this server produces ${nbMediaType('<major>.<minor>')}`);
  }
  const versions = nb.map((r) => r.version);
  if (ctVersion !== undefined) {
    if (versions.includes(ctVersion) || versions.includes(undefined) || wildcard) return { ok: true, version: ctVersion };
    return fail(406, `Accept (${accept}) and Content-Type (${ct}) name different API versions`);
  }
  return { ok: true, version: versions.find((v) => v !== undefined) ?? defaultVersion };
}

/** The request body as a JSON object; 400 (`invalid command parameter`) when it is empty, not JSON, or not an object. */
export function jsonObjectBody(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = readJson(body);
  } catch (err) {
    if (!(err instanceof JsonInputError)) throw err;
    throw new HttpError(400, NbErrorCode.invalidParameter, `invalid command parameter: the request body is ${err.message.startsWith('field') ? `refused: ${err.message}` : err.message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpError(400, NbErrorCode.invalidParameter, 'invalid command parameter: the request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}
