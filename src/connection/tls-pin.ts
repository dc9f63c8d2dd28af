import { X509Certificate } from 'node:crypto';
import { checkServerIdentity as defaultCheckServerIdentity, createSecureContext, rootCertificates, type PeerCertificate, type SecureContext } from 'node:tls';
import { dialTarget, presentedCertificate } from '../certificates.js';
import { PinMismatchError } from '../errors.js';

export { PinMismatchError } from '../errors.js';

/** What the TLS layer needs to know about an endpoint to trust it. */
export interface TrustAnchor {
  /** The certificate accepted when the endpoint was added (PEM). */
  certPem: string;
  /** Its SHA-256 fingerprint, `AA:BB:…` upper case. */
  certFingerprint: string;
  /** With `--ca` at add time: trust a chain to this CA (and the usual host-name check) instead of the pin. */
  caPem: string | null;
}

/**
 * TLS options for `ws` / `tls.connect` that accept only the pinned certificate (or, with a CA, a chain to it).
 *
 * Trap (DESIGN.md): `checkServerIdentity` is not called when `rejectUnauthorized` is false, so the pin is enforced
 * by making the stored certificate the only trusted `ca` (chain verification accepts nothing else) AND comparing
 * `fingerprint256` in `checkServerIdentity` (which runs before any byte of the HTTP upgrade — let alone the token —
 * is written). The host name is not checked in pin mode: the fingerprint is a stronger statement than a name.
 * The trust store is built once per anchor and shared ({@link secureContextFor}).
 */
export function pinnedTlsOptions(anchor: TrustAnchor): {
  secureContext: SecureContext;
  rejectUnauthorized: true;
  checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined;
} {
  const secureContext = anchor.caPem ? secureContextFor(anchor.caPem) : secureContextFor(anchor.certPem, !isSelfSigned(anchor.certPem));
  if (anchor.caPem) return { secureContext, rejectUnauthorized: true, checkServerIdentity: defaultCheckServerIdentity };
  const expected = anchor.certFingerprint.toUpperCase();
  return {
    secureContext,
    rejectUnauthorized: true,
    checkServerIdentity: (_host, cert) => (cert.fingerprint256?.toUpperCase() === expected ? undefined : new PinMismatchError(expected, cert.fingerprint256 ?? '(none)')),
  };
}

const CONTEXT_CACHE_SIZE = 1024;
const contexts = new Map<string, SecureContext>();

/**
 * A TLS context trusting only `caPem`, shared by every connection to the same anchor. Node would otherwise build
 * a new OpenSSL context (and trust store) per `tls.connect` — the largest CPU cost of a handshake here and tens of
 * KB per live socket. Least recently used contexts beyond 1,024 anchors are dropped from the cache (sockets that
 * use them keep them alive).
 */
export function secureContextFor(caPem: string, withPublicRoots = false): SecureContext {
  const key = withPublicRoots ? `roots+${caPem}` : caPem;
  let ctx = contexts.get(key);
  if (ctx) {
    contexts.delete(key);
  } else {
    ctx = createSecureContext({ ca: withPublicRoots ? [...rootCertificates, caPem] : caPem });
    if (contexts.size >= CONTEXT_CACHE_SIZE) contexts.delete(contexts.keys().next().value!);
  }
  contexts.set(key, ctx);
  return ctx;
}

/** True when `pem` is self-signed (subject = issuer, signed by its own key): usable alone as a trust anchor. */
export function isSelfSigned(pem: string): boolean {
  try {
    const x = new X509Certificate(pem);
    return x.subject === x.issuer && x.verify(x.publicKey);
  } catch {
    return false;
  }
}

/** OpenSSL / Node codes of a certificate that failed verification (as opposed to a network failure). */
const VERIFY_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** True when `err` says the peer's certificate was not trusted (chain, validity or name). */
export function isCertificateVerifyError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof PinMismatchError || (typeof code === 'string' && VERIFY_CODES.has(code));
}

/**
 * The SHA-256 fingerprint of the certificate `url`'s server presents, fetched WITHOUT trusting it and without
 * sending anything beyond the TLS handshake. Used only to log "expected X, presented Y" after a verification
 * failure (Node does not hand the rejected certificate to the caller). Resolves undefined on any failure.
 */
export async function presentedFingerprint(url: string, timeoutMs: number, signal?: AbortSignal): Promise<string | undefined> {
  let target: { host: string; port: number };
  try {
    target = dialTarget(url);
  } catch {
    return undefined;
  }
  const seen = await presentedCertificate(target, { timeoutMs, signal });
  return (seen.ok && seen.peer?.fingerprint256) || undefined;
}
