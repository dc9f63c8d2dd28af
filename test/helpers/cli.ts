import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './tmp.js';

/**
 * The built CLI (`node dist/cli/main.js`), spawned for real. The vitest global setup (test/helpers/build-dist.ts)
 * builds it before every run, so it is never stale.
 */
export const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** Throws a clear error when the CLI has not been built (for a `beforeAll`; runCli and spawnNbwss check it too). */
export function assertBuilt(): void {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: the vitest global setup (test/helpers/build-dist.ts) builds it: was it skipped?`);
}

/** util-linux `script` runs a command on a pseudo-terminal: the way to test an interactive prompt. */
const SCRIPT = ['/usr/bin/script', '/bin/script'].find((p) => existsSync(p));

/** Whether `runCli(…, { tty: true })` can run here (for `it.skipIf(!TTY_AVAILABLE)`). */
export const TTY_AVAILABLE = SCRIPT !== undefined;

const shellQuote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

/** The command running `node MAIN …args` on a pseudo-terminal under `script` (exec: no shell left in between). */
function onPty(node: string, args: string[]): [string, string[]] {
  return [SCRIPT!, ['-qec', `exec ${[node, MAIN, ...args].map(shellQuote).join(' ')}`, '/dev/null']];
}

/** The parent's environment without its NBWSS_* variables, plus `env` (which may set NBWSS_* variables again). */
function childEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NBWSS_')));
  return { ...base, NO_COLOR: '1', ...env };
}

/** Exit code and output of one CLI run. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Written to stdin, which is then closed (default: closed at once). */
  input?: string;
  /** Working folder (default: a fresh temp folder, removed when the test finishes). */
  cwd?: string;
  /** Added to the environment. */
  env?: Record<string, string>;
  /** Run on a pseudo-terminal (stdin and stdout are a TTY; stderr comes out on stdout). */
  tty?: boolean;
  /** Run as this user and group (a test running as root checks what an unprivileged user meets). */
  user?: { uid: number; gid: number };
}

/**
 * A node binary `user` can run. `process.execPath` may sit under a folder only its owner can enter (a Node fetched
 * into root's ~/.cache by .ci/with-node): then a copy in a fresh world-readable temp folder is used.
 */
function nodeFor(user: { uid: number; gid: number } | undefined): string {
  if (!user) return process.execPath;
  const probe = spawnSync(process.execPath, ['-e', '0'], { ...user, stdio: 'ignore' });
  if (!probe.error && probe.status === 0) return process.execPath;
  const dir = tempDir();
  chmodSync(dir, 0o755);
  const copy = join(dir, 'node');
  copyFileSync(process.execPath, copy);
  chmodSync(copy, 0o755);
  const again = spawnSync(copy, ['-e', '0'], { ...user, stdio: 'ignore' });
  if (again.error || again.status !== 0) throw new Error(`uid ${user.uid} can run neither ${process.execPath} nor a copy in ${dir}: ${again.error?.message ?? `exit ${again.status}`}`);
  return copy;
}

/** Run `nbwss …args` to its end: for commands that finish. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    assertBuilt();
    if (options.tty && !SCRIPT) throw new Error('runCli({ tty: true }) needs util-linux `script`: check TTY_AVAILABLE');
    const [cmd, argv] = options.tty ? onPty(nodeFor(options.user), args) : [nodeFor(options.user), [MAIN, ...args]];
    const child = spawn(cmd, argv, { cwd: options.cwd ?? tempDir(), env: childEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'], ...(options.user ?? {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** How a spawned process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A long-running `nbwss` with its output collected and awaitable stdout lines. */
export interface Spawned {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** The complete stdout lines so far. */
  lines(): string[];
  /**
   * Resolves with the first stdout line matching `re`, already printed or to come; rejects, with the output so far,
   * when the process exits first or after `timeoutMs`.
   */
  line(re: RegExp, timeoutMs?: number): Promise<string>;
  exit: Promise<Exit>;
  /** Send a signal (default SIGTERM). */
  signal(signal?: NodeJS.Signals): void;
}

const running: ChildProcess[] = [];

/** The processes below `pid` that have none of their own (Linux /proc): under `script`, the nbwss process. */
function leafDescendants(pid: number): number[] {
  let children: number[];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return children.flatMap((c) => {
    const below = leafDescendants(c);
    return below.length > 0 ? below : [c];
  });
}

/** Send `signal` to nbwss: the child itself, or under `script` (a pseudo-terminal) the process it runs. */
function signalNbwss(child: ChildProcess, tty: boolean, signal: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (tty) for (const pid of leafDescendants(child.pid!)) process.kill(pid, signal);
  else child.kill(signal);
}

const ttyChildren = new WeakSet<ChildProcess>();

/** Kill (SIGKILL) what spawnNbwss started and is still running: for afterEach. */
export function killAll(): void {
  for (const c of running.splice(0)) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    if (ttyChildren.has(c)) signalNbwss(c, true, 'SIGKILL');
    c.kill('SIGKILL');
  }
}

/** Options of {@link spawnNbwss}. */
export interface SpawnOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Run on a pseudo-terminal (util-linux `script`: check TTY_AVAILABLE); stderr comes out on stdout, lines end in \n. */
  tty?: boolean;
}

/** Spawn `nbwss …args` (stdin closed, or held open on a pseudo-terminal) and return at once: for commands that keep running. */
export function spawnNbwss(args: string[], options: SpawnOptions = {}): Spawned {
  assertBuilt();
  const tty = options.tty === true;
  if (tty && !SCRIPT) throw new Error('spawnNbwss({ tty: true }) needs util-linux `script`: check TTY_AVAILABLE');
  const [cmd, argv] = tty ? onPty(process.execPath, args) : [process.execPath, [MAIN, ...args]];
  const child = spawn(cmd, argv, { cwd: options.cwd ?? tempDir(), env: childEnv(options.env), stdio: [tty ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  running.push(child);
  if (tty) ttyChildren.add(child);
  let out = '';
  let err = '';
  let partial = '';
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  const add = (line: string) => {
    lines.push(line);
    for (const w of waiters.splice(0)) (w.re.test(line) ? w.resolve(line) : waiters.push(w));
  };
  child.stdout!.on('data', (d: Buffer) => {
    const text = tty ? d.toString().replace(/\r\n/g, '\n') : d.toString();
    out += text;
    const parts = (partial + text).split('\n');
    partial = parts.pop()!;
    for (const line of parts) add(line);
  });
  child.stdout!.on('end', () => {
    if (partial !== '') add(partial);
    partial = '';
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  // 'close': the exit, and all output read.
  const exit = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const output = () => `stdout:\n${out}\nstderr:\n${err}`;
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    lines: () => [...lines],
    exit,
    signal: (signal = 'SIGTERM') => signalNbwss(child, tty, signal),
    line(re, timeoutMs = 30_000) {
      const found = lines.find((l) => re.test(l));
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = {
          re,
          resolve: (line: string) => {
            clearTimeout(timer);
            resolve(line);
          },
        };
        const fail = (why: string) => {
          clearTimeout(timer);
          const i = waiters.indexOf(waiter);
          if (i >= 0) waiters.splice(i, 1);
          reject(new Error(`nbwss ${args.join(' ')}: ${why} before a line matching ${re}\n${output()}`));
        };
        const timer = setTimeout(() => fail(`no such line in ${timeoutMs} ms`), timeoutMs);
        waiters.push(waiter);
        void exit.then((e) => fail(`exited (${e.code ?? e.signal})`));
      });
    },
  };
}
