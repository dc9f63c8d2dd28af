import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { normalizeFingerprint } from '../../certificates.js';
import { fetchCertificate } from '../../endpoints/certificate.js';
import { EndpointError } from '../../errors.js';
import type { RunContext } from '../context.js';
import type { Outcome } from '../types.js';
import { fail, pass, skip, warn, type CheckImpl } from './check.js';

/** Warn when the certificate expires within this many days. */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

/** The guide's checks of the endpoint's certificate (spec §8): trust, expiry, name, TLS version. */
export const tlsChecks: CheckImpl[] = [
  { id: 'tls.certificate', run: certificate },
  { id: 'tls.expiry', needs: ['tls.certificate'], run: expiry },
  { id: 'tls.hostname', needs: ['tls.certificate'], run: hostname },
  { id: 'tls.version', needs: ['tls.certificate'], run: version },
];

/** Fetch the certificate once per run (every TLS check reads it). */
async function fetchOnce(ctx: RunContext): Promise<void> {
  if (ctx.certificate || ctx.certificateError) return;
  try {
    ctx.certificate = await fetchCertificate(ctx.details.url, {
      timeoutMs: ctx.timings.handshakeTimeoutMs,
      hostName: ctx.details.hostName,
      caPem: ctx.trustOptions.caPem,
      legacyTls: true,
    });
  } catch (err) {
    ctx.certificateError = err instanceof EndpointError ? `${err.message}${err.detail ? ` (${err.detail})` : ''}` : (err as Error).message;
  }
}

const PIN_ANCHOR = (issuer: string, why: string | undefined) =>
  `this certificate is neither self-signed nor issued by a public CA (issuer "${issuer}": ${why ?? 'chain not verified'}), so it cannot be pinned alone: use --ca FILE (the root CA of its chain)`;

async function certificate(ctx: RunContext): Promise<Outcome> {
  await fetchOnce(ctx);
  const cert = ctx.certificate;
  if (!cert) return fail(ctx.certificateError ?? 'no certificate', 'the endpoint reachable and presenting a certificate');
  const t = ctx.trustOptions;
  const presented = `SHA-256 ${cert.fingerprint256}, subject "${cert.subject}", issuer "${cert.issuer}"`;
  const pinnable = cert.selfSigned || cert.chainVerified;
  if (t.caPem) {
    if (!cert.chainVerified) return fail(`presented ${presented}: it does not chain to the CA given with --ca (${cert.chainError ?? 'unknown reason'})`);
    if (cert.hostnameError) return fail(`presented ${presented}: ${cert.hostnameError}`, 'a certificate that chains to the CA given with --ca and names the host of url');
    ctx.trust = { kind: 'ca', caPem: t.caPem };
    return pass(`chains to the CA given with --ca; ${presented}`);
  }
  if (t.fingerprint !== undefined) {
    const expected = normalizeFingerprint(t.fingerprint);
    if (expected !== cert.fingerprint256) return fail(`The certificate did not match with the one accepted by the user: presented ${presented}`, `SHA-256 ${expected ?? t.fingerprint} (--fingerprint)`);
    if (!pinnable) return fail(PIN_ANCHOR(cert.issuer, cert.chainError));
    ctx.trust = { kind: 'pin', certPem: cert.pem, fingerprint: cert.fingerprint256 };
    return pass(`matches --fingerprint; ${presented}`);
  }
  if (t.acceptCertificate) {
    if (!pinnable) return fail(PIN_ANCHOR(cert.issuer, cert.chainError));
    ctx.trust = { kind: 'pin', certPem: cert.pem, fingerprint: cert.fingerprint256 };
    return pass(`accepted as presented (--accept-certificate, trust on first use); ${presented}`);
  }
  if (cert.chainVerified && !cert.hostnameError) {
    ctx.trust = { kind: 'public' };
    return pass(`chains to a public CA and names the host; ${presented}`);
  }
  const why = cert.chainVerified ? cert.hostnameError : `not trusted by the public CAs: ${cert.chainError ?? 'chain not verified'}`;
  return fail(`presented ${presented}: ${why}. Check it, then pass --fingerprint ${cert.fingerprint256} (or --accept-certificate, or --ca FILE)`, 'a certificate trusted by --fingerprint, --accept-certificate or --ca, or one from a public CA naming the host');
}

async function expiry(ctx: RunContext): Promise<Outcome> {
  const cert = ctx.certificate;
  if (!cert) return skip('no certificate');
  const left = Date.parse(cert.validTo) - ctx.clock.now();
  const days = Math.floor(left / DAY_MS);
  if (left <= 0) return fail(`expired on ${cert.validTo}`);
  if (Date.parse(cert.validFrom) > ctx.clock.now()) return fail(`not valid before ${cert.validFrom}`, 'a certificate valid now');
  if (days < EXPIRY_WARNING_DAYS) return warn(`expires on ${cert.validTo}, in ${days} day${days === 1 ? '' : 's'}: renew it (a pinned certificate must then be accepted again)`);
  return pass(`valid until ${cert.validTo} (${days} days)`);
}

async function hostname(ctx: RunContext): Promise<Outcome> {
  const cert = ctx.certificate;
  if (!cert) return skip('no certificate');
  const name = ctx.details.hostName;
  const x = new X509Certificate(cert.pem);
  const named = isIP(name) ? x.checkIP(name) !== undefined : x.checkHost(name) !== undefined;
  const sans = cert.subjectAltNames.length > 0 ? cert.subjectAltNames.join(', ') : '(none)';
  if (!named) return warn(`hostName ${name} is not among the certificate's names: ${sans} (fine while pinned; a CA-verified connection would refuse it)`);
  return pass(`${name} is named (${sans})`);
}

async function version(ctx: RunContext): Promise<Outcome> {
  const protocol = ctx.certificate?.protocol;
  if (!protocol) return skip('the TLS version was not reported');
  if (protocol === 'TLSv1.2' || protocol === 'TLSv1.3') return pass(protocol);
  return warn(`${protocol}: NetBackup and this daemon need TLS 1.2 or later`);
}
