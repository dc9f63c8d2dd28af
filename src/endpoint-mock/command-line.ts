import type { MockCommand } from './types.js';

/** Headers a COMMAND gets when none are given: the NetBackup media type, as in the guide's example. */
export const DEFAULT_COMMAND_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Type': 'application/vnd.netbackup+json;version=1.0',
});

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

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
  if (!m) return { error: `expected "METHOD /uri [body]" or "Header-Name: value", got ${JSON.stringify(text.slice(0, 80))}` };
  const method = m[1]!.toUpperCase();
  const uri = m[2]!;
  if (!uri.startsWith('/')) return { error: `the uri must be a path starting with "/", got ${JSON.stringify(uri)}` };
  const body = m[3]?.trim();
  return { command: { method, uri, ...(body ? { parameters: body } : {}) } };
}

/**
 * Why a header value cannot be sent, or undefined: CR/LF and control characters, and anything outside printable
 * ASCII — most often the `…` of a line shortened for display, copied along with a token.
 */
export function headerValueProblem(value: string): string | undefined {
  const bad = /[^\x20-\x7e\t]/.exec(value);
  if (!bad) return undefined;
  const c = bad[0];
  const code = `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  const hint = c === '…' ? ': was it copied from a shortened line? print whole bodies with --full, or let --login set the token' : '';
  return `the value contains ${/[\r\n]/.test(c) ? 'a line break' : c < ' ' ? 'a control character' : `"${c}"`} (${code}) at position ${bad.index}; header values are printable ASCII${hint}`;
}

/** Parse `Name: value` (a `--header` flag, or a header line on stdin); an empty value means "remove". */
export function parseHeader(text: string): { name: string; value: string } | undefined {
  const i = text.indexOf(':');
  if (i <= 0) return undefined;
  const name = text.slice(0, i).trim();
  return HEADER_NAME.test(name) ? { name, value: text.slice(i + 1).trim() } : undefined;
}

/**
 * One line of `--commands-from-stdin`: a COMMAND (`GET /uri`, `POST /uri {body}`), a header for the COMMANDs that
 * follow (`Authorization: eyJ…`; `Authorization:` alone removes it), or nothing (blank, `# comment`).
 */
export function parseInputLine(line: string): { command?: MockCommand; header?: { name: string; value: string }; error?: string } {
  const text = line.trim();
  if (/^[!#$%&'*+.^_`|~0-9A-Za-z-]+:/.test(text) && !text.startsWith('#')) {
    const header = parseHeader(text)!;
    const problem = headerValueProblem(header.value);
    return problem ? { error: `header ${header.name}: ${problem}` } : { header };
  }
  return parseCommandLine(line);
}
