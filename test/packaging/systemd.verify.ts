import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMockEndpoint, type MockEndpoint } from '../../src/endpoint-mock/index.js';
import { root } from './package-json.js';
import { buildImage, firstLine, IMAGE, NODE_VERSION, podman, podmanOk, pollUntil, report } from './podman.js';

/**
 * `npm run verify:systemd` (run by .ci/run): docker/nbwss.service under a real systemd, PID 1 of a podman container
 * (`--systemd=always`) from a Debian bookworm image with systemd installed, the app in /opt/nbwss and the user from
 * docker/nbwss.sysusers.conf, as docs/service.md installs them. It proves: `systemctl start` returns once the daemon
 * serves (Type=notify); the hardening is in force on the running process (user, no capabilities, no new privileges,
 * seccomp, read-only root with only /var/lib/nbwss writable, private /tmp) and the daemon works under it (a pinned
 * wss:// connection to a mock endpoint outside, a notification delivered and acknowledged); `systemctl reload`
 * reloads without dropping the connection; a killed daemon is restarted (Restart=on-failure); `systemctl stop`
 * closes the socket with 1001 and the unit ends with status 0.
 *
 * `--cap-add SYS_ADMIN`: systemd needs it to build the service's mount namespace (ProtectSystem, PrivateTmp, …), as
 * PID 1 of a real machine has it; without it systemd skips those settings in a container, and the check would prove
 * less. The container's own seccomp profile and the other capabilities stay podman's defaults.
 */

const name = `nbwss-verify-systemd-${process.pid}`;
const SYSTEMD_IMAGE = 'localhost/nbwss-systemd-verify:local';
const work = mkdtempSync(join(tmpdir(), 'nbwss-verify-systemd-'));
const ENDPOINT_TOKEN = 'verify-systemd-token';
const SERVICE_ENV = ['NBWSS_CONFIG=/etc/nbwss/nbwss.properties', 'NBWSS_DB_PATH=/var/lib/nbwss/nbwss.db', 'NBWSS_SECURITY_KEYFILE=/var/lib/nbwss/nbwss.key'];

let endpoint: MockEndpoint;

/** `podman exec` in the systemd container, as root. */
const sh = (script: string) => podman(['exec', name, 'sh', '-c', script]);
async function shOk(script: string): Promise<string> {
  const r = await sh(script);
  if (r.code !== 0) throw new Error(`${script} failed (exit ${r.code}):\n${r.stdout}${r.stderr}`);
  return r.stdout.trim();
}
/** A CLI command as the service user, with the unit's environment (docs/service.md, "Run the other commands"). */
const asService = (args: string) => sh(`runuser -u nbwss -- env ${SERVICE_ENV.join(' ')} node /opt/nbwss/dist/cli/main.js ${args}`);

