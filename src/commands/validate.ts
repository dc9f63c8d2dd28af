/**
 * Checks a COMMAND REQUEST payload before anything leaves the daemon (spec §4 [project decision]): the daemon never
 * sends a request anywhere but the configured NetBackup base URL, and never forwards header or URI tricks.
 */
import type { CommandRefusalCode } from '../errors.js';
import { summarize } from '../protocol/summary.js';

/** Methods a COMMAND may use. */
export const ALLOWED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type CommandMethod = (typeof ALLOWED_METHODS)[number];

/**
 * Request headers never forwarded: hop-by-hop headers (RFC 9110 §7.6.1), `host` (the daemon sets it),
 * `content-length` (computed from `parameters`) and `expect` (no 100-continue through a socket message).
 */
const DROPPED_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'content-length', 'expect']);

/** A COMMAND that passed every check, ready for the HTTP client. */
export interface ValidCommand {
  method: CommandMethod;
  /** The uri as given: path and optional query, starting with `/`. */
  uri: string;
  /** Headers to forward (names as given, minus the dropped ones). */
  headers: Record<string, string>;
  /** Request body (`parameters`), when given. */
  body: string | undefined;
}

/** Why a COMMAND was refused: becomes a 400 COMMAND RESPONSE. `code` is stable, `message` is for humans. */
export interface CommandRefusal {
  code: CommandRefusalCode;
  message: string;
}

export type CommandCheck = { ok: true; command: ValidCommand } | { ok: false; refusal: CommandRefusal };

const refuse = (code: CommandRefusalCode, message: string): CommandCheck => ({ ok: false, refusal: { code, message } });

// RFC 9110 token characters.
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Visible ASCII, space, tab and obs-text; no CR, LF, NUL or other controls.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
// Visible ASCII only: no space, no controls (CR/LF included), no non-ASCII (must be percent-encoded).
const URI_CHARS = /^[\x21-\x7e]+$/;

/** Percent-decode repeatedly (double encoding too); undefined when an encoding is malformed. */
function decodedForms(s: string): string[] | undefined {
  const forms = [s];
  let current = s;
  for (let i = 0; i < 3 && current.includes('%'); i++) {
    try {
      current = decodeURIComponent(current);
    } catch {
      return undefined;
    }
    forms.push(current);
  }
  return forms;
}

const isDot = (part: string) => part === '.' || part === '..';

/**
 * Why `path` (one decoded form of the uri's path) could leave the prefix it starts with, or undefined:
 * - a `..` segment (`/` and `\` both separate segments);
 * - a segment with `;` path parameters of which a part is a dot segment: `..;x`, `.;x`, `x;..` — Tomcat (the
 *   NetBackup web server) strips the parameters before normalizing, so `/netbackup/..;/admin` is `/admin` to it;
 * - the same after Unicode compatibility normalization (NFKC turns `．．` and `‥` into `..`), for servers or
 *   proxies that apply it.
 */
function traversal(path: string): string | undefined {
  for (const form of path === path.normalize('NFKC') ? [path] : [path, path.normalize('NFKC')]) {
    for (const seg of form.split(/[/\\]/)) {
      if (seg === '..') return 'uri contains a .. segment';
      if (seg.includes(';') && seg.split(';').some(isDot)) return 'uri contains a dot segment with ;parameters (Tomcat reads ..; as ..)';
    }
  }
  return undefined;
}

/** Check the `uri` of a COMMAND. */
export function checkUri(uri: unknown, allowedPrefixes: readonly string[]): CommandRefusal | undefined {
  if (typeof uri !== 'string' || uri === '') return { code: 'NBWSS_ERR_URI_MISSING', message: 'payload.uri is missing or not a string' };
  if (/[\r\n]/.test(uri)) return { code: 'NBWSS_ERR_URI_CRLF', message: 'uri contains CR or LF' };
  if (/[\x00-\x1f\x7f]/.test(uri)) return { code: 'NBWSS_ERR_URI_CONTROL', message: 'uri contains control characters' };
  if (uri.includes('\\')) return { code: 'NBWSS_ERR_URI_BACKSLASH', message: 'uri contains a backslash' };
  if (uri.includes('#')) return { code: 'NBWSS_ERR_URI_FRAGMENT', message: 'uri contains # (a fragment is never sent to a server; percent-encode a literal # as %23)' };
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(uri)) return { code: 'NBWSS_ERR_URI_ABSOLUTE', message: 'uri must be a path: absolute URLs are refused' };
  if (uri.startsWith('//')) return { code: 'NBWSS_ERR_URI_SCHEME_RELATIVE', message: 'uri must be a path: scheme-relative URLs (//host) are refused' };
  if (!uri.startsWith('/')) return { code: 'NBWSS_ERR_URI_NOT_PATH', message: 'uri must start with /' };
  if (!URI_CHARS.test(uri)) return { code: 'NBWSS_ERR_URI_CHARACTERS', message: 'uri contains spaces or non-ASCII characters: percent-encode them' };
  const path = uri.split('?', 1)[0]!;
  const forms = decodedForms(path);
  if (!forms) return { code: 'NBWSS_ERR_URI_ENCODING', message: 'uri has a malformed percent-encoding' };
  for (const form of forms) {
    const why = traversal(form);
    if (why) return { code: 'NBWSS_ERR_URI_TRAVERSAL', message: why };
    if (/[\x00-\x1f\x7f]/.test(form)) return { code: 'NBWSS_ERR_URI_CONTROL', message: 'uri contains encoded control characters' };
    if (form.startsWith('//')) return { code: 'NBWSS_ERR_URI_SCHEME_RELATIVE', message: 'uri must be a path: scheme-relative URLs (//host) are refused' };
  }
  const decoded = forms.at(-1)!;
  const allowed = allowedPrefixes.some((p) => path.startsWith(p) && decoded.startsWith(p));
  if (!allowed) {
    return { code: 'NBWSS_ERR_URI_NOT_ALLOWED', message: `uri must start with ${allowedPrefixes.join(' or ')} (command.allowedPathPrefixes)` };
  }
  return undefined;
}

