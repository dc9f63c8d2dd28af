import { readFileSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { join } from 'node:path';
import { DEFAULT_COMMAND_HEADERS, headerValueProblem, parseCommandLine, parseHeader, parseInputLine } from '../endpoint-mock/command-line.js';
import { loginThroughChannel } from '../endpoint-mock/login.js';
import { createMockEndpoint, endpointHosts } from '../endpoint-mock/server.js';
import { loadStateDir, STATE_FILES } from '../endpoint-mock/state-dir.js';
import type { MockCommand, MockEndpointFaults } from '../endpoint-mock/types.js';
import { createLogger } from '../logger.js';
import { action, loadCliConfig, withConfigOption, type GlobalOptions } from './context.js';
import { printer } from './mock-endpoint-print.js';

/** Flags of `nbwss mock-endpoint`, as commander parses them. */
interface MockEndpointFlags extends GlobalOptions {
  listen: string;
  path: string;
  token?: string;
  cert?: string;
  key?: string;
  hostName?: string;
  command?: string[];
  header?: string[];
  commandInterval?: string;
  commandsFromStdin?: boolean;
  rejectToken?: boolean;
  ackDelay?: string;
  dropAcks?: boolean;
  pong: boolean;
  closeAfter?: string;
  oversizeFrame?: boolean;
  acceptAnyToken?: boolean;
  lowerCaseIds?: boolean;
  wrongId?: string;
  reAck: boolean;
  idleClose?: string;
  earlySend?: boolean;
  rejectSecondConnection?: boolean;
  maxPayload?: string;
  writeEndpointFile?: string;
  stateDir?: string;
  login?: string;
  full?: boolean;
  group?: string;
  priority?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** Register `nbwss mock-endpoint`. */
export function registerMockEndpoint(program: Command): void {
  const cmd = program
    .command('mock-endpoint')
    .description('run a mock cloud endpoint (wss://): validates the token, acknowledges notifications, answers pings, prints every message, sends COMMANDs; with fault switches for drills')
    .option('--listen <host:port>', 'address to listen on (port 0: any free port)', '127.0.0.1:8443')
    .option('--path <path>', 'WebSocket path', '/nbwss')
    .option('--token <token>', 'token the CONNECT REQUEST must carry (default: a generated one, printed)')
    .option('--cert <file>', 'PEM certificate to serve (with --key; default: a generated self-signed one)')
    .option('--key <file>', 'PEM private key of --cert')
    .option('--host-name <name>', 'host name for the URL, the generated certificate and the endpoint file (default: the --listen host)')
    .option('--command <line>', "COMMAND to send, e.g. 'GET /netbackup/admin/jobs' (repeatable)", collect)
    .option('--header <line>', "header for every COMMAND, e.g. 'Authorization: eyJ0...' (repeatable)", collect)
    .option('--command-interval <seconds>', 'send the --command list every S seconds (default: once after each connect)')
    .option('--commands-from-stdin', "read COMMAND lines from stdin: 'GET /uri' or 'POST /uri {json body}'")
    .option('--reject-token', 'fault: answer every CONNECT with valid:false')
    .option('--ack-delay <ms>', 'fault: acknowledge each notification after this many milliseconds')
    .option('--drop-acks', 'fault: never acknowledge notifications')
    .option('--no-pong', 'fault: do not answer pings')
    .option('--close-after <n>', 'fault: close a socket when it has received N notification requests (the Nth unacknowledged)')
    .option('--oversize-frame', 'fault: send a frame over 2 MB right after CONNECT (NetBackup must drop with 1009)')
    .option('--accept-any-token', 'fault: answer every CONNECT with valid:true, whatever the token')
    .option('--lower-case-ids', 'fault: echo request ids in lower case in CONNECT and NOTIFICATION RESPONSEs')
    .option('--wrong-id <what>', 'fault: answer with a fresh id instead of the request\'s: connect (the CONNECT RESPONSE) or ack (acknowledgements)')
    .option('--no-re-ack', 'fault: do not acknowledge a NOTIFICATION REQUEST whose id was seen before (a resend)')
    .option('--idle-close <ms>', 'fault: close a socket that received no message for this long (pings do not count)')
    .option('--early-send', 'fault: send a COMMAND REQUEST before the CONNECT RESPONSE')
    .option('--reject-second-connection', 'fault: answer valid:false to a CONNECT while another socket is connected')
    .option('--max-payload <bytes>', 'largest message accepted (default 16 MiB); a larger one closes the socket with 1009, e.g. 1048576 as Python websockets')
    .option('--write-endpoint-file <file>', 'write the endpoint JSON (spec §8) that `nbwss endpoints add --file` takes')
    .option('--state-dir <dir>', 'keep the certificate, key and token in DIR across restarts (generated at the first start) and write DIR/endpoint.json')
    .option('--login <user:password>', 'after each CONNECT, log in through a COMMAND (POST /netbackup/login) and send the token as Authorization with every later COMMAND')
    .option('--full', 'print COMMAND RESPONSE bodies whole (default: the first 200 characters)')
    .option('--group <groupId>', 'server group for --write-endpoint-file (and the --state-dir endpoint file, default GROUPID1)')
    .option('--priority <n>', 'priority for --write-endpoint-file (default 1)')
    .option('--json', 'print JSON lines instead of readable text');
  withConfigOption(cmd).action(action((flags: MockEndpointFlags) => runMockEndpoint(flags)));
}

/** `host:port`, `[v6]:port`, `:port` or `port`. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port > 65535) throw new UsageError(`--listen must be host:port, got ${JSON.stringify(text)}`);
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

function wholeNumber(flag: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min) throw new UsageError(`${flag} must be a whole number >= ${min}, got ${JSON.stringify(text)}`);
  return n;
}

function parseWrongId(text: string | undefined): MockEndpointFaults['wrongId'] {
  if (text === undefined) return false;
  if (text === 'connect' || text === 'ack') return text;
  throw new UsageError(`--wrong-id must be connect or ack, got ${JSON.stringify(text)}`);
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function readPem(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${flag}: cannot read ${file}: ${(err as Error).message}`);
  }
}

function parseFlags(flags: MockEndpointFlags) {
  const listen = parseListen(flags.listen);
  if (Boolean(flags.cert) !== Boolean(flags.key)) throw new UsageError('--cert and --key go together');
  if (flags.stateDir && flags.cert) throw new UsageError('--state-dir keeps its own certificate: give either --state-dir or --cert/--key');
  if (flags.writeEndpointFile && !flags.group) throw new UsageError('--write-endpoint-file needs --group');
  const interval = flags.commandInterval === undefined ? undefined : Number(flags.commandInterval);
  if (interval !== undefined && !(interval > 0)) throw new UsageError(`--command-interval must be a number of seconds > 0, got ${JSON.stringify(flags.commandInterval)}`);
  const commands: MockCommand[] = (flags.command ?? []).map((line) => {
    const { command, error } = parseCommandLine(line);
    if (!command) throw new UsageError(`--command: ${error ?? 'empty'}`);
    return command;
  });
  const headers: Record<string, string> = {};
  for (const h of flags.header ?? []) {
    const parsed = parseHeader(h);
    if (!parsed) throw new UsageError(`--header must be "Name: value", got ${JSON.stringify(h.slice(0, 80))}`);
    const problem = headerValueProblem(parsed.value);
    if (problem) throw new UsageError(`--header ${parsed.name}: ${problem}`);
    headers[parsed.name] = parsed.value;
  }
  const faults: Partial<MockEndpointFaults> = {
    rejectToken: Boolean(flags.rejectToken),
    ackDelayMs: wholeNumber('--ack-delay', flags.ackDelay, 0) ?? 0,
    dropAcks: Boolean(flags.dropAcks),
    noPong: flags.pong === false,
    closeAfter: wholeNumber('--close-after', flags.closeAfter, 1) ?? 0,
    oversizeFrame: Boolean(flags.oversizeFrame),
    acceptAnyToken: Boolean(flags.acceptAnyToken),
    lowerCaseIds: Boolean(flags.lowerCaseIds),
    wrongId: parseWrongId(flags.wrongId),
    noReAck: flags.reAck === false,
    idleCloseMs: wholeNumber('--idle-close', flags.idleClose, 1) ?? 0,
    earlySend: Boolean(flags.earlySend),
    rejectSecondConnection: Boolean(flags.rejectSecondConnection),
  };
  return {
    listen,
    faults,
    commands,
    interval,
    headers: Object.keys(headers).length > 0 ? headers : { ...DEFAULT_COMMAND_HEADERS },
    priority: wholeNumber('--priority', flags.priority, 0) ?? 1,
    maxPayload: wholeNumber('--max-payload', flags.maxPayload, 1),
    cert: flags.cert ? readPem('--cert', flags.cert) : undefined,
    key: flags.key ? readPem('--key', flags.key) : undefined,
    login: parseLogin(flags.login),
  };
}

/** `user:password` (the password may contain colons). */
function parseLogin(text: string | undefined): { userName: string; password: string } | undefined {
  if (text === undefined) return undefined;
  const i = text.indexOf(':');
  if (i <= 0 || i === text.length - 1) throw new UsageError('--login must be user:password');
  return { userName: text.slice(0, i), password: text.slice(i + 1) };
}

/** Run the mock endpoint until SIGINT/SIGTERM; returns the exit code. */
async function runMockEndpoint(flags: MockEndpointFlags): Promise<number> {
  const opts = parseFlags(flags);
  // stdout is for the readable account; pino log lines (conformance warnings included) go to log.file when set
  const { config } = loadCliConfig(flags);
  const logger = config.log.file ? createLogger({ level: config.log.level, file: config.log.file }) : undefined;
  const state = flags.stateDir
    ? await loadStateDir(flags.stateDir, { hosts: endpointHosts(opts.listen.host, flags.hostName).hosts, ...(flags.token !== undefined ? { token: flags.token } : {}) })
    : undefined;
  const pair = state ?? (opts.cert && opts.key ? { cert: opts.cert, key: opts.key } : undefined);
  const token = flags.token ?? state?.token;
  const endpoint = await createMockEndpoint({
    maxRecorded: 100,
    ...(logger ? { logger } : {}),
    host: opts.listen.host,
    port: opts.listen.port,
    path: flags.path,
    faults: opts.faults,
    ...(opts.maxPayload !== undefined ? { maxPayload: opts.maxPayload } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(flags.hostName ? { hostName: flags.hostName } : {}),
    ...(pair ? { cert: pair.cert, key: pair.key } : {}),
  });
  const out = printer(endpoint, { json: Boolean(flags.json), full: Boolean(flags.full) });
  let timer: NodeJS.Timeout | undefined;
  let rl: Interface | undefined;
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  process.once('SIGINT', stop).once('SIGTERM', stop);
  try {
    const file = flags.writeEndpointFile ?? (flags.stateDir ? join(flags.stateDir, STATE_FILES.endpoint) : undefined);
    const group = flags.group ?? 'GROUPID1';
    if (flags.writeEndpointFile) endpoint.writeEndpointFile(flags.writeEndpointFile, { group, priority: opts.priority });
    if (flags.stateDir) endpoint.writeEndpointFile(join(flags.stateDir, STATE_FILES.endpoint), { group, priority: opts.priority });
    const active = Object.entries(endpoint.faults).filter(([, v]) => v !== false && v !== 0).map(([k, v]) => (v === true ? k : `${k}=${String(v)}`));
    out.banner({
      url: endpoint.url,
      fingerprint256: endpoint.fingerprint256,
      ...(flags.token === undefined ? { token: endpoint.token } : {}),
      ...(state ? { stateDir: flags.stateDir, certificate: state.created ? 'generated' : 'kept' } : {}),
      ...(file ? { endpointFile: file, group, priority: opts.priority, addCommand: `nbwss endpoints add --file ${shellQuote(file)} --fingerprint ${endpoint.fingerprint256}` } : {}),
      ...(active.length > 0 ? { faults: active } : {}),
    });
    // The headers of every COMMAND: --header, then what --login and header lines on stdin set.
    const headers: Record<string, string> = { ...opts.headers };
    const send = (command: MockCommand, connectionId?: number) => {
      endpoint
        .sendCommand({ ...command, headers: { ...headers, ...command.headers } }, connectionId === undefined ? {} : { connectionId })
        .catch((err: Error) => out.error(`COMMAND ${command.method} ${command.uri} failed: ${err.message}`));
    };
    endpoint.on('connected', ({ connection }) => {
      void (async () => {
        if (opts.login) {
          const result = await loginThroughChannel(endpoint, opts.login, connection.id);
          if (result.ok) {
            headers.Authorization = result.token;
            out.line(`#${connection.id} logged in as ${opts.login.userName}: Authorization set for later COMMANDs (token of ${result.token.length} chars)`, { event: 'login', connectionId: connection.id, userName: opts.login.userName, tokenLength: result.token.length });
          } else {
            out.error(`--login ${opts.login.userName}: ${result.message}`);
          }
        }
        opts.commands.forEach((c) => send(c, connection.id));
      })();
    });
    if (opts.interval !== undefined && opts.commands.length > 0) {
      timer = setInterval(() => {
        if (endpoint.stats().connectedSockets > 0) opts.commands.forEach((c) => send(c));
      }, opts.interval * 1000);
    }
    if (flags.commandsFromStdin) {
      rl = createInterface({ input: process.stdin });
      rl.on('line', (line) => {
        const { command, header, error } = parseInputLine(line);
        if (error) out.error(error);
        else if (header && header.value === '') {
          delete headers[header.name];
          out.line(`header ${header.name} removed`, { event: 'header', name: header.name, removed: true });
        } else if (header) {
          headers[header.name] = header.value;
          out.line(`header ${header.name} set for later COMMANDs (${header.value.length} chars)`, { event: 'header', name: header.name, length: header.value.length });
        } else if (command && endpoint.stats().connectedSockets === 0) out.error(`no NetBackup connected: ${command.method} ${command.uri} not sent`);
        else if (command) send(command);
      });
    }
    await stopped;
  } finally {
    clearInterval(timer);
    rl?.close();
    if (flags.commandsFromStdin) process.stdin.destroy();
    process.off('SIGINT', stop).off('SIGTERM', stop);
    await endpoint.close();
  }
  out.line('mock endpoint closed', { event: 'closed' });
  return 0;
}
