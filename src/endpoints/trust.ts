import { isIP } from 'node:net';
import { checkServerIdentity, rootCertificates, type PeerCertificate } from 'node:tls';
import { ConnectError } from '../errors.js';
import type { EndpointRecord } from '../store/endpoint-store.js';
import { dialTarget } from './certificate.js';

/**
 * How a connection trusts an endpoint, from what `add` stored (the guide's trust store). Two modes:
 *
 * - **pinned** (the default; `--accept-certificate`, `--fingerprint` or the prompt): the server must present exactly
 *   the certificate accepted at add time. TLS verification stays on (`rejectUnauthorized: true`): the pinned
 *   certificate is given as a trust anchor (`ca`, beside Node's bundled CAs so a publicly issued certificate also
 *   verifies), and `checkServerIdentity` compares the SHA-256 fingerprint. Node skips `checkServerIdentity` when
 *   `rejectUnauthorized` is false, so the pin must not be done that way. The host name is not checked: the
 *   fingerprint identifies the certificate more strictly than a name (self-signed lab certificates often name
 *   nothing useful).
 * - **CA** (`--ca FILE`): any certificate that chains to that CA and names the URL's host (standard TLS checks),
 *   so the endpoint can renew its certificate without a re-add.
 */

/** What {@link endpointTlsOptions} needs of a stored endpoint. */
export type TrustRecord = Pick<EndpointRecord, 'url' | 'certPem' | 'certFingerprint' | 'caPem'>;

/** TLS options to spread into `tls.connect` / `new WebSocket(url, options)`. */
export interface EndpointTlsOptions {
  ca: string[];
  rejectUnauthorized: true;
  servername?: string;
  checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined;
}

/** Which trust mode an endpoint uses. */
export function trustMode(rec: Pick<EndpointRecord, 'caPem'>): 'pinned' | 'ca' {
  return rec.caPem ? 'ca' : 'pinned';
}

/**
 * Check a presented certificate against the pin. Returns a {@link ConnectError} with reason `pin_mismatch` when the
 * fingerprint differs (what `checkServerIdentity` must return), else undefined.
 */
export function checkPinnedCertificate(rec: Pick<EndpointRecord, 'certFingerprint'>, cert: Pick<PeerCertificate, 'fingerprint256'>): ConnectError | undefined {
  if (cert.fingerprint256 === rec.certFingerprint) return undefined;
  return new ConnectError(
    'pin_mismatch',
    `the server presented certificate ${cert.fingerprint256 ?? '(none)'}, not the pinned ${rec.certFingerprint}; ` +
      're-validate and re-add the endpoint if the change is expected',
  );
}

/**
 * The TLS options that make a connection accept only the server `add` trusted (see the module comment). The token
 * must be sent only after the connection reports itself secure with these options.
 */
export function endpointTlsOptions(rec: TrustRecord): EndpointTlsOptions {
  const { host } = dialTarget(rec.url);
  const servername = isIP(host) ? {} : { servername: host };
  if (rec.caPem) {
    return { ca: [rec.caPem], rejectUnauthorized: true, ...servername, checkServerIdentity };
  }
  return {
    ca: [...rootCertificates, rec.certPem],
    rejectUnauthorized: true,
    ...servername,
    checkServerIdentity: (_host, cert) => checkPinnedCertificate(rec, cert),
  };
}
