/**
 * What every conformance rule reports: a {@link Problem} naming the rule, where in the message, what is wrong and
 * how bad it is. The helpers here are shared by the message, sequence and session rules.
 */

/** How bad a problem is: an `error` breaks the protocol, a `warning` departs from the guide's examples. */
export type Severity = 'error' | 'warning';

/** One thing wrong with one message (or with the order of messages). */
export interface Problem {
  /** Stable rule id (e.g. `envelope.timeStamp`), listed in {@link RULES}: for filtering, tests and the report. */
  rule: string;
  /** Where in the message: a field path such as `payload[0].data[1].jobId`, or `$` for the whole frame. */
  path: string;
  message: string;
  severity: Severity;
}

/** A set-like lookup of ids (a `Set`, or anything with `has`). */
export interface IdLookup {
  has(id: string): boolean;
}

/** Build a {@link Problem}. */
export function problem(rule: string, path: string, message: string, severity: Severity = 'error'): Problem {
  return { rule, path, message, severity };
}

/** A plain JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * A short rendering of a peer-supplied value for a message: at most 60 characters. Never recurses without bound
 * (DESIGN trap: a 100k-deep object): objects and arrays are summarised by their size, not serialized.
 */
export function show(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (isObject(v)) return `an object of ${Object.keys(v).length} members`;
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
