import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkUri } from '../../src/commands/validate.js';

const prefixes = ['/netbackup/'];

/**
 * Where a server behind a chain of proxies could end up with `uri`, pessimistically: the path decoded `times`
 * times, `\` read as `/`, Unicode compatibility-normalized, `;parameters` stripped from every segment (as Tomcat
 * does, but after decoding, which is worse), dot segments resolved. Undefined when a decoding fails (a 400 there).
 * Returns the resolved segments.
 */
function serverView(uri: string, times: number): string[] | undefined {
  let path = uri.split('?', 1)[0]!;
  for (let i = 0; i < times; i++) {
    try {
      path = decodeURIComponent(path);
    } catch {
      return undefined;
    }
  }
  const out: string[] = [];
  for (const raw of path.replace(/\\/g, '/').normalize('NFKC').split('/').slice(1)) {
    const seg = raw.split(';', 1)[0]!;
    if (seg === '..') out.pop();
    else if (seg !== '.') out.push(seg);
  }
  return out;
}

describe('COMMAND uri: traversal encodings (issue 10 D12)', () => {
  const corpus: [string, string][] = [
    ['/netbackup/..;/admin', 'NBWSS_ERR_URI_TRAVERSAL'],
    ['/netbackup/..;jsessionid=1/admin', 'NBWSS_ERR_URI_TRAVERSAL'],
    ['/netbackup/.;/admin', 'NBWSS_ERR_URI_TRAVERSAL'],
    ['/netbackup/x;../admin', 'NBWSS_ERR_URI_TRAVERSAL'],
    ['/netbackup/x;a=1;../admin', 'NBWSS_ERR_URI_TRAVERSAL'],
    ['/netbackup/%2e%2e;/admin', 'NBWSS_ERR_URI_TRAVERSAL'],
    ['/netbackup/%2E%2e;x/admin', 'NBWSS_ERR_URI_TRAVERSAL'],
    ['/netbackup/.%2e;/admin', 'NBWSS_ERR_URI_TRAVERSAL'],
    ['/netbackup/..%3b/admin', 'NBWSS_ERR_URI_TRAVERSAL'],
    ['/netbackup/..%3B/admin', 'NBWSS_ERR_URI_TRAVERSAL'],
    ['/netbackup/%2e%2e%3b/admin', 'NBWSS_ERR_URI_TRAVERSAL'],
    ['/netbackup/..%253b/admin', 'NBWSS_ERR_URI_TRAVERSAL'],
    ['/netbackup/%252e%252e%253b/admin', 'NBWSS_ERR_URI_TRAVERSAL'],
    ['/netbackup/%25252e%25252e/admin', 'NBWSS_ERR_URI_TRAVERSAL'],
    ['/netbackup/..%5c/admin', 'NBWSS_ERR_URI_TRAVERSAL'],
    ['/netbackup/..%2f..%2fadmin', 'NBWSS_ERR_URI_TRAVERSAL'],
    ['/netbackup/%ef%bc%8e%ef%bc%8e/admin', 'NBWSS_ERR_URI_TRAVERSAL'], // fullwidth ．． (NFKC: ..)
    ['/netbackup/%e2%80%a5/admin', 'NBWSS_ERR_URI_TRAVERSAL'], // ‥ two-dot leader (NFKC: ..)
    ['/netbackup/%ef%bc%8e%ef%bc%8e;/admin', 'NBWSS_ERR_URI_TRAVERSAL'],
    ['/netbackup/%c0%ae%c0%ae/admin', 'NBWSS_ERR_URI_ENCODING'], // overlong UTF-8
    ['/netbackup/%e0%80%ae%e0%80%ae/admin', 'NBWSS_ERR_URI_ENCODING'],
    ['/netbackup/admin/jobs#x', 'NBWSS_ERR_URI_FRAGMENT'],
    ['/netbackup/admin/jobs#', 'NBWSS_ERR_URI_FRAGMENT'],
    ['/netbackup/#/../admin', 'NBWSS_ERR_URI_FRAGMENT'],
    ['/netbackup/admin?x=1#frag', 'NBWSS_ERR_URI_FRAGMENT'],
    ['/netbackup/..\\admin', 'NBWSS_ERR_URI_BACKSLASH'],
    ['/netbackup/．．/admin', 'NBWSS_ERR_URI_CHARACTERS'],
  ];
  it.each(corpus)('refuses %s with %s', (uri, code) => {
    expect(checkUri(uri, prefixes)?.code).toBe(code);
  });

  it.each([
    '/netbackup/admin/jobs;jsessionid=ABC',
    '/netbackup/config/servers/vm;v=1/x',
    '/netbackup/admin/jobs?filter=a..b;c',
    '/netbackup/admin/jobs?x=%2e%2e;',
    '/netbackup/a%23b',
    '/netbackup/file..name/x',
    '/netbackup/...;x',
  ])('still accepts %s (no dot segment, no fragment)', (uri) => {
    expect(checkUri(uri, prefixes)).toBeUndefined();
  });

  it('property: whatever it accepts stays under /netbackup/ for a server that decodes 0 to 3 times, strips ;params and normalizes', () => {
    const piece = fc.constantFrom(
      'netbackup', 'admin', 'jobs', 'a', '.', '..', '...', '/', '//', ';', ';x=1', '..;', '.;', 'x;..', '=',
      '%2e', '%2E', '%2e%2e', '.%2e', '%2e.', '%252e', '%25252e', '%3b', '%3B', '%253b', '%2f', '%2F', '%252f', '%5c', '%255c',
      '%ef%bc%8e', '%e2%80%a5', '%c0%ae', '%00', '%25', '%', '?', '#', '%23', '\\', '．', 'é', ' ',
    );
    const uri = fc.oneof(
      fc.array(piece, { maxLength: 10 }).map((p) => '/netbackup/' + p.join('')),
      fc.array(fc.array(piece, { minLength: 1, maxLength: 3 }).map((p) => p.join('')), { maxLength: 6 }).map((segs) => '/netbackup/' + segs.join('/')),
      fc.array(piece, { maxLength: 12 }).map((p) => p.join('')),
    );
    fc.assert(
      fc.property(uri, (u) => {
        if (checkUri(u, prefixes) !== undefined) return;
        for (let times = 0; times <= 3; times++) {
          const view = serverView(u, times);
          if (view) expect(view[0], `${u} decoded ${times}× resolves to /${view.join('/')}`).toBe('netbackup');
        }
      }),
      { numRuns: 5000 },
    );
  });
});
