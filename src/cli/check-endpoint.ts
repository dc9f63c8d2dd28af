import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { checkEndpoint, exitCodeOf } from '../check-endpoint/runner.js';
import { formatTextReport, summaryLine } from '../check-endpoint/report-text.js';
import type { CheckProgress, CheckReport } from '../check-endpoint/types.js';
import { fetchEndpointDetails } from '../endpoints/fetch-details.js';
import { MAX_DETAILS_BYTES, parseEndpointDetails, type EndpointDetails } from '../endpoints/validate.js';
import { EndpointError, GuideMessages, InputError, UsageError } from '../errors.js';
import { createLogger } from '../logger.js';
import { action, loadCliConfig, withConfigOption, type GlobalOptions } from './context.js';

/**
 * `nbwss check-endpoint`: connect to a cloud endpoint as NetBackup would, run the conformance checks, print a
 * report (text, JSON or JUnit XML). Exit 0 when no check failed, 1 when one did (or the endpoint could not be
 * reached), 2 on a usage error. Stores nothing.
 */

interface CheckEndpointFlags extends GlobalOptions {
  file?: string;
  url?: string;
  urlCa?: string;
  insecureUrl?: boolean;
  acceptCertificate?: boolean;
  fingerprint?: string;
  ca?: string;
  profile: string;
  only?: string[];
  skip?: string[];
  report: string;
  out?: string;
  load?: string;
}

const REPORTS = ['text', 'json', 'junit'] as const;

/** Comma-separated and repeatable: `--only a,b --only c`. */
const list = (value: string, previous: string[] | undefined) => [...(previous ?? []), ...value.split(',').map((s) => s.trim()).filter(Boolean)];

