import { isIP } from 'node:net';
import { checkServerIdentity, connect, type PeerCertificate } from 'node:tls';
import { describeCertificate, derToPem, type CertificateInfo } from '../certificates.js';
import { EndpointError, GuideMessages } from '../errors.js';
import { describeNetworkError } from './net-errors.js';

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

/** Host (without IPv6 brackets) and port (default 443) a `wss://` URL dials. */
export function dialTarget(url: string | URL): { host: string; port: number } {
  const u = typeof url === 'string' ? new URL(url) : url;
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: u.port === '' ? 443 : Number(u.port) };
}

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
export const fetchCertificate: CertificateFetcher = (url, options) => {
  const { host, port } = dialTarget(url);
  const hostName = options.hostName ?? host;
  return new Promise<FetchedCertificate>((resolve, reject) => {
    let tcpConnected = false;
    let settled = false;
    const socket = connect({
      host,
      port,
      ...(isIP(host) ? {} : { servername: host }),
      // Verification is done by the caller's trust decision; here we only want to see what is presented.
      rejectUnauthorized: false,
      ...(options.caPem ? { ca: [options.caPem] } : {}),
      // OpenSSL 3 refuses TLS < 1.2 below security level 0: allowed only to name the version in a report.
      ...(options.legacyTls ? { minVersion: 'TLSv1' as const, ciphers: 'DEFAULT@SECLEVEL=0' } : {}),
    });
    const timer = setTimeout(() => {
      const err = Object.assign(new Error(`no TLS handshake within ${options.timeoutMs} ms`), { code: 'ETIMEDOUT' });
      fail(err);
    }, options.timeoutMs);
    const onAbort = () => fail(options.signal?.reason ?? new Error('aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = () => {
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
    };
    function fail(err: unknown): void {
      if (settled) return;
      finish();
      const detail = `${host}:${port}: ${describeNetworkError(err)}`;
      // Before TCP connects, nothing TLS has happened: the host is unreachable. After, the handshake failed.
      if (!tcpConnected) reject(new EndpointError('NBWSS_ERR_UNREACHABLE', GuideMessages.unreachable(hostName), { cause: err, detail }));
      else reject(new EndpointError('NBWSS_ERR_SSL_SETUP', GuideMessages.sslSetupFailed, { cause: err, detail }));
    }

    if (options.signal?.aborted) {
      onAbort();
      return;
    }
    socket.once('connect', () => {
      tcpConnected = true;
    });
    socket.once('error', fail);
    socket.once('close', () => fail(new Error('connection closed before the TLS handshake completed')));
    socket.once('secureConnect', () => {
      if (settled) return;
      // An empty object when the server sent no certificate.
      const peer: Partial<PeerCertificate> = socket.getPeerCertificate(true);
      if (!peer?.raw) {
        finish();
        reject(new EndpointError('NBWSS_ERR_NO_CERTIFICATE', GuideMessages.noCertificate, { detail: `${host}:${port} presented no certificate` }));
        return;
      }
      let info: FetchedCertificate;
      try {
        info = { ...describeCertificate(derToPem(peer.raw)), chainVerified: false };
      } catch (err) {
        finish();
        reject(new EndpointError('NBWSS_ERR_NO_CERTIFICATE', GuideMessages.noCertificate, { cause: err, detail: `${host}:${port}: unreadable certificate` }));
        return;
      }
      info.chainVerified = socket.authorized;
      const protocol = socket.getProtocol();
      if (protocol) info.protocol = protocol;
      if (!socket.authorized) info.chainError = String(socket.authorizationError);
      const identityError = checkServerIdentity(host, peer as PeerCertificate);
      if (identityError) info.hostnameError = identityError.message;
      finish();
      resolve(info);
    });
  });
};
