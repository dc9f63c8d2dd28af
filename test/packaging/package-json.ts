import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** package.json as the packaging tests read it, its library entry points, and the TypeScript examples of the docs. */

/** A path in the repository. */
export const root = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));

export interface PackageJson {
  name: string;
  version: string;
  bin: Record<string, string>;
  exports: Record<string, string | { types: string; default: string }>;
  dependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

export const pkg = JSON.parse(readFileSync(root('package.json'), 'utf8')) as PackageJson;

/** One library entry point: `nbwss/<name>`, its declarations and its module (paths relative to the package). */
export interface EntryPoint {
  name: string;
  types: string;
  default: string;
}

export const ENTRY_POINTS: EntryPoint[] = Object.entries(pkg.exports)
  .filter((e): e is [string, { types: string; default: string }] => typeof e[1] === 'object')
  .map(([subpath, target]) => ({ name: `${pkg.name}/${subpath.slice(2)}`, ...target }));

/** A ```ts block of the README or a docs/ page. */
export interface DocsExample {
  page: string;
  /** 1-based line of the block's first code line. */
  line: number;
  code: string;
}

/** Every ```ts block of README.md and docs/*.md. */
export function docsTsExamples(): DocsExample[] {
  const pages = ['README.md', ...readdirSync(root('docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  return pages.flatMap((page) => {
    const text = readFileSync(root(page), 'utf8');
    return [...text.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => ({ page, line: text.slice(0, m.index).split('\n').length + 1, code: m[1]! }));
  });
}

/** A strict TypeScript project that depends on nbwss, for type-checking imports of the package's entry points. */
export interface ConsumerProject {
  /** Its source folder: put .ts files here. */
  src: string;
  /** `tsc --noEmit` over it (strict, NodeNext, skipLibCheck off), with this repository's TypeScript. */
  tsc(): SpawnSyncReturns<string>;
}

/**
 * Make a consumer project in `dir` whose `node_modules/nbwss` links to `packageDir` (an installed package, or this
 * checkout once built), with `@types/node` as any Node project has it.
 */
export function consumerProject(dir: string, packageDir: string): ConsumerProject {
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
  symlinkSync(packageDir, join(dir, 'node_modules', pkg.name));
  symlinkSync(root('node_modules/@types/node'), join(dir, 'node_modules', '@types', 'node'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const compilerOptions = { strict: true, target: 'ES2022', lib: ['ES2023'], module: 'NodeNext', moduleResolution: 'NodeNext', types: ['node'], skipLibCheck: false, noEmit: true };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['src'] }));
  const src = join(dir, 'src');
  mkdirSync(src);
  return { src, tsc: () => spawnSync(process.execPath, [root('node_modules/typescript/bin/tsc'), '--noEmit', '-p', dir], { cwd: dir, encoding: 'utf8' }) };
}

/** Write every docs example that imports `nbwss/…` into `src`, each a module of its own (top-level await, its own names). */
export function writeDocsExamples(src: string): DocsExample[] {
  const examples = docsTsExamples().filter((e) => /from 'nbwss\//.test(e.code));
  for (const e of examples) writeFileSync(join(src, `${e.page.replace(/\W/g, '_')}_${e.line}.ts`), `// ${e.page}:${e.line}\n${e.code}\nexport {};\n`);
  return examples;
}
