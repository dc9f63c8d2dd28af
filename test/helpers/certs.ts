import { generateCertificate, type GeneratedCertificate, type GenerateCertificateOptions } from '../../src/certificates.js';

const cache = new Map<string, Promise<GeneratedCertificate>>();

/**
 * A certificate generated at test time (never committed), cached per test file by its options so that a file
 * asking for the same host twice pays once.
 */
export function testCertificate(options: GenerateCertificateOptions | string): Promise<GeneratedCertificate> {
  const opts = typeof options === 'string' ? { hosts: [options] } : options;
  const key = JSON.stringify(opts);
  let p = cache.get(key);
  if (!p) {
    p = generateCertificate(opts);
    cache.set(key, p);
  }
  return p;
}

/** A fresh certificate (not cached): for "the certificate changed" cases. */
export function freshCertificate(options: GenerateCertificateOptions | string): Promise<GeneratedCertificate> {
  return generateCertificate(typeof options === 'string' ? { hosts: [options] } : options);
}
