import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { root, pkg } from './package-json.js';

/**
 * podman for the container verifications (`npm run verify:container`): asynchronous runs (the mock endpoint of the
 * test answers in the same process meanwhile), the image build with the base images pinned by digest, and clear
 * failures when the machine is not prepared (.ci/run prepares it: docker/podman-setup.sh, docker/stand-in-base.sh).
 */

/** The image the verifications build; docker/compose.yaml uses the same name. */
export const IMAGE = 'localhost/nbwss:local';

/** Outcome of one command. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Run a command to its end without blocking the event loop; never throws for a non-zero exit. */
export function exec(command: string, args: string[], options: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = execFile(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 120_000, env: options.env ?? process.env, cwd: root('') }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr: err && code === 1 && !stderr ? String(err.message) : stderr, ms: Date.now() - started });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** `podman …args`. */
export const podman = (args: string[], options: { input?: string; timeoutMs?: number } = {}) => exec('podman', args, options);

/** `podman …args`, which must succeed: its stdout, or an error with its output. */
export async function podmanOk(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await podman(args, options);
  if (r.code !== 0) throw new Error(`podman ${args.join(' ')} failed (exit ${r.code}):\n${(r.stderr || r.stdout).slice(-4000)}`);
  return r.stdout;
}

/**
 * Read `read()` every 250 ms until `match` finds what it waits for in the text; throws, with the end of the last text
 * read, after `timeoutMs`. The verifications wait on what a container or systemd shows (logs, journal, status), which
 * no event of this process announces.
 */
export async function pollUntil<T>(what: string, read: () => Promise<string>, match: (text: string) => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await read();
    const found = match(text);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms; last read:\n${text.slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The first line of `text` that matches `pattern`. */
export const firstLine = (text: string, pattern: RegExp): string | undefined => text.split('\n').find((l) => pattern.test(l));

/** The whole `podman logs NAME` (stdout and stderr), once `pattern` matches a line of it. */
export function logOnce(name: string, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const read = async () => {
    const r = await podman(['logs', name]);
    return `${r.stdout}${r.stderr}`;
  };
  return pollUntil(`a log line of ${name} matching ${pattern}`, read, (text) => (firstLine(text, pattern) !== undefined ? text : undefined), timeoutMs);
}

/** The first line of `podman logs NAME` that matches `pattern`, once there is one. */
export async function logLine(name: string, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  return firstLine(await logOnce(name, pattern, timeoutMs), pattern)!;
}

/** Print one measured step. */
export function report(what: string, ms: number): void {
  console.log(`verify: ${what}: ${(ms / 1000).toFixed(1)} s`);
}

/** Throws a message saying what to install when podman cannot run containers here. */
export function requirePodman(): void {
  const r = spawnSync('podman', ['info', '--format', '{{.Host.OCIRuntime.Name}}'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(
      `podman is not usable here (${r.error?.message ?? r.stderr.trim()}). Install and configure it with docker/podman-setup.sh ` +
        '(apt-get install podman runc …; runc as the runtime; default_ulimits = []), as .ci/run does.',
    );
  }
}

/** The CA bundle npm uses to reach the registry (a TLS-intercepting proxy's CA), passed to the build as a secret. */
export function npmCaFile(): string | undefined {
  const fromNpm = spawnSync('npm', ['config', 'get', 'cafile'], { encoding: 'utf8' }).stdout.trim();
  for (const f of [fromNpm, process.env.NODE_EXTRA_CA_CERTS ?? '']) if (f && f !== 'null' && f !== 'undefined' && existsSync(f)) return f;
  return undefined;
}

/** Node major of the image (docker/Dockerfile's NODE_VERSION default). */
export const NODE_VERSION = '24';

/** Digest of a local image, or undefined when it is not there. */
async function localDigest(image: string): Promise<string | undefined> {
  const r = await podman(['image', 'inspect', '--format', '{{.Digest}}', image]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** What the build was given, to check the labels against. */
export interface BuiltImage {
  revision: string;
  source: string;
  buildDigest: string;
  runtimeDigest: string;
}

/**
 * Build docker/Dockerfile into {@link IMAGE} with podman, the base images pinned by the digests of the local
 * node:24-bookworm and node:24-bookworm-slim (the official ones, or the stand-ins of docker/stand-in-base.sh).
 * Unchanged sources are layer-cache hits, so a second call is quick.
 */
export async function buildImage(): Promise<BuiltImage> {
  requirePodman();
  const full = `docker.io/library/node:${NODE_VERSION}-bookworm`;
  const slim = `${full}-slim`;
  const buildDigest = await localDigest(full);
  const runtimeDigest = await localDigest(slim);
  if (!buildDigest || !runtimeDigest) {
    throw new Error(`${full} and ${slim} must be in podman's local storage: podman pull them, or, where Docker Hub cannot be reached, build the stand-ins: sudo docker/stand-in-base.sh`);
  }
  const git = (...args: string[]) => spawnSync('git', args, { cwd: root(''), encoding: 'utf8' }).stdout?.trim() ?? '';
  const revision = git('rev-parse', 'HEAD') || 'unknown';
  const source = git('config', '--get', 'remote.origin.url');
  const ca = npmCaFile();
  const args = [
    'build', '--format', 'docker', '--network', 'host', '-f', 'docker/Dockerfile', '-t', IMAGE,
    '--build-arg', `BUILD_IMAGE_DIGEST=${buildDigest}`, '--build-arg', `RUNTIME_IMAGE_DIGEST=${runtimeDigest}`,
    '--build-arg', `REVISION=${revision}`, '--build-arg', `SOURCE=${source}`,
    ...(ca ? ['--secret', `id=npm_ca,src=${ca}`] : []),
    '.',
  ];
  const r = await podman(args, { timeoutMs: 20 * 60_000 });
  report(`podman build (${pkg.name} ${pkg.version}, Node ${NODE_VERSION}${ca ? `, npm CA from ${ca} as a build secret` : ''})`, r.ms);
  if (r.code !== 0) throw new Error(`podman build failed (exit ${r.code}):\n${(r.stdout + r.stderr).slice(-6000)}`);
  return { revision, source, buildDigest, runtimeDigest };
}
