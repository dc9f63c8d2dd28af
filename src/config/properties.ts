/**
 * A parser for Java-style `.properties` files, the format of NetBackup's `nbwss.properties`.
 *
 * Supported: `key=value`, `key:value` and `key value`; `#` and `!` comment lines; blank lines; whitespace around
 * keys and values trimmed; a line ending in an odd number of backslashes continues on the next line (leading
 * whitespace of the continuation is dropped); the escapes `\t \n \r \f \\ \= \: \# \! \uXXXX`.
 *
 * The file is read as UTF-8 and refused, naming the line, when it holds a NUL byte or bytes that are not UTF-8:
 * binary garbage is never read as a configuration (issue 10 D13). Parsing is linear in the size of the file,
 * however many continuation lines it has.
 */
import { ConfigError } from '../errors.js';

/** One `key=value` entry and the (1-based) line it starts on. */
export interface PropertyEntry {
  key: string;
  value: string;
  line: number;
}

/** Parse properties text into entries, in file order. A key given twice appears twice (the last one wins later). */
export function parseProperties(text: string): PropertyEntry[] {
  const lines = text.split(/\r\n|\r|\n/);
  const entries: PropertyEntry[] = [];
  for (let i = 0; i < lines.length; i++) {
    const startLine = i + 1;
    let physical = stripLeading(lines[i] ?? '');
    if (physical === '' || physical.startsWith('#') || physical.startsWith('!')) continue;
    // The parts of one logical line; each physical line is looked at once (no re-scan of what came before).
    const parts: string[] = [];
    while (endsWithContinuation(physical)) {
      parts.push(physical.slice(0, -1));
      if (i + 1 >= lines.length) {
        physical = '';
        break;
      }
      physical = stripLeading(lines[++i] ?? '');
    }
    parts.push(physical);
    const { key, value } = splitKeyValue(parts.join(''));
    entries.push({ key: unescape(key), value: unescape(value).trim(), line: startLine });
  }
  return entries;
}

/**
 * Decode the bytes of a properties file as UTF-8 (a leading byte-order mark dropped). Throws a
 * {@link ConfigError} naming `file` and the line of the first NUL byte or invalid UTF-8 sequence.
 */
export function decodeProperties(bytes: Uint8Array, file: string): string {
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const body = bytes.subarray(start);
  const nul = body.indexOf(0);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(nul >= 0 ? body.subarray(0, nul) : body);
  } catch {
    throw new ConfigError(`configuration file ${file}:${invalidUtf8Line(body)} is not valid UTF-8 (is it a properties file?)`);
  }
  if (nul >= 0) throw new ConfigError(`configuration file ${file}:${lineAt(body, nul)} holds a NUL byte (is it a properties file?)`);
  return text;
}

/** The 1-based line of byte `offset`. */
function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/** The 1-based line holding the first invalid UTF-8 sequence (lines split on LF bytes, which UTF-8 never reuses). */
function invalidUtf8Line(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  let from = 0;
  while (from <= bytes.length) {
    let to = bytes.indexOf(0x0a, from);
    if (to < 0) to = bytes.length;
    try {
      decoder.decode(bytes.subarray(from, to));
    } catch {
      return line;
    }
    line++;
    from = to + 1;
  }
  return line;
}

function stripLeading(s: string): string {
  return s.replace(/^[ \t\f]+/, '');
}

function endsWithContinuation(s: string): boolean {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

function splitKeyValue(s: string): { key: string; value: string } {
  let i = 0;
  for (; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') break;
  }
  const key = s.slice(0, i);
  let rest = s.slice(i);
  // The separator: optional whitespace, then at most one '=' or ':', then optional whitespace.
  rest = rest.replace(/^[ \t\f]*/, '');
  if (rest.startsWith('=') || rest.startsWith(':')) rest = rest.slice(1);
  return { key: key.trim(), value: rest.replace(/^[ \t\f]*/, '') };
}

function unescape(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_m, esc: string) => {
    if (esc.length === 5) return String.fromCharCode(parseInt(esc.slice(1), 16));
    switch (esc) {
      case 't':
        return '\t';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 'f':
        return '\f';
      default:
        return esc;
    }
  });
}
