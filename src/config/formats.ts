/**
 * The formats of the configuration: one check per {@link ValueKind}, turning the string written in a properties
 * file, an `NBWSS_*` variable or a command-line flag into a typed value, or a short reason it is invalid. The key
 * table says which format each key has; the CLI checks its flags with the same formats (`cli/flags.ts`).
 */
import { LOG_FORMATS, LOG_LEVELS, type KeyDef, type ValueKind } from './keys.js';

/** A checked configuration value. */
export type Parsed = string | number | boolean | string[];

/** The result of a check: the value, or why it is invalid (a phrase that follows the value). */
export type ParseResult<T = Parsed> = { ok: true; value: T } | { ok: false; reason: string };

/** The longest delay a Node timer supports (2^31-1 ms); longer ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const DECIMAL = /^\d+(\.\d+)?$/;
const WHOLE = /^\d+$/;

/** Check `raw` (surrounding whitespace ignored) against the format `kind`. */
export function parseKind(kind: ValueKind, raw: string): ParseResult {
  const v = raw.trim();
  switch (kind) {
    case 'boolean':
      if (/^(true|false)$/i.test(v)) return { ok: true, value: v.toLowerCase() === 'true' };
      return { ok: false, reason: 'must be true or false' };
    case 'seconds':
    case 'positiveNumber':
      // A period becomes a timer: Node fires a timer above 2^31-1 ms at once (TimeoutOverflowWarning), so cap it.
      if (kind === 'seconds' && DECIMAL.test(v) && Number(v) * 1000 > MAX_TIMER_MS) {
        return { ok: false, reason: `must be at most ${Math.floor(MAX_TIMER_MS / 1000)} seconds (about 24 days)` };
      }
      if (DECIMAL.test(v) && Number(v) > 0 && Number.isFinite(Number(v))) return { ok: true, value: Number(v) };
      return { ok: false, reason: `must be a number greater than 0${kind === 'seconds' ? ' (seconds, decimals allowed)' : ''}` };
    case 'secondsOrZero':
      if (DECIMAL.test(v) && Number(v) * 1000 > MAX_TIMER_MS) return { ok: false, reason: `must be at most ${Math.floor(MAX_TIMER_MS / 1000)} seconds (about 24 days)` };
      if (DECIMAL.test(v)) return { ok: true, value: Number(v) };
      return { ok: false, reason: 'must be a number of seconds, 0 or more (decimals allowed)' };
    case 'ms':
      if (WHOLE.test(v) && Number(v) > MAX_TIMER_MS) return { ok: false, reason: `must be at most ${MAX_TIMER_MS} milliseconds (about 24 days)` };
      if (WHOLE.test(v) && Number(v) > 0) return { ok: true, value: Number(v) };
      return { ok: false, reason: 'must be a whole number of milliseconds greater than 0' };
    case 'positiveInt':
      if (WHOLE.test(v) && Number(v) >= 1 && Number.isSafeInteger(Number(v))) return { ok: true, value: Number(v) };
      return { ok: false, reason: 'must be a whole number, 1 or more' };
    case 'int':
      if (WHOLE.test(v) && Number.isSafeInteger(Number(v))) return { ok: true, value: Number(v) };
      return { ok: false, reason: 'must be a whole number, 0 or more' };
    case 'string':
    case 'path':
      return { ok: true, value: v };
    case 'httpUrl': {
      try {
        const u = new URL(v);
        if (u.protocol === 'http:' || u.protocol === 'https:') return { ok: true, value: v.replace(/\/+$/, '') };
      } catch {
        /* reported below */
      }
      return { ok: false, reason: 'must be an http:// or https:// URL' };
    }
    case 'listen': {
      if (v === '') return { ok: true, value: '' };
      const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(v);
      if (m && Number(m[2]) <= 65535) return { ok: true, value: v };
      return { ok: false, reason: 'must be host:port (e.g. 127.0.0.1:9464), or empty to turn it off' };
    }
    case 'list': {
      const items = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
      if (items.length > 0) return { ok: true, value: items };
      return { ok: false, reason: 'must be a comma-separated list with at least one item' };
    }
    case 'logLevel':
      if ((LOG_LEVELS as readonly string[]).includes(v)) return { ok: true, value: v };
      return { ok: false, reason: `must be one of ${LOG_LEVELS.join(', ')}` };
    case 'logFormat':
      if ((LOG_FORMATS as readonly string[]).includes(v)) return { ok: true, value: v };
      return { ok: false, reason: `must be one of ${LOG_FORMATS.join(', ')}` };
  }
}

/** Check one raw string value of a key: its kind, and its {@link KeyDef.choices} when it has some. */
export function parseValue(def: KeyDef, raw: string): ParseResult {
  const parsed = parseKind(def.kind, raw);
  if (parsed.ok && def.choices && Array.isArray(parsed.value)) {
    const unknown = parsed.value.filter((item) => !def.choices!.includes(item));
    if (unknown.length > 0) return { ok: false, reason: `names unknown ${unknown.length === 1 ? 'item' : 'items'} ${unknown.join(', ')} (known: ${def.choices.join(', ')})` };
  }
  return parsed;
}

/** The value `def.default` stands for (a list default is written comma-separated). */
export function defaultValue(def: KeyDef): Parsed {
  if (def.kind === 'list') return String(def.default).split(',');
  return def.default;
}
