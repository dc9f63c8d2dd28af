import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { Command, Option } from 'commander';
import type { Config } from '../config/index.js';
import { FETCH_TIMEOUT_MS, fetchCertificate, type FetchedCertificate } from '../endpoints/certificate.js';
import { fetchEndpointDetails } from '../endpoints/fetch-details.js';
import { MAX_DETAILS_BYTES, parseEndpointDetails, publicDetails, type EndpointDetails, type PublicDetails } from '../endpoints/validate.js';
import { describeUpdateTiming, type EndpointListRow } from '../endpoints/service.js';
import { EndpointError, GuideMessages, InputError, UsageError } from '../errors.js';
import { readInputFile, readInputText } from './input.js';
import { action, loadCliConfig, withConfigOption, type GlobalOptions } from './context.js';
import { describeTrust, formatCertificate, formatDetails, formatLastOfGroup, formatList, formatUpdate, formatView, validityWarnings } from './endpoints-format.js';
import { prepareWait, reportChange, withWaitOptions, type WaitFlags } from './endpoints-wait.js';
import { openServices, type Services } from './services.js';

/**
 * `nbwss endpoints …`: the guide's WebSocket Server dialog on the command line (spec §8). Exit 0 on success, 1 on an
 * operational error (the guide's message on stderr, with a detail in parentheses), 2 on a usage error.
 */

interface SourceOptions extends GlobalOptions {
  file?: string;
  url?: string;
  urlCa?: string;
  insecureUrl?: boolean;
}

interface ValidateOptions extends SourceOptions {
  ca?: string;
  json?: boolean;
}

interface AddCliOptions extends ValidateOptions, WaitFlags {
  acceptCertificate?: boolean;
  fingerprint?: string;
}

const out = (text: string): void => void process.stdout.write(text);
const warn = (text: string) => process.stderr.write(`nbwss: warning: ${text}\n`);
const json = (value: unknown): void => out(JSON.stringify(value, null, 2) + '\n');

/** An endpoint file's bytes (over 64 KiB: the guide's "JSON contents not valid"). */
function readEndpointFile(path: string): Buffer {
  return readInputFile(path, 'endpoint file', {
    maxBytes: MAX_DETAILS_BYTES,
    tooLarge: (detail) => new EndpointError('NBWSS_ERR_JSON_NOT_VALID', GuideMessages.jsonNotValid, { detail }),
  });
}

/** The endpoint details from `--file` or `--url` (exactly one). */
async function readDetails(opts: SourceOptions): Promise<EndpointDetails> {
  if (Boolean(opts.file) === Boolean(opts.url)) throw new UsageError('give exactly one of --file FILE or --url URL');
  if (opts.file) {
    if (opts.urlCa || opts.insecureUrl) throw new UsageError('--url-ca and --insecure-url apply only to --url');
    return parseEndpointDetails(readEndpointFile(opts.file));
  }
  if (opts.urlCa && opts.insecureUrl) throw new UsageError('give either --url-ca or --insecure-url, not both');
  if (opts.insecureUrl) warn(`not verifying the certificate of ${opts.url} (--insecure-url): the token could be read on the way`);
  return fetchEndpointDetails(opts.url!, {
    timeoutMs: FETCH_TIMEOUT_MS,
    caPem: opts.urlCa ? readInputText(opts.urlCa, '--url-ca file') : undefined,
    insecure: opts.insecureUrl,
  });
}

/** Open the services (loading the configuration unless given), run `fn`, always close. */
async function withServices<T>(opts: GlobalOptions | Readonly<Config>, fn: (s: Services) => T | Promise<T>, readOnly = false): Promise<T> {
  const config = 'db' in opts ? opts : loadCliConfig(opts).config;
  const services = openServices(config, { readOnly });
  try {
    return await fn(services);
  } finally {
    services.close();
  }
}

