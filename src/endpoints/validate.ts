import { EndpointError, JsonInputError, GuideMessages, type FieldError } from '../errors.js';
import type { EndpointDetails } from '../protocol/endpoint-details.js';
import { decodeUtf8Input, readJson } from '../strict-json.js';

/**
 * The endpoint credential JSON of spec §8, parsed and checked. The guide's rules, each with its own message:
 *
 * | rule | message (verbatim) | code |
 * |---|---|---|
 * | one JSON object with exactly `token`, `priority`, `groupId`, `hostName`, `url` (any order, no duplicates) | `JSON contents not valid` | `NBWSS_ERR_JSON_NOT_VALID` |
 * | `priority` a number; every other value a non-empty string | `JSON contents not valid` | `NBWSS_ERR_JSON_NOT_VALID` |
 * | no apostrophe (`'`) anywhere in the text (nor `\u0027` in a value) | `JSON contents not valid` | `NBWSS_ERR_JSON_NOT_VALID` |
 * | `url` parseable | `Malformed URL: <url>` | `NBWSS_ERR_MALFORMED_URL` |
 * | `url` is `wss://` | `Invalid websocket protocol. Only wss protocol supported` | `NBWSS_ERR_INVALID_PROTOCOL` |
 * | `url` has a host, no `#fragment` and no `user:password@` | `Malformed URL: <url>` | `NBWSS_ERR_MALFORMED_URL` |
 *
 * The message stays the guide's string so operators can search for it; `EndpointError.detail` says which rule failed.
 */

export type { EndpointDetails } from '../protocol/endpoint-details.js';

/** The details without the token: what may be printed or logged. */
export type PublicDetails = Omit<EndpointDetails, 'token'>;

/** The member names, in the guide's order. */
export const ENDPOINT_MEMBERS = ['token', 'priority', 'groupId', 'hostName', 'url'] as const;

/** Largest endpoint description accepted, from a file or a URL (one small JSON object; 64 KiB is generous). */
export const MAX_DETAILS_BYTES = 64 * 1024;

/** `JSON contents not valid`; `fields` are the members at fault (none: the text as a whole). */
function notValid(detail: string, fields: readonly FieldError[] = []): EndpointError {
  return new EndpointError('NBWSS_ERR_JSON_NOT_VALID', GuideMessages.jsonNotValid, { detail, fields: fields.length > 0 ? fields : [{ field: '', message: detail }] });
}

/**
 * Check a token on its own (token rotation): a non-empty string without an apostrophe.
 * Throws `JSON contents not valid` (the guide's rule for every value).
 */
export function validateToken(token: unknown): string {
  if (typeof token !== 'string' || token.trim() === '') throw notValid('token must be a non-empty string', [{ field: 'token', message: 'must be a non-empty string' }]);
  if (token.includes("'")) throw notValid('token contains an apostrophe', [{ field: 'token', message: 'contains an apostrophe' }]);
  return token;
}

/**
 * Check the `url` member: parseable (`Malformed URL: <url>`), then `wss://` (`Invalid websocket protocol…`), then a
 * host, no `#fragment` and no userinfo (`Malformed URL: <url>`). A WebSocket URL cannot carry a fragment (RFC 6455
 * §3; `ws` throws on one when dialling), and credentials in the URL would be sent nowhere and shown everywhere: the
 * token is the credential. The userinfo is masked in the message.
 */
