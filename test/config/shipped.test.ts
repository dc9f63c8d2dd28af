import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KEYS, loadConfig, parseProperties, parseValue, type KeyDef } from '../../src/config/index.js';

/**
 * The key table (src/config/keys.ts), the shipped config/nbwss.properties and the configuration reference (docs/configuration.md) must not drift:
 * adding a key to the table fails here until the file and the reference document it.
 */

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const SHIPPED = root('config/nbwss.properties');
const text = readFileSync(SHIPPED, 'utf8');

/** The guide's default file (spec §9), non-comment lines in order. */
const GUIDE_DEFAULTS = [
  'exception.ignoreDecoder=false',
  'notification.sendTimeout=2000',
  'notification.scheduledRate=5',
  'keepAlive.scheduledRate=30',
  'keepAlive.maxPongMissAllowed=10',
  'connectionInfo.period=60',
  'scheduledExecutor.threadPoolSize=1',
  'hibernate.format_sql=true',
  'hibernate.show_sql=false',
  'hibernate.hbm2ddl.auto=update',
  'hibernate.dialect=org.hibernate.dialect.SybaseDialect',
];

const same = (def: KeyDef, a: string, b: string) => {
  const pa = parseValue(def, a);
  const pb = parseValue(def, b);
  return pa.ok && pb.ok && JSON.stringify(pa.value) === JSON.stringify(pb.value);
};

describe('config/nbwss.properties as shipped', () => {
  it('loads without warnings and gives exactly the defaults (relative paths: next to the file)', () => {
    const shipped = loadConfig({ file: SHIPPED, env: {} });
    // with no file, relative defaults resolve against the working directory: here the folder of the shipped file
    const defaults = loadConfig({ env: {}, cwd: dirname(SHIPPED) });
    expect(defaults.file).toBeUndefined();
    expect(shipped.warnings).toEqual([]);
    expect(shipped.config).toEqual(defaults.config);
  });

  it('starts with the guide header and holds the guide default lines (hibernate included) in order', () => {
    expect(text.split('\n')[0]).toBe('#Properties file for NetBackup WebSocket Service');
    expect(text).toContain('\n#Hibernate properties\n');
    const lines = text.split('\n').map((l) => l.trim());
    let at = -1;
    for (const wanted of GUIDE_DEFAULTS) {
      const next = lines.indexOf(wanted, at + 1);
      expect(next, wanted).toBeGreaterThan(at);
      at = next;
    }
  });

  it('lists every key of the key table once, with its default value and a comment right above it', () => {
    const entries = parseProperties(text).filter((e) => !e.key.startsWith('hibernate.'));
    expect(entries.map((e) => e.key).sort()).toEqual(Object.keys(KEYS).sort());
    const lines = text.split(/\r?\n/);
    for (const e of entries) {
      const def = (KEYS as Record<string, KeyDef>)[e.key]!;
      expect(same(def, e.value, String(def.default)), `${e.key}=${e.value} (default ${String(def.default)})`).toBe(true);
      expect(lines[e.line - 2], `comment above ${e.key}`).toMatch(/^#/);
    }
  });
});

describe('configuration reference (docs/configuration.md)', () => {
  const readme = readFileSync(root('docs/configuration.md'), 'utf8');

  it('has a row for every key with its unit and default', () => {
    for (const [key, def] of Object.entries(KEYS) as [string, KeyDef][]) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${key}\` |`));
      expect(row, `docs/configuration.md row for ${key}`).toBeDefined();
      const cells = row!.split('|').map((c) => c.trim());
      const shown = cells[3]!.replace(/`/g, '');
      const expected = def.default === '' ? '(empty)' : String(def.default);
      expect(shown, `default of ${key}`).toBe(expected);
      if (def.unit) expect(cells[2], `unit of ${key}`).toContain(def.unit === 's' ? 'seconds' : def.unit === 'ms' ? 'ms' : def.unit);
    }
  });
});
