import { checkServerIdentity } from 'node:tls';
import { describeCertificate, derToPem, dialTarget, presentedCertificate, type CertificateInfo } from '../certificates.js';
import { EndpointError, GuideMessages } from '../errors.js';
import { describeNetworkError } from './net-errors.js';

export { dialTarget } from '../certificates.js';

/**
 * How long fetching an endpoint's certificate (TCP + TLS handshake), or its details from a URL, may take. Its own
 * limit, not `connectionInfo.handshakeTimeout`: that one bounds the daemon's connection attempts, and the demo and
 * tests shorten it, which made adds under load fail (issue 10 F24).
 */
export const FETCH_TIMEOUT_MS = 15_000;

/** Options of {@link fetchCertificate}. */
export interface FetchCertificateOptions {
  /** Limit for TCP connect + TLS handshake, in ms. */
  timeoutMs: number;
  /** The endpoint's `hostName`, used in the guide's messages (default: the URL's host). */
  hostName?: string | undefined;
  /** Verify the presented chain against this CA (PEM) instead of Node's bundled list (`--ca FILE`). */
  caPem?: string | undefined;
  /** Abort the attempt. */
  signal?: AbortSignal | undefined;
  /**
   * Also complete a handshake with a server that offers only TLS 1.0/1.1 (so it can be reported as such, see
   * {@link FetchedCertificate.protocol}); default false: TLS 1.2 or later, as every connection uses.
   */
  legacyTls?: boolean | undefined;
}

/** The certificate a server presented, described for the operator, with what TLS verification made of it. */
export interface FetchedCertificate extends CertificateInfo {
  /**
   * Whether the presented chain verifies to a trusted CA: {@link FetchCertificateOptions.caPem} when given, else
   * Node's bundled CA list. A self-signed certificate does not (it becomes trusted by being pinned).
   */
  chainVerified: boolean;
  /** OpenSSL's reason when {@link chainVerified} is false. */
  chainError?: string;
  /** Set when the certificate does not name the URL's host (checked as TLS would, SANs first). */
  hostnameError?: string;
  /** The TLS version negotiated (`TLSv1.3`, `TLSv1.2`, …), when known. */
  protocol?: string;
}

/** Fetches the certificate an endpoint presents (injectable, so tests and the service can swap it). */
export type CertificateFetcher = (url: string, options: FetchCertificateOptions) => Promise<FetchedCertificate>;

/**
 * Connect with TLS to the host:port of a `wss://` URL and return the certificate it presents (the guide's
 * "Validate"). SNI is the host name unless the host is an IP address. Nothing is sent over the connection: it is
 * closed as soon as the handshake completes. The certificate is not verified here (that is the operator's decision:
 * trust on first use, a fingerprint, or a CA with `caPem`).
 *
 * Errors ({@link EndpointError}): the host cannot be reached (DNS, refused, timeout before TCP connects) →
 * `Unable to establish connection with host: <hostName>`; the TLS handshake fails or times out → `Failed to setup
 * SSL security`; the handshake completes without a certificate → `Failed to open connection to the remote object
 * referred to by the URL`.
 */
export const fetchCertificate: CertificateFetcher = async (url, options) => {
  const { host, port } = dialTarget(url);
  const hostName = options.hostName ?? host;
  const seen = await presentedCertificate({ host, port }, options);
  if (!seen.ok) {
    const detail = `${host}:${port}: ${describeNetworkError(seen.cause)}`;
    // Before TCP connects, nothing TLS has happened: the host is unreachable. After, the handshake failed.
    if (seen.stage === 'tcp') throw new EndpointError('NBWSS_ERR_UNREACHABLE', GuideMessages.unreachable(hostName), { cause: seen.cause, detail });
    throw new EndpointError('NBWSS_ERR_SSL_SETUP', GuideMessages.sslSetupFailed, { cause: seen.cause, detail });
  }
  if (!seen.peer) throw new EndpointError('NBWSS_ERR_NO_CERTIFICATE', GuideMessages.noCertificate, { detail: `${host}:${port} presented no certificate` });
  let info: FetchedCertificate;
  try {
    info = { ...describeCertificate(derToPem(seen.peer.raw)), chainVerified: seen.authorized };
  } catch (err) {
    throw new EndpointError('NBWSS_ERR_NO_CERTIFICATE', GuideMessages.noCertificate, { cause: err, detail: `${host}:${port}: unreadable certificate` });
  }
  if (seen.protocol) info.protocol = seen.protocol;
  if (seen.authorizationError !== undefined) info.chainError = seen.authorizationError;
  const identityError = checkServerIdentity(host, seen.peer);
  if (identityError) info.hostnameError = identityError.message;
  return info;
};
