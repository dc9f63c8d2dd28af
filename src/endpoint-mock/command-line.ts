import type { MockCommand } from './types.js';

/** Headers a COMMAND gets when none are given: the NetBackup media type, as in the guide's example. */
export const DEFAULT_COMMAND_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Type': 'application/vnd.netbackup+json;version=1.0',
});

/**
 * Parse one command line as people type it: `GET /netbackup/admin/jobs`, or
 * `POST /netbackup/config/servers/vmservers {"serverName":"vc1"}` (everything after the URI is the body, sent
 * as the `parameters` string). Returns an error message instead of throwing; blank lines and `#` comments give
 * `undefined` command and no error.
 */
export function parseCommandLine(line: string): { command?: MockCommand; error?: string } {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return {};
  const m = /^([A-Za-z]+)\s+(\S+)(?:\s+([\s\S]*))?$/.exec(text);
  if (!m) return { error: `expected "METHOD /uri [body]", got ${JSON.stringify(text)}` };
  const method = m[1]!.toUpperCase();
  const uri = m[2]!;
  if (!uri.startsWith('/')) return { error: `the uri must be a path starting with "/", got ${JSON.stringify(uri)}` };
  const body = m[3]?.trim();
  return { command: { method, uri, ...(body ? { parameters: body } : {}) } };
}

/** Parse `Name: value` (a `--header` flag). */
export function parseHeader(text: string): { name: string; value: string } | undefined {
  const i = text.indexOf(':');
  if (i <= 0) return undefined;
  const name = text.slice(0, i).trim();
  return name === '' ? undefined : { name, value: text.slice(i + 1).trim() };
}
