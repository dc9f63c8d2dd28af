import type { IncomingMessage, ServerResponse } from 'node:http';
import { EndpointError, HttpError, JsonInputError, NotificationValidationError, InputError, StoreError, UsageError, type EndpointErrorCode, type StoreErrorCode, type FieldError } from '../errors.js';
import { formatJsonPath, readJson } from '../strict-json.js';

/**
 * The small HTTP toolkit of the admin API (no framework: a handful of routes do not need one): coded HTTP errors,
 * JSON responses in one shape, capped JSON bodies.
 *
 * JSON conventions of every admin response and event (README "API conventions"): camelCase member names, times as
 * ISO 8601 strings (`…At`, `…Since`), durations as numbers of milliseconds named `…Ms`, fractional numbers rounded to
 * three decimals ({@link toJson}), errors as `{"error":{"code","message","detail"?,"errors"?:[{"field","message"}]}}`.
 */

export { HttpError, type HttpErrorCode } from '../errors.js';

/** The HTTP status of the database faults: 507 Insufficient Storage for a full disk, 503 for the others. */
const DB_STATUS: Partial<Record<StoreErrorCode, number>> = {
  NBWSS_ERR_DB_FULL: 507,
  NBWSS_ERR_DB_READONLY: 503,
  NBWSS_ERR_DB_CORRUPT: 503,
  NBWSS_ERR_DB_IO: 503,
};

/** The HTTP status of each endpoint credential error (spec §8 table). */
const ENDPOINT_STATUS: Record<EndpointErrorCode, number> = {
  NBWSS_ERR_JSON_NOT_VALID: 400,
  NBWSS_ERR_INVALID_PROTOCOL: 400,
  NBWSS_ERR_MALFORMED_URL: 400,
  NBWSS_ERR_INVALID_PARAMETER: 400,
  NBWSS_ERR_UNPARSABLE_CONTENT: 400,
  NBWSS_ERR_NOT_FOUND: 404,
  NBWSS_ERR_ALREADY_EXISTS: 409,
  NBWSS_ERR_CERTIFICATE_MISMATCH: 409,
  NBWSS_ERR_SSL_SETUP: 422,
  // the endpoint (an upstream, from the daemon's point of view) could not be reached or presented no certificate
  NBWSS_ERR_UNREACHABLE: 502,
  NBWSS_ERR_NO_CERTIFICATE: 502,
  NBWSS_ERR_TRUSTSTORE_WRITE: 500,
  NBWSS_ERR_KEYSTORE_LOAD: 500,
  NBWSS_ERR_CERTIFICATE_REMOVE: 500,
};

/**
 * The body every error response has. `detail` says more without changing the searchable message; `errors` lists
 * the invalid fields of a validation error (400), each with its path and what is wrong.
 */
export interface ErrorBody {
  error: { code: string; message: string; detail?: string; errors?: FieldError[] };
}

/** Fractional numbers keep three decimals (0.4871 ms → 0.487): measurements, not noise. */
function roundFloats(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isInteger(value) && Number.isFinite(value) ? Math.round(value * 1000) / 1000 : value;
}

/** Serialize an admin response or event: JSON with fractional numbers rounded to three decimals. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, roundFloats);
}

function errorBody(err: { code: string; message: string; fields?: readonly FieldError[] | undefined }, detail?: string): ErrorBody {
  return {
    error: {
      code: err.code,
      message: err.message,
      ...(detail ? { detail } : {}),
      ...(err.fields && err.fields.length > 0 ? { errors: err.fields.map((f) => ({ field: f.field, message: f.message })) } : {}),
    },
  };
}

/** Status and body for any error; `internal` is true when it is a bug or an unexpected failure (log it). */
export function describeError(err: unknown): { status: number; body: ErrorBody; headers: Record<string, string | string[]>; internal: boolean } {
  if (err instanceof HttpError) return { status: err.status, body: errorBody(err), headers: { ...err.headers }, internal: false };
  if (err instanceof EndpointError) {
    const status = ENDPOINT_STATUS[err.code as EndpointErrorCode] ?? 500;
    return { status, body: errorBody(err, err.detail), headers: {}, internal: status === 500 };
  }
  if (err instanceof StoreError && DB_STATUS[err.code] !== undefined) {
    // the daemon's own database: the message names the path and the cause (disk full, read-only, corrupt)
    return { status: DB_STATUS[err.code]!, body: { error: { code: err.code, message: err.message } }, headers: {}, internal: false };
  }
  if (err instanceof UsageError || err instanceof InputError || err instanceof NotificationValidationError) {
    return { status: 400, body: errorBody(err), headers: {}, internal: false };
  }
  return { status: 500, body: { error: { code: 'NBWSS_ERR_HTTP_INTERNAL', message: 'internal error (see the daemon log)' } }, headers: {}, internal: true };
}

