import type { Clock, TimerHandle } from '../clock.js';

/** Keepalive figures of one connection (exposed to the admin surface). */
export interface KeepaliveStats {
  pingsSent: number;
  pongsReceived: number;
  /** Pings not answered before the next one was due, over the life of the connection. */
  missedPongs: number;
  /** Misses since the last pong (the count compared with `keepAlive.maxPongMissAllowed`). */
  consecutiveMisses: number;
  /** Round-trip time of the last matched pong, ms. */
  lastRttMs: number | null;
  avgRttMs: number | null;
  maxRttMs: number | null;
}

/** Options of {@link Keepalive}. */
export interface KeepaliveOptions {
  clock: Clock;
  /** `keepAlive.scheduledRate` in ms. */
  intervalMs: number;
  /** `keepAlive.maxPongMissAllowed`. */
  maxMisses: number;
  /** Send one ping control frame carrying `data`. */
  sendPing: (data: Buffer) => void;
  /** Called once when the consecutive misses reach the budget; the keepalive has stopped by then. */
  onDead: (misses: number) => void;
}

/**
 * Ping/pong bookkeeping of one socket (spec §6): a ping every interval; a ping still unanswered when the next one
 * is due is a miss; any pong resets the consecutive count; at `maxMisses` consecutive misses `onDead` is called
 * instead of sending another ping. Each ping carries a sequence number so a late pong is not mistaken for the
 * answer to a newer ping when measuring the round-trip time.
 */
export class Keepalive {
  readonly #o: KeepaliveOptions;
  #timer: TimerHandle | undefined;
  #seq = 0;
  #outstanding: { seq: number; sentAt: number } | undefined;
  #pingsSent = 0;
  #pongsReceived = 0;
  #missed = 0;
  #consecutive = 0;
  #rttCount = 0;
  #rttSum = 0;
  #lastRtt: number | null = null;
  #maxRtt: number | null = null;

  constructor(options: KeepaliveOptions) {
    this.#o = options;
  }

  /** Start pinging (the first ping goes out one interval from now). Idempotent. */
  start(): void {
    if (this.#timer) return;
    this.#timer = this.#o.clock.setInterval(() => this.#beat(), this.#o.intervalMs);
  }

  /** Stop pinging. Idempotent. */
  stop(): void {
    if (!this.#timer) return;
    this.#o.clock.clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Record a pong. Returns its round-trip time in ms when it answers the latest ping, else undefined. */
  pong(data: Buffer): number | undefined {
    this.#pongsReceived++;
    this.#consecutive = 0;
    const out = this.#outstanding;
    if (!out || data.toString('latin1') !== String(out.seq)) return undefined;
    this.#outstanding = undefined;
    const rtt = this.#o.clock.monotonic() - out.sentAt;
    this.#lastRtt = rtt;
    this.#rttCount++;
    this.#rttSum += rtt;
    this.#maxRtt = this.#maxRtt === null ? rtt : Math.max(this.#maxRtt, rtt);
    return rtt;
  }

  /** A snapshot of the figures. */
  get stats(): KeepaliveStats {
    return {
      pingsSent: this.#pingsSent,
      pongsReceived: this.#pongsReceived,
      missedPongs: this.#missed,
      consecutiveMisses: this.#consecutive,
      lastRttMs: this.#lastRtt,
      avgRttMs: this.#rttCount === 0 ? null : this.#rttSum / this.#rttCount,
      maxRttMs: this.#maxRtt,
    };
  }

  #beat(): void {
    if (this.#outstanding) {
      this.#missed++;
      this.#consecutive++;
      if (this.#consecutive >= this.#o.maxMisses) {
        this.stop();
        this.#o.onDead(this.#consecutive);
        return;
      }
    }
    const seq = ++this.#seq;
    this.#outstanding = { seq, sentAt: this.#o.clock.monotonic() };
    this.#pingsSent++;
    this.#o.sendPing(Buffer.from(String(seq), 'latin1'));
  }
}
