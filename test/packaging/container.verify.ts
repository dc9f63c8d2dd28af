import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMockEndpoint, type MockEndpoint } from '../../src/endpoint-mock/index.js';
import { pkg } from './package-json.js';
import { buildImage, IMAGE, logLine, podman, podmanOk, pollUntil, report, type BuiltImage } from './podman.js';

/**
 * `npm run verify:container` (run by .ci/run): docker/Dockerfile built with podman, then, on the running
 * container: the HEALTHCHECK gets it healthy; it runs as uid 1000 on a read-only root file system with only the data
 * volume writable; console, metrics and health answer from the host on a published port; a notification raised
 * inside reaches a mock endpoint outside (this process) and is acknowledged; SIGHUP reloads nbwss.properties;
 * SIGTERM closes the socket with 1001 and exits 0 within `podman stop -t 2`; the database and the key survive
 * removing the container and creating a new one on the same volume.
 *
 * podman schedules HEALTHCHECKs with systemd timers; a machine without systemd as PID 1 (this one) has none, so
 * the check is run as the timer would run it: `podman health check run`, which records the status.
 */

const TOKEN = 'verify-admin-token-0123456789';
const ENDPOINT_TOKEN = 'verify-endpoint-token';
const run = `${process.pid}`;
const names = { container: `nbwss-verify-${run}`, again: `nbwss-verify-${run}-again`, volume: `nbwss-verify-data-${run}` };
const work = mkdtempSync(join(tmpdir(), 'nbwss-verify-container-'));
const configFile = join(work, 'nbwss.properties');
const shared = join(work, 'shared');

let built: BuiltImage;
let port = 0;
let endpoint: MockEndpoint;
let seq = 0;

function properties(extra: string[] = []): string {
  return [
    '# nbwss.properties of the container verification (bind-mounted read-only at /etc/nbwss/nbwss.properties)',
    'admin.listen=0.0.0.0:9464',
    `admin.token=${TOKEN}`,
    'connectionInfo.period=1',
    'notification.delay=0',
    'notification.scheduledRate=1',
    'log.level=info',
    ...extra,
    '',
  ].join('\n');
}

/** A free TCP port on the host's loopback, for `-p 127.0.0.1:PORT:9464`. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = s.address() as { port: number };
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

/** Start the daemon container on the data volume (the same command line each time). */
async function startContainer(name: string): Promise<void> {
  await podmanOk([
    'run', '-d', '--name', name, '--read-only',
    '-v', `${names.volume}:/var/lib/nbwss`,
    '-v', `${configFile}:/etc/nbwss/nbwss.properties:ro`,
    '-v', `${shared}:/verify:ro`,
    '-p', `127.0.0.1:${port}:9464`,
    IMAGE,
  ]);
}

async function inside(name: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return podman(['exec', name, ...args]);
}

