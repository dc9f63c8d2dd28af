/**
 * The one strict JSON reader for outside input (issue 10 D14): `nbwss notify`, endpoint files and URLs, admin API
 * bodies. Where `JSON.parse` quietly repairs or loses data, this refuses, naming the place:
 *
 * - bytes that are not UTF-8 (`Buffer.toString` would put U+FFFD in their place), and `\uD800`-style escapes of a
 *   lone surrogate (which the database would store as U+FFFD);
 * - a number that does not read back as written: `12345678901234567890` (beyond 2^53, read as
 *   12345678901234567000), `1e400` (Infinity), `0.1000000000000000000001`;
 * - nesting deeper than {@link MAX_JSON_DEPTH} (code that walks the value recursively would overflow the stack);
 * - a member name given twice in one object (`JSON.parse` keeps the last one silently).
 *
 * Errors name the field as a path (`$[3].jobId`) and syntax errors give line and column; they never quote the
 * text itself, which may hold a token.
 */
import { JsonInputError } from './errors.js';

/** How deep objects and arrays may nest (the top-level value is depth 1). */
export const MAX_JSON_DEPTH = 64;

/** Options of {@link readJson}. */
export interface ReadJsonOptions {
  /** Default {@link MAX_JSON_DEPTH}. */
  maxDepth?: number;
}

type Segment = string | number;
interface Path {
  readonly parent: Path | undefined;
  readonly segment: Segment;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** The one-character escapes of a JSON string (`\n` → newline); `\u` is read apart. */
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = Object.assign(Object.create(null) as Record<string, string>, {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
});

/** `$`, `$.data[3].jobId`, `$["odd key"]` — bounded, so a hostile path never makes a huge message. */
export function formatJsonPath(segments: readonly Segment[]): string {
  let out = '$';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else {
      const name = s.length > 40 ? `${s.slice(0, 40)}…` : s;
      out += IDENTIFIER.test(s) ? `.${name}` : `[${JSON.stringify(name)}]`;
    }
    if (out.length > 300) return `${out.slice(0, 300)}…`;
  }
  return out;
}

function segmentsOf(path: Path | undefined): Segment[] {
  const out: Segment[] = [];
  for (let p = path; p; p = p.parent) out.push(p.segment);
  return out.reverse();
}

/** `1.50e2` → sign, significant digits without leading/trailing zeros, and the power of ten of the last digit. */
function decimal(literal: string): { negative: boolean; digits: string; exponent: number } {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal)!;
  const fraction = m[3] ?? '';
  let digits = (m[2]! + fraction).replace(/^0+/, '');
  let exponent = Number(m[4] ?? 0) - fraction.length;
  const trailing = /0*$/.exec(digits)![0].length;
  digits = digits.slice(0, digits.length - trailing);
  exponent += trailing;
  return { negative: m[1] === '-', digits, exponent: digits === '' ? 0 : exponent };
}

/** Whether the JSON number `literal` reads as a JavaScript number of exactly that decimal value. */
export function numberRoundTrips(literal: string): boolean {
  const n = Number(literal);
  if (!Number.isFinite(n)) return false;
  const written = decimal(literal);
  // String(n) is the shortest decimal that reads back as n: the literal must be that decimal.
  const read = decimal(String(n).replace(/^(-?)(\d+(?:\.\d+)?)e\+?/, '$1$2e'));
  if (written.digits === '' && read.digits === '') return true; // 0, -0, 0.000
  return written.negative === read.negative && written.digits === read.digits && written.exponent === read.exponent;
}

class Reader {
  #i = 0;
  readonly #s: string;
  readonly #maxDepth: number;

  constructor(text: string, maxDepth: number) {
    this.#s = text;
    this.#maxDepth = maxDepth;
  }

