import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CertificateRejectedError,
  ConfigError,
  JsonInputError,
  CONNECT_ERROR_CODES,
  ConnectError,
  DecodeError,
  EndpointError,
  ERROR_CODES,
  FilterError,
  HttpError,
  InputError,
  LockError,
  NoDaemonError,
  MockEndpointError,
  NbwssError,
  NotificationValidationError,
  PinMismatchError,
  SecurityError,
  SourceClosedError,
  StoreError,
  UpstreamError,
  UsageError,
  WorldError,
  type ErrorOptions,
} from '../src/errors.js';

const allCodes: string[] = Object.values(ERROR_CODES).flat();

/** One factory per error class: builds it with the given options (a cause). */
const factories: Record<string, (o: ErrorOptions) => NbwssError> = {
  ConfigError: (o) => new ConfigError('bad key', o),
  JsonInputError: (o) => new JsonInputError('field $.a: given twice in the same object', { ...o, path: ['a'] }),
  StoreError: (o) => new StoreError('NBWSS_ERR_DB_OPEN', 'cannot open', o),
  EndpointError: (o) => new EndpointError('NBWSS_ERR_UNREACHABLE', 'unreachable', { ...o, detail: 'more' }),
  CertificateRejectedError: (o) => new CertificateRejectedError('declined', o),
  InputError: (o) => new InputError('no such file', o),
  SecurityError: (o) => new SecurityError('NBWSS_ERR_KEY_FILE', 'no key', o),
  NotificationValidationError: (o) => new NotificationValidationError('bad field', o),
  SourceClosedError: (o) => new SourceClosedError('closed', o),
  DecodeError: (o) => new DecodeError('NBWSS_ERR_DECODE_JSON', 'not JSON', 1007, o),
  ConnectError: (o) => new ConnectError('pin_mismatch', 'pin', o),
  PinMismatchError: (o) => new PinMismatchError('AA', 'BB', o),
  LockError: (o) => new LockError('locked', o),
  NoDaemonError: (o) => new NoDaemonError('no daemon', o),
  UsageError: (o) => new UsageError('usage', o),
  UpstreamError: (o) => new UpstreamError(504, 'NBWSS_ERR_UPSTREAM_TIMEOUT', 'timeout', o),
  HttpError: (o) => new HttpError(404, 'NBWSS_ERR_HTTP_NOT_FOUND', 'no route', {}, o),
  MockEndpointError: (o) => new MockEndpointError('NBWSS_ERR_MOCK_OPTIONS', 'bad options', o),
  WorldError: (o) => new WorldError('NBWSS_ERR_MOCK_EXISTS', 'exists', o),
  FilterError: (o) => new FilterError('bad filter', o),
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

describe('errors', () => {
  it.each(Object.entries(factories))('%s sets name and code, keeps cause, and is an NbwssError', (name, make) => {
    const cause = new Error('underlying');
    const err = make({ cause });
    expect(err).toBeInstanceOf(NbwssError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe(name);
    expect(err.constructor.name).toBe(name);
    expect(err.cause).toBe(cause);
    expect(allCodes).toContain(err.code);
    expect(err.message).not.toBe('');
    expect(make({}).cause).toBeUndefined();
  });

  it('has a factory for every error class errors.ts exports', async () => {
    const mod = await import('../src/errors.js');
    const classes = Object.entries(mod)
      .filter(([, v]) => typeof v === 'function' && (v === NbwssError || (v as { prototype: unknown }).prototype instanceof NbwssError))
      .map(([k]) => k)
      .filter((k) => k !== 'NbwssError');
    expect(classes.sort()).toEqual(Object.keys(factories).sort());
  });

  it('lists every code once', () => {
    const seen = new Set<string>();
    const twice = allCodes.filter((c) => seen.size === seen.add(c).size);
    expect(twice).toEqual([]);
    for (const code of allCodes) expect(code).toMatch(/^NBWSS_(ERR_)?[A-Z0-9_]+$/);
  });

  it('ConnectError takes its code from the reason', () => {
    for (const [reason, code] of Object.entries(CONNECT_ERROR_CODES)) {
      const err = new ConnectError(reason as keyof typeof CONNECT_ERROR_CODES, 'x');
      expect(err.code).toBe(code);
      expect(err.reason).toBe(reason);
    }
  });

  it('keeps the extra fields of the subclasses', () => {
    expect(new EndpointError('NBWSS_ERR_NOT_FOUND', 'm', { detail: 'd' }).detail).toBe('d');
    expect(new DecodeError('NBWSS_ERR_DECODE_BINARY', 'm', 1003).closeCode).toBe(1003);
    expect(new HttpError(405, 'NBWSS_ERR_HTTP_METHOD', 'm', { allow: 'GET' })).toMatchObject({ status: 405, headers: { allow: 'GET' } });
    expect(new UpstreamError(502, 'NBWSS_ERR_UPSTREAM', 'm').status).toBe(502);
    expect(new PinMismatchError('AA', 'BB')).toMatchObject({ expected: 'AA', presented: 'BB', code: 'NBWSS_PIN_MISMATCH' });
  });

  it('every code string in src/ is listed in errors.ts', () => {
    const root = join(import.meta.dirname, '..', 'src');
    const used = new Set<string>();
    for (const file of sourceFiles(root)) {
      for (const m of readFileSync(file, 'utf8').matchAll(/'(NBWSS_ERR_[A-Z0-9_]+|NBWSS_PIN_MISMATCH)'/g)) used.add(m[1]!);
    }
    expect(used.size).toBeGreaterThan(50);
    expect([...used].filter((c) => !allCodes.includes(c))).toEqual([]);
  });
});
