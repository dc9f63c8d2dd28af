import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS, RULES, SECTIONS, checkById } from '../../src/conformance/index.js';

/** Every rule id the source reports: `problem('rule', …)`, `rule: 'rule'`, `sizeProblems(…, 'rule')`. */
function rulesInSource(): Set<string> {
  const found = new Set<string>();
  for (const dir of ['src/conformance', 'src/endpoint-mock']) {
    for (const file of readdirSync(dir)) {
      const text = readFileSync(join(dir, file), 'utf8');
      for (const m of text.matchAll(/problem\('([\w.]+)'|rule: '([\w.]+)'|sizeProblems\([^,)]+, '([\w.]+)'\)|rule = '([\w.]+)'/g)) found.add(m[1] ?? m[2] ?? m[3] ?? m[4]!);
    }
  }
  return found;
}

describe('the conformance catalogue: one definition of each rule', () => {
  it('every rule the checks report is in RULES, with a known section, and every RULES entry is reported somewhere', () => {
    const used = rulesInSource();
    expect([...used].filter((r) => !(r in RULES))).toEqual([]);
    expect(Object.keys(RULES).filter((r) => !used.has(r))).toEqual([]);
    for (const def of Object.values(RULES)) expect(Object.keys(SECTIONS)).toContain(def.section);
  });

  it('an endpoint-side rule names a check of the catalogue', () => {
    for (const [id, def] of Object.entries(RULES)) if (def.check) expect(checkById(def.check), id).toBeDefined();
  });

  it('check ids are unique, grouped by their prefix, each in a known section', () => {
    const ids = CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of CHECKS) {
      expect(c.id).toMatch(/^[a-z]+\.[A-Za-z]+$/);
      expect(Object.keys(SECTIONS)).toContain(c.section);
      expect(c.title.length).toBeGreaterThan(0);
      expect(c.expected.length).toBeGreaterThan(0);
    }
  });
});
