/**
 * Bounded descriptions of peer-supplied values, for log lines, error messages and COMMAND refusals (issue 10 A2).
 *
 * `JSON.stringify` of a peer's value recurses (a 100,000-level nested object is a `RangeError`) and copies it whole
 * (a 2 MB string into every log line). Everything nbwss logs or echoes of peer data goes through these instead: a
 * string is cut to an excerpt with its length, an object or array is named by its kind and size, never walked.
 */

/** Default longest excerpt of a string, in characters. */
export const SUMMARY_CHARS = 80;

/** `s` itself when it has at most `max` characters, else its first `max` characters, `…` and its length. */
export function excerpt(s: string, max = SUMMARY_CHARS): string {
  return s.length <= max ? s : `${s.slice(0, max)}…(${s.length} chars)`;
}

/**
 * A short, bounded, one-line description of any value: a string quoted (and cut, see {@link excerpt}), a number,
 * boolean, null or undefined as written, an array as `array(3)`, an object as `object(2 keys)`. Never recurses,
 * never throws.
 */
export function summarize(value: unknown, max = SUMMARY_CHARS): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(excerpt(value, max));
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return String(value);
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return `array(${value.length})`;
      return `object(${Object.keys(value).length} keys)`;
    default:
      return typeof value;
  }
}
