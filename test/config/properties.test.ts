import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeProperties, parseProperties } from '../../src/config/properties.js';
import { ConfigError } from '../../src/errors.js';

const kv = (text: string) => parseProperties(text).map((e) => [e.key, e.value]);

describe('parseProperties (Java .properties syntax)', () => {
  it('reads key=value, key:value and key value', () => {
    expect(kv('a=1\nb:2\nc 3\nd\t4')).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
      ['d', '4'],
    ]);
  });

  it('takes only the first separator: the rest belongs to the value', () => {
    expect(kv('url=https://h:1556/x=y\nk:=v\nk2 = = v')).toEqual([
      ['url', 'https://h:1556/x=y'],
      ['k', '=v'],
      ['k2', '= v'],
    ]);
  });

  it('trims whitespace around keys, separators and values', () => {
    expect(kv('   key   =   value with  inner  spaces   \n\t k2 :\tv2\t')).toEqual([
      ['key', 'value with  inner  spaces'],
      ['k2', 'v2'],
    ]);
  });

  it('skips # and ! comment lines, also indented, and blank or whitespace-only lines', () => {
    expect(kv('# comment\n! also a comment\n   # indented comment\n\n   \n\t\na=1\n')).toEqual([['a', '1']]);
  });

  it('keeps # and ! inside a value (only a line can be a comment)', () => {
    expect(kv('a=x # not a comment\nb=!bang')).toEqual([
      ['a', 'x # not a comment'],
      ['b', '!bang'],
    ]);
  });

  it('gives a key with no value the empty string', () => {
    expect(kv('empty=\nalone\nspaced =   ')).toEqual([
      ['empty', ''],
      ['alone', ''],
      ['spaced', ''],
    ]);
  });

  it('reports the 1-based line each entry starts on', () => {
    const entries = parseProperties('# c\n\na=1\nb=2 \\\n  continued\nc=3');
    expect(entries.map((e) => [e.key, e.line])).toEqual([
      ['a', 3],
      ['b', 4],
      ['c', 6],
    ]);
  });

  it('joins backslash continuations, dropping the leading whitespace of the next line', () => {
    expect(kv('list=a,\\\n    b,\\\n\t\tc\nnext=1')).toEqual([
      ['list', 'a,b,c'],
      ['next', '1'],
    ]);
  });

  it('an even number of trailing backslashes is an escaped backslash, not a continuation', () => {
    expect(kv('path=C:\\\\dir\\\\\nnext=1')).toEqual([
      ['path', 'C:\\dir\\'],
      ['next', '1'],
    ]);
  });

  it('a continuation on the last line ends the value', () => {
    expect(kv('a=1\\')).toEqual([['a', '1']]);
  });

  it('a continuation line that starts with # is part of the value, not a comment', () => {
    expect(kv('a=x\\\n#y')).toEqual([['a', 'x#y']]);
  });

  it('a comment line ending in a backslash does not continue', () => {
    expect(kv('# comment \\\na=1')).toEqual([['a', '1']]);
  });

  it('decodes escapes: \\t \\n \\r \\f \\\\ \\= \\: \\# \\! \\uXXXX and an unknown escape as the character', () => {
    expect(kv('a=tab\\there\nb=\\u0041\\u00e9\nc=\\=\\:\\#\\!\\\\\nd=new\\nline\ne=\\q')).toEqual([
      ['a', 'tab\there'],
      ['b', 'Aé'],
      ['c', '=:#!\\'],
      ['d', 'new\nline'],
      ['e', 'q'],
    ]);
  });

  it('an escaped separator or space stays in the key', () => {
    expect(kv('my\\=key=1\nmy\\:k2:2\nmy\\ key 3')).toEqual([
      ['my=key', '1'],
      ['my:k2', '2'],
      ['my key', '3'],
    ]);
  });

  it('accepts CRLF and CR line endings', () => {
    expect(kv('a=1\r\nb=2\rc=3\r\n')).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
    ]);
  });

  it('keeps a key given twice twice, in file order (the last one wins when loaded)', () => {
    expect(kv('a=1\na=2')).toEqual([
      ['a', '1'],
      ['a', '2'],
    ]);
  });

  it('parses the empty text to nothing', () => {
    expect(parseProperties('')).toEqual([]);
  });
});

describe('parseProperties: properties (fast-check)', () => {
  /** Escape a key or value the way a properties writer does, so it reads back as itself. */
  const escape = (s: string, isKey: boolean) =>
    s.replace(/[\\=:#! \t\n\r\f]/g, (c, i: number) => {
      const named: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', '\f': '\\f' };
      if (named[c]) return named[c];
      if (c === ' ' && !isKey && i > 0) return c; // inner spaces of a value need no escape
      return `\\${c}`;
    });
  const text = fc.string({ unit: fc.constantFrom('a', 'b', 'Z', '.', '_', '=', ':', ' ', '\t', '#', '!', '\\', '\n', 'é', '€', '1') });

  it('an escaped key=value, split anywhere by continuations, reads back as written', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(text.filter((k) => k.trim() !== '' && k === k.trim()), text.map((v) => v.trim())), { maxLength: 8 }), fc.nat(), (pairs, seed) => {
        let n = seed;
        const lines = pairs.map(([k, v]) => {
          const line = `${escape(k, true)}=${escape(v, false)}`;
          // cut the line at a point that does not split an escape, and continue it on the next line
          const cut = n++ % (line.length + 1);
          // (not inside an escape, and not next to a space: the continuation drops leading whitespace)
          const safe = !/\\$/.test(line.slice(0, cut).replace(/\\\\/g, '')) && line[cut - 1] !== ' ' && line[cut] !== ' ';
          return safe && cut > 0 && cut < line.length ? `${line.slice(0, cut)}\\\n    ${line.slice(cut)}` : line;
        });
        expect(kv(lines.join('\n'))).toEqual(pairs);
      }),
    );
  });

  it('any text parses without throwing, every entry on a line that exists', () => {
    fc.assert(
      fc.property(text, (t) => {
        const count = t.split(/\r\n|\r|\n/).length;
        for (const e of parseProperties(t)) expect(e.line).toBeGreaterThanOrEqual(1), expect(e.line).toBeLessThanOrEqual(count);
      }),
    );
  });

  it('any bytes either decode or are refused with a ConfigError naming the file and a line', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeProperties(bytes, 'f.properties');
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
          expect((err as Error).message).toMatch(/^configuration file f\.properties:\d+ (holds a NUL byte|is not valid UTF-8)/);
        }
      }),
    );
  });
});
