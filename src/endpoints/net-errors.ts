/**
 * Sort a network failure into the guide's two buckets: the host could not be reached (DNS, refused, timeout), or the
 * TLS set-up failed. Node, undici and OpenSSL report these with `code` strings, sometimes wrapped in `cause`.
 */

/** What went wrong, as far as an operator needs to know. */
export type NetworkFailure = 'unreachable' | 'tls' | 'other';

const UNREACHABLE = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EAI_FAIL',
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ETIMEDOUT',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_ABORTED',
  'ABORT_ERR',
]);

const TLS_CODES = new Set([
  'EPROTO',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_TLS_HANDSHAKE_TIMEOUT',
]);

function codesOf(err: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<unknown>();
  for (let e = err; e && typeof e === 'object' && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const { code, name } = e as { code?: unknown; name?: unknown };
    if (typeof code === 'string') out.push(code);
    if (name === 'TimeoutError' || name === 'AbortError') out.push('ABORT_ERR');
  }
  return out;
}

/** Classify an error from `net`/`tls`/undici (the first recognised code along the `cause` chain wins). */
export function classifyNetworkError(err: unknown): NetworkFailure {
  for (const code of codesOf(err)) {
    if (UNREACHABLE.has(code)) return 'unreachable';
    if (TLS_CODES.has(code) || /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_)/.test(code) || code.includes('CERT')) return 'tls';
  }
  return 'other';
}

/** A short description of an error and its causes, for `EndpointError.detail` (never contains request bodies). */
export function describeNetworkError(err: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  for (let e = err; e && typeof e === 'object' && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const { message, code } = e as { message?: unknown; code?: unknown };
    const text = typeof message === 'string' && message !== '' ? message : String(code ?? '');
    if (text && !parts.some((p) => p.includes(text))) parts.push(text);
  }
  return parts.join(': ') || String(err);
}
