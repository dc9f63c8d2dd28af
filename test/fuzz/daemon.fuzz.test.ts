import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { CLOSE_CODES } from '../../src/connection/close-codes.js';
import { killAll, spawnNbwss } from '../helpers/cli.js';
import { daemonConfig, storeEndpoints } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';
import { startWssServer, type ServerSocket, type TestWssServer } from '../helpers/wss-server.js';
import { caseAnswered, describeCase, fuzzCase, fuzzRuns, playCase, type FuzzCase } from './frames.js';

/**
 * The fuzz suite against a real daemon process (issue 10 "Checked by"): `nbwss run` (with the in-process mock
 * NetBackup, so COMMANDs are answered) connects to a hostile wss:// endpoint every 0.1 s; each connection is one
 * case of random and mutated frames at one protocol state, ended by a probe COMMAND. The daemon must stay up, close
 * only with documented codes, keep its memory bounded (resident size read from /proc), and still answer a COMMAND
 * at the end. `FUZZ_RUNS=n` (see `npm run fuzz`) runs n cases instead of the CI default.
 */

const DOCUMENTED = new Set(Object.keys(CLOSE_CODES).map(Number));
const servers: TestWssServer[] = [];
afterEach(async () => {
  killAll();
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Resident set size of `pid`, in MiB (Linux /proc). */
function rssMiB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

describe('fuzz: a real daemon under hostile frames', () => {
  it('stays up, closes only with documented codes, keeps its memory bounded, and still answers a COMMAND', { timeout: Math.max(60_000, fuzzRuns(12) * 3_000) }, async () => {
    let current: { c: FuzzCase; n: number; end: (how: string) => void } | undefined;
    const play = (connectId: string, sock: ServerSocket) => {
      const run = current;
      if (!run) {
        sock.close(1000, 'no case');
        return;
      }
      current = undefined; // one connection per case
      const { c, n } = run;
      const answered = new Set<string>();
      sock.ws.on('message', (raw) => {
        const m = JSON.parse(raw.toString()) as { id?: string; type?: string; subType?: string };
        if (m.type !== 'COMMAND' || m.subType !== 'RESPONSE' || !m.id) return;
        answered.add(m.id);
        if (caseAnswered(c, n, answered)) sock.close(1000, 'case over');
      });
      sock.ws.on('close', (code) => run.end(answered.has(`PROBE-${n}`) ? 'alive' : String(code)));
      playCase(c, n, connectId, (data, binary = false) => sock.ws.readyState === sock.ws.OPEN && sock.ws.send(data, { binary }));
    };
    const s = await startWssServer({ host: '127.0.0.2', defaultBehaviour: { connect: (req, sock) => play(req.id, sock) } });
    servers.push(s);

    const dir = tempDir();
    const config = daemonConfig(dir);
    storeEndpoints(config, { hostName: 'hostile.test', url: s.url('/fuzz'), groupId: 'G', token: 'T', certPem: s.certPem, fingerprint256: s.fingerprint });
    const file = join(dir, 'nbwss.properties');
    const props = [
      `db.path=${config.db.path}`,
      `security.keyFile=${config.security.keyFile}`,
      'connectionInfo.period=0.1',
      'connectionInfo.handshakeTimeout=5000',
      'netbackup.mock=true',
      `netbackup.baseUrl=https://127.0.0.1:${await freePort()}`,
      'admin.listen=',
      'log.level=warn',
      `log.file=${join(dir, 'nbwss.log')}`,
    ];
    writeFileSync(file, props.join('\n') + '\n');
    const daemon = spawnNbwss(['run', '--config', file], { cwd: dir });

    let n = 0;
    const runCase = (c: FuzzCase) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`case ${describeCase(c)}: no end within 20 s\n${daemon.stderr()}`)), 20_000);
        current = { c, n: ++n, end: (how) => (clearTimeout(timer), resolve(how)) };
      });
    const warmUp = await runCase({ state: 'established', frames: [] });
    expect(warmUp).toBe('alive');
    const rssStart = rssMiB(daemon.child.pid!);
    const outcomes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fuzzCase, async (c) => {
        const how = await runCase(c as FuzzCase);
        outcomes.set(how, (outcomes.get(how) ?? 0) + 1);
        expect(how === 'alive' || DOCUMENTED.has(Number(how)), `${describeCase(c as FuzzCase)}: the daemon closed with ${how}`).toBe(true);
        expect(daemon.child.exitCode, `the daemon exited during ${describeCase(c as FuzzCase)}\n${daemon.stderr()}`).toBeNull();
      }),
      { numRuns: fuzzRuns(12), endOnFailure: true },
    );
    expect(await runCase({ state: 'mid-COMMAND', frames: [] })).toBe('alive');
    const rssEnd = rssMiB(daemon.child.pid!);
    // Bounded: what the cases allocate (frames up to 2 MiB, 100,000-deep values) is given back, not accumulated.
    expect(rssEnd, `resident memory ${rssStart.toFixed(0)} → ${rssEnd.toFixed(0)} MiB over ${n} cases`).toBeLessThan(Math.max(2 * rssStart, rssStart + 200));
    if (process.env.FUZZ_RUNS) console.log(`daemon fuzz: ${n} connections, outcomes ${JSON.stringify(Object.fromEntries(outcomes))}, RSS ${rssStart.toFixed(0)} → ${rssEnd.toFixed(0)} MiB`);
    daemon.signal('SIGTERM');
    expect(await daemon.exit).toMatchObject({ code: 0, signal: null });
  });
});
