import { formatMessage, formatProblem, previewBody, redactMessage } from '../endpoint-mock/format.js';
import type { MockEndpoint } from '../endpoint-mock/server.js';
import type { ConnectionInfo, RecordedMessage } from '../endpoint-mock/types.js';
import type { ConnectRequest } from '../protocol/index.js';

/** How `nbwss mock-endpoint` prints: JSON lines or readable text, and whether bodies are printed whole (`--full`). */
export interface PrintOptions {
  json: boolean;
  /** Print COMMAND RESPONSE bodies whole instead of their first 200 characters. */
  full: boolean;
}

/** Prints the endpoint's events, readable or as JSON lines. */
export function printer(endpoint: MockEndpoint, { json, full }: PrintOptions) {
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
    const body = full ? String(e.response.payload.body) : previewBody(e.response.payload.body);
    const text = `#${e.connection.id} ← ${formatMessage(e.response, ctx)}${e.late ? ' (late)' : ''}\n  ${body}`;
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
      if (info.stateDir) write(`state: ${String(info.stateDir)} (certificate ${String(info.certificate)})`);
      if (info.endpointFile) {
        write(`endpoint file: ${String(info.endpointFile)} (group ${String(info.group)}, priority ${String(info.priority)})`);
        write(`add it with: ${String(info.addCommand)}`);
      }
      if (info.faults) write(`faults: ${(info.faults as string[]).join(', ')}`);
      write('waiting for NetBackup (Ctrl-C to stop)');
    },
  };
}
