import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TokenCipher } from '../../src/endpoints/token-cipher.js';
import { SecurityError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';

describe('TokenCipher', () => {
  it('creates the key file with mode 0600 (and its folder) on first use, and reuses it', () => {
    const path = join(tempDir(), 'sub', 'nbwss.key');
    const a = TokenCipher.fromKeyFile(path);
    if (process.platform !== 'win32') expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(path, 'utf8').trim(), 'base64')).toHaveLength(32);
    const blob = a.encrypt('secret', 'h1');
    expect(TokenCipher.fromKeyFile(path).decrypt(blob, 'h1')).toBe('secret');
  });

  it('never leaves the token in the ciphertext, and uses a fresh IV each time', () => {
    const c = TokenCipher.fromKeyFile(join(tempDir(), 'k'));
    const one = c.encrypt('plain-token-value', 'h1');
    const two = c.encrypt('plain-token-value', 'h1');
    expect(one.includes(Buffer.from('plain-token-value'))).toBe(false);
    expect(one.equals(two)).toBe(false);
  });

  it('binds a ciphertext to its host name, and refuses another key', () => {
    const dir = tempDir();
    const c = TokenCipher.fromKeyFile(join(dir, 'k1'));
    const blob = c.encrypt('t', 'h1');
    expect(() => c.decrypt(blob, 'h2')).toThrow(SecurityError);
    expect(() => TokenCipher.fromKeyFile(join(dir, 'k2')).decrypt(blob, 'h1')).toThrow(/does not decrypt/);
  });

  it('refuses a key file that does not hold 32 bytes, and a missing one when create is false', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'short'), Buffer.alloc(8).toString('base64'));
    expect(() => TokenCipher.fromKeyFile(join(dir, 'short'))).toThrow(/32-byte/);
    expect(() => TokenCipher.fromKeyFile(join(dir, 'none'), { create: false })).toThrow(SecurityError);
  });

  it('forStore: creates a key for an empty store, refuses to invent one when tokens depend on a missing key', () => {
    const dir = tempDir();
    expect(TokenCipher.forStore(join(dir, 'new.key'), 0)).toBeInstanceOf(TokenCipher);
    const err = (() => {
      try {
        TokenCipher.forStore(join(dir, 'lost.key'), 2);
      } catch (e) {
        return e as SecurityError;
      }
      throw new Error('expected an error');
    })();
    expect(err.code).toBe('NBWSS_ERR_KEY_FILE');
    expect(err.message).toMatch(/lost\.key .* is missing, but the database holds 2 endpoint token/);
    expect(TokenCipher.forStore(join(dir, 'new.key'), 2)).toBeInstanceOf(TokenCipher);
  });
});