  read(): unknown {
    this.#ws();
    if (this.#i >= this.#s.length) throw this.#syntax('no JSON value (the input is empty)');
    const value = this.#value(undefined, 0);
    this.#ws();
    if (this.#i < this.#s.length) throw this.#syntax('unexpected text after the JSON value');
    return value;
  }

  /** Line and column (1-based) of the current position. */
  #where(at = this.#i): string {
    let line = 1;
    let lineStart = 0;
    for (let j = 0; j < at && j < this.#s.length; j++) {
      if (this.#s.charCodeAt(j) === 10) {
        line++;
        lineStart = j + 1;
      }
    }
    return `line ${line}, column ${at - lineStart + 1}`;
  }

  #syntax(what: string, at = this.#i): JsonInputError {
    return new JsonInputError(`not valid JSON: ${what} at ${this.#where(at)}`);
  }

  #field(path: Path | undefined, what: string): JsonInputError {
    const segments = segmentsOf(path);
    return new JsonInputError(`field ${formatJsonPath(segments)}: ${what}`, { path: segments });
  }

  #loneSurrogate(path: Path | undefined, unit: number): JsonInputError {
    return this.#field(path, `a string holds a lone surrogate escape \\u${unit.toString(16).toUpperCase()}`);
  }

  #ws(): void {
    const s = this.#s;
    for (;;) {
      const c = s.charCodeAt(this.#i);
      if (c === 32 || c === 10 || c === 13 || c === 9) this.#i++;
      else return;
    }
  }

  #value(path: Path | undefined, depth: number): unknown {
    const c = this.#s[this.#i];
    switch (c) {
      case '{':
        return this.#object(path, depth + 1);
      case '[':
        return this.#array(path, depth + 1);
      case '"':
        return this.#string(path);
      case 't':
        return this.#literal('true', true);
      case 'f':
        return this.#literal('false', false);
      case 'n':
        return this.#literal('null', null);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.#number(path);
        throw this.#syntax(c === undefined ? 'unexpected end of input' : `unexpected ${describe(c)}`);
    }
  }

  #enter(path: Path | undefined, depth: number): void {
    if (depth > this.#maxDepth) throw this.#field(path, `nested deeper than ${this.#maxDepth} levels (the limit for JSON input)`);
  }

  #object(path: Path | undefined, depth: number): Record<string, unknown> {
    this.#enter(path, depth);
    this.#i++; // {
    const obj: Record<string, unknown> = {};
    this.#ws();
    if (this.#s[this.#i] === '}') {
      this.#i++;
      return obj;
    }
    for (;;) {
      this.#ws();
      if (this.#s[this.#i] !== '"') throw this.#syntax(this.#s[this.#i] === undefined ? 'unexpected end of input' : `expected a member name in double quotes, found ${describe(this.#s[this.#i]!)}`);
      const key = this.#string(path);
      const at: Path = { parent: path, segment: key };
      if (Object.hasOwn(obj, key)) throw this.#field(at, 'given twice in the same object');
      this.#ws();
      if (this.#s[this.#i] !== ':') throw this.#syntax(`expected ':' after a member name`);
      this.#i++;
      this.#ws();
      const value = this.#value(at, depth);
      // `__proto__` is an ordinary member name in JSON (as JSON.parse treats it), never the prototype.
      Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
      this.#ws();
      const c = this.#s[this.#i];
      this.#i++;
      if (c === '}') return obj;
      if (c !== ',') throw this.#syntax(c === undefined ? 'unexpected end of input' : `expected ',' or '}', found ${describe(c)}`, this.#i - 1);
    }
  }

  #array(path: Path | undefined, depth: number): unknown[] {
    this.#enter(path, depth);
    this.#i++; // [
    const arr: unknown[] = [];
    this.#ws();
    if (this.#s[this.#i] === ']') {
      this.#i++;
      return arr;
    }
    for (;;) {
      this.#ws();
      arr.push(this.#value({ parent: path, segment: arr.length }, depth));
      this.#ws();
      const c = this.#s[this.#i];
      this.#i++;
      if (c === ']') return arr;
      if (c !== ',') throw this.#syntax(c === undefined ? 'unexpected end of input' : `expected ',' or ']', found ${describe(c)}`, this.#i - 1);
    }
  }

  #literal<T>(word: string, value: T): T {
    if (!this.#s.startsWith(word, this.#i)) throw this.#syntax(`unexpected ${describe(this.#s[this.#i]!)}`);
    this.#i += word.length;
    return value;
  }

  #number(path: Path | undefined): number {
    const re = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    re.lastIndex = this.#i;
    const m = re.exec(this.#s);
    if (!m) throw this.#syntax('malformed number');
    const literal = m[0];
    this.#i += literal.length;
    const next = this.#s[this.#i];
    if (next !== undefined && /[0-9.eE+-]/.test(next)) throw this.#syntax('malformed number');
    if (!numberRoundTrips(literal)) {
      const shown = literal.length > 40 ? `${literal.slice(0, 40)}…` : literal;
      const n = Number(literal);
      const why = Number.isFinite(n) ? `would be read as ${String(n)}` : 'is beyond the range of a double';
      throw this.#field(path, `the number ${shown} ${why}: it cannot be read back exactly (send it as a string)`);
    }
    return Number(literal);
  }

  #string(path: Path | undefined): string {
    const s = this.#s;
    const start = this.#i;
    let i = start + 1;
    let out = '';
    let chunk = i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (Number.isNaN(c)) throw this.#syntax('unterminated string', start);
      if (c === 34) break; // "
      if (c < 0x20) throw this.#syntax('control character in a string (escape it)', i);
      if (c >= 0xd800 && c <= 0xdfff) {
        // Only reachable with text given as a string (bytes are decoded strictly): a pair is fine, a lone half is not.
        const pair = c <= 0xdbff && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff;
        if (!pair) throw this.#field(path, 'a string holds a lone UTF-16 surrogate');
        i += 2;
        continue;
      }
      if (c !== 92) {
        i++;
        continue;
      }
      // a backslash escape
      out += s.slice(chunk, i);
      const e = s[i + 1];
      const simple = e === undefined ? undefined : SIMPLE_ESCAPES[e];
      if (simple !== undefined) {
        out += simple;
        i += 2;
        chunk = i;
        continue;
      }
      if (e !== 'u') throw this.#syntax('invalid escape in a string', i);
      const unit = hex4(s, i + 2);
      if (unit < 0) throw this.#syntax('malformed \\u escape', i);
      i += 6;
      if (unit >= 0xd800 && unit <= 0xdbff) {
        const low = s[i] === '\\' && s[i + 1] === 'u' ? hex4(s, i + 2) : -1;
        if (low < 0xdc00 || low > 0xdfff) throw this.#loneSurrogate(path, unit);
        out += String.fromCharCode(unit, low);
        i += 6;
      } else if (unit >= 0xdc00 && unit <= 0xdfff) {
        throw this.#loneSurrogate(path, unit);
      } else out += String.fromCharCode(unit);
      chunk = i;
    }
    out += s.slice(chunk, i);
    this.#i = i + 1;
    return out;
  }
}

