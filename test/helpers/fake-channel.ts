import type { Channel } from '../../src/connection/channel.js';

let nextId = 1_000_000;

/**
 * A Channel that records what is sent to it, for unit tests of handlers. `close()` aborts its signal as a torn-down
 * connection does. `waitForFrames(n)` resolves once n frames were sent (no sleeping).
 */
export class FakeChannel implements Channel {
  readonly groupId: string;
  readonly hostName: string;
  readonly connectionId = nextId++;
  readonly frames: string[] = [];
  bufferedAmount = 0;
  readonly #controller = new AbortController();
  #waiters: { n: number; resolve: () => void }[] = [];

  constructor(groupId = 'G1', hostName = 'ep1.test') {
    this.groupId = groupId;
    this.hostName = hostName;
  }

  get isOpen(): boolean {
    return !this.#controller.signal.aborted;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  send(message: object | string): boolean {
    if (!this.isOpen) return false;
    this.frames.push(typeof message === 'string' ? message : JSON.stringify(message));
    this.#waiters = this.#waiters.filter((w) => {
      if (this.frames.length >= w.n) w.resolve();
      return this.frames.length < w.n;
    });
    return true;
  }

  /** Parsed frames. */
  messages<T = Record<string, unknown>>(): T[] {
    return this.frames.map((f) => JSON.parse(f) as T);
  }

  waitForFrames(n: number): Promise<void> {
    if (this.frames.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }

  close(reason = 'closed'): void {
    this.#controller.abort(new Error(reason));
  }
}
