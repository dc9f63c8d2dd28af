import { keyDef } from '../config/config.js';
import { parseKind, parseValue, type ParseResult, type Parsed } from '../config/formats.js';
import type { ConfigKey, ValueKind } from '../config/keys.js';
import { UsageError } from '../errors.js';

/**
 * Command-line values, checked with the formats of the configuration (config/formats.ts): one rule per kind of
 * value, whether it is written in the properties file, an `NBWSS_*` variable or a flag. A bad value is a usage
 * error (exit 2) that names the flag, never an internal key (issue 10 D17).
 */

/** The value of `flag` checked as `kind`; a {@link UsageError} naming the flag when it is not one. */
export function flagValue(flag: string, kind: ValueKind, raw: string): Parsed {
  return checked(flag, raw, parseKind(kind, raw));
}

function checked(flag: string, raw: string, parsed: ParseResult): Parsed {
  if (!parsed.ok) throw new UsageError(`${flag} ${parsed.reason}, got ${JSON.stringify(raw)}`);
  return parsed.value;
}

/** {@link flagValue} for a number kind; undefined when the flag was not given. */
export function numberFlag(flag: string, kind: 'seconds' | 'secondsOrZero' | 'ms' | 'positiveInt' | 'int' | 'positiveNumber', raw: string | undefined): number | undefined {
  return raw === undefined ? undefined : (flagValue(flag, kind, raw) as number);
}

/**
 * A flag that sets a configuration key (`simulate --rate` → `simulator.jobsPerMinute`): checked with the key's
 * format, named as the flag. Returns the override to hand to loadConfig, with its label.
 */
export function keyFlag(flag: string, key: ConfigKey, raw: string): Parsed {
  return checked(flag, raw, parseValue(keyDef(key)!, raw));
}
