import { ConnectError, GuideMessages } from '../errors.js';
import { PinMismatchError, isCertificateVerifyError, presentedFingerprint, type TrustAnchor } from './tls-pin.js';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);

/** What {@link classifyOpenError} needs to know about the endpoint. */
export interface OpenErrorContext extends TrustAnchor {
  hostName: string;
  url: string;
}

/**
 * Turn an error the `ws` client raised before the socket opened (TCP, TLS, HTTP upgrade) into a
 * {@link ConnectError} with a stable `reason`. For a certificate that failed verification, the presented
 * certificate is fetched once more (without trusting it) so the message names both fingerprints — Node does not
 * hand the rejected certificate to the caller.
 */
export async function classifyOpenError(err: unknown, ep: OpenErrorContext, timeoutMs: number, signal?: AbortSignal): Promise<ConnectError> {
  const e = err as NodeJS.ErrnoException;
  const message = e?.message ?? String(err);
  if (err instanceof PinMismatchError) return pinMismatch(ep, err.expected, err.presented, err);
  if (isCertificateVerifyError(err)) {
    const presented = await presentedFingerprint(ep.url, timeoutMs, signal);
    if (!ep.caPem && presented && presented !== ep.certFingerprint.toUpperCase()) return pinMismatch(ep, ep.certFingerprint, presented, err);
    const anchor = ep.caPem ? 'a chain to the CA given at add time' : `the pinned certificate ${ep.certFingerprint}`;
    return new ConnectError('tls', `${GuideMessages.sslSetupFailed}: certificate of ${ep.hostName} not trusted (${e.code ?? message}); presented SHA-256 ${presented ?? '(unknown)'}, expected ${anchor}`, { cause: err });
  }
  if (/handshake has timed out/i.test(message)) {
    return new ConnectError('handshake_timeout', `WebSocket upgrade of ${ep.hostName} timed out`, { cause: err });
  }
  const status = /Unexpected server response: (\d+)/.exec(message);
  if (status) return new ConnectError('http_status', `${ep.url} answered the WebSocket upgrade with HTTP ${status[1]}`, { cause: err });
  if (typeof e?.code === 'string' && (e.code.startsWith('ERR_SSL') || e.code.startsWith('ERR_TLS') || e.code === 'EPROTO')) {
    return new ConnectError('tls', `${GuideMessages.sslSetupFailed}: ${ep.hostName}: ${message}`, { cause: err });
  }
  const detail = typeof e?.code === 'string' && NETWORK_CODES.has(e.code) ? e.code : message;
  return new ConnectError('unreachable', `${GuideMessages.unreachable(ep.hostName)} (${detail})`, { cause: err });
}

function pinMismatch(ep: OpenErrorContext, expected: string, presented: string, cause: unknown): ConnectError {
  const err = new ConnectError(
    'pin_mismatch',
    `certificate of ${ep.hostName} does not match the pinned certificate: expected SHA-256 ${expected}, presented ${presented}`,
    { cause },
  );
  return Object.assign(err, { expectedFingerprint: expected, presentedFingerprint: presented });
}
