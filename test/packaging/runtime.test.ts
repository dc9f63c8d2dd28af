import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

/**
 * The Node.js lines nbwss supports (package.json `engines`) are the ones its dependencies support: a dependency
 * upgraded to a major that drops one of them (undici 8, vitest 5, better-sqlite3 13 and commander 15 all need
 * Node 22) fails here until `engines` and docs/development.md say so. CI runs the suite on Node 20 and on Node 24
 * (`.ci/with-node 24 npm test`).
 */

const root = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const pkg = JSON.parse(readFileSync(root('package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(root('package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; dev?: boolean; optional?: boolean; engines?: { node?: string } | string[] }>;
};

/** The lowest release of each supported line. */
const SUPPORTED = ['20.19.0', '22.12.0', '24.0.0'];

describe('supported Node.js versions', () => {
  it('engines accepts each supported line from its lowest release, and nothing older or odd', () => {
    for (const v of [...SUPPORTED, '20.20.2', '22.22.0', '24.22.3', '26.1.0']) expect(semver.satisfies(v, pkg.engines.node), v).toBe(true);
    for (const v of ['18.20.0', '20.18.3', '21.7.0', '22.11.0', '23.11.0']) expect(semver.satisfies(v, pkg.engines.node), v).toBe(false);
  });

  it('the Node.js running the tests is a supported one', () => {
    expect(semver.satisfies(process.version, pkg.engines.node), `${process.version} against ${pkg.engines.node}`).toBe(true);
  });

  it('every locked package (runtime and development) declares support for each supported line', () => {
    const refusals: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      const range = entry.engines && !Array.isArray(entry.engines) ? entry.engines.node : undefined;
      // Optional packages are platform alternatives (a wasm fallback of a native binding): npm skips those that do not fit.
      if (!range || entry.optional) continue;
      for (const v of SUPPORTED) if (!semver.satisfies(v, range)) refusals.push(`${path}@${entry.version} (${range}) refuses Node ${v}`);
    }
    expect(refusals).toEqual([]);
  });

  it('@types/node stays on the oldest supported line, so the compiler refuses APIs that Node 20 lacks', () => {
    const types = lock.packages['node_modules/@types/node']?.version ?? '';
    expect(semver.major(types)).toBe(semver.major(SUPPORTED[0]!));
  });
});
