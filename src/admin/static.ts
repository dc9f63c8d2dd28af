import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMON_HEADERS, HttpError } from './http.js';

/**
 * The web console's files (`public/`: plain HTML, CSS and a script — no build step, no external assets). Only
 * top-level files with a known extension are served, so nothing outside the folder can be named.
 */

/** `public/` of the package: beside `src/` when run from source, beside `dist/` when built (and in the image). */
export const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/** Everything on the page comes from this origin; no inline script, no framing. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/** The file name a path names, or undefined when it names no console file. */
export function staticFileName(pathname: string): string | undefined {
  if (pathname === '/') return 'index.html';
  const m = /^\/([a-z0-9][a-z0-9_-]*(\.[a-z0-9]+))$/i.exec(pathname);
  return m && TYPES[m[2]!.toLowerCase()] ? m[1] : undefined;
}

/** Send a console file (404 when it does not exist). */
export async function sendStatic(res: ServerResponse, name: string, head: boolean, dir = PUBLIC_DIR): Promise<void> {
  let body: Buffer;
  try {
    body = await readFile(join(dir, name));
  } catch {
    throw new HttpError(404, 'NBWSS_ERR_HTTP_NOT_FOUND', `no such file: /${name}`);
  }
  const ext = name.slice(name.lastIndexOf('.')).toLowerCase();
  res.writeHead(200, {
    ...COMMON_HEADERS,
    'content-type': TYPES[ext]!,
    'content-length': body.length,
    'cache-control': 'no-cache',
    'content-security-policy': CSP,
  });
  res.end(head ? undefined : body);
}
