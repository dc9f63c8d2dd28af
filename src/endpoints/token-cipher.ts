import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { SecurityError } from '../errors.js';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts endpoint tokens at rest with AES-256-GCM (spec §8: "stored securely"). The 32-byte key lives in
 * `security.keyFile` (base64 text), created with mode 0600 on first use. Each ciphertext is bound to its endpoint's
 * host name (GCM additional data), so a token row copied onto another endpoint does not decrypt.
 */
export class TokenCipher {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new SecurityError('NBWSS_ERR_KEY_FILE', `token key must be 32 bytes, got ${key.length}`);
    this.#key = key;
  }

  /** Read the key from `path`, creating it (mode 0600, folders as needed) when it does not exist. */
  static fromKeyFile(path: string, options: { create?: boolean } = {}): TokenCipher {
    const create = options.create ?? true;
    try {
      return new TokenCipher(readKey(path));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !create) {
        if (err instanceof SecurityError) throw err;
        throw new SecurityError('NBWSS_ERR_KEY_FILE', `cannot read token key file ${path}: ${(err as Error).message}`, { cause: err });
      }
    }
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    try {
      const fd = openSync(path, 'wx', 0o600);
      try {
        writeSync(fd, randomBytes(32).toString('base64') + '\n');
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      // Another process created it first: use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new SecurityError('NBWSS_ERR_KEY_FILE', `cannot create token key file ${path}: ${(err as Error).message}`, { cause: err });
      }
    }
    return new TokenCipher(readKey(path));
  }

  /**
   * Open the key for a database that holds `storedTokens` encrypted tokens. The key is created only when no token
   * depends on it: a new key next to stored tokens would make every one of them undecryptable, and say so only at
   * connect time. Throws {@link SecurityError} (`NBWSS_ERR_KEY_FILE`) in that case.
   */
  static forStore(path: string, storedTokens: number): TokenCipher {
    if (storedTokens > 0 && !existsSync(path)) {
      throw new SecurityError(
        'NBWSS_ERR_KEY_FILE',
        `token key file ${path} (security.keyFile) is missing, but the database holds ${storedTokens} endpoint token(s) ` +
          'encrypted with it: restore the key file, or point security.keyFile at it',
      );
    }
    return TokenCipher.fromKeyFile(path, { create: true });
  }

  /** Encrypt `token` for the endpoint `hostName`. */
  encrypt(token: string, hostName: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(hostName, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), ciphertext]);
  }

  /** Decrypt a value made by {@link encrypt} for the same `hostName`. */
  decrypt(blob: Buffer, hostName: string): string {
    if (blob.length < 1 + IV_BYTES + TAG_BYTES || blob[0] !== VERSION) {
      throw new SecurityError('NBWSS_ERR_TOKEN_DECRYPT', `stored token of ${hostName} has an unknown format`);
    }
    const iv = blob.subarray(1, 1 + IV_BYTES);
    const tag = blob.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.#key, iv);
    decipher.setAAD(Buffer.from(hostName, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(blob.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch (err) {
      throw new SecurityError(
        'NBWSS_ERR_TOKEN_DECRYPT',
        `stored token of ${hostName} does not decrypt with the key in security.keyFile (was the key file replaced?)`,
        { cause: err },
      );
    }
  }
}

function readKey(path: string): Buffer {
  const text = readFileSync(path, 'utf8').trim();
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32) throw new SecurityError('NBWSS_ERR_KEY_FILE', `token key file ${path} does not hold a base64 32-byte key`);
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) {
    // Readable by others: still usable, but say so loudly once per process.
    warnOnce(`token key file ${path} is readable by group/others; chmod 600 it`);
  }
  return key;
}

const warned = new Set<string>();
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.emitWarning(message, { code: 'NBWSS_KEY_FILE_MODE' });
}