async function groupStatus(name: string): Promise<{ cursor: number; backlog: number } | undefined> {
  const r = await inside(name, ['nbwss', 'status', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const status = JSON.parse(r.stdout) as { groups: { groupId: string; cursor: number; backlog: number }[] };
  return status.groups.find((g) => g.groupId === 'VERIFY');
}

beforeAll(async () => {
  built = await buildImage();
  port = await freePort();
  mkdirSync(shared);
  writeFileSync(configFile, properties());
  chmodSync(configFile, 0o644);
  chmodSync(work, 0o755);
  // The mock endpoint listens on podman's bridge gateway, which containers reach as host.containers.internal.
  const gateway = (await podmanOk(['network', 'inspect', 'podman', '--format', '{{range .Subnets}}{{.Gateway}}{{end}}'])).trim();
  expect(gateway).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  await podman(['volume', 'rm', '-f', names.volume]);
  await podmanOk(['volume', 'create', names.volume]);
  // Start the container before the endpoint: the bridge (and its gateway address) exists once a container uses it.
  await startContainer(names.container);
  endpoint = await createMockEndpoint({ host: gateway, hostName: 'host.containers.internal', token: ENDPOINT_TOKEN });
  endpoint.writeEndpointFile(join(shared, 'endpoint.json'), { group: 'VERIFY', priority: 1 });
  chmodSync(join(shared, 'endpoint.json'), 0o644);
});

afterAll(async () => {
  await endpoint?.close({ terminate: true });
  for (const c of [names.container, names.again]) await podman(['rm', '-f', '-t', '0', c]);
  await podman(['volume', 'rm', '-f', names.volume]);
  rmSync(work, { recursive: true, force: true });
});

describe('the image', () => {
  it('carries the OCI labels, a 15 s HEALTHCHECK, one volume (the data) and the non-root user', async () => {
    const config = JSON.parse(await podmanOk(['image', 'inspect', '--format', '{{json .Config}}', IMAGE])) as {
      Labels: Record<string, string>;
      Volumes: Record<string, unknown>;
      User: string;
      ExposedPorts: Record<string, unknown>;
      Env: string[];
    };
    expect(config.Labels).toMatchObject({
      'org.opencontainers.image.version': pkg.version,
      'org.opencontainers.image.revision': built.revision,
      'org.opencontainers.image.source': built.source,
      'org.opencontainers.image.licenses': 'MIT',
    });
    // HEALTHCHECK is a docker-format field: there only because the build used --format docker.
    const healthcheck = JSON.parse(await podmanOk(['image', 'inspect', '--format', '{{json .Config.Healthcheck}}', IMAGE])) as { Test: string[]; Interval: number };
    expect(healthcheck.Test).toEqual(['CMD', 'node', '/opt/nbwss/dist/cli/main.js', 'healthcheck']);
    expect(healthcheck.Interval).toBe(15e9);
    expect(Object.keys(config.Volumes)).toEqual(['/var/lib/nbwss']);
    expect(config.User).toBe('node');
    expect(Object.keys(config.ExposedPorts)).toEqual(['9464/tcp']);
    expect(config.Env).toContain('NODE_VERSION=' + (await podmanOk(['run', '--rm', '--entrypoint', 'node', IMAGE, '-p', 'process.versions.node'])).trim());
  });

  it('holds no CA certificate from the build: npm has no cafile, and the secret left no file', async () => {
    const r = await podmanOk(['run', '--rm', '--entrypoint', 'sh', IMAGE, '-c', 'npm config get cafile; find / -xdev -name npm_ca 2>/dev/null | wc -l']);
    expect(r.split('\n').slice(0, 2)).toEqual([expect.stringMatching(/^(null|undefined)$/), '0']);
  });

  it('runs the Node that compiled its native module (one NODE_VERSION for every stage)', async () => {
    const r = await podmanOk(['run', '--rm', '--entrypoint', 'node', IMAGE, '-e', "new (require('/opt/nbwss/node_modules/better-sqlite3'))(':memory:'); console.log(process.versions.node.split('.')[0])"]);
    expect(r.trim()).toBe('24');
  });
});

describe('the running container', () => {
  it('its HEALTHCHECK gets it healthy', async () => {
    expect((await podmanOk(['inspect', '--format', '{{.State.Health.Status}}', names.container])).trim()).toMatch(/^(starting|healthy)$/);
    await logLine(names.container, /"msg":"admin API listening"/);
    const started = Date.now();
    const check = await podman(['healthcheck', 'run', names.container]);
    report('first HEALTHCHECK after the admin API listens', Date.now() - started);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect((await podmanOk(['inspect', '--format', '{{.State.Health.Status}}', names.container])).trim()).toBe('healthy');
  });

  it('runs as uid 1000 on a read-only root; only the data volume is writable; no anonymous volume', async () => {
    expect((await inside(names.container, ['id', '-u'])).stdout.trim()).toBe('1000');
    expect((await podmanOk(['inspect', '--format', '{{.HostConfig.ReadonlyRootfs}}', names.container])).trim()).toBe('true');
    const denied = await inside(names.container, ['sh', '-c', 'touch /opt/nbwss/probe']);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/Read-only file system/);
    expect((await inside(names.container, ['sh', '-c', 'touch /etc/nbwss/probe'])).code).not.toBe(0);
    const writable = await inside(names.container, ['sh', '-c', 'touch /var/lib/nbwss/probe && rm /var/lib/nbwss/probe && ls /var/lib/nbwss']);
    expect(writable.code, writable.stderr).toBe(0);
    expect(writable.stdout.split('\n')).toEqual(expect.arrayContaining(['nbwss.db', 'nbwss.key']));
    const mounts = JSON.parse(await podmanOk(['inspect', '--format', '{{json .Mounts}}', names.container])) as { Type: string; Name?: string; Destination: string }[];
    expect(mounts.map((m) => m.Destination).sort()).toEqual(['/etc/nbwss/nbwss.properties', '/var/lib/nbwss', '/verify']);
    expect(mounts.find((m) => m.Destination === '/var/lib/nbwss')?.Name).toBe(names.volume);
  });

  it('answers the host on the published port: health without the token (status only), metrics and console with it', async () => {
    const base = `http://127.0.0.1:${port}`;
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', checks: { store: { ok: true } } });
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const metrics = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^nbwss_/m);
    const console = await fetch(`${base}/`, { headers: { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` } });
    expect(console.status).toBe(200);
    expect(console.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('a notification raised inside reaches the mock endpoint outside and is acknowledged', async () => {
    const connected = endpoint.waitFor('connected', () => true, 30_000);
    const added = await inside(names.container, ['nbwss', 'endpoints', 'add', '--file', '/verify/endpoint.json', '--fingerprint', endpoint.fingerprint256]);
    expect(added.code, added.stderr).toBe(0);
    await connected;

    const job = { jobId: 146, parentJobId: 145, jobType: 'BACKUP', state: 'DONE', status: 0, startTime: 1459829698, policyName: 'vmware2', policyType: 'VMWARE', scheduleType: 'ST_FULL', clientName: 'DummyTestVM' };
    const delivered = endpoint.waitFor('notification', () => true, 30_000);
    const acknowledged = endpoint.waitFor('acknowledged', () => true, 30_000);
    const raised = await inside(names.container, ['nbwss', 'notify', '--object', 'JOB', '--data', JSON.stringify(job)]);
    expect(raised.code, raised.stderr).toBe(0);
    seq = Number(/seq (\d+)/.exec(raised.stdout)?.[1]);
    expect(seq).toBeGreaterThan(0);
    const notification = await delivered;
    expect(JSON.stringify(notification)).toContain('"jobId":146');
    await acknowledged;
    // The daemon commits the acknowledgement: the group's cursor reaches the raised seq, nothing is left.
    const group = await pollUntil('the cursor of group VERIFY at the raised seq', async () => JSON.stringify((await groupStatus(names.container)) ?? null), (t) => {
      const g = JSON.parse(t) as { cursor: number } | null;
      return g && g.cursor >= seq ? g : undefined;
    });
    expect(group).toMatchObject({ cursor: seq, backlog: 0 });
  });

  it('SIGHUP reloads nbwss.properties without dropping the connection', async () => {
    writeFileSync(configFile, properties(['log.level=debug'])); // in place: the bind mount follows the inode
    await podmanOk(['kill', '--signal', 'HUP', names.container]);
    const line = await logLine(names.container, /"msg":"configuration reloaded/);
    expect(JSON.parse(line)).toMatchObject({ applied: ['log.level'] });
    expect(endpoint.stats()).toMatchObject({ connectedSockets: 1, totalConnections: 1 });
  });

  it('SIGTERM closes the socket with 1001 and exits 0 within `podman stop -t 2`', async () => {
    const closed = endpoint.waitFor('close', () => true, 10_000);
    const stop = await podman(['stop', '-t', '2', names.container]);
    report('podman stop (SIGTERM) to exited', stop.ms);
    expect(stop.code, stop.stderr).toBe(0);
    expect(await closed).toMatchObject({ code: 1001 });
    // Had it outlived the 2 s, podman would have sent SIGKILL: exit code 137.
    expect((await podmanOk(['inspect', '--format', '{{.State.ExitCode}}', names.container])).trim()).toBe('0');
    expect((await podmanOk(['logs', names.container])).trim().split('\n').pop()).toMatch(/"msg":"daemon stopped"/);
  });

  it('the database and the key survive removing the container and creating a new one on the same volume', async () => {
    await podmanOk(['rm', names.container]);
    const reconnected = endpoint.waitFor('connected', () => true, 30_000);
    await startContainer(names.again);
    // The stored endpoint's token is decrypted with the kept key: the new container connects by itself.
    await reconnected;
    const list = JSON.parse((await inside(names.again, ['nbwss', 'endpoints', 'list', '--json'])).stdout) as { hostName: string; groupId: string }[];
    expect(list).toEqual([expect.objectContaining({ hostName: 'host.containers.internal', groupId: 'VERIFY' })]);
    expect(await groupStatus(names.again)).toMatchObject({ cursor: seq, backlog: 0 });
    expect(endpoint.stats().totalConnections).toBe(2);
    const stop = await podman(['stop', '-t', '2', names.again]);
    expect(stop.code).toBe(0);
    expect((await podmanOk(['inspect', '--format', '{{.State.ExitCode}}', names.again])).trim()).toBe('0');
  });
});
