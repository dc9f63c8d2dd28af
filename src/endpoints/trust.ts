import { X509Certificate } from 'node:crypto';
import { normalizeFingerprint } from '../certificates.js';
import { CertificateRejectedError, EndpointError, GuideMessages, InputError, UsageError } from '../errors.js';
import type { FetchedCertificate } from './certificate.js';

/** How `add` and `update` decide to trust an endpoint's certificate (the CLI's trust flags, the API's members). */
export interface TrustOptions {
  /** Trust the certificate presented now (trust on first use). */
  acceptCertificate?: boolean;
  /** The SHA-256 fingerprint the operator accepted at validate; the certificate presented now must match it. */
  fingerprint?: string;
  /** A CA (PEM): the certificate must chain to it and name the URL's host; later connections trust that CA. */
  caPem?: string;
}

/**
 * The trust decision of `add` (and `update`) applied to the certificate the endpoint presents: with a CA it must chain
 * to it and name the host; pinned, it must be self-signed or publicly issued; with a fingerprint it must match; with
 * none of them `confirm` (a TTY prompt) decides. Throws the guide's messages.
 */
export async function checkPresentedCertificate(
  certificate: FetchedCertificate,
  options: Pick<TrustOptions, 'acceptCertificate' | 'caPem'>,
  expected: string | undefined,
  confirm: (() => Promise<boolean>) | undefined,
  hostName: string,
  action: 'added' | 'changed',
): Promise<void> {
  const ssl = (detail: string) => new EndpointError('NBWSS_ERR_SSL_SETUP', GuideMessages.sslSetupFailed, { detail });
  if (options.caPem) {
    if (!certificate.chainVerified) throw ssl(`the certificate does not chain to the CA given with --ca: ${certificate.chainError ?? 'unknown reason'}`);
    if (certificate.hostnameError) throw ssl(certificate.hostnameError);
  } else if (!certificate.selfSigned && !certificate.chainVerified) {
    // A pinned certificate is trusted alone when self-signed, or through the public roots plus the pin
    // (connection/tls-pin.ts): OpenSSL (Node 20) takes no other kind of anchor. Refuse now rather than store an
    // endpoint that could never connect.
    throw ssl(
      `this certificate is neither self-signed nor issued by a public CA (issuer "${certificate.issuer}": ` +
        `${certificate.chainError ?? 'chain not verified'}): add the endpoint with --ca FILE (the root CA of its chain) instead`,
    );
  }
  if (expected !== undefined) {
    if (certificate.fingerprint256 !== expected) {
      throw new EndpointError('NBWSS_ERR_CERTIFICATE_MISMATCH', GuideMessages.certificateMismatch, {
        detail: `accepted ${expected}, the server now presents ${certificate.fingerprint256}`,
      });
    }
  } else if (!options.acceptCertificate && !options.caPem) {
    const yes = confirm ? await confirm() : false;
    if (!yes) throw new CertificateRejectedError(`certificate of ${hostName} not accepted; nothing was ${action}`);
  }
}

/** The normalised fingerprint to expect, if any; throws {@link UsageError} when the options cannot decide trust. */
export function checkTrustOptions(options: TrustOptions & { confirm?: unknown }): string | undefined {
  if (options.acceptCertificate && options.fingerprint !== undefined) {
    throw new UsageError('give either --accept-certificate or --fingerprint, not both');
  }
  if (options.caPem !== undefined) {
    try {
      new X509Certificate(options.caPem);
    } catch (err) {
      throw new InputError('the CA given with --ca is not a PEM certificate', { cause: err });
    }
  }
  if (options.fingerprint !== undefined) {
    const fp = normalizeFingerprint(options.fingerprint);
    if (!fp) throw new UsageError(`--fingerprint must be a SHA-256 fingerprint (64 hex digits, colons optional), got "${options.fingerprint}"`);
    return fp;
  }
  if (!options.acceptCertificate && !options.caPem && !options.confirm) {
    throw new UsageError(
      'the endpoint certificate must be trusted explicitly: pass --accept-certificate (trust on first use), ' +
        '--fingerprint SHA256 (the fingerprint shown by `nbwss endpoints validate`), or --ca FILE',
    );
  }
  return undefined;
}
