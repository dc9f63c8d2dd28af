import type { Clock, TimerHandle } from '../clock.js';
import type { CommandRequest, CommandResponse, CommandResponsePayload } from '../protocol/index.js';
import { MockEndpointError } from './types.js';

interface Pending {
  connectionId: number;
  request: CommandRequest;
  sentAt: number;
  timer: TimerHandle;
  resolve: (payload: CommandResponsePayload) => void;
  reject: (err: Error) => void;
}

/** How a COMMAND RESPONSE pairs with what was sent. */
export interface Pairing {
  request: CommandRequest | undefined;
  rttMs: number | undefined;
  /** The request had already timed out. */
  late: boolean;
  /** Settle the waiting `sendCommand` (call after emitting events, so listeners see the response first). */
  settle(): void;
}

/** Most timed-out requests remembered, so that a late response can still be paired. */
const MAX_LATE = 1_000;

/**
 * The COMMAND REQUESTs in flight, paired with their responses by id (spec §4: several may be in flight at once),
 * each with a timeout. A request belongs to one socket: a response on another socket does not pair, and a
 * socket closing rejects its requests.
 */
export class CommandTracker {
  readonly #clock: Clock;
  readonly #pending = new Map<string, Pending>();
  readonly #late = new Map<string, { request: CommandRequest; sentAt: number }>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Track `request` sent on `connectionId`; the promise settles with its response, a timeout, or the socket's close. */
  track(connectionId: number, request: CommandRequest, timeoutMs: number): Promise<CommandResponsePayload> {
    return new Promise((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => {
        const p = this.#pending.get(request.id);
        if (!p) return;
        this.#pending.delete(request.id);
        this.#late.set(request.id, { request, sentAt: p.sentAt });
        if (this.#late.size > MAX_LATE) this.#late.delete(this.#late.keys().next().value!);
        reject(new MockEndpointError('NBWSS_ERR_MOCK_COMMAND_TIMEOUT', `no COMMAND RESPONSE to ${describe(request)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(request.id, { connectionId, request, sentAt: this.#clock.monotonic(), timer, resolve, reject });
    });
  }

  /** Pair a response received on `connectionId` with its request. */
  pair(connectionId: number, response: CommandResponse): Pairing {
    const pending = this.#pending.get(response.id);
    if (pending && pending.connectionId === connectionId) {
      this.#pending.delete(response.id);
      this.#clock.clearTimeout(pending.timer);
      return { request: pending.request, rttMs: this.#clock.monotonic() - pending.sentAt, late: false, settle: () => pending.resolve(response.payload) };
    }
    const late = this.#late.get(response.id);
    this.#late.delete(response.id);
    return { request: late?.request, rttMs: late ? this.#clock.monotonic() - late.sentAt : undefined, late: late !== undefined, settle: () => {} };
  }

  /** Reject every request of a socket that closed. */
  connectionClosed(connectionId: number, code: number): void {
    for (const [id, p] of this.#pending) {
      if (p.connectionId !== connectionId) continue;
      this.#pending.delete(id);
      this.#clock.clearTimeout(p.timer);
      p.reject(new MockEndpointError('NBWSS_ERR_MOCK_COMMAND_CLOSED', `connection closed (${code}) before the COMMAND RESPONSE to ${describe(p.request)}`));
    }
  }

  /** Requests waiting for a response. */
  get inFlight(): number {
    return this.#pending.size;
  }
}

function describe(request: CommandRequest): string {
  return `${String(request.payload.method)} ${String(request.payload.uri)}`;
}