async function promptYesNo(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/** The TTY confirmation of `add` without --accept-certificate/--fingerprint. */
function ttyConfirm(withCa: boolean): ((cert: FetchedCertificate, details: PublicDetails) => Promise<boolean>) | undefined {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return (cert, details) => {
    process.stderr.write(formatDetails(details) + formatCertificate(cert, 'Certificate presented by the endpoint', describeTrust(cert, withCa)));
    for (const w of validityWarnings(cert)) warn(w);
    return promptYesNo(`Trust this certificate and add ${details.hostName}? [y/N] `);
  };
}

function sourceOptions(cmd: Command): Command {
  return cmd
    .option('-f, --file <file>', 'endpoint JSON file (the five members token, priority, groupId, hostName, url)')
    .option('-u, --url <url>', 'https:// URL the cloud application serves the endpoint JSON at')
    .option('--url-ca <file>', "with --url: PEM CA trusted for the URL's certificate, besides Node's bundled CAs")
    .option('--insecure-url', "with --url: do not verify the URL's certificate (labs only: the token could be read)");
}

async function validateAction(opts: ValidateOptions): Promise<void> {
  loadCliConfig(opts); // a bad configuration is reported even here, though validate reads no key
  const details = await readDetails(opts);
  // Validate stores nothing, so it opens no database and no key (EndpointService.validate is the same check).
  const caPem = opts.ca ? readInputText(opts.ca, '--ca file') : undefined;
  const certificate = await fetchCertificate(details.url, { timeoutMs: FETCH_TIMEOUT_MS, hostName: details.hostName, caPem });
  const pub = publicDetails(details);
  if (opts.json) {
    json({ details: pub, certificate });
    return;
  }
  out(formatDetails(pub) + formatCertificate(certificate, 'Certificate', describeTrust(certificate, Boolean(caPem))));
  for (const w of validityWarnings(certificate)) warn(w);
  const source = opts.file ? `--file ${opts.file}` : `--url ${opts.url}`;
  const trust = caPem ? `--ca ${opts.ca}` : `--fingerprint ${certificate.fingerprint256}`;
  out(`\nTo add it${caPem ? '' : ' with this certificate pinned'}:\n  nbwss endpoints add ${source} ${trust}\n`);
}

async function addAction(opts: AddCliOptions): Promise<number> {
  const { config } = loadCliConfig(opts);
  const details = await readDetails(opts);
  const waiter = await prepareWait(config, opts);
  const endpoint = await withServices(config, async (s) => {
    const caPem = opts.ca ? readInputText(opts.ca, '--ca file') : undefined;
    const confirm = opts.acceptCertificate || opts.fingerprint || caPem ? undefined : ttyConfirm(false);
    const { endpoint, certificate } = await s.endpoints.add(details, {
      ...(opts.acceptCertificate ? { acceptCertificate: true } : {}),
      ...(opts.fingerprint !== undefined ? { fingerprint: opts.fingerprint } : {}),
      ...(caPem ? { caPem } : {}),
      ...(confirm ? { confirm } : {}),
    });
    for (const w of validityWarnings(certificate)) warn(w);
    return { endpoint, trust: caPem ? 'trusted CA stored; certificate seen' : 'certificate pinned' };
  });
  const { hostName, groupId, priority, state, fingerprint } = endpoint.endpoint;
  const text = `Added ${hostName} (group ${groupId}, priority ${priority}, ${state}); ${endpoint.trust}: SHA-256 ${fingerprint}\n`;
  return reportChange(config, opts, waiter, { kind: 'add', hostName, groupId }, { json: { ...endpoint.endpoint }, text });
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Reading the token from stdin; end with Ctrl-D.\n');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

interface UpdateCliOptions extends GlobalOptions, WaitFlags {
  priority?: string;
  url?: string;
  tokenFile?: string;
  tokenStdin?: boolean;
  acceptCertificate?: boolean;
  fingerprint?: string;
  ca?: string;
}

/** A token from `--token-file` or `--token-stdin` (trailing newlines dropped), or undefined when neither is given. */
async function readToken(opts: UpdateCliOptions): Promise<string | undefined> {
  if (opts.tokenFile !== undefined && opts.tokenStdin) throw new UsageError('give either --token-file FILE or --token-stdin, not both');
  let token: string;
  if (opts.tokenFile !== undefined) token = readInputText(opts.tokenFile, '--token-file', { maxBytes: 64 * 1024 }).replace(/[\r\n]+$/, '');
  else if (opts.tokenStdin) token = (await readStdin()).replace(/[\r\n]+$/, '');
  else return undefined;
  if (token === '') throw new InputError(`no token in ${opts.tokenFile ?? 'stdin'}`);
  return token;
}

async function updateAction(host: string, opts: UpdateCliOptions): Promise<number> {
  const { config } = loadCliConfig(opts);
  let priority: number | undefined;
  if (opts.priority !== undefined) {
    priority = opts.priority.trim() === '' ? NaN : Number(opts.priority);
    if (!Number.isFinite(priority)) throw new UsageError(`--priority must be a number, got "${opts.priority}"`);
  }
  const token = await readToken(opts);
  const caPem = opts.ca ? readInputText(opts.ca, '--ca file') : undefined;
  const waiter = await prepareWait(config, opts);
  const result = await withServices(config, async (s) => {
    const result = await s.endpoints.update(host, {
      ...(priority !== undefined ? { priority } : {}),
      ...(opts.url !== undefined ? { url: opts.url } : {}),
      ...(token !== undefined ? { token } : {}),
      ...(opts.acceptCertificate ? { acceptCertificate: true } : {}),
      ...(opts.fingerprint !== undefined ? { fingerprint: opts.fingerprint } : {}),
      ...(caPem ? { caPem } : {}),
    });
    if (result.certificate) for (const w of validityWarnings(result.certificate)) warn(w);
    return result;
  });
  const appliesWhen = describeUpdateTiming(result, config.connectionInfo.period);
  const { pem: _pem, ...certificate } = result.certificate ?? { pem: '' };
  const output = {
    json: { endpoint: result.endpoint, changed: result.changed, redial: result.redial, appliesWhen, ...(result.certificate ? { certificate } : {}) },
    text: formatUpdate(result) + `${appliesWhen[0]!.toUpperCase()}${appliesWhen.slice(1)}.\n`,
    sayWhen: false,
  };
  return reportChange(config, opts, waiter, { kind: 'update', hostName: host, groupId: result.endpoint.groupId, redial: result.redial }, output);
}

async function deleteAction(host: string, opts: GlobalOptions & WaitFlags): Promise<number> {
  const { config } = loadCliConfig(opts);
  const waiter = await prepareWait(config, opts);
  const result = await withServices(config, (s) => s.endpoints.delete(host));
  const keptUntil = result.lastOfGroup ? new Date(Date.now() + config.notification.retention * 1000).toISOString() : null;
  const output = {
    json: { hostName: host, deleted: true, groupId: result.groupId, lastOfGroup: result.lastOfGroup, undeliveredNotifications: result.undelivered, keptUntil },
    text: `${host} deleted\n` + (keptUntil ? formatLastOfGroup(result.groupId, result.undelivered, keptUntil) : ''),
  };
  return reportChange(config, opts, waiter, { kind: 'delete', hostName: host, groupId: result.groupId }, output);
}

async function updateTokenAction(host: string, opts: GlobalOptions & { file?: string; tokenStdin?: boolean; json?: boolean }): Promise<void> {
  if (Boolean(opts.file) === Boolean(opts.tokenStdin)) throw new UsageError('give exactly one of --file FILE or --token-stdin');
  let token: string;
  if (opts.file) {
    const details = parseEndpointDetails(readEndpointFile(opts.file));
    if (details.hostName !== host) throw new UsageError(`${opts.file} describes ${details.hostName}, not ${host}`);
    token = details.token;
    await withServices(opts, (s) => {
      const stored = s.endpoints.show(host);
      const changed = (['url', 'groupId', 'priority'] as const).filter((k) => stored[k] !== details[k]);
      if (changed.length > 0) warn(`only the token is updated; ${changed.join(', ')} differ(s) from the stored endpoint (delete and add it again to change them)`);
      s.endpoints.updateToken(host, token);
    });
  } else {
    token = (await readStdin()).replace(/[\r\n]+$/, '');
    if (token === '') throw new InputError('no token on stdin');
    await withServices(opts, (s) => s.endpoints.updateToken(host, token));
  }
  if (opts.json) json({ hostName: host, tokenUpdated: true, certificatePinChanged: false });
  else out(`Token of ${host} updated; its certificate pin is unchanged.\n`);
}

/** Register `nbwss endpoints` and its sub-commands. */
export function registerEndpointsCommands(program: Command): void {
  const group = program
    .command('endpoints')
    .description('manage the cloud wss:// endpoints NetBackup connects to (credentials, pinned certificates, state)');
  group.addHelpText(
    'after',
    `
Examples:
  nbwss endpoints validate --file ep1.json                # show the details and the endpoint's certificate
  nbwss endpoints add --file ep1.json --fingerprint AB:CD:…   # pin the certificate shown by validate
  nbwss endpoints add --url https://cloud.example.com/nbwss/ep1 --accept-certificate   # trust on first use
  nbwss endpoints add --file ep2.json --ca corp-ca.pem     # trust any certificate from that CA
  nbwss endpoints list --json
  nbwss endpoints deactivate ep1.example.com
  nbwss endpoints update ep1.example.com --priority 2 --accept-certificate
  nbwss endpoints update-token ep1.example.com --token-stdin < new-token.txt

The token is encrypted at rest (AES-256-GCM, key in security.keyFile) and never printed unless --show-token.`,
  );

  withConfigOption(sourceOptions(group.command('validate').usage('(--file FILE | --url URL) [--ca FILE] [--json] [options]')))
    .description("check endpoint details and show the endpoint's TLS certificate (subject, issuer, validity, SHA-256, SANs)")
    .option('--ca <file>', 'also check that the certificate chains to this PEM CA and names the host')
    .option('--json', 'print {details, certificate} as JSON')
    .action(action(validateAction));

  withWaitOptions(withConfigOption(sourceOptions(group.command('add').usage('(--file FILE | --url URL) [--accept-certificate | --fingerprint SHA256] [--ca FILE] [--wait [--timeout S]] [options]'))))
    .description('store an endpoint: fetch its certificate again, pin it, encrypt the token (on a TTY without a trust flag: asks)')
    .addOption(new Option('--accept-certificate', 'trust the certificate presented now (trust on first use)').conflicts('fingerprint'))
    .addOption(new Option('--fingerprint <sha256>', 'the SHA-256 fingerprint accepted at validate; the add fails if the server now presents another'))
    .option('--ca <file>', 'PEM CA: accept any certificate chaining to it that names the host (allows renewals)')
    .option('--json', 'print the stored endpoint as JSON, with appliesWhen (with --wait: and applied)')
    .action(action(addAction));

  withConfigOption(group.command('list'))
    .description('list endpoints: host name, URL, group ID, priority, state, connection state, and why (role, since, last error)')
    .option('--json', 'print a JSON array (hostName, url, groupId, priority, state, connectionState, fingerprint, role, since, lastError, lastErrorAt, closesWithinMs, trust, certificateExpiresAt)')
    .addHelpText(
      'after',
      `
ROLE says why an endpoint is or is not connected: serving (its group's connection), standby (another endpoint of
the group serves it; no preemption), connecting (the next run of the connection task dials it), failing (its last
attempt failed or its connection dropped: LAST ERROR says why), deactivated. This command reads what the daemon
recorded in the database; only the daemon knows whether an attempt is in flight right now and when its next run
is (GET /api/endpoints and the console show those).`,
    )
    .action(
      action((opts: GlobalOptions & { json?: boolean }) => {
        const print = (list: EndpointListRow[]) => (opts.json ? json(list) : out(formatList(list)));
        const { config } = loadCliConfig(opts);
        // read-only: in a folder without a database there is nothing to list, and nothing is created
        if (!existsSync(config.db.path)) return print([]);
        return withServices(config, (s) => print(s.endpoints.list()), true);
      }),
    );

  withConfigOption(group.command('show').argument('<host>', 'the endpoint host name'))
    .description('show one endpoint in detail, with its pinned certificate')
    .option('--json', 'print as JSON')
    .option('--show-token', 'include the decrypted token (the guide\'s "Token: View")')
    .action(
      action((host: string, opts: GlobalOptions & { json?: boolean; showToken?: boolean }) => {
        const { config } = loadCliConfig(opts);
        if (!existsSync(config.db.path)) throw new EndpointError('NBWSS_ERR_NOT_FOUND', GuideMessages.notFound, { detail: `hostName ${host} (no database at ${config.db.path} yet)` });
        return withServices(
          config,
          (s) => {
            const view = s.endpoints.show(host, { showToken: opts.showToken === true });
            return opts.json ? json(view) : out(formatView(view));
          },
          opts.showToken !== true,
        );
      }),
    );

  const simple = [
    ['activate', 'set ACTIVATED: connected to at the next run of the connection task', (s: Services, h: string) => s.endpoints.activate(h), 'activated', 'ACTIVATED'],
    ['deactivate', 'set DEACTIVATED: never connected to; an open connection closes at the next run', (s: Services, h: string) => s.endpoints.deactivate(h), 'deactivated', 'DEACTIVATED'],
  ] as const;
  for (const [name, description, run, done, state] of simple) {
    withWaitOptions(withConfigOption(group.command(name).argument('<host>', 'the endpoint host name')))
      .description(description)
      .option('--json', 'print {hostName, groupId, state, appliesWhen} as JSON (with --wait: and applied)')
      .action(
        action(async (host: string, opts: GlobalOptions & WaitFlags) => {
          const { config } = loadCliConfig(opts);
          const waiter = await prepareWait(config, opts);
          const groupId = await withServices(config, (s) => {
            run(s, host);
            return s.endpoints.show(host).groupId;
          });
          return reportChange(config, opts, waiter, { kind: name, hostName: host, groupId }, { json: { hostName: host, groupId, state }, text: `${host} ${done}\n` });
        }),
      );
  }

  withWaitOptions(withConfigOption(group.command('delete').argument('<host>', 'the endpoint host name')))
    .description("delete the endpoint and its pinned certificate (the group's last: the group keeps its undelivered notifications)")
    .option('--json', 'print {hostName, deleted, groupId, lastOfGroup, undeliveredNotifications, keptUntil, appliesWhen} as JSON (with --wait: and applied)')
    .addHelpText(
      'after',
      `
Deleting a group's last endpoint keeps the group's place (cursor and in-flight batch) for notification.retention:
adding an endpoint of the group again (the guide's way to renew a token) resumes delivery exactly there. The output
says how many notifications wait for the group. To change an endpoint, prefer nbwss endpoints update.`,
    )
    .action(action(deleteAction));

  withWaitOptions(withConfigOption(group.command('update').argument('<host>', 'the endpoint host name')))
    .usage('<host> [--priority N] [--url URL] [--token-file FILE | --token-stdin] [--accept-certificate | --fingerprint SHA256 | --ca FILE] [--wait [--timeout S]] [options]')
    .description('change one endpoint in place (priority, url, token, certificate pin); its group and subscription stay')
    .option('--priority <n>', 'the new priority (a number; lower is preferred)')
    .option('--url <url>', 'the new wss:// URL (its certificate must match the pin, or give a trust option)')
    .option('--token-file <file>', 'read the new token from this file (trailing newlines are dropped)')
    .option('--token-stdin', 'read the new token from stdin (trailing newlines are dropped)')
    .addOption(new Option('--accept-certificate', 'pin the certificate the endpoint presents now (e.g. after it renewed it)').conflicts('fingerprint'))
    .option('--fingerprint <sha256>', 'pin the certificate presented now only if it has this SHA-256 fingerprint')
    .option('--ca <file>', 'PEM CA: trust any certificate chaining to it that names the host (replaces the pin)')
    .option('--json', 'print {endpoint, changed, redial, appliesWhen, certificate} as JSON (with --wait: and applied)')
    .addHelpText(
      'after',
      `
The certificate is checked exactly as add checks it, with the same messages. A new url alone must present the
pinned certificate (or one chaining to the stored CA). A change of url or certificate takes effect at the next run
of the connection task: an open connection is closed then and dialled again, and the group's in-flight batch is
resent (nothing is lost). A priority applies when the group next picks an endpoint; a token at the next CONNECT.

Examples:
  nbwss endpoints update ep1.example.com --priority 1
  nbwss endpoints update ep1.example.com --token-stdin < new-token.txt
  nbwss endpoints update ep1.example.com --accept-certificate          # re-pin a renewed certificate
  nbwss endpoints update ep1.example.com --url wss://ep1-b.example.com/nbwss --fingerprint AB:CD:…`,
    )
    .action(action(updateAction));

  withConfigOption(group.command('update-token').argument('<host>', 'the endpoint host name').usage('<host> (--file FILE | --token-stdin) [options]'))
    .description('replace the token (rotation), keeping the certificate pin')
    .option('-f, --file <file>', 'endpoint JSON with the new token (its hostName must be HOST; only the token is taken)')
    .option('--token-stdin', 'read the new token from stdin (trailing newlines are dropped)')
    .option('--json', 'print {hostName, tokenUpdated, certificatePinChanged} as JSON')
    .action(action(updateTokenAction));
}