export function validateEndpointUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new EndpointError('NBWSS_ERR_MALFORMED_URL', GuideMessages.malformedUrl(url), { cause: err, fields: [{ field: 'url', message: 'is not a URL' }] });
  }
  if (parsed.protocol !== 'wss:') {
    const detail = `url scheme is ${parsed.protocol.replace(/:$/, '')}`;
    throw new EndpointError('NBWSS_ERR_INVALID_PROTOCOL', GuideMessages.invalidProtocol, { detail, fields: [{ field: 'url', message: `must be wss://, ${detail}` }] });
  }
  if (parsed.hostname === '') throw new EndpointError('NBWSS_ERR_MALFORMED_URL', GuideMessages.malformedUrl(url), { detail: 'no host', fields: [{ field: 'url', message: 'has no host' }] });
  // `new URL` drops an empty fragment (`…/p#`): look at the text too.
  if (url.includes('#')) {
    throw new EndpointError('NBWSS_ERR_MALFORMED_URL', GuideMessages.malformedUrl(url), { detail: 'a WebSocket URL cannot have a #fragment', fields: [{ field: 'url', message: 'cannot have a #fragment' }] });
  }
  if (parsed.username !== '' || parsed.password !== '') {
    const masked = url.replace(/^(wss:\/\/)[^@/?#]*@/i, '$1***@');
    throw new EndpointError('NBWSS_ERR_MALFORMED_URL', GuideMessages.malformedUrl(masked), {
      detail: 'user:password@ is not allowed in the url (the token is the credential)',
      fields: [{ field: 'url', message: 'cannot hold user:password@ (the token is the credential)' }],
    });
  }
  return parsed;
}

/**
 * Parse and validate endpoint JSON (the file's bytes, or text) exactly as spec §8 says, with the strict JSON reader
 * (not UTF-8, a member given twice, a number that does not read back: refused). Returns the five members (the
 * JSON's own values, untrimmed). Throws {@link EndpointError} with the guide's message.
 */
export function parseEndpointDetails(input: string | Uint8Array): EndpointDetails {
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.length;
  if (size > MAX_DETAILS_BYTES) throw notValid(`larger than ${MAX_DETAILS_BYTES} bytes`);
  let parsed: unknown;
  try {
    const text = decodeUtf8Input(input);
    // The guide: no apostrophe anywhere in the details, not only in the values (`\u0027`: checked below).
    if (text.includes("'")) throw notValid('contains an apostrophe');
    parsed = readJson(text);
  } catch (err) {
    // The reader never quotes the text (it could hold the token): its message names only the place.
    if (err instanceof JsonInputError) {
      const field = err.path?.[0];
      throw notValid(err.message, typeof field === 'string' ? [{ field, message: err.message.replace(/^field [^:]*: /, '') }] : []);
    }
    throw err;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw notValid('not one JSON object');
  const obj = parsed as Record<string, unknown>;
  const keys = Object.keys(obj);
  const missing = ENDPOINT_MEMBERS.filter((k) => !Object.hasOwn(obj, k));
  if (missing.length > 0) throw notValid(`missing member ${missing.join(', ')}`, missing.map((field) => ({ field, message: 'is missing' })));
  const extra = keys.filter((k) => !(ENDPOINT_MEMBERS as readonly string[]).includes(k));
  if (extra.length > 0) throw notValid(`unexpected member ${extra.join(', ')}`, extra.map((field) => ({ field, message: 'is not an endpoint member' })));

  const problem = (field: string, message: string) => notValid(`${field} ${message}`, [{ field, message }]);
  if (typeof obj.priority !== 'number' || !Number.isFinite(obj.priority)) throw problem('priority', 'must be a number');
  for (const k of ['token', 'groupId', 'hostName', 'url'] as const) {
    const v = obj[k];
    if (typeof v !== 'string') throw problem(k, 'must be a string');
    if (v.trim() === '') throw problem(k, 'is empty');
    // `\u0027` passes the text check above but decodes to an apostrophe.
    if (v.includes("'")) throw problem(k, 'contains an apostrophe');
  }
  const details: EndpointDetails = {
    token: obj.token as string,
    priority: obj.priority,
    groupId: obj.groupId as string,
    hostName: obj.hostName as string,
    url: obj.url as string,
  };
  validateEndpointUrl(details.url);
  return details;
}

/** The details without the token. */
export function publicDetails(details: EndpointDetails): PublicDetails {
  return { hostName: details.hostName, url: details.url, groupId: details.groupId, priority: details.priority };
}
