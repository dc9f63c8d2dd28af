/**
 * The OData `filter` subset the NetBackup REST API takes on collections, compiled once per request into a
 * predicate over world records:
 *
 *   filter   := or
 *   or       := and ('or' and)*
 *   and      := primary ('and' primary)*
 *   primary  := '(' or ')' | field op literal
 *   op       := eq | ne | gt | ge | lt | le
 *   literal  := 123 | -1.5 | 'text' (a quote doubled: '') | 2018-01-01T00:00:00.000Z | true | false | null
 *
 * e.g. `parentJobId eq 123 and state eq 'DONE'`, `clientName eq 'x' and backupTime ge 2018-01-01T00:00:00.000Z`.
 * Field names and operators are case-sensitive (as in OData). Each field has a type; a literal of another type,
 * an unknown field or any other syntax (functions such as `contains()`, `not`) is a {@link FilterError}, which the
 * server answers with 400.
 */
import { FilterError } from '../errors.js';
import { fromRestTime } from './views.js';

export { FilterError } from '../errors.js';

/** The type of a filterable field. `date` fields hold epoch ms in the record and take ISO literals. */
export type FieldType = 'number' | 'string' | 'date' | 'boolean';
/** Filterable (and sortable) fields of a collection and their types. */
export type FieldTypes = Readonly<Record<string, FieldType>>;

type Op = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
const OPS: readonly string[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'];

type Literal = { kind: 'number'; value: number } | { kind: 'string'; value: string } | { kind: 'date'; value: number } | { kind: 'boolean'; value: boolean } | { kind: 'null' };

type Token = { t: 'word'; v: string; at: number } | { t: 'lit'; v: Literal; at: number } | { t: '(' | ')'; at: number };

const DATE_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})/;
const NUMBER_RE = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/;
const WORD_RE = /^[A-Za-z_][A-Za-z0-9_]*/;

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      out.push({ t: c, at: i++ });
      continue;
    }
    if (c === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= src.length) throw new FilterError(`unterminated string starting at ${i}`);
        if (src[j] === "'") {
          if (src[j + 1] === "'") {
            value += "'";
            j += 2;
            continue;
          }
          break;
        }
        value += src[j++];
      }
      out.push({ t: 'lit', v: { kind: 'string', value }, at: i });
      i = j + 1;
      continue;
    }
    const rest = src.slice(i);
    const date = DATE_RE.exec(rest);
    if (date) {
      const ms = fromRestTime(date[0]);
      if (ms === undefined) throw new FilterError(`invalid date ${date[0]} at ${i}`);
      out.push({ t: 'lit', v: { kind: 'date', value: ms }, at: i });
      i += date[0].length;
      continue;
    }
    const num = NUMBER_RE.exec(rest);
    if (num) {
      out.push({ t: 'lit', v: { kind: 'number', value: Number(num[0]) }, at: i });
      i += num[0].length;
      continue;
    }
    const word = WORD_RE.exec(rest);
    if (word) {
      const w = word[0];
      if (w === 'true' || w === 'false') out.push({ t: 'lit', v: { kind: 'boolean', value: w === 'true' }, at: i });
      else if (w === 'null') out.push({ t: 'lit', v: { kind: 'null' }, at: i });
      else out.push({ t: 'word', v: w, at: i });
      i += w.length;
      continue;
    }
    throw new FilterError(`unexpected character '${c}' at ${i}`);
  }
  return out;
}

/** A compiled filter: true when the record matches. */
export type Predicate<R> = (record: R) => boolean;

function compare(op: Op, a: number | string | boolean, b: number | string | boolean): boolean {
  switch (op) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'gt':
      return a > b;
    case 'ge':
      return a >= b;
    case 'lt':
      return a < b;
    case 'le':
      return a <= b;
  }
}

