import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonInputError } from '../src/errors.js';
import { formatJsonPath, MAX_JSON_DEPTH, numberRoundTrips, readJson } from '../src/strict-json.js';

function refusal(input: Uint8Array | string): JsonInputError {
  try {
    readJson(input);
  } catch (err) {
    expect(err).toBeInstanceOf(JsonInputError);
    expect((err as JsonInputError).code).toBe('NBWSS_ERR_JSON_INPUT');
    return err as JsonInputError;
  }
  throw new Error(`expected ${String(input)} to be refused`);
}

describe('readJson: what JSON.parse would repair or lose is refused, naming the place (issue 10 D14)', () => {
  it('reads ordinary JSON as JSON.parse does', () => {
    const text = '{"a":[1,2.5,-3e-2,true,false,null,"x\\u00e9\\n\\"\\/"],"b":{"c":{}},"d":[]}';
    expect(readJson(text)).toEqual(JSON.parse(text));
    expect(readJson(Buffer.from(` \n${text}\r\n\t`))).toEqual(JSON.parse(text));
  });

  it('bytes that are not UTF-8 are refused with the byte offset, never read as U+FFFD', () => {
    const bytes = Buffer.concat([Buffer.from('{"clientName":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
    expect(Buffer.from(bytes).toString('utf8')).toContain('\uFFFD'); // what the old path stored
    expect(refusal(bytes).message).toBe('not valid UTF-8 at byte 18');
    expect(refusal(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22])).message).toBe('not valid UTF-8 at byte 1'); // an encoded surrogate
  });

  it('a UTF-8 byte-order mark is dropped', () => {
    expect(readJson(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]))).toEqual({ a: 1 });
  });

  for (const [literal, read] of [
    ['12345678901234567890', 'would be read as 12345678901234567000'],
    ['9007199254740993', 'would be read as 9007199254740992'],
    ['1e400', 'is beyond the range of a double'],
    ['-1e400', 'is beyond the range of a double'],
    ['1e-400', 'would be read as 0'],
    ['0.1000000000000000000001', 'would be read as 0.1'],
  ] as const) {
    it(`the number ${literal} is refused, naming the field`, () => {
      const err = refusal(`[{"jobId":1},{"jobId":${literal}}]`);
      expect(err.message).toBe(`field $[1].jobId: the number ${literal} ${read}: it cannot be read back exactly (send it as a string)`);
      expect(err.path).toEqual([1, 'jobId']);
    });
  }

  it('numbers that read back as written pass, however they are spelled', () => {
    for (const n of ['0', '-0', '0.0', '1.0', '1.50', '1e2', '1E+2', '100e-2', '0.1', '0.30000000000000004', '9007199254740991', '-9007199254740991', '1.7976931348623157e308', '5e-324', '123.456e-7'])
      expect(readJson(n), n).toBe(Number(n));
    expect(numberRoundTrips('12345678901234567890')).toBe(false);
  });

  it(`nesting deeper than ${MAX_JSON_DEPTH} is refused naming the path, also 100,000 deep (no stack overflow)`, () => {
    expect(() => readJson('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH))).not.toThrow();
    const err = refusal('{"data":' + '['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH) + '}');
    expect(err.message).toBe(`field $.data${'[0]'.repeat(MAX_JSON_DEPTH - 1)}: nested deeper than ${MAX_JSON_DEPTH} levels (the limit for JSON input)`);
    expect(refusal('{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)).message).toMatch(/^field \$(\.a)+…?: nested deeper than 64 levels/);
    expect(refusal('['.repeat(100_000)).message).toContain('nested deeper than 64 levels');
  });

  it('a member given twice is refused, naming it (JSON.parse keeps the last silently)', () => {
    expect(refusal('{"a":{"token":"x","token":"y"}}').message).toBe('field $.a.token: given twice in the same object');
  });

  it('lone surrogate escapes are refused; pairs are read', () => {
    expect(refusal('{"s":"\\ud800"}').message).toBe('field $.s: a string holds a lone surrogate escape \\uD800');
    expect(refusal('{"s":"\\udc00x"}').message).toBe('field $.s: a string holds a lone surrogate escape \\uDC00');
    expect(refusal('{"s":"\ud800"}').message).toBe('field $.s: a string holds a lone UTF-16 surrogate');
    expect(readJson('"\\ud83d\\ude00"')).toBe('😀');
  });

  it('__proto__ is an ordinary member, never the prototype', () => {
    const v = readJson('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.hasOwn(v, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('syntax errors give line and column and never quote the text (it may hold a token)', () => {
    const err = refusal('{\n  "token": SECRET-TOKEN-VALUE\n}');
    expect(err.message).toBe("not valid JSON: unexpected 'S' at line 2, column 12");
    expect(err.message).not.toContain('SECRET');
    for (const [text, why] of [
      ['', 'no JSON value (the input is empty)'],
      ['{"a":1,}', `expected a member name in double quotes, found '}'`],
      ['[1 2]', `expected ',' or ']', found '2'`],
      ['"abc', 'unterminated string'],
      ['"a\tb"', 'control character in a string (escape it)'],
      ['01', 'malformed number'],
      ['1.', 'malformed number'],
      ['{"a":1} x', 'unexpected text after the JSON value'],
      ['"\\x"', 'invalid escape in a string'],
      ['tru', "unexpected 't'"],
    ] as const) {
      expect(refusal(text).message, text).toMatch(new RegExp(`^not valid JSON: ${why.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at line \\d+, column \\d+$`));
    }
  });

  it('formatJsonPath quotes odd member names and bounds its length', () => {
    expect(formatJsonPath([])).toBe('$');
    expect(formatJsonPath(['data', 3, 'job id', '$ok'])).toBe('$.data[3]["job id"].$ok');
    expect(formatJsonPath(Array.from({ length: 200 }, () => 'abcdefgh')).length).toBeLessThanOrEqual(301);
  });
});

describe('readJson: properties (fast-check)', () => {
  it('any JSON.stringify output reads as JSON.parse reads it, or is refused for a lone surrogate', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
        const text = JSON.stringify(value);
        let read: unknown;
        try {
          read = readJson(Buffer.from(text, 'utf8'));
        } catch (err) {
          expect(err).toBeInstanceOf(JsonInputError);
          expect(text).toMatch(/\\ud[89a-f]/i);
          return;
        }
        expect(read).toEqual(JSON.parse(text));
      }),
    );
  });

  it('any bytes are read or refused with a JsonInputError, never another exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        try {
          readJson(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(JsonInputError);
        }
      }),
    );
  });

  it('mutated JSON text is read as JSON.parse reads it, or refused with a JsonInputError', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.nat(), fc.constantFrom('', '"', '{', '}', '[', ']', ',', ':', '\\', '1', 'e', '-', ' '), (value, at, insert) => {
        const base = JSON.stringify(value);
        const i = base.length === 0 ? 0 : at % base.length;
        const text = base.slice(0, i) + insert + base.slice(i + 1);
        let expected: unknown;
        let parses = true;
        try {
          expected = JSON.parse(text);
        } catch {
          parses = false;
        }
        try {
          expect(readJson(text)).toEqual(expected);
          expect(parses).toBe(true);
        } catch (err) {
          if (!(err instanceof JsonInputError)) throw err;
        }
      }),
    );
  });
});