/** `systemctl show nbwss` properties. */
async function unit(...properties: string[]): Promise<Record<string, string>> {
  const out = await shOk(`systemctl show nbwss ${properties.map((p) => `-p ${p}`).join(' ')}`);
  return Object.fromEntries(out.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** The first line of the unit's journal (messages only) matching `pattern`, once there is one. */
const journal = (pattern: RegExp, timeoutMs = 30_000) =>
  pollUntil(`a journal line of nbwss.service matching ${pattern}`, async () => (await sh('journalctl -u nbwss --no-pager -o cat')).stdout, (t) => firstLine(t, pattern), timeoutMs);

/** Polls `check` until it returns true. */
const until = (what: string, check: () => Promise<boolean>, timeoutMs = 30_000) => pollUntil(what, async () => String(await check()), (t) => (t === 'true' ? true : undefined), timeoutMs);

function properties(extra: string[] = []): string {
  return ['admin.listen=127.0.0.1:9464', 'connectionInfo.period=1', 'notification.delay=0', 'notification.scheduledRate=1', 'log.level=info', ...extra, ''].join('\n');
}

beforeAll(async () => {
  await buildImage();
  // The image: Debian bookworm (the node:24-bookworm-slim base) with systemd as init; /opt/nbwss from the nbwss image
  // (npm ci --omit=dev and better-sqlite3 built for this Node); node at /usr/bin/node, where the unit expects it.
  for (const f of ['docker/nbwss.service', 'docker/nbwss.sysusers.conf']) copyFileSync(root(f), join(work, f.split('/')[1]!));
  writeFileSync(join(work, 'nbwss.properties'), properties());
  writeFileSync(
    join(work, 'Containerfile'),
    [
      `FROM ${IMAGE} AS app`,
      `FROM docker.io/library/node:${NODE_VERSION}-bookworm-slim`,
      'RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd systemd-sysv >/dev/null \\',
      ' && rm -rf /var/lib/apt/lists/* && ln -s /usr/local/bin/node /usr/bin/node',
      'COPY --from=app /opt/nbwss /opt/nbwss',
      'COPY nbwss.service /etc/systemd/system/nbwss.service',
      'COPY nbwss.sysusers.conf /usr/lib/sysusers.d/nbwss.conf',
      'COPY nbwss.properties /etc/nbwss/nbwss.properties',
      'CMD ["/lib/systemd/systemd"]',
      '',
    ].join('\n'),
  );
  const build = await podman(['build', '--network', 'host', '-t', SYSTEMD_IMAGE, work], { timeoutMs: 10 * 60_000 });
  report('podman build (Debian + systemd + /opt/nbwss)', build.ms);
  if (build.code !== 0) throw new Error(`podman build failed:\n${(build.stdout + build.stderr).slice(-4000)}`);

  const started = Date.now();
  await podmanOk(['run', '-d', '--name', name, '--systemd=always', '--cap-add', 'SYS_ADMIN', SYSTEMD_IMAGE]);
  // Until systemd answers on its bus, systemctl fails; then --wait returns once the boot is over.
  let state = '';
  await until('systemd booted', async () => {
    state = (await sh('systemctl is-system-running --wait')).stdout.trim();
    return state !== '' && state !== 'starting' && state !== 'initializing';
  });
  report(`systemd boot to "${state}"`, Date.now() - started);
  expect(state, (await sh('systemctl --failed --no-pager')).stdout).toBe('running');

  const gateway = (await podmanOk(['network', 'inspect', 'podman', '--format', '{{range .Subnets}}{{.Gateway}}{{end}}'])).trim();
  endpoint = await createMockEndpoint({ host: gateway, hostName: 'host.containers.internal', token: ENDPOINT_TOKEN });
  endpoint.writeEndpointFile(join(work, 'endpoint.json'), { group: 'SYSTEMD', priority: 1 });
  await podmanOk(['cp', join(work, 'endpoint.json'), `${name}:/tmp/endpoint.json`]);
  await shOk('chmod 644 /tmp/endpoint.json');
});

afterAll(async () => {
  await endpoint?.close({ terminate: true });
  await podman(['rm', '-f', '-t', '0', name]);
  rmSync(work, { recursive: true, force: true });
});

describe('docker/nbwss.service under systemd', () => {
  it('the user comes from nbwss.sysusers.conf (systemd-sysusers at boot)', async () => {
    expect(await shOk('getent passwd nbwss')).toMatch(/^nbwss:x:\d+:\d+:nbwss daemon:\/var\/lib\/nbwss:/);
  });

  it('systemctl start returns once the daemon serves (Type=notify): active, and the admin API answers at once', async () => {
    const start = await sh('systemctl start nbwss');
    report('systemctl start nbwss (to READY=1)', start.ms);
    expect(start.code, start.stderr).toBe(0);
    expect(await unit('Type', 'ActiveState', 'SubState', 'NotifyAccess')).toEqual({ Type: 'notify', ActiveState: 'active', SubState: 'running', NotifyAccess: 'all' });
    // No wait: readiness was reported after the database, the admin API and the connection task were up.
    const health = await sh(`env ${SERVICE_ENV.join(' ')} node /opt/nbwss/dist/cli/main.js healthcheck --ready`);
    expect(health.code, health.stderr).toBe(0);
    await journal(/"msg":"service manager notified: READY=1"/);
  });

  it('the hardening is in force on the running daemon', async () => {
    const { MainPID: pid } = await unit('MainPID');
    const status = await shOk(`cat /proc/${pid}/status`);
    const field = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(status)?.[1];
    const uid = await shOk('id -u nbwss');
    expect(field('Uid')?.split(/\s+/)).toEqual([uid, uid, uid, uid]);
    expect(field('NoNewPrivs')).toBe('1');
    expect(field('Seccomp')).toBe('2');
    expect(field('CapBnd')).toBe('0000000000000000');
    expect(field('CapEff')).toBe('0000000000000000');
    const mounts = (await shOk(`cat /proc/${pid}/mountinfo`)).split('\n').map((l) => l.split(' '));
    const options = (point: string) => mounts.find((m) => m[4] === point)?.[5] ?? '';
    expect(options('/')).toMatch(/^ro\b/); // ProtectSystem=strict
    expect(options('/var/lib/nbwss')).toMatch(/^rw\b/); // StateDirectory, the one writable place
    expect(mounts.some((m) => m[4] === '/tmp')).toBe(true); // PrivateTmp
    const security = await sh('systemd-analyze security nbwss --no-pager | tail -1');
    console.log(`verify: ${security.stdout.trim()}`);
    expect(security.stdout).toMatch(/Overall exposure level for nbwss\.service: [\d.]+ OK/);
  });

  it('under that hardening it connects to an endpoint outside and delivers a notification, acknowledged', async () => {
    const connected = endpoint.waitFor('connected', () => true, 30_000);
    const added = await asService(`endpoints add --file /tmp/endpoint.json --fingerprint ${endpoint.fingerprint256}`);
    expect(added.code, added.stderr).toBe(0);
    await connected;
    const acknowledged = endpoint.waitFor('acknowledged', () => true, 30_000);
    const job = { jobId: 146, parentJobId: 145, jobType: 'BACKUP', state: 'DONE', status: 0, startTime: 1459829698, policyName: 'p', policyType: 'VMWARE', scheduleType: 'ST_FULL', clientName: 'vm1' };
    const raised = await asService(`notify --object JOB --data '${JSON.stringify(job)}'`);
    expect(raised.code, raised.stderr).toBe(0);
    await acknowledged;
  });

  it('systemctl reload re-reads nbwss.properties without dropping the connection', async () => {
    await shOk(`printf '%s' '${properties(['log.level=debug'])}' > /etc/nbwss/nbwss.properties`);
    const reload = await sh('systemctl reload nbwss');
    expect(reload.code, `${reload.stderr}${(await sh('journalctl -u nbwss --no-pager -n 20')).stdout}`).toBe(0);
    expect(JSON.parse(await journal(/"msg":"configuration reloaded/))).toMatchObject({ applied: ['log.level'] });
    expect(endpoint.stats()).toMatchObject({ totalConnections: 1, connectedSockets: 1 });
    expect((await unit('ActiveState')).ActiveState).toBe('active');
  });

  it('a killed daemon is started again (Restart=on-failure) and reconnects', async () => {
    const { MainPID: before } = await unit('MainPID');
    const reconnected = endpoint.waitFor('connected', () => true, 30_000);
    await shOk('systemctl kill --signal=KILL nbwss');
    await until('nbwss.service active again with a new main PID', async () => {
      const u = await unit('ActiveState', 'MainPID');
      return u.ActiveState === 'active' && u.MainPID !== before && u.MainPID !== '0';
    });
    expect((await unit('NRestarts')).NRestarts).toBe('1');
    await reconnected;
  });

  it('systemctl stop closes the socket with 1001; the unit ends inactive with status 0', async () => {
    const closed = endpoint.waitFor('close', () => true, 15_000);
    const stop = await sh('systemctl stop nbwss');
    report('systemctl stop nbwss', stop.ms);
    expect(stop.code, stop.stderr).toBe(0);
    expect(await closed).toMatchObject({ code: 1001 });
    expect(await unit('ActiveState', 'Result', 'ExecMainStatus')).toEqual({ ActiveState: 'inactive', Result: 'success', ExecMainStatus: '0' });
  });
});
