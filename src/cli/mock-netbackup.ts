import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { generateCertificate, fingerprint256 } from '../certificates.js';
import { JsonInputError, UsageError } from '../errors.js';
import { createLogger } from '../logger.js';
import { createMockNetBackup, DEFAULT_USERS, seedGuideExample, World, type MockUser } from '../netbackup-mock/index.js';
import { readJson } from '../strict-json.js';
import { action, loadCliConfig, withConfigOption, type GlobalOptions } from './context.js';
import { numberFlag } from './flags.js';
import { readInputFile } from './input.js';

/** Flags of `nbwss mock-netbackup`, as commander parses them. */
interface MockNetBackupFlags extends GlobalOptions {
  listen: string;
  tls?: boolean;
  cert?: string;
  key?: string;
  certOut?: string;
  testRoutes?: boolean;
  user: string[];
  users?: string;
  tokenValidity?: string;
  empty?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** Register `nbwss mock-netbackup`. */
export function registerMockNetBackup(program: Command): void {
  withConfigOption(
    program
      .command('mock-netbackup')
      .description('run a mock NetBackup primary server: the REST API COMMANDs are proxied to (login, jobs, images, vmservers), over one simulated world')
      .option('--listen <host:port>', 'address to listen on (port 0: any free port)', '127.0.0.1:1556')
      .option('--tls', 'serve HTTPS with a generated self-signed certificate (or --cert/--key)')
      .option('--cert <file>', 'PEM certificate to serve (implies --tls; with --key)')
      .option('--key <file>', 'PEM private key of --cert')
      .option('--cert-out <file>', 'with --tls: write the certificate PEM here, for clients to trust (curl --cacert FILE)')
      .option('--test-routes', 'serve the test-only routes /netbackup/test/{slow,large,echo,status}')
      .option('--user <name:password>', 'a user who may log in (repeatable; default admin:password)', collect, [])
      .option('--users <file>', 'JSON array of users: [{"userName","password","domainName"?,"domainType"?}]')
      .option('--token-validity <seconds>', 'token validity returned by login (default 86400)')
      .option('--empty', "start with an empty world (default: the guide's VMware backup example and vCenter2.domain.com)"),
  ).action(action((flags: MockNetBackupFlags) => runMockNetBackup(flags)));
}

function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--listen must be host:port, got ${JSON.stringify(text)}`);
  return { host: m[1] ?? m[2]!, port };
}

function parseUsers(flags: MockNetBackupFlags): MockUser[] {
  const users: MockUser[] = [];
  if (flags.users) {
    let parsed: unknown;
    try {
      parsed = readJson(readInputFile(flags.users, '--users file'));
    } catch (err) {
      if (err instanceof JsonInputError) throw new UsageError(`--users ${flags.users}: ${err.message}`);
      throw err;
    }
    const ok = (u: unknown): u is MockUser =>
      typeof u === 'object' && u !== null && typeof (u as MockUser).userName === 'string' && typeof (u as MockUser).password === 'string';
    if (!Array.isArray(parsed) || !parsed.every(ok)) throw new UsageError(`--users ${flags.users}: must be a JSON array of {"userName","password"} objects`);
    users.push(...parsed);
  }
  for (const u of flags.user) {
    const i = u.indexOf(':');
    if (i <= 0) throw new UsageError(`--user must be name:password, got ${JSON.stringify(u)}`);
    users.push({ userName: u.slice(0, i), password: u.slice(i + 1) });
  }
  return users.length > 0 ? users : [...DEFAULT_USERS];
}

async function loadTls(flags: MockNetBackupFlags, host: string): Promise<{ key: string; cert: string } | undefined> {
  if (flags.cert || flags.key) {
    if (!flags.cert || !flags.key) throw new UsageError('--cert and --key go together');
    return { cert: readFileSync(flags.cert, 'utf8'), key: readFileSync(flags.key, 'utf8') };
  }
  if (!flags.tls) return undefined;
  return generateCertificate({ hosts: [...new Set([host, 'localhost', '127.0.0.1', '::1'])] });
}

/** Run the mock primary until SIGINT/SIGTERM; returns the exit code. */
async function runMockNetBackup(flags: MockNetBackupFlags): Promise<number> {
  const { config } = loadCliConfig(flags);
  const { host, port } = parseListen(flags.listen);
  const users = parseUsers(flags);
  const tokenValidity = numberFlag('--token-validity', 'positiveInt', flags.tokenValidity);
  const tls = await loadTls(flags, host);
  const logger = createLogger({ level: config.log.level, file: config.log.file, format: config.log.format }).child({ subsystem: 'mock-netbackup' });
  const world = new World();
  if (!flags.empty) seedGuideExample(world, config.simulator.primaryName);
  const mock = createMockNetBackup({ world, users, tokenValidity, tls, logger, testRoutes: flags.testRoutes === true });
  const { url } = await mock.listen(host, port);
  // Written before anything is printed: a script that waits for the URL line may read the file at once.
  if (tls && flags.certOut) writeFileSync(flags.certOut, tls.cert, { mode: 0o644 });

  const write = (text: string) => process.stdout.write(`${text}\n`);
  // The base URL, as netbackup.baseUrl takes it: COMMAND uris already start with /netbackup/ (issue 12 item 11).
  write(`mock NetBackup primary listening on ${url} (the REST API under ${url}/netbackup/; set netbackup.baseUrl=${url})`);
  write(`users: ${users.map((u) => u.userName).join(', ')}${flags.user.length === 0 && !flags.users ? ' (password: password)' : ''}`);
  if (tls) {
    write(`certificate SHA-256 fingerprint: ${fingerprint256(tls.cert)}`);
    if (flags.certOut) {
      write(`certificate PEM written to ${flags.certOut} (trust it: curl --cacert ${flags.certOut} …)`);
    } else {
      write('(write the certificate PEM with --cert-out FILE so clients can trust it, or use curl -k)');
    }
  }
  if (flags.testRoutes) write(`test routes: ${url}/netbackup/test/{slow?ms=,large?bytes=,echo,status?code=}`);

  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  process.once('SIGINT', stop).once('SIGTERM', stop);
  try {
    await stopped;
  } finally {
    process.off('SIGINT', stop).off('SIGTERM', stop);
    await mock.close();
  }
  write('mock NetBackup primary stopped');
  return 0;
}