function readSmallFile(path: string, what: string, maxBytes: number): string {
  try {
    if (statSync(path).size > maxBytes) throw new InputError(`${what} ${path} is larger than ${maxBytes} bytes`);
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`cannot read ${what} ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** The details from `--file` or `--url` (exactly one), validated with the messages of `endpoints add`. */
async function details(flags: CheckEndpointFlags, timeoutMs: number): Promise<EndpointDetails> {
  if (Boolean(flags.file) === Boolean(flags.url)) throw new UsageError('give exactly one of --file FILE or --url URL');
  if (flags.file) {
    if (flags.urlCa || flags.insecureUrl) throw new UsageError('--url-ca and --insecure-url apply only to --url');
    try {
      return parseEndpointDetails(readSmallFile(flags.file, 'endpoint file', MAX_DETAILS_BYTES));
    } catch (err) {
      if (err instanceof InputError && /larger than/.test(err.message)) throw new EndpointError('NBWSS_ERR_JSON_NOT_VALID', GuideMessages.jsonNotValid, { detail: err.message });
      throw err;
    }
  }
  if (flags.urlCa && flags.insecureUrl) throw new UsageError('give either --url-ca or --insecure-url, not both');
  if (flags.insecureUrl) process.stderr.write(`nbwss: warning: not verifying the certificate of ${flags.url} (--insecure-url): the token could be read on the way\n`);
  return fetchEndpointDetails(flags.url!, { timeoutMs, caPem: flags.urlCa ? readSmallFile(flags.urlCa, '--url-ca file', 1024 * 1024) : undefined, insecure: flags.insecureUrl });
}

function parseLoad(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`--load must be a whole number >= 0, got "${text}"`);
  return Number(text);
}

/** Progress on a TTY: one line, rewritten, on stderr. */
function progress(): ((e: CheckProgress) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (e) => {
    if (e.type === 'start') process.stderr.write(`\r\x1b[K[${e.index}/${e.total}] ${e.id}: ${e.title}…`);
    else if (e.type === 'wait') process.stderr.write(`\r\x1b[K[…] ${e.id}: waiting ${Math.round(e.ms / 1000)} s (${e.what})…`);
    else if (e.index === e.total) process.stderr.write('\r\x1b[K');
  };
}

async function render(report: CheckReport, format: (typeof REPORTS)[number]): Promise<string> {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  if (format === 'junit') return (await import('../check-endpoint/report-junit.js')).formatJunitReport(report);
  return formatTextReport(report);
}

async function run(flags: CheckEndpointFlags): Promise<number> {
  const format = flags.report as (typeof REPORTS)[number];
  if (!REPORTS.includes(format)) throw new UsageError(`--report must be one of ${REPORTS.join(', ')}, got "${flags.report}"`);
  if (flags.profile !== 'quick' && flags.profile !== 'full') throw new UsageError(`--profile must be quick or full, got "${flags.profile}"`);
  const load = parseLoad(flags.load);
  const { config } = loadCliConfig(flags);
  const caPem = flags.ca ? readSmallFile(flags.ca, '--ca file', 1024 * 1024) : undefined;
  const endpoint = await details(flags, config.connectionInfo.handshakeTimeout);
  const logger = config.log.file ? createLogger({ level: config.log.level, file: config.log.file }) : undefined;
  const report = await checkEndpoint({
    details: endpoint,
    trust: { ...(flags.acceptCertificate ? { acceptCertificate: true } : {}), ...(flags.fingerprint !== undefined ? { fingerprint: flags.fingerprint } : {}), ...(caPem ? { caPem } : {}) },
    profile: flags.profile,
    ...(flags.only ? { only: flags.only } : {}),
    ...(flags.skip ? { skip: flags.skip } : {}),
    ...(load !== undefined ? { load } : {}),
    config,
    // With --config, COMMANDs go where the configuration says (netbackup.baseUrl, or the mock with netbackup.mock).
    netbackup: { mock: flags.config === undefined || config.netbackup.mock },
    ...(logger ? { logger } : {}),
    onProgress: progress(),
  });
  const text = await render(report, format);
  if (flags.out) {
    try {
      writeFileSync(flags.out, text);
    } catch (err) {
      throw new InputError(`cannot write --out ${flags.out}: ${(err as Error).message}`, { cause: err });
    }
    process.stdout.write(format === 'text' ? `${summaryLine(report)}\n` : formatTextReport(report));
  } else {
    process.stdout.write(text);
  }
  return exitCodeOf(report);
}

/** Register `nbwss check-endpoint`. */
export function registerCheckEndpointCommand(program: Command): void {
  const cmd = program
    .command('check-endpoint')
    .usage('(--file F | --url U) [--accept-certificate | --fingerprint SHA256 | --ca FILE] [options]')
    .description('connect to a cloud endpoint as NetBackup would and report where it deviates from the guide (exit 0 conforming, 1 a check failed, 2 usage)')
    .option('-f, --file <file>', 'endpoint JSON file (the five members token, priority, groupId, hostName, url), as for endpoints add')
    .option('-u, --url <url>', 'https:// URL the cloud application serves the endpoint JSON at')
    .option('--url-ca <file>', "with --url: PEM CA trusted for the URL's certificate, besides Node's bundled CAs")
    .option('--insecure-url', "with --url: do not verify the URL's certificate (labs only)")
    .addOption(new Option('--accept-certificate', 'trust the certificate presented now (trust on first use)').conflicts(['fingerprint', 'ca']))
    .addOption(new Option('--fingerprint <sha256>', 'the SHA-256 fingerprint the certificate must have').conflicts('ca'))
    .option('--ca <file>', 'PEM CA the certificate must chain to (and name the host)')
    .option('--profile <profile>', 'quick (within 30 s against a conforming endpoint) or full (adds the 2-minute idle, the resend and a load)', 'quick')
    .option('--only <ids>', 'run only these checks (comma-separated ids or groups such as notification; repeatable)', list)
    .option('--skip <ids>', 'skip these checks (comma-separated ids or groups; repeatable)', list)
    .option('--report <format>', 'text, json or junit', 'text')
    .option('--out <file>', 'write the report to FILE (stdout then shows the text report, or its summary line)')
    .option('--load <n>', 'also send N notifications at full speed and report throughput and latency (full: 1000 by default)');
  cmd.addHelpText(
    'after',
    `
Examples:
  nbwss check-endpoint --file ep1.json --fingerprint 3A:91:…:5C
  nbwss check-endpoint --url https://cloud.example.com/nbwss/ep1 --ca corp-ca.pem --profile full
  nbwss check-endpoint --file ep1.json --accept-certificate --report junit --out nbwss-check.xml
  nbwss check-endpoint --file ep1.json --accept-certificate --only notification,keepalive --load 5000

Timings follow the configuration: connectionInfo.handshakeTimeout, notification.sendTimeout,
notification.scheduledRate, notification.maxBatchSize, keepAlive.scheduledRate. COMMANDs the endpoint sends
during the run are answered by an in-process mock NetBackup; with --config, by netbackup.baseUrl (or the mock when
netbackup.mock=true). Nothing is stored.`,
  );
  withConfigOption(cmd).action(action((flags: CheckEndpointFlags) => run(flags)));
}
