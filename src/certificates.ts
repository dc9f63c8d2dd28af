import { X509Certificate, createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { connect, type PeerCertificate } from 'node:tls';

/*
 * Certificates as data: describe, fingerprint, fetch the one a server presents, generate. A leaf module (Node's
 * crypto, net and tls only; `selfsigned` is loaded when a certificate is generated), so both `connection/` and
 * `endpoints/` use it.
 */

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

/** Host (without IPv6 brackets) and port (default 443) a `wss://` URL dials. Throws on a URL that does not parse. */
export function dialTarget(url: string | URL): { host: string; port: number } {
  const u = typeof url === 'string' ? new URL(url) : url;
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: u.port === '' ? 443 : Number(u.port) };
}

/** Options of {@link presentedCertificate}. */
export interface PresentedCertificateOptions {
  /** Limit for TCP connect + TLS handshake together, in ms. */
  timeoutMs: number;
  /** Abort the attempt (it then fails with the signal's reason). */
  signal?: AbortSignal | undefined;
  /** Verify the chain against this CA (PEM) instead of Node's bundled list; only {@link PresentedCertificate.authorized} depends on it. */
  caPem?: string | undefined;
  /** Also complete a handshake with a server that offers only TLS 1.0/1.1 (default false: TLS 1.2 or later). */
  legacyTls?: boolean | undefined;
}

/** What a TLS server presented in a completed handshake. */
export interface PresentedCertificate {
  /** The leaf certificate with its issuer chain (`getPeerCertificate(true)`); undefined when the server sent none. */
  peer: PeerCertificate | undefined;
  /** Whether the chain verified (to {@link PresentedCertificateOptions.caPem} or Node's bundled CAs). */
  authorized: boolean;
  /** OpenSSL's reason when {@link authorized} is false. */
  authorizationError: string | undefined;
  /** The TLS version negotiated (`TLSv1.3`, …), when known. */
  protocol: string | undefined;
}

/**
 * How {@link presentedCertificate} ended: the certificate, or the failure with how far it got — `tcp` (the host was
 * never reached: DNS, refused, timeout or abort before TCP connected) or `tls` (TCP connected, the handshake did
 * not complete).
 */
export type PresentedCertificateResult = ({ ok: true } & PresentedCertificate) | { ok: false; stage: 'tcp' | 'tls'; cause: unknown };

/**
 * Connect with TLS to `host:port` and see the certificate it presents, WITHOUT trusting it and without sending
 * anything beyond the handshake: the socket is closed as soon as the handshake completes (or fails, times out, is
 * aborted). SNI is the host name unless the host is an IP address. Never rejects: a failure is a result.
 *
 * The one certificate fetch of the project: the guide's "Validate" (`endpoints/certificate.ts`) and the "presented
 * SHA-256 …" of a refused connection (`connection/tls-pin.ts`) both go through it.
 */
export function presentedCertificate(target: { host: string; port: number }, options: PresentedCertificateOptions): Promise<PresentedCertificateResult> {
  const { host, port } = target;
  return new Promise((resolve) => {
    if (options.signal?.aborted) {
      resolve({ ok: false, stage: 'tcp', cause: options.signal.reason ?? new Error('aborted') });
      return;
    }
    let tcpConnected = false;
    let settled = false;
    const socket = connect({
      host,
      port,
      ...(isIP(host) ? {} : { servername: host }),
      // Trust is the caller's decision (trust on first use, a fingerprint, a CA): here we only look.
      rejectUnauthorized: false,
      ...(options.caPem ? { ca: [options.caPem] } : {}),
      // OpenSSL 3 refuses TLS < 1.2 below security level 0: allowed only to name the version in a report.
      ...(options.legacyTls ? { minVersion: 'TLSv1' as const, ciphers: 'DEFAULT@SECLEVEL=0' } : {}),
    });
    const settle = (result: PresentedCertificateResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const fail = (cause: unknown) => settle({ ok: false, stage: tcpConnected ? 'tls' : 'tcp', cause });
    const timer = setTimeout(() => fail(Object.assign(new Error(`no TLS handshake within ${options.timeoutMs} ms`), { code: 'ETIMEDOUT' })), options.timeoutMs);
    const onAbort = () => fail(options.signal?.reason ?? new Error('aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      tcpConnected = true;
    });
    socket.once('error', fail);
    socket.once('close', () => fail(new Error('connection closed before the TLS handshake completed')));
    socket.once('secureConnect', () => {
      // An empty object when the server sent no certificate.
      const peer: Partial<PeerCertificate> = socket.getPeerCertificate(true);
      settle({
        ok: true,
        peer: peer?.raw ? (peer as PeerCertificate) : undefined,
        authorized: socket.authorized,
        authorizationError: socket.authorized ? undefined : String(socket.authorizationError),
        protocol: socket.getProtocol() ?? undefined,
      });
    });
  });
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
  const { default: selfsigned } = await import('selfsigned');
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
