import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI: `npm test` builds first (pretest); when running these files alone, `npm run build` first. */
export const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** A spawned `nbwss` with its output collected and awaitable lines. */
export interface Spawned {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line matching `re` (now or later); rejects when the process exits first. */
  line(re: RegExp): Promise<string>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running: ChildProcess[] = [];

/** Kill what is still running (afterEach). */
export function killAll(): void {
  for (const c of running.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/** Spawn `node dist/cli/main.js …args` in `cwd` with a clean environment (no NBWSS_*) plus `env`. */
export function spawnNbwss(args: string[], cwd: string, env: Record<string, string> = {}): Spawned {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NBWSS_')));
  const child = spawn(process.execPath, [MAIN, ...args], { cwd, env: { ...base, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let out = '';
  let err = '';
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) {
      for (const w of [...waiters]) {
        if (w.re.test(l)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(l);
        }
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exit,
    line(re) {
      const seen = out.split('\n').find((l) => re.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ re, resolve });
        void exit.then((e) => reject(new Error(`nbwss exited (${e.code ?? e.signal}) before a line matching ${re}\nstdout:\n${out}\nstderr:\n${err}`)));
      });
    },
  };
}