/** Headers every admin response carries. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** Send a JSON response ({@link toJson}; no caching: everything here is live state). */
export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string | string[]> = {}): void {
  const body = toJson(value);
  res.writeHead(status, {
    ...COMMON_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}

/** Send a plain text response. */
export function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { ...COMMON_HEADERS, 'content-type': contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/** Send an error in the one shape (`{"error":{"code","message"}}`). */
export function sendError(res: ServerResponse, err: unknown): ReturnType<typeof describeError> {
  const d = describeError(err);
  if (res.headersSent) {
    res.destroy();
    return d;
  }
  // A body we did not read (too large, refused early) must not be parsed as the next request.
  const close: Record<string, string> = d.status === 413 || d.status === 415 ? { connection: 'close' } : {};
  sendJson(res, d.status, d.body, { ...d.headers, ...close });
  return d;
}

/**
 * Read a JSON request body of at most `maxBytes`. Refuses another media type (415), a larger body (413, without
 * reading it when Content-Length says so), and text that is not JSON (400). An empty body reads as `undefined`.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const length = req.headers['content-length'];
  const hasBody = (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) return undefined;
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new HttpError(415, 'NBWSS_ERR_HTTP_MEDIA_TYPE', `the body must be application/json, got ${type || 'no Content-Type'}`);
  const tooLarge = () => new HttpError(413, 'NBWSS_ERR_HTTP_BODY_TOO_LARGE', `the body is larger than ${maxBytes} bytes`);
  if (length !== undefined && Number(length) > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks);
  if (/^\s*$/.test(body.toString('latin1'))) return undefined;
  try {
    // The strict reader: not UTF-8, a number that does not read back, too deep, a member twice: 400 naming it.
    // Its messages never quote the text, which may hold a token (endpoint details).
    return readJson(body);
  } catch (err) {
    if (err instanceof JsonInputError) {
      const message = `the body is ${err.message.startsWith('field') ? `refused: ${err.message}` : err.message}`;
      throw new HttpError(400, 'NBWSS_ERR_HTTP_BAD_JSON', message, {}, { cause: err, fields: [{ field: jsonField(err.path), message: message.slice('the body is '.length) }] });
    }
    throw err;
  }
}

/** The field a JSON reader error names (`data[3].jobId`), or `body` for the text as a whole. */
function jsonField(path: readonly (string | number)[] | undefined): string {
  return path && path.length > 0 ? formatJsonPath(path).replace(/^\$\.?/, '') : 'body';
}

/** A 400 for one invalid field (a body member, a query parameter): `errors` names it. */
export function invalidField(field: string, message: string, code: 'NBWSS_ERR_HTTP_BAD_REQUEST' = 'NBWSS_ERR_HTTP_BAD_REQUEST'): HttpError {
  return new HttpError(400, code, `${field} ${message}`, {}, { fields: [{ field, message }] });
}

/** 400 listing every member of `body` that is not in `allowed` (each as a field error). */
export function checkMembers(body: Record<string, unknown>, allowed: ReadonlySet<string>): void {
  const extra = Object.keys(body).filter((k) => !allowed.has(k));
  if (extra.length === 0) return;
  const expected = `allowed: ${[...allowed].join(', ')}`;
  throw new HttpError(400, 'NBWSS_ERR_HTTP_BAD_REQUEST', `unexpected member ${extra.join(', ')} (${expected})`, {}, { fields: extra.map((field) => ({ field, message: `is not a member of this request (${expected})` })) });
}

/** A JSON object body, or 400 naming what was expected. */
export function requireObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, 'NBWSS_ERR_HTTP_BAD_REQUEST', `the body must be a JSON object: ${what}`, {}, { fields: [{ field: 'body', message: `must be a JSON object: ${what}` }] });
  }
  return value as Record<string, unknown>;
}
