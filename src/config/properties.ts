/**
 * A parser for Java-style `.properties` files, the format of NetBackup's `nbwss.properties`.
 *
 * Supported: `key=value`, `key:value` and `key value`; `#` and `!` comment lines; blank lines; whitespace around
 * keys and values trimmed; a line ending in an odd number of backslashes continues on the next line (leading
 * whitespace of the continuation is dropped); the escapes `\t \n \r \f \\ \= \: \# \! \uXXXX`.
 */

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
    let logical = stripLeading(lines[i] ?? '');
    if (logical === '' || logical.startsWith('#') || logical.startsWith('!')) continue;
    while (endsWithContinuation(logical) && i + 1 < lines.length) {
      logical = logical.slice(0, -1) + stripLeading(lines[++i] ?? '');
    }
    if (endsWithContinuation(logical)) logical = logical.slice(0, -1);
    const { key, value } = splitKeyValue(logical);
    entries.push({ key: unescape(key), value: unescape(value).trim(), line: startLine });
  }
  return entries;
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
