import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MAIN, runCli } from '../helpers/cli.js';

/**
 * docker/Dockerfile and docker/compose.yaml checked for drift against the repository, quickly (the image itself is
 * built and run by `npm run verify:container`): every file the Dockerfile copies exists, every npm script it runs is
 * defined, every stage follows one NODE_VERSION, the version label is the package's, and every nbwss command and
 * flag compose.yaml uses is one the built CLI knows.
 */

const root = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const dockerfile = readFileSync(root('docker/Dockerfile'), 'utf8');
const compose = readFileSync(root('docker/compose.yaml'), 'utf8');

async function help(...args: string[]): Promise<string> {
  const r = await runCli([...args, '--help']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

describe('docker/Dockerfile', () => {
  it('copies only files that exist', () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'src', 'migrations', 'public', 'config/nbwss.properties']));
    for (const s of sources) expect(existsSync(root(s)), s).toBe(true);
  });

  it('runs npm scripts that exist and starts what the build produces', async () => {
    const scripts = (JSON.parse(readFileSync(root('package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const m of dockerfile.matchAll(/npm run ([\w:]+)/g)) expect(scripts[m[1]!], m[1]).toBeDefined();
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "\/opt\/nbwss\/dist\/cli\/main\.js"\]$/m);
    expect(existsSync(MAIN)).toBe(true);
    expect(await help()).toMatch(/\brun\b[\s\S]*\bhealthcheck\b/);
  });

  it('builds every stage from one NODE_VERSION, each base pinnable by digest', () => {
    const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]!);
    expect(froms).toEqual([
      'node:${NODE_VERSION}-bookworm${BUILD_IMAGE_DIGEST:+@}${BUILD_IMAGE_DIGEST}',
      'node:${NODE_VERSION}-bookworm${BUILD_IMAGE_DIGEST:+@}${BUILD_IMAGE_DIGEST}',
      'node:${NODE_VERSION}-bookworm-slim${RUNTIME_IMAGE_DIGEST:+@}${RUNTIME_IMAGE_DIGEST}',
    ]);
    expect(dockerfile).toMatch(/^ARG NODE_VERSION=24$/m);
    expect(dockerfile).toMatch(/^ARG BUILD_IMAGE_DIGEST=$/m);
    expect(dockerfile).toMatch(/^ARG RUNTIME_IMAGE_DIGEST=$/m);
  });

  it('labels the image with the package version, and has one volume (data), a 15 s HEALTHCHECK', () => {
    const version = (JSON.parse(readFileSync(root('package.json'), 'utf8')) as { version: string }).version;
    expect(dockerfile).toContain(`ARG VERSION=${version}`);
    for (const label of ['version', 'revision', 'source']) expect(dockerfile).toMatch(new RegExp(`org\\.opencontainers\\.image\\.${label}="\\$\\{\\w+\\}"`));
    expect([...dockerfile.matchAll(/^VOLUME (.+)$/gm)].map((m) => m[1])).toEqual(['["/var/lib/nbwss"]']);
    expect(dockerfile).toMatch(/^HEALTHCHECK --interval=15s /m);
  });
});

describe('docker/compose.yaml', () => {
  const blocks = compose.split(/^ {2}(?=[\w-]+:$)/m).slice(1);
  const service = (name: string) => blocks.find((b) => b.startsWith(`${name}:`)) ?? '';

  it('has the four services, each with a healthcheck or a one-shot restart policy, and named volumes', () => {
    for (const name of ['endpoint', 'add-endpoint', 'nbwss', 'netbackup']) expect(service(name), name).not.toBe('');
    for (const name of ['endpoint', 'nbwss', 'netbackup']) expect(service(name)).toMatch(/healthcheck:\n(\s+#.*\n)*\s+test:/);
    expect(service('add-endpoint')).toMatch(/restart: "no"/);
    expect(service('nbwss')).toMatch(/condition: service_completed_successfully/);
    expect(compose).toMatch(/^volumes:\n {2}nbwss-data:\n {2}endpoint-share:\n*$/m);
    // The image's HEALTHCHECK interval, and CMD-SHELL (podman-compose 1.0.x breaks CMD lists).
    expect(service('nbwss')).toMatch(/test: \["CMD-SHELL", "nbwss healthcheck"\]\n\s+interval: 15s/);
    expect(compose).not.toMatch(/test: \["CMD"/);
  });

  it('the daemon starts once the mock NetBackup answers (its first login COMMAND must not get a 502)', () => {
    expect(service('nbwss')).toMatch(/netbackup:\n\s+condition: service_healthy/);
    // podman-compose ignores conditions: the daemon's own start waits with the netbackup health probe.
    expect(service('nbwss')).toMatch(/until node -e "\$\$NETBACKUP_PROBE"[^\n]*; do sleep 1; done\n\s+exec node \/opt\/nbwss\/dist\/cli\/main\.js run/);
    expect(service('nbwss')).toContain('NETBACKUP_PROBE: *netbackup-probe');
    expect(service('netbackup')).toContain('NETBACKUP_PROBE: *netbackup-probe');
  });

  it('add-endpoint never deletes: a known endpoint is re-pinned in place with endpoints update', async () => {
    const script = service('add-endpoint');
    expect(script).not.toMatch(/endpoints delete/);
    expect(script).toMatch(/if nbwss endpoints show endpoint [^\n]*; then\n\s+nbwss endpoints update endpoint --fingerprint "\$\$fp"\n\s+else\n\s+nbwss endpoints add /);
    expect(await help('endpoints', 'update')).toContain('--fingerprint');
  });

  it.each([
    ['endpoint', 'mock-endpoint'],
    ['netbackup', 'simulate'],
  ])('%s: every flag of `nbwss %s` it passes exists', async (name, command) => {
    const block = service(name);
    expect(block).toContain(`- ${command}\n`);
    const text = await help(command);
    for (const m of block.matchAll(/^\s+- (--[\w-]+)=/gm)) expect(text, m[1]).toContain(m[1]);
  });

  it('add-endpoint: validate --json gives the fingerprint that add --fingerprint pins', async () => {
    const script = service('add-endpoint');
    expect(script).toMatch(/nbwss endpoints validate --file \S+ --json/);
    expect(script).toMatch(/JSON\.parse\(s\)\.certificate\.fingerprint256/);
    expect(script).toMatch(/nbwss endpoints add --file \S+ --fingerprint "\$\$fp"/);
    expect(await help('endpoints', 'validate')).toContain('--json');
    expect(await help('endpoints', 'add')).toContain('--fingerprint');
  });
});
