import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { consumerProject, docsTsExamples, ENTRY_POINTS, pkg, root, writeDocsExamples } from './package-json.js';

/**
 * What `npm pack` would ship, checked without the registry: the bin, every library entry point with its type
 * declarations, the files the daemon reads at run time, and nothing else. `npm run verify:package` then installs the
 * real tarball with `npm install -g` and type-checks a project that imports it (test/packaging/package.verify.ts).
 */

let packed: string[] = [];
beforeAll(() => {
  assertBuilt();
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root(''), encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  packed = (JSON.parse(r.stdout) as [{ files: { path: string }[] }])[0].files.map((f) => f.path);
}, 60_000);

describe('package.json exports', () => {
  it('names the mock endpoint and the mock NetBackup, each with types listed first', () => {
    expect(ENTRY_POINTS.map((e) => e.name)).toEqual(expect.arrayContaining(['nbwss/mock-endpoint', 'nbwss/mock-netbackup']));
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue;
      // Conditions are matched in order: `types` must come before `default` or TypeScript never sees it.
      expect(Object.keys(target), subpath).toEqual(['types', 'default']);
    }
  });

  it('exports nbwss/check-endpoint (the checker as a library, src/check-endpoint/index.ts)', () => {
    expect(pkg.exports['./check-endpoint'], 'add to package.json exports: "./check-endpoint": { "types": "./dist/check-endpoint/index.d.ts", "default": "./dist/check-endpoint/index.js" }').toEqual({
      types: './dist/check-endpoint/index.d.ts',
      default: './dist/check-endpoint/index.js',
    });
  });

  it('every entry point is built with its declarations, from an index.ts in src/', () => {
    for (const e of ENTRY_POINTS) {
      expect(e.types, e.name).toMatch(/^\.\/dist\/.+\/index\.d\.ts$/);
      expect(e.default, e.name).toBe(e.types.replace(/\.d\.ts$/, '.js'));
      expect(existsSync(root(e.default)), e.default).toBe(true);
      expect(existsSync(root(e.types)), e.types).toBe(true);
      expect(existsSync(root(e.default.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'))), e.name).toBe(true);
    }
  });

  it('bufferutil is optional (ws uses it when it builds, and works without it)', () => {
    expect(pkg.optionalDependencies?.bufferutil).toBeDefined();
    expect(pkg.dependencies.bufferutil).toBeUndefined();
  });
});

describe('npm pack (dry run)', () => {
  it('ships the bin with its shebang, every entry point and its declarations', () => {
    const bin = pkg.bin.nbwss!;
    expect(packed).toContain(bin);
    expect(readFileSync(root(bin), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
    for (const e of ENTRY_POINTS) expect(packed).toEqual(expect.arrayContaining([e.default.slice(2), e.types.slice(2)]));
  });

  it('ships what the daemon reads at run time: migrations, the console, the shipped properties, the docs', () => {
    const migrations = readdirSync(root('migrations')).map((f) => `migrations/${f}`);
    expect(packed).toEqual(expect.arrayContaining([...migrations, 'public/index.html', 'config/nbwss.properties', 'README.md', 'LICENSE', 'docs/service.md']));
  });

  it('ships nothing else: no sources, tests, build state, databases or keys', () => {
    const stray = packed.filter((p) => /^(src|test|bench|docker|\.ci)\//.test(p) || /\.tsbuildinfo$|\.db(-\w+)?$|\.key$|\.tgz$/.test(p));
    expect(stray).toEqual([]);
  });
});

describe('the documentation imports the library by its package names', () => {
  const imports = docsTsExamples().flatMap(({ page, code }) => [...code.matchAll(/from '([^']+)'/g)].map((m) => ({ page, specifier: m[1]! })));

  it('every import in a TypeScript example is an exported entry point (no ./src/ or dist/ paths)', () => {
    expect(imports.length).toBeGreaterThan(0);
    const names = new Set(ENTRY_POINTS.map((e) => e.name));
    for (const { page, specifier } of imports) {
      if (specifier.startsWith('node:')) continue;
      expect(names.has(specifier), `${page}: import from '${specifier}'`).toBe(true);
    }
  });

  // The same check runs against the packed and installed tarball in `npm run verify:package`; here it runs on every
  // landing, so a docs example that stops compiling fails where it is written.
  it('every TypeScript example that imports nbwss/… type-checks (strict tsc against this checkout, linked as nbwss)', () => {
    const project = consumerProject(tempDir(), root(''));
    const examples = writeDocsExamples(project.src);
    expect(examples.length).toBeGreaterThanOrEqual(ENTRY_POINTS.length);
    const r = project.tsc();
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  }, 60_000);
});