/** Check and clean the `headers` of a COMMAND: names must be tokens, values free of CR/LF and controls. */
export function checkHeaders(headers: unknown): { ok: true; headers: Record<string, string> } | { ok: false; refusal: CommandRefusal } {
  if (headers === undefined || headers === null) return { ok: true, headers: {} };
  if (typeof headers !== 'object' || Array.isArray(headers)) {
    return { ok: false, refusal: { code: 'NBWSS_ERR_HEADERS', message: 'payload.headers must be an object of name → string' } };
  }
  const out: Record<string, string> = {};
  const seen = new Set<string>();
  for (const [name, raw] of Object.entries(headers as Record<string, unknown>)) {
    if (!HEADER_NAME.test(name)) return { ok: false, refusal: { code: 'NBWSS_ERR_HEADER_NAME', message: `invalid header name ${summarize(name, 40)}` } };
    if (typeof raw !== 'string' && typeof raw !== 'number') {
      return { ok: false, refusal: { code: 'NBWSS_ERR_HEADER_VALUE', message: `header ${summarize(name, 40)} must have a string value` } };
    }
    const value = String(raw);
    if (/[\r\n]/.test(value)) return { ok: false, refusal: { code: 'NBWSS_ERR_HEADER_CRLF', message: `header ${summarize(name, 40)} contains CR or LF` } };
    if (!HEADER_VALUE.test(value)) return { ok: false, refusal: { code: 'NBWSS_ERR_HEADER_VALUE', message: `header ${summarize(name, 40)} contains invalid characters` } };
    const lower = name.toLowerCase();
    if (seen.has(lower)) return { ok: false, refusal: { code: 'NBWSS_ERR_HEADER_DUPLICATE', message: `header ${summarize(name, 40)} given twice` } };
    seen.add(lower);
    if (DROPPED_HEADERS.has(lower) || lower.startsWith('proxy-')) continue;
    out[name] = value;
  }
  return { ok: true, headers: out };
}

/** Check a whole COMMAND REQUEST payload. */
export function checkCommand(payload: unknown, allowedPrefixes: readonly string[]): CommandCheck {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return refuse('NBWSS_ERR_PAYLOAD', 'payload must be an object');
  const p = payload as Record<string, unknown>;
  if (typeof p.method !== 'string' || p.method === '') return refuse('NBWSS_ERR_METHOD_MISSING', 'payload.method is missing or not a string');
  const method = p.method.toUpperCase();
  if (!(ALLOWED_METHODS as readonly string[]).includes(method)) {
    return refuse('NBWSS_ERR_METHOD', `method ${summarize(p.method, 40)} is not allowed (${ALLOWED_METHODS.join(', ')})`);
  }
  const uriProblem = checkUri(p.uri, allowedPrefixes);
  if (uriProblem) return { ok: false, refusal: uriProblem };
  const headers = checkHeaders(p.headers);
  if (!headers.ok) return headers;
  let body: string | undefined;
  if (p.parameters !== undefined && p.parameters !== null) {
    if (typeof p.parameters !== 'string') return refuse('NBWSS_ERR_PARAMETERS', 'payload.parameters must be a string (the JSON-escaped request body)');
    if (p.parameters !== '' && (method === 'GET' || method === 'HEAD')) {
      return refuse('NBWSS_ERR_PARAMETERS', `payload.parameters (a request body) is not allowed with ${method}`);
    }
    body = p.parameters === '' ? undefined : p.parameters;
  }
  return { ok: true, command: { method: method as CommandMethod, uri: p.uri as string, headers: headers.headers, body } };
}
