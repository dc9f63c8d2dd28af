import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { runForeground, type ForegroundLog, type ForegroundSignal, type SignalSource } from '../../src/cli/foreground.js';

/** A controllable start: resolves when told, or rejects with the abort reason when its signal is aborted. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const events: string[] = [];
  const running = {
    stop: async () => void events.push('stop'),
  };
  const start = async (signal: AbortSignal) => {
    events.push('start');
    await new Promise<void>((resolve, reject) => {
      signal.addEventListener('abort', () => {
        events.push('start undone');
        reject(signal.reason as Error);
      });
      void opened.then(resolve);
    });
    events.push('started');
    return running;
  };
  return { open, start, events, running };
}

function signals() {
  const emitter = new EventEmitter();
  return {
    source: emitter as unknown as SignalSource,
    send: (s: ForegroundSignal) => emitter.emit(s),
    listeners: (s: ForegroundSignal) => emitter.listenerCount(s),
  };
}

function recordingLog() {
  const lines: string[] = [];
  const log: ForegroundLog = { info: (m) => void lines.push(`info ${m}`), error: (m) => void lines.push(`error ${m}`) };
  return { lines, log: () => log };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('runForeground: signals at any moment (issue 10 D16)', () => {
  it('installs its handlers before the start begins', async () => {
    const s = signals();
    const g = gate();
    let installedAtStart: number[] = [];
    const done = runForeground({
      start: (sig) => {
        installedAtStart = (['SIGTERM', 'SIGINT', 'SIGHUP'] as const).map((n) => s.listeners(n));
        return g.start(sig);
      },
      reload: () => undefined,
      log: recordingLog().log,
      signals: s.source,
      exit: () => undefined,
    });
    expect(installedAtStart).toEqual([1, 1, 1]);
    g.open();
    await tick();
    s.send('SIGTERM');
    expect(await done).toBe(0);
    // and removes them when done
    expect((['SIGTERM', 'SIGINT', 'SIGHUP'] as const).map((n) => s.listeners(n))).toEqual([0, 0, 0]);
  });

  for (const stop of ['SIGTERM', 'SIGINT'] as const) {
    it(`${stop} during start-up abandons the start, undoes it, and resolves 0`, async () => {
      const s = signals();
      const g = gate();
      const log = recordingLog();
      const done = runForeground({ start: g.start, reload: () => undefined, log: log.log, signals: s.source, exit: () => undefined });
      await tick();
      s.send(stop);
      expect(await done).toBe(0);
      expect(g.events).toEqual(['start', 'start undone']);
      expect(log.lines).toContain('info signal received during start-up: start abandoned, everything started was undone');
    });
  }

  it('a stop signal that comes when the start could not be abandoned any more still stops, exit 0', async () => {
    const s = signals();
    const events: string[] = [];
    const done = runForeground({
      // a start that ignores its abort signal
      start: async () => {
        await tick();
        events.push('started');
        return { stop: async () => void events.push('stop') };
      },
      reload: () => undefined,
      log: recordingLog().log,
      signals: s.source,
      exit: () => undefined,
    });
    s.send('SIGTERM');
    expect(await done).toBe(0);
    expect(events).toEqual(['started', 'stop']);
  });

  it('SIGHUP during start-up is applied once after the start, never fatal', async () => {
    const s = signals();
    const g = gate();
    const log = recordingLog();
    const reloads: unknown[] = [];
    const done = runForeground({ start: g.start, reload: (r) => void reloads.push(r), log: log.log, signals: s.source, exit: () => undefined });
    await tick();
    s.send('SIGHUP');
    s.send('SIGHUP');
    expect(reloads).toEqual([]);
    g.open();
    await tick();
    await tick();
    expect(reloads).toEqual([g.running]);
    s.send('SIGHUP'); // once running: at once
    expect(reloads).toHaveLength(2);
    s.send('SIGTERM');
    expect(await done).toBe(0);
    expect(g.events).toEqual(['start', 'started', 'stop']);
  });

  it('a reload that throws is logged and the process goes on', async () => {
    const s = signals();
    const g = gate();
    const log = recordingLog();
    const done = runForeground({
      start: g.start,
      reload: () => {
        throw new Error('invalid value for log.level: "loud"');
      },
      log: log.log,
      signals: s.source,
      exit: () => undefined,
    });
    g.open();
    await tick();
    await tick();
    s.send('SIGHUP');
    expect(log.lines).toContain('error configuration reload failed: the previous configuration stays in force');
    s.send('SIGTERM');
    expect(await done).toBe(0);
  });

  it('a second stop signal while stopping exits 1 at once', async () => {
    const s = signals();
    const exits: number[] = [];
    let finishStop!: () => void;
    const done = runForeground({
      start: async () => ({ stop: () => new Promise<void>((resolve) => (finishStop = resolve)) }),
      reload: () => undefined,
      log: recordingLog().log,
      signals: s.source,
      exit: (code) => void exits.push(code),
    });
    await tick();
    s.send('SIGTERM');
    await tick();
    s.send('SIGINT');
    expect(exits).toEqual([1]);
    finishStop();
    await done;
  });

  it('a start that fails on its own rejects (exit 1 by the CLI)', async () => {
    const s = signals();
    const done = runForeground({
      start: async () => {
        throw new Error('another nbwss daemon is already running');
      },
      reload: () => undefined,
      log: recordingLog().log,
      signals: s.source,
      exit: () => undefined,
    });
    await expect(done).rejects.toThrow('another nbwss daemon');
    expect(s.listeners('SIGTERM')).toBe(0);
  });
});
