import { readdirSync, readFileSync } from 'node:fs';
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
