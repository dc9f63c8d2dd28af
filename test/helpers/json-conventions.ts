/**
 * The JSON conventions of nbwss (docs/operator.md "API conventions"): camelCase member names, times as ISO 8601
 * strings (`…At`, `…Since`, `at`, `validFrom`/`validTo`), durations as numbers named `…Ms`, fractional numbers
 * rounded to three decimals. Used on every admin route and event, and on the CLI's `--json` output.
 */

const CAMEL = /^[a-z][a-zA-Z0-9]*$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$/;
const isTimeKey = (k: string) => /(At|Since)$/.test(k) || ['at', 'validFrom', 'validTo'].includes(k);

/** Every convention broken in `value`, as `where: what` lines (empty when it keeps them all). */
export function conventionProblems(value: unknown, where: string): string[] {
  const problems: string[] = [];
  const walk = (v: unknown, path: string, key: string | undefined): void => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, `${path}[${i}]`, undefined));
      return;
    }
    if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (!CAMEL.test(k)) problems.push(`${where} ${path}.${k}: member name is not camelCase`);
        walk(x, `${path}.${k}`, k);
      }
      return;
    }
    if (key === undefined) return;
    if (isTimeKey(key) && v !== null && !(typeof v === 'string' && ISO.test(v))) problems.push(`${where} ${path}: a time must be an ISO 8601 string, got ${JSON.stringify(v)}`);
    if (key.endsWith('Ms') && v !== null && typeof v !== 'number') problems.push(`${where} ${path}: a duration …Ms must be a number, got ${JSON.stringify(v)}`);
    if (typeof v === 'number') {
      // as the API rounds (Math.round(v * 1000) / 1000): comparing v * 1000 with an integer fails on 16.153 (16152.999…)
      if (!Number.isInteger(v) && Math.round(v * 1000) / 1000 !== v) problems.push(`${where} ${path}: ${v} is not rounded to three decimals`);
      // epoch milliseconds look like this; a time is an ISO string here
      if (v > 1e12 && v < 1e14 && !/(Bytes|Seq)$/.test(key)) problems.push(`${where} ${path}: ${v} looks like epoch ms (times are ISO 8601 strings)`);
    }
  };
  walk(value, '$', undefined);
  return problems;
}

