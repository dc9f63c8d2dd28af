import { X509Certificate, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { generateCertificate } from '../certificates.js';
import { MockEndpointError } from './types.js';

/**
 * A mock endpoint's state kept in a folder across restarts (`nbwss mock-endpoint --state-dir DIR`), so that a
 * daemon that pinned its certificate and stored its token keeps connecting after the mock restarts:
 * `cert.pem` and `key.pem` (generated once, the key mode 0600) and `token` (generated once unless one is given,
 * mode 0600). The endpoint file the CLI writes there (`endpoint.json`) follows from them.
 */

/** What {@link loadStateDir} returns. */
export interface MockEndpointState {
  cert: string;
  key: string;
  token: string;
  /** True when the certificate was generated now (the first start with this folder). */
  created: boolean;
}

/** Files of a state folder. */
export const STATE_FILES = { cert: 'cert.pem', key: 'key.pem', token: 'token', endpoint: 'endpoint.json' } as const;

function fail(message: string, cause?: unknown): MockEndpointError {
  return new MockEndpointError('NBWSS_ERR_MOCK_STATE', message, cause === undefined ? undefined : { cause });
}

function writeSecret(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

function names(cert: string, hostName: string): boolean {
  const x = new X509Certificate(cert);
  return (isIP(hostName) ? x.checkIP(hostName) : x.checkHost(hostName)) !== undefined;
}

/**
 * Read the state in `dir` (created, mode 0700, when missing), generating what is not there yet: a certificate for
 * `hosts` (the first is the endpoint's host name) and, unless `token` is given, a token. A kept certificate that
 * does not name the host name is refused (remove `cert.pem` and `key.pem` to make a new one).
 */
export async function loadStateDir(dir: string, options: { hosts: string[]; token?: string }): Promise<MockEndpointState> {
  const path = (f: string) => join(dir, f);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw fail(`--state-dir ${dir}: cannot create the folder: ${(err as Error).message}`, err);
  }
  const read = (f: string) => {
    try {
      return readFileSync(path(f), 'utf8');
    } catch (err) {
      throw fail(`--state-dir: cannot read ${path(f)}: ${(err as Error).message}`, err);
    }
  };
  const hasCert = existsSync(path(STATE_FILES.cert));
  if (hasCert !== existsSync(path(STATE_FILES.key))) throw fail(`--state-dir ${dir}: ${STATE_FILES.cert} and ${STATE_FILES.key} go together (remove the one left to generate both)`);
  let cert: string;
  let key: string;
  let created = false;
  if (hasCert) {
    cert = read(STATE_FILES.cert);
    key = read(STATE_FILES.key);
    const hostName = options.hosts[0]!;
    let named: boolean;
    try {
      named = names(cert, hostName);
    } catch (err) {
      throw fail(`--state-dir: ${path(STATE_FILES.cert)} is not a PEM certificate`, err);
    }
    if (!named) throw fail(`--state-dir: ${path(STATE_FILES.cert)} does not name ${hostName}: remove ${STATE_FILES.cert} and ${STATE_FILES.key} to generate a new one (the daemon must then pin it again)`);
  } else {
    const pair = await generateCertificate({ hosts: options.hosts });
    cert = pair.cert;
    key = pair.key;
    writeFileSync(path(STATE_FILES.cert), cert);
    writeSecret(path(STATE_FILES.key), key);
    created = true;
  }
  let token = options.token;
  if (token === undefined) {
    if (existsSync(path(STATE_FILES.token))) token = read(STATE_FILES.token).trim();
    if (!token) {
      token = randomBytes(24).toString('base64url');
      writeSecret(path(STATE_FILES.token), `${token}\n`);
    }
  }
  return { cert, key, token, created };
}