function hex4(s: string, at: number): number {
  const h = s.slice(at, at + 4);
  return /^[0-9a-fA-F]{4}$/.test(h) ? parseInt(h, 16) : -1;
}

function describe(c: string): string {
  return /[\x21-\x7e]/.test(c) ? `'${c}'` : `character U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Read JSON strictly (see the module comment). `input` as bytes is decoded as UTF-8 and refused when it is not
 * (a leading byte-order mark is dropped). Throws {@link JsonInputError}.
 */
export function readJson(input: Uint8Array | string, options: ReadJsonOptions = {}): unknown {
  return new Reader(decodeUtf8Input(input), options.maxDepth ?? MAX_JSON_DEPTH).read();
}

/**
 * The text of JSON input: bytes decoded as UTF-8, refused with a {@link JsonInputError} naming the first bad byte
 * when they are not; a leading byte-order mark dropped.
 */
export function decodeUtf8Input(input: Uint8Array | string): string {
  if (typeof input === 'string') return input.replace(/^\uFEFF/, '');
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(input);
  } catch {
    throw new JsonInputError(`not valid UTF-8 at byte ${firstInvalidUtf8(input)}`);
  }
}

/** The offset of the first byte that does not belong to a valid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  // Binary search on prefixes would be wrong (a cut may split a valid sequence); walk sequences instead.
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (len === 0) return i;
    try {
      decoder.decode(bytes.subarray(i, i + len));
    } catch {
      return i;
    }
    i += len;
  }
  return i;
}
