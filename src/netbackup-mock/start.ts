/**
 * Start the mock primary on a URL such as `netbackup.baseUrl` (`https://localhost:1556`): what `nbwss run` does
 * when `netbackup.mock=true`, so one process is a whole simulated NetBackup.
 */
import { generateCertificate, type GeneratedCertificate } from '../certificates.js';
import { ConfigError } from '../errors.js';
import { createMockNetBackup, type MockNetBackup, type MockNetBackupOptions } from './server.js';

/** Result of {@link startMockFromBaseUrl}. */
export interface StartedMock {
  mock: MockNetBackup;
  /** The base URL it answers on: the one given, with the real port when it asked for port 0. */
  url: string;
  /** The certificate generated for an `https` URL (trust it as `ca`, or pin its fingerprint); undefined otherwise. */
  certificate: GeneratedCertificate | undefined;
}

/**
 * Listen where `baseUrl` points: `http` or `https` from its scheme (with a certificate generated for its host,
 * `localhost`, `127.0.0.1` and `::1` unless `options.tls` is given), its host and port (scheme default when
 * absent). `localhost` listens on 127.0.0.1 and, when the machine has it, ::1 — a client may resolve either.
 * The URL must have no path beyond `/`: COMMAND uris already start with `/netbackup/`. Throws `ConfigError`.
 */
export async function startMockFromBaseUrl(baseUrl: string, options: MockNetBackupOptions = {}): Promise<StartedMock> {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new ConfigError(`netbackup.baseUrl: '${baseUrl}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`netbackup.baseUrl: '${baseUrl}' must be http:// or https://`);
  if (url.pathname !== '/' || url.search !== '') {
    throw new ConfigError(`netbackup.baseUrl: the mock NetBackup serves /netbackup/… at the root; '${baseUrl}' has a path`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let certificate: GeneratedCertificate | undefined;
  let tls = options.tls;
  if (url.protocol === 'https:' && !tls) {
    certificate = await generateCertificate({ hosts: [...new Set([host, 'localhost', '127.0.0.1', '::1'])] });
    tls = certificate;
  }
  if (url.protocol === 'http:') tls = undefined;
  const mock = createMockNetBackup({ ...options, tls });
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  try {
    const first = await mock.listen(host === 'localhost' ? '127.0.0.1' : host, port);
    if (host === 'localhost') {
      // Best effort: a machine without IPv6 loopback just has the IPv4 listener.
      await mock.listen('::1', first.port).catch(() => undefined);
    }
    url.port = String(first.port);
  } catch (err) {
    await mock.close();
    throw new ConfigError(`netbackup.baseUrl: cannot listen on ${url.host} for the mock NetBackup: ${(err as Error).message}`, { cause: err });
  }
  return { mock, url: url.origin, certificate };
}
