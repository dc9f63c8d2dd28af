import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from './package-json.js';
import { buildImage, exec, logOnce, podman, podmanOk, report } from './podman.js';

/**
 * docker/compose.yaml brought up with podman-compose (Debian's), as `npm run verify:container` does: the stack
 * comes up; the mock endpoint's first login COMMAND succeeds (201: the daemon started once the mock NetBackup
 * answered); the endpoint acknowledges notifications; a second `up` presents the same certificate (the mock endpoint
 * keeps it in its volume: `--state-dir`), and add-endpoint runs `endpoints update` on the existing endpoint, which
 * finds nothing to change, instead of deleting and re-adding it, so the endpoint record and the group's cursor stay.
 */

const project = `nbwss-verify-${process.pid}`;
const container = (service: string) => `${project}_${service}_1`;
const compose = (...args: string[]) => exec('podman-compose', ['-p', project, '-f', root('docker/compose.yaml'), ...args], { timeoutMs: 10 * 60_000 });

interface EndpointRow {
  hostName: string;
  groupId: string;
  createdAt?: string;
  fingerprint?: string;
}
interface GroupRow {
  groupId: string;
  cursor: number;
}

/** The endpoints, the one named `endpoint` in detail (its creation time), and the COMPOSE group's delivery. */
async function state(): Promise<{ endpoints: EndpointRow[]; endpoint: EndpointRow; group: GroupRow | undefined }> {
  const nbwss = (...args: string[]) => podmanOk(['exec', container('nbwss'), 'nbwss', ...args]);
  const endpoints = JSON.parse(await nbwss('endpoints', 'list', '--json')) as EndpointRow[];
  const endpoint = JSON.parse(await nbwss('endpoints', 'show', 'endpoint', '--json')) as EndpointRow;
  const status = JSON.parse(await nbwss('status', '--json')) as { groups: GroupRow[] };
  return { endpoints, endpoint, group: status.groups.find((g) => g.groupId === 'COMPOSE') };
}

/** How long a service may take to log what is waited for (the first start pulls nothing, but shares 2 cores). */
const WAIT_MS = 90_000;
const LOGIN_OK = /COMMAND RESPONSE \S+ 201 .* ← POST \/netbackup\/login/;
const ACKED = /NOTIFICATION REQUEST .* → ack/;
let first: Awaited<ReturnType<typeof state>>;

beforeAll(async () => {
  await buildImage();
  const version = await exec('podman-compose', ['--version']);
  if (version.code !== 0) throw new Error('podman-compose is missing: docker/podman-setup.sh installs it (apt-get install podman-compose)');
});

afterAll(async () => {
  await compose('down', '-v');
  await podman(['network', 'rm', '-f', `${project}_default`]);
});

describe('docker/compose.yaml with podman-compose', () => {
  it('comes up: the first login COMMAND succeeds and notifications are acknowledged', async () => {
    const up = await compose('up', '-d');
    report('podman-compose up -d', up.ms);
    expect(up.code, up.stdout.slice(-3000) + up.stderr.slice(-3000)).toBe(0);
    const started = Date.now();
    const log = await logOnce(container('endpoint'), ACKED, WAIT_MS);
    report('up to the first acknowledged notification', Date.now() - started);
    // The first COMMAND of the connection is the login; it went through to the mock NetBackup.
    const firstCommand = /COMMAND RESPONSE \S+ (\d{3}) .* ← POST \/netbackup\/login/.exec(log);
    expect(firstCommand?.[1], log.slice(-3000)).toBe('201');
    expect(await logOnce(container('add-endpoint'), /Added endpoint \(group COMPOSE/, WAIT_MS)).not.toMatch(/delete/i);
    first = await state();
    expect(first.endpoints).toEqual([expect.objectContaining({ hostName: 'endpoint', groupId: 'COMPOSE' })]);
  });

  it("the daemon's HEALTHCHECK (as podman-compose passes it) reports healthy", async () => {
    const check = await podman(['healthcheck', 'run', container('nbwss')]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });

  it('a second up keeps the certificate and the endpoint in place: same record and pin, the cursor kept, login 201 again', async () => {
    const down = await compose('down');
    expect(down.code).toBe(0);
    const up = await compose('up', '-d');
    report('podman-compose down, up -d again', down.ms + up.ms);
    expect(up.code).toBe(0);
    const updated = await logOnce(container('add-endpoint'), /Nothing changed: endpoint already has these settings/, WAIT_MS);
    expect(updated).not.toMatch(/Added endpoint|Deleted/);
    const log = await logOnce(container('endpoint'), LOGIN_OK, WAIT_MS);
    expect(/COMMAND RESPONSE \S+ (\d{3}) .* ← POST \/netbackup\/login/.exec(log)?.[1]).toBe('201');
    await logOnce(container('endpoint'), ACKED, WAIT_MS);
    const again = await state();
    expect(again.endpoints).toEqual([expect.objectContaining({ hostName: 'endpoint', groupId: 'COMPOSE' })]);
    // The same record, updated: not deleted and added again.
    expect(first.endpoint.createdAt).toMatch(/^\d{4}-/);
    expect(again.endpoint.createdAt).toBe(first.endpoint.createdAt);
    expect(first.endpoint.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(again.endpoint.fingerprint).toBe(first.endpoint.fingerprint);
    expect(again.group!.cursor).toBeGreaterThanOrEqual(first.group!.cursor);
  });
});
