import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandProxy } from '../../src/commands/proxy.js';
import { loadConfig } from '../../src/config/index.js';
import { Router } from '../../src/connection/channel.js';
import { CLOSE_CODES } from '../../src/connection/close-codes.js';
import { EndpointConnection, type CloseInfo } from '../../src/connection/endpoint-connection.js';
import { silentLogger } from '../../src/logger.js';
import type { ServerSocket, TestWssServer } from '../helpers/wss-server.js';
import { startWssServer } from '../helpers/wss-server.js';
import { caseAnswered, describeCase, fuzzCase, fuzzRuns, playCase, type FuzzCase } from './frames.js';

/**
 * The fuzz suite, in process (issue 10 "Checked by"): a real wss:// endpoint sends random and mutated frames at a
 * real EndpointConnection whose routes are the real COMMAND proxy (to a real HTTP NetBackup) and a NOTIFICATION
 * RESPONSE handler, at each protocol state. Each case ends with a probe COMMAND: the connection either answers it
 * (it survived: the COMMAND in flight is answered too) or closes with one of the documented codes, on both sides.
 * CI runs a few dozen cases; `FUZZ_RUNS=2000 npx vitest run test/fuzz` (or `npm run fuzz`) runs more. `FUZZ_SEED`
 * replays a seed printed by a failure.
 */

const DOCUMENTED = new Set(Object.keys(CLOSE_CODES).map(Number));
let endpoint: TestWssServer;
let netbackup: Server;
let proxy: CommandProxy;
const router = new Router();
const acks: string[] = [];

beforeAll(async () => {
  netbackup = createServer((req, res) => res.end(JSON.stringify({ path: req.url })));
  await new Promise<void>((r) => netbackup.listen(0, '127.0.0.1', r));
  const { config } = loadConfig({ env: {}, cwd: '/nonexistent', overrides: { 'netbackup.baseUrl': `http://127.0.0.1:${(netbackup.address() as AddressInfo).port}` } });
  proxy = new CommandProxy({ config: () => config, logger: silentLogger() });
  router.on('COMMAND', 'REQUEST', proxy.handle);
  router.on('NOTIFICATION', 'RESPONSE', (m) => acks.push(m.id));
  endpoint = await startWssServer({ defaultBehaviour: { connect: (req, sock) => play(req.id, sock) } });
});
afterAll(async () => {
  await proxy.close();
  await endpoint.stop();
  await new Promise((r) => netbackup.close(r));
});

let current: { c: FuzzCase; n: number; answered: Set<string>; done: () => void; serverClosed: (code: number) => void } | undefined;

/** The hostile endpoint's side of one case, from the CONNECT REQUEST on. */
function play(connectId: string, sock: ServerSocket): void {
  const run = current!;
  const { c, n } = run;
  sock.ws.on('message', (raw) => {
    const m = JSON.parse(raw.toString()) as { id?: string; type?: string; subType?: string };
    if (m.type === 'COMMAND' && m.subType === 'RESPONSE' && m.id) {
      run.answered.add(m.id);
      if (caseAnswered(c, n, run.answered)) run.done();
    }
  });
  sock.ws.on('close', (code) => run.serverClosed(code));
  playCase(c, n, connectId, (data, binary = false) => sock.ws.readyState === sock.ws.OPEN && sock.ws.send(data, { binary }));
}

let caseNumber = 0;
const outcomes = new Map<string, number>();

/** Run one case; returns how the connection ended (undefined: it survived and answered the probe). */
async function runCase(c: FuzzCase, ignoreDecoder: boolean): Promise<void> {
  const n = ++caseNumber;
  let done!: () => void;
  const alive = new Promise<'alive'>((resolve) => (done = () => resolve('alive')));
  let serverClosed!: (code: number) => void;
  const serverClose = new Promise<number>((resolve) => (serverClosed = resolve));
  current = { c, n, answered: new Set(), done, serverClosed };
  const conn = new EndpointConnection({
    handshakeTimeoutMs: 5000,
    keepAliveIntervalMs: 60_000,
    maxPongMissAllowed: 3,
    ignoreDecoder,
    closeTimeoutMs: 1000,
    endpoint: { hostName: endpoint.host, url: endpoint.url('/fuzz'), groupId: 'G', priority: 1, certPem: endpoint.certPem, certFingerprint: endpoint.fingerprint, caPem: null },
    token: 'T',
    router,
  });
  conn.connect().catch(() => undefined);
  const outcome = await Promise.race([alive, conn.closed]);
  const what = describeCase(c) + (ignoreDecoder ? ' [ignoreDecoder]' : '');
  let info: CloseInfo;
  if (outcome === 'alive') {
    expect(conn.isOpen, what).toBe(true);
    info = await conn.close({ code: 1000, reason: 'case over' });
  } else {
    info = outcome;
    expect(info.initiator, `${what}: closed by ${info.initiator} ${info.code} ${info.reason}`).toBe('local');
    expect(DOCUMENTED.has(info.code), `${what}: close code ${info.code} (${info.reason}) is not documented`).toBe(true);
  }
  // The endpoint's view of the close (1006 when terminated without a close frame).
  const seen = await serverClose;
  expect(DOCUMENTED.has(seen), `${what}: the endpoint saw close code ${seen}`).toBe(true);
  outcomes.set(outcome === 'alive' ? 'alive' : String(info.code), (outcomes.get(outcome === 'alive' ? 'alive' : String(info.code)) ?? 0) + 1);
  expect(proxy.load(conn.connectionId), `${what}: COMMANDs left behind`).toEqual({ active: 0, queued: 0 });
}

describe('fuzz: hostile frames at each protocol state close at most their own connection, with a documented code', () => {
  const runs = fuzzRuns(40);
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
  it(`${runs} random cases (exception.ignoreDecoder false and true)`, { timeout: Math.max(30_000, runs * 2_000) }, async () => {
    await fc.assert(
      fc.asyncProperty(fuzzCase, fc.boolean(), (c, ignore) => runCase(c as FuzzCase, ignore)),
      { numRuns: runs, ...(seed === undefined ? {} : { seed }), endOnFailure: process.env.CI !== undefined },
    );
    // The process is alive and a well-behaved case still works end to end.
    await runCase({ state: 'mid-COMMAND', frames: [{ data: '{"version":"1.0","id":"OK","type":"NOTIFICATION","subType":"RESPONSE","timeStamp":1,"payload":[]}', binary: false, label: 'ack' }] }, false);
    expect(acks).toContain('OK');
    if (process.env.FUZZ_RUNS) console.log(`connection fuzz: ${caseNumber} cases, outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`);
  });
});
