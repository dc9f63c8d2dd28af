import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerProject, ENTRY_POINTS, pkg, root, writeDocsExamples, type ConsumerProject } from './package-json.js';

/**
 * `npm run verify:package` (run by .ci/run; reaches the npm registry for the dependencies): the tarball of
 * `npm pack`, installed with `npm install -g` into a temporary prefix, puts `nbwss` on PATH and works (its native
 * SQLite module included); a TypeScript project imports every entry point of package.json `exports` and
 * `tsc --noEmit` type-checks it strictly, with the docs' TypeScript examples; each entry point loads and runs.
 */

const work = mkdtempSync(join(tmpdir(), 'nbwss-verify-package-'));
const prefix = join(work, 'prefix');
const installed = join(prefix, 'lib', 'node_modules', pkg.name);
const bin = join(prefix, 'bin');
const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NBWSS_'))), PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`, NO_COLOR: '1' };

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Run a command to its end; throws with its output when it fails. Prints how long it took. */
function run(what: string, command: string, args: string[], options: SpawnSyncOptions = {}): string {
  const started = Date.now();
  const r = spawnSync(command, args, { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024, ...options });
  const out = `${String(r.stdout ?? '')}${String(r.stderr ?? '')}`;
  console.log(`verify:package: ${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (r.status !== 0) throw new Error(`${what} failed (${r.error?.message ?? `exit ${r.status}`}):\n${out.slice(-4000)}`);
  return String(r.stdout ?? '');
}

let tarball = '';
beforeAll(() => {
  const packed = JSON.parse(run('npm pack', 'npm', ['pack', '--json', '--pack-destination', work], { cwd: root('') })) as [{ filename: string }];
  tarball = join(work, packed[0].filename);
  // --prefer-offline: the tarballs npm ci fetched are in the cache; better-sqlite3 is compiled for this Node.
  run('npm install -g (into a temporary prefix)', 'npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: work });
});

describe('npm install -g of the packed tarball', () => {
  it('puts nbwss on PATH: `nbwss --version` prints the package version', () => {
    expect(run('which nbwss', 'sh', ['-c', 'command -v nbwss'], { cwd: work }).trim()).toBe(join(bin, 'nbwss'));
    expect(run('nbwss --version', 'nbwss', ['--version'], { cwd: work }).trim()).toBe(pkg.version);
  });

  it('the installed nbwss stores and reads notifications (its native SQLite module works)', () => {
    const data = join(work, 'data');
    mkdirSync(data);
    const dbEnv = { ...env, NBWSS_DB_PATH: join(data, 'nbwss.db'), NBWSS_SECURITY_KEYFILE: join(data, 'nbwss.key') };
    const job = { jobId: 146, parentJobId: 145, jobType: 'BACKUP', state: 'DONE', status: 0, startTime: 1459829698, policyName: 'p', policyType: 'VMWARE', scheduleType: 'ST_FULL', clientName: 'vm1' };
    expect(run('nbwss notify', 'nbwss', ['notify', '--object', 'JOB', '--data', JSON.stringify(job)], { cwd: data, env: dbEnv })).toMatch(/raised 1 JOB notification: seq 1/);
    const status = JSON.parse(run('nbwss status --json', 'nbwss', ['status', '--json'], { cwd: data, env: dbEnv })) as { outbox: { rows: number } };
    expect(status.outbox.rows).toBe(1);
  });
});

describe('a TypeScript project that depends on nbwss', () => {
  const project = join(work, 'consumer');
  let consumer: ConsumerProject;
  const tsc = (what: string) => {
    const started = Date.now();
    const r = consumer.tsc();
    console.log(`verify:package: ${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  };

  beforeAll(() => {
    mkdirSync(project);
    consumer = consumerProject(project, installed);
  });

  it('imports every entry point with its types (not `any`: a missing export is a compile error)', () => {
    const lines = ENTRY_POINTS.flatMap((e, i) => [
      `import * as m${i} from '${e.name}';`,
      `export const exports${i}: string[] = Object.keys(m${i});`,
      '// @ts-expect-error: the module is typed, so an export that does not exist is an error',
      `m${i}.noSuchExport;`,
    ]);
    writeFileSync(join(consumer.src, 'entry-points.ts'), `${lines.join('\n')}\n`);
    tsc(`tsc --noEmit: ${ENTRY_POINTS.map((e) => e.name).join(', ')}`);
  });

  it('the check bites: a wrong option type is refused', () => {
    const file = join(consumer.src, 'wrong.ts');
    writeFileSync(file, "import { createMockEndpoint } from 'nbwss/mock-endpoint';\nawait createMockEndpoint({ port: '8443' });\n");
    const r = consumer.tsc();
    rmSync(file);
    expect(r.stdout).toMatch(/wrong\.ts.*error TS2322: Type 'string' is not assignable to type 'number'/);
  });

  it("the docs' TypeScript examples type-check against the installed package", () => {
    const examples = writeDocsExamples(consumer.src);
    expect(examples.map((e) => e.page)).toEqual(expect.arrayContaining(['docs/mock-endpoint.md', 'docs/mock-netbackup.md']));
    tsc(`tsc --noEmit: ${examples.length} docs examples`);
  });

  it('each entry point loads and runs: a mock NetBackup answers a login, a mock endpoint listens on wss://', async () => {
    const script = [
      "import { createMockNetBackup } from 'nbwss/mock-netbackup';",
      "import { createMockEndpoint } from 'nbwss/mock-endpoint';",
      'const nb = createMockNetBackup({});',
      "const { url } = await nb.listen('127.0.0.1', 0);",
      "const login = await fetch(`${url}/netbackup/login`, { method: 'POST', headers: { 'content-type': 'application/vnd.netbackup+json;version=1.0' }, body: JSON.stringify({ userName: 'admin', password: 'password' }) });",
      'const body = await login.json();',
      'await nb.close();',
      "const ep = await createMockEndpoint({ host: '127.0.0.1', port: 0, token: 't' });",
      'console.log(JSON.stringify({ login: login.status, token: typeof body.token, endpoint: ep.url, fingerprint: ep.fingerprint256.length }));',
      'await ep.close();',
    ];
    writeFileSync(join(project, 'run.mjs'), `${script.join('\n')}\n`);
    const out = JSON.parse(run('node run.mjs (imports nbwss/*)', process.execPath, ['run.mjs'], { cwd: project })) as Record<string, unknown>;
    expect(out).toMatchObject({ login: 201, token: 'string', endpoint: expect.stringMatching(/^wss:\/\/127\.0\.0\.1:\d+\//) });
    expect(out.fingerprint).toBeGreaterThan(0);
  });
});

describe('the tarball', () => {
  it('holds the licence and the docs the README links to', () => {
    const listing = run('tar -tzf', 'tar', ['-tzf', tarball]);
    expect(listing).toMatch(/^package\/LICENSE$/m);
    for (const m of readFileSync(root('README.md'), 'utf8').matchAll(/\]\((docs\/[\w-]+\.md)\)/g)) expect(listing).toContain(`package/${m[1]}`);
  });
});