function comparison<R>(field: string, type: FieldType, op: Op, lit: Literal, at: number): Predicate<R> {
  const get = (r: R) => (r as Record<string, unknown>)[field];
  if (lit.kind === 'null') {
    if (op !== 'eq' && op !== 'ne') throw new FilterError(`null can only be compared with eq or ne (at ${at})`);
    return op === 'eq' ? (r) => get(r) == null : (r) => get(r) != null;
  }
  let value: number | string | boolean;
  if (type === 'date' && (lit.kind === 'date' || lit.kind === 'string')) {
    // A quoted ISO date is accepted too: clients differ on whether dates are quoted.
    const ms = lit.kind === 'date' ? lit.value : fromRestTime(lit.value);
    if (ms === undefined) throw new FilterError(`${field} is a date: '${String(lit.value)}' is not an ISO-8601 time (at ${at})`);
    value = ms;
  } else if (lit.kind === type) {
    value = lit.value;
  } else {
    throw new FilterError(`${field} is a ${type}, not a ${lit.kind} (at ${at})`);
  }
  if (type === 'boolean' && op !== 'eq' && op !== 'ne') throw new FilterError(`${field} is a boolean: only eq and ne apply (at ${at})`);
  return (r) => {
    const v = get(r);
    // A field a record lacks (a job's endTime before it ends) only matches `ne`.
    if (v === undefined || v === null) return op === 'ne';
    return compare(op, v as number | string | boolean, value);
  };
}

/**
 * Compile `filter` against the fields of a collection. An empty or blank filter matches everything.
 * Throws {@link FilterError}.
 */
export function compileFilter<R>(filter: string, fields: FieldTypes): Predicate<R> {
  const tokens = tokenize(filter);
  if (tokens.length === 0) return () => true;
  let pos = 0;
  const peek = () => tokens[pos];
  const where = () => (peek() ? `at ${peek()!.at}` : 'at the end');
  const isWord = (w: string) => {
    const t = peek();
    return t?.t === 'word' && t.v === w;
  };

  const parseOr = (): Predicate<R> => {
    const parts = [parseAnd()];
    while (isWord('or')) {
      pos++;
      parts.push(parseAnd());
    }
    return parts.length === 1 ? parts[0]! : (r) => parts.some((p) => p(r));
  };
  const parseAnd = (): Predicate<R> => {
    const parts = [parsePrimary()];
    while (isWord('and')) {
      pos++;
      parts.push(parsePrimary());
    }
    return parts.length === 1 ? parts[0]! : (r) => parts.every((p) => p(r));
  };
  const parsePrimary = (): Predicate<R> => {
    const t = peek();
    if (t?.t === '(') {
      pos++;
      const inner = parseOr();
      if (peek()?.t !== ')') throw new FilterError(`expected ')' ${where()}`);
      pos++;
      return inner;
    }
    if (t?.t !== 'word') throw new FilterError(`expected a field name ${where()}`);
    const type = Object.hasOwn(fields, t.v) ? fields[t.v] : undefined;
    if (!type) throw new FilterError(`unknown field '${t.v}' (at ${t.at}); fields: ${Object.keys(fields).join(', ')}`);
    pos++;
    const opTok = peek();
    if (opTok?.t !== 'word' || !OPS.includes(opTok.v)) throw new FilterError(`expected one of ${OPS.join(', ')} ${where()}`);
    pos++;
    const lit = peek();
    if (lit?.t !== 'lit') throw new FilterError(`expected a value ${where()}`);
    pos++;
    return comparison<R>(t.v, type, opTok.v as Op, lit.v, lit.at);
  };

  const predicate = parseOr();
  if (pos < tokens.length) throw new FilterError(`unexpected input ${where()}`);
  return predicate;
}

/**
 * Compile a JSON:API `sort` (`field`, `-field`, comma-separated) into a comparator. Unknown fields throw
 * {@link FilterError}.
 */
export function compileSort<R>(sort: string, fields: FieldTypes): (a: R, b: R) => number {
  const keys = sort.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => {
    const desc = s.startsWith('-');
    const field = desc ? s.slice(1) : s;
    if (!Object.hasOwn(fields, field)) throw new FilterError(`cannot sort by unknown field '${field}'`);
    return { field, dir: desc ? -1 : 1 };
  });
  return (a, b) => {
    for (const { field, dir } of keys) {
      const x = (a as Record<string, unknown>)[field] as number | string | undefined;
      const y = (b as Record<string, unknown>)[field] as number | string | undefined;
      if (x === y) continue;
      if (x === undefined) return dir;
      if (y === undefined) return -dir;
      return (x < y ? -1 : 1) * dir;
    }
    return 0;
  };
}
