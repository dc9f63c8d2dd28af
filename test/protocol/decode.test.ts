import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../src/errors.js';
import { MAX_ID_LENGTH, decode, excerpt, sameId, summarize } from '../../src/protocol/index.js';

const frame = (over: Record<string, unknown>) => JSON.stringify({ version: '1.0', id: 'A', type: 'COMMAND', subType: 'REQUEST', timeStamp: 1, payload: {}, ...over });
const deep = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

function decodeError(data: string): DecodeError {
  try {
    decode(data, false);
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError);
    return err as DecodeError;
  }
  throw new Error('expected a DecodeError');
}

describe('decode: bounded ids and bounded messages (issue 10 A2, A4)', () => {
  it(`accepts an id of ${MAX_ID_LENGTH} characters and refuses ${MAX_ID_LENGTH + 1} with NBWSS_ERR_DECODE_ID (1007)`, () => {
    expect(MAX_ID_LENGTH).toBe(128);
    expect(decode(frame({ id: 'x'.repeat(128) }), false).id).toHaveLength(128);
    const err = decodeError(frame({ id: 'x'.repeat(129) }));
    expect(err).toMatchObject({ code: 'NBWSS_ERR_DECODE_ID', closeCode: 1007 });
    expect(err.message.length).toBeLessThan(200);
  });

  it('a 2 MB id is refused with a message of bounded size', () => {
    const err = decodeError(frame({ id: 'x'.repeat(2_000_000) }));
    expect(err.code).toBe('NBWSS_ERR_DECODE_ID');
    expect(err.message).toMatch(/^"id" of 2000000 characters \(at most 128\): "x{40}…\(2000000 chars\)"$/);
  });

  it('a type or subType nested 100,000 levels deep is a DecodeError (1007), not a RangeError', () => {
    for (const field of ['type', 'subType']) {
      const text = frame({}).replace(`"${field}":"${field === 'type' ? 'COMMAND' : 'REQUEST'}"`, `"${field}":${deep(100_000)}`);
      const err = decodeError(text);
      expect(err).toMatchObject({ code: 'NBWSS_ERR_DECODE_TYPE', closeCode: 1007, message: `unknown "${field}": object(1 keys)` });
    }
  });

  it('a 1 MB type is named by an excerpt', () => {
    expect(decodeError(frame({ type: 'T'.repeat(1_000_000) })).message).toBe(`unknown "type": "${'T'.repeat(80)}…(1000000 chars)"`);
  });
});

describe('summarize / excerpt', () => {
  it('never walks a value and never throws', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(summarize(cyclic)).toBe('object(1 keys)');
    expect(summarize(JSON.parse(deep(100_000)))).toBe('object(1 keys)');
    expect(summarize([1, [2]])).toBe('array(2)');
    expect(summarize(null)).toBe('null');
    expect(summarize(undefined)).toBe('undefined');
    expect(summarize(12n)).toBe('12');
    expect(summarize(() => 1)).toBe('function');
    expect(summarize('a"b')).toBe('"a\\"b"');
    expect(excerpt('abcdef', 3)).toBe('abc…(6 chars)');
    expect(excerpt('abc', 3)).toBe('abc');
  });
});

describe('sameId (spec §5: ids compared without regard to case)', () => {
  it('matches a lower-case UUID with the upper-case one nbwss sent, and nothing else', () => {
    const id = '0CEAB6C2-0BBF-4F60-974D-C1F3EF39B872';
    expect(sameId(id.toLowerCase(), id)).toBe(true);
    expect(sameId(id, id)).toBe(true);
    expect(sameId('0ceab6c2-0bbf-4f60-974d-c1f3ef39b873', id)).toBe(false);
    expect(sameId(id + ' ', id)).toBe(false);
    expect(sameId('ı', 'I')).toBe(false); // only ASCII letters fold
  });
});
