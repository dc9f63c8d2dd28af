import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/check-endpoint/index.js';

describe('docs/check-endpoint.md', () => {
  const text = readFileSync(new URL('../../docs/check-endpoint.md', import.meta.url), 'utf8');

  it('the table of checks lists every check, in order, with its section and profile', () => {
    const rows = [...text.matchAll(/^\| `([a-z]+\.[A-Za-z]+)` \| (§\d) \| ([^|]+) \|/gm)].map((m) => ({ id: m[1], section: m[2], profile: m[3]!.trim() }));
    expect(rows.map((r) => r.id)).toEqual(CHECKS.map((c) => c.id));
    for (const c of CHECKS) {
      const row = rows.find((r) => r.id === c.id)!;
      expect(row.section, c.id).toBe(c.section);
      expect(row.profile, c.id).toBe(c.profile === 'load' ? '`--load N`, full' : c.profile);
    }
  });

  it('documents every flag of the command', async () => {
    const { buildProgram } = await import('../../src/cli/program.js');
    const cmd = (await buildProgram(['node', 'nbwss', 'check-endpoint'])).commands.find((c) => c.name() === 'check-endpoint')!;
    for (const o of cmd.options) expect(text, o.long).toContain(`\`${o.long}`);
  });
});
