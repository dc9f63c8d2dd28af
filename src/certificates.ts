import { X509Certificate, createHash } from 'node:crypto';
import { isIP } from 'node:net';
import selfsigned from 'selfsigned';

/** A certificate as an operator needs to see it before trusting it (the guide's "Validate"). */
export interface CertificateInfo {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  /** SHA-256 fingerprint, `AA:BB:…` upper case (what `--fingerprint` takes). */
  fingerprint256: string;
  subjectAltNames: string[];
  selfSigned: boolean;
  pem: string;
}

/** Normalise a SHA-256 fingerprint given by a user: accepts `aa:bb…`, `AABB…`, with or without a `SHA256:` prefix. */
export function normalizeFingerprint(input: string): string | undefined {
  const hex = input.trim().replace(/^sha-?256[:=]?/i, '').replace(/[:\s]/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) return undefined;
  return hex.match(/../g)!.join(':');
}

/** SHA-256 fingerprint of a PEM or DER certificate, `AA:BB:…`. */
export function fingerprint256(cert: string | Buffer): string {
  if (typeof cert === 'string') return new X509Certificate(cert).fingerprint256;
  return createHash('sha256').update(cert).digest('hex').toUpperCase().match(/../g)!.join(':');
}

/** Describe a PEM certificate. */
export function describeCertificate(pem: string): CertificateInfo {
  const x = new X509Certificate(pem);
  return {
    subject: x.subject.replace(/\n/g, ', '),
    issuer: x.issuer.replace(/\n/g, ', '),
    validFrom: new Date(x.validFrom).toISOString(),
    validTo: new Date(x.validTo).toISOString(),
    fingerprint256: x.fingerprint256,
    subjectAltNames: x.subjectAltName ? x.subjectAltName.split(', ') : [],
    selfSigned: x.subject === x.issuer && x.verify(x.publicKey),
    pem: x.toString(),
  };
}

/** DER bytes (as a peer certificate's `raw`) to PEM. */
export function derToPem(der: Buffer): string {
  const b64 = der.toString('base64').match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

/** A generated key pair and certificate, PEM. */
export interface GeneratedCertificate {
  key: string;
  cert: string;
  fingerprint256: string;
}

/** Options of {@link generateCertificate}. */
export interface GenerateCertificateOptions {
  /** Subject common name (default: the first host). */
  commonName?: string;
  /** DNS names and IP addresses the certificate is for (subjectAltName). */
  hosts: string[];
  /** Sign with this CA instead of self-signing. */
  ca?: { key: string; cert: string };
  /** Make a CA certificate (basicConstraints cA, keyCertSign). */
  isCa?: boolean;
  /** Validity in days (default 365). */
  days?: number;
}

/**
 * Generate a certificate (EC P-256, SHA-256) with the `selfsigned` library: used by the mock endpoint and by
 * tests, so no certificate is ever committed.
 */
export async function generateCertificate(options: GenerateCertificateOptions): Promise<GeneratedCertificate> {
  const cn = options.commonName ?? options.hosts[0] ?? 'localhost';
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + (options.days ?? 365) * 86_400_000);
  const altNames = options.hosts.map((h) => (isIP(h) ? { type: 7 as const, ip: h } : { type: 2 as const, value: h }));
  const extensions = options.isCa
    ? [
        { name: 'basicConstraints' as const, cA: true, critical: true },
        { name: 'keyUsage' as const, keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      ]
    : [
        { name: 'basicConstraints' as const, cA: false },
        { name: 'keyUsage' as const, digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage' as const, serverAuth: true },
        { name: 'subjectAltName' as const, altNames },
      ];
  const pems = await selfsigned.generate([{ name: 'commonName', value: cn }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions,
    ...(options.ca ? { ca: options.ca } : {}),
  });
  return { key: pems.private, cert: pems.cert, fingerprint256: fingerprint256(pems.cert) };
}
