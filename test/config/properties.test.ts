import { describe, expect, it } from 'vitest';
import { parseProperties } from '../../src/config/properties.js';

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
