import { readFileSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { DEFAULT_COMMAND_HEADERS, parseCommandLine, parseHeader } from '../endpoint-mock/command-line.js';
import { formatMessage, formatProblem, previewBody, redactMessage } from '../endpoint-mock/format.js';
import { createMockEndpoint, type MockEndpoint } from '../endpoint-mock/server.js';
import type { ConnectionInfo, MockCommand, MockEndpointFaults, RecordedMessage } from '../endpoint-mock/types.js';
import type { ConnectRequest } from '../protocol/index.js';
import { createLogger } from '../logger.js';
import { action, loadCliConfig, withConfigOption, type GlobalOptions } from './context.js';

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
    .option('--group <groupId>', 'server group for --write-endpoint-file')
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
    if (!parsed) throw new UsageError(`--header must be "Name: value", got ${JSON.stringify(h)}`);
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
  };
}

/** Run the mock endpoint until SIGINT/SIGTERM; returns the exit code. */
async function runMockEndpoint(flags: MockEndpointFlags): Promise<number> {
  const opts = parseFlags(flags);
  // stdout is for the readable account; pino log lines (conformance warnings included) go to log.file when set
  const { config } = loadCliConfig(flags);
  const logger = config.log.file ? createLogger({ level: config.log.level, file: config.log.file }) : undefined;
  const endpoint = await createMockEndpoint({
    maxRecorded: 100,
    ...(logger ? { logger } : {}),
    host: opts.listen.host,
    port: opts.listen.port,
    path: flags.path,
    faults: opts.faults,
    ...(opts.maxPayload !== undefined ? { maxPayload: opts.maxPayload } : {}),
    ...(flags.token !== undefined ? { token: flags.token } : {}),
    ...(flags.hostName ? { hostName: flags.hostName } : {}),
    ...(opts.cert && opts.key ? { cert: opts.cert, key: opts.key } : {}),
  });
  const out = printer(endpoint, Boolean(flags.json));
  let timer: NodeJS.Timeout | undefined;
  let rl: Interface | undefined;
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  process.once('SIGINT', stop).once('SIGTERM', stop);
  try {
    const file = flags.writeEndpointFile;
    if (file) endpoint.writeEndpointFile(file, { group: flags.group!, priority: opts.priority });
    const active = Object.entries(endpoint.faults).filter(([, v]) => v !== false && v !== 0).map(([k, v]) => (v === true ? k : `${k}=${String(v)}`));
    out.banner({
      url: endpoint.url,
      fingerprint256: endpoint.fingerprint256,
      ...(flags.token === undefined ? { token: endpoint.token } : {}),
      ...(file ? { endpointFile: file, group: flags.group, priority: opts.priority, addCommand: `nbwss endpoints add --file ${shellQuote(file)} --fingerprint ${endpoint.fingerprint256}` } : {}),
      ...(active.length > 0 ? { faults: active } : {}),
    });
    const send = (command: MockCommand) => {
      endpoint.sendCommand({ ...command, headers: { ...opts.headers, ...command.headers } }).catch((err: Error) => out.error(`COMMAND ${command.method} ${command.uri} failed: ${err.message}`));
    };
    endpoint.on('connected', () => opts.commands.forEach(send));
    if (opts.interval !== undefined && opts.commands.length > 0) {
      timer = setInterval(() => {
        if (endpoint.stats().connectedSockets > 0) opts.commands.forEach(send);
      }, opts.interval * 1000);
    }
    if (flags.commandsFromStdin) {
      rl = createInterface({ input: process.stdin });
      rl.on('line', (line) => {
        const { command, error } = parseCommandLine(line);
        if (error) out.error(error);
        else if (command && endpoint.stats().connectedSockets === 0) out.error(`no NetBackup connected: ${command.method} ${command.uri} not sent`);
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

/** Prints the endpoint's events, readable or as JSON lines. */
function printer(endpoint: MockEndpoint, json: boolean) {
  const time = () => new Date().toISOString();
  const write = (text: string) => process.stdout.write(`${text}\n`);
  const line = (text: string, obj: Record<string, unknown>) => write(json ? JSON.stringify({ time: time(), ...obj }) : `${time().slice(11, 23)} ${text}`);
  const error = (text: string) => (json ? line(text, { event: 'error', message: text }) : process.stderr.write(`nbwss: ${text}\n`));
  // A received message is printed by the event that says what was done with it (connected, notification, …),
  // else on its own; its conformance problems follow it. Those events come synchronously after 'message'.
  let pending: { record: RecordedMessage; after: (() => void)[] } | undefined;
  const printReceived = (print: () => void) => {
    const p = pending;
    pending = undefined;
    print();
    p?.after.forEach((f) => f());
  };
  const generic = (r: RecordedMessage) => () => {
    const text = r.message ? formatMessage(r.message) : `undecodable frame (${r.bytes} bytes): ${r.undecodable?.error} ${r.undecodable?.preview}`;
    line(`#${r.connectionId} ← ${text}`, { event: 'message', connectionId: r.connectionId, seq: r.seq, bytes: r.bytes, message: redactMessage(r.message), undecodable: r.undecodable });
  };
  endpoint.on('message', (record) => {
    if (pending) printReceived(generic(pending.record));
    pending = { record, after: [] };
    queueMicrotask(() => {
      if (pending?.record === record) printReceived(generic(record));
    });
  });
  endpoint.on('connection', ({ connection: c }) => line(`#${c.id} socket opened from ${c.remoteAddress}:${c.remotePort}`, { event: 'connection', connectionId: c.id, remote: `${c.remoteAddress}:${c.remotePort}` }));
  const connect = (ev: 'connected' | 'rejected', c: ConnectionInfo, request: ConnectRequest) =>
    printReceived(() => line(`#${c.id} ← ${formatMessage(request, { valid: ev === 'connected' })}`, { event: ev, connectionId: c.id, message: redactMessage(request) }));
  endpoint.on('connected', ({ connection, request }) => connect('connected', connection, request));
  endpoint.on('rejected', ({ connection, request }) => connect('rejected', connection, request));
  endpoint.on('notification', (e) => {
    const [head, ...rest] = formatMessage(e.request, { timesSeen: e.timesSeen }).split('\n');
    const act = {
      ack: endpoint.faults.ackDelayMs > 0 ? ` → ack in ${endpoint.faults.ackDelayMs} ms` : ' → ack',
      drop: ' → not acknowledged (dropAcks)',
      ignore: ' → not acknowledged (noReAck: a resend)',
      close: ' → closing (closeAfter)',
    }[e.action];
    printReceived(() => line([`#${e.connection.id} ← ${head}${act}`, ...rest].join('\n'), { event: 'notification', connectionId: e.connection.id, duplicate: e.duplicate, timesSeen: e.timesSeen, action: e.action, message: e.request }));
  });
  endpoint.on('commandSent', ({ connection: c, request }) => line(`#${c.id} → ${formatMessage(request)}`, { event: 'commandSent', connectionId: c.id, message: request }));
  endpoint.on('commandResponse', (e) => {
    const ctx = { ...(e.request ? { request: e.request.payload } : {}), ...(e.rttMs !== undefined ? { rttMs: e.rttMs } : {}) };
    const text = `#${e.connection.id} ← ${formatMessage(e.response, ctx)}${e.late ? ' (late)' : ''}\n  ${previewBody(e.response.payload.body)}`;
    printReceived(() => line(text, { event: 'commandResponse', connectionId: e.connection.id, rttMs: e.rttMs, late: e.late, request: e.request, message: e.response }));
  });
  endpoint.on('ping', ({ connection: c, answered }) => line(`#${c.id} ← ping${answered ? ' → pong' : ' (no pong: noPong)'}`, { event: 'ping', connectionId: c.id, answered }));
  endpoint.on('problem', ({ connection: c, problems, record }) => {
    const print = () => line(problems.map((p) => `#${c.id} ${formatProblem(p)}`).join('\n'), { event: 'problem', connectionId: c.id, seq: record?.seq, problems });
    if (record && pending?.record === record) pending.after.push(print);
    else print();
  });
  endpoint.on('close', ({ connection: c, code, reason, by }) => line(`#${c.id} closed ${code}${reason ? ` "${reason}"` : ''} by ${by}`, { event: 'close', connectionId: c.id, code, reason, by }));
  return {
    line,
    error,
    banner(info: Record<string, unknown>) {
      if (json) return line('', { event: 'listening', ...info });
      write('nbwss mock endpoint');
      write(`url: ${String(info.url)}`);
      write(`fingerprint: ${String(info.fingerprint256)}`);
      if (info.token) write(`token: ${String(info.token)}`);
      if (info.endpointFile) {
        write(`endpoint file: ${String(info.endpointFile)} (group ${String(info.group)}, priority ${String(info.priority)})`);
        write(`add it with: ${String(info.addCommand)}`);
      }
      if (info.faults) write(`faults: ${(info.faults as string[]).join(', ')}`);
      write('waiting for NetBackup (Ctrl-C to stop)');
    },
  };
}
