import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The README is the front door and the reference lives in docs/: every relative link between them (and to files
 * of the repository) must lead somewhere, and every docs page must be reachable from the README.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Relative link targets of a markdown text (no scheme, no pure anchors), without their #fragment. */
function relativeLinks(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
    out.push(target.split('#')[0]!);
  }
  return out;
}

describe('documentation links', () => {
  it.each(pages)('%s: every relative link points to an existing file', (page) => {
    const text = readFileSync(join(ROOT, page), 'utf8');
    const broken = relativeLinks(text).filter((target) => !existsSync(resolve(dirname(join(ROOT, page)), target)));
    expect(broken, `broken links in ${page}`).toEqual([]);
  });

  it('every docs/ page is linked from the README', () => {
    const linked = new Set(relativeLinks(readFileSync(join(ROOT, 'README.md'), 'utf8')));
    const orphans = pages.filter((p) => p.startsWith('docs/') && !linked.has(p));
    expect(orphans).toEqual([]);
  });
});
