import { sleep, type Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import type { FetchedCertificate } from '../endpoints/certificate.js';
import type { Logger } from '../logger.js';
import { sameId, type EndpointDetails, type Message } from '../protocol/index.js';
import { Probe, type ConnectOutcome, type OpenOutcome, type ProbeTrust, type ReceivedFrame } from './probe.js';
import type { CheckProgress, CheckTimings, TrustOptions } from './types.js';

/** Most frames kept for the envelope and COMMAND checks (a long run stays small; problems are counted beyond it). */
const MAX_FRAMES = 5_000;

/** A COMMAND REQUEST the endpoint sent, and what it was answered. */
export interface CommandSeen {
  connection: string;
  id: string;
  method: string;
  uri: string;
  /** The responseCode sent back (0: not answered, the socket closed first; -1: still in flight). */
  status: number;
}

/** A connection attempt: the socket and what its upgrade and CONNECT gave. */
export interface Attempt {
  probe: Probe;
  open: OpenOutcome;
  connect?: ConnectOutcome;
}

/** What every check of one run shares: the endpoint, timings, sessions and what was observed. */
export class RunContext {
  readonly details: EndpointDetails;
  readonly trustOptions: TrustOptions;
  readonly config: Readonly<Config>;
  readonly timings: CheckTimings;
  readonly clock: Clock;
  readonly log: Logger;
  readonly profile: 'quick' | 'full';
  readonly load: number;
  /** Every frame received on every connection (the first {@link MAX_FRAMES}). */
  readonly frames: ReceivedFrame[] = [];
  framesDropped = 0;
  /** Latency (ms) of every acknowledgement received in the run. */
  readonly ackLatencies: number[] = [];
  /** COMMAND REQUESTs answered (or not) during the run. */
  readonly commands: CommandSeen[] = [];
  /** The certificate presented (set by `tls.certificate`). */
  certificate: FetchedCertificate | undefined;
  /** Why the certificate could not be fetched (unreachable, TLS failure). */
  certificateError: string | undefined;
  /** How the probes trust the endpoint (set once `tls.certificate` decided). */
  trust: ProbeTrust | undefined;
  /** The first connection (opened by `upgrade.path`) and its CONNECT. */
  first: Attempt | undefined;
  /** The id of the check running now (for progress events). */
  current = '';
  readonly #probes = new Set<Probe>();
  readonly #answerCommand: (message: Message, probe: Probe) => void;
  readonly #inFlight = new Map<string, CommandSeen>();
  #settled: (() => void) | undefined;
  #main: Probe | undefined;
  readonly #aborted: AbortSignal | undefined;
  readonly #progress: ((event: CheckProgress) => void) | undefined;

  constructor(init: {
    details: EndpointDetails;
    trustOptions: TrustOptions;
    config: Readonly<Config>;
    timings: CheckTimings;
    clock: Clock;
    log: Logger;
    profile: 'quick' | 'full';
    load: number;
    /** Answer a COMMAND REQUEST received on a CONNECTed probe (through the COMMAND proxy). */
    answerCommand: (message: Message, probe: Probe) => void;
    signal?: AbortSignal | undefined;
    onProgress?: ((event: CheckProgress) => void) | undefined;
  }) {
    this.details = init.details;
    this.trustOptions = init.trustOptions;
    this.config = init.config;
    this.timings = init.timings;
    this.clock = init.clock;
    this.log = init.log;
    this.profile = init.profile;
    this.load = init.load;
    this.#answerCommand = init.answerCommand;
    this.#aborted = init.signal;
    this.#progress = init.onProgress;
  }

  /** The run's abort signal, if any. */
  get signal(): AbortSignal | undefined {
    return this.#aborted;
  }

  /**
   * Wait `ms` on the run's clock (a check's deliberate wait: an idle window, the delay before a resend). Emits a
   * `wait` progress event once the timer is armed, so a test driving a manual clock knows when to advance it.
   * Resolves early (false) when `until` resolves first or the run is aborted.
   */
  async wait(ms: number, what: string, until?: Promise<unknown>): Promise<boolean> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(new Error('aborted'));
    this.#aborted?.addEventListener('abort', onAbort, { once: true });
    let early = false;
    void until?.then(() => {
      early = true;
      controller.abort(new Error('ended early'));
    });
    const timer = sleep(this.clock, ms, controller.signal).then(
      () => true,
      () => false,
    );
    this.#progress?.({ type: 'wait', id: this.current, ms, what });
    const done = await timer;
    this.#aborted?.removeEventListener('abort', onAbort);
    return done && !early;
  }

  /** The COMMAND proxy answered (or dropped: status 0) the COMMAND with this id. */
  commandAnswered(id: string, status: number): void {
    const seen = this.#inFlight.get(id);
    if (!seen) return;
    seen.status = status;
    this.#inFlight.delete(id);
    if (this.#inFlight.size === 0) this.#settled?.();
  }

  /** Resolves when no COMMAND is in flight any more, or after `ms`. */
  async commandsSettled(ms: number): Promise<void> {
    if (this.#inFlight.size === 0) return;
    const all = new Promise<void>((resolve) => (this.#settled = resolve));
    await this.wait(ms, 'COMMANDs in flight', all);
    this.#settled = undefined;
  }

  #command(message: Message, probe: Probe): void {
    const p = message.payload as Record<string, unknown>;
    const seen: CommandSeen = { connection: probe.label, id: message.id, method: String(p.method).slice(0, 16), uri: String(p.uri).slice(0, 200), status: -1 };
    if (this.commands.length < MAX_FRAMES) this.commands.push(seen);
    this.#inFlight.set(message.id, seen);
    this.#answerCommand(message, probe);
  }

  /** A new socket to the endpoint (not opened). */
  probe(label: string): Probe {
    const probe = new Probe({
      label,
      url: this.details.url,
      hostName: this.details.hostName,
      groupId: this.details.groupId,
      trust: this.trust ?? { kind: 'public' },
      clock: this.clock,
      handshakeTimeoutMs: this.timings.handshakeTimeoutMs,
      onCommand: (message, probe) => this.#command(message, probe),
      onFrame: (frame) => {
        if (this.frames.length < MAX_FRAMES) this.frames.push(frame);
        else this.framesDropped++;
      },
    });
    this.#probes.add(probe);
    void probe.closed.then(() => this.#probes.delete(probe));
    return probe;
  }

  /** Open a socket and send CONNECT with `token` (when the upgrade worked). */
  async attempt(label: string, token: string): Promise<Attempt> {
    const probe = this.probe(label);
    const open = await probe.open();
    if (!open.ok) return { probe, open };
    const connect = await probe.connect(token);
    return { probe, open, connect };
  }

  /** The first attempt with the endpoint's token (made once; `upgrade.path` and `connect.valid` report it). */
  async firstAttempt(): Promise<Attempt> {
    if (!this.first) {
      this.first = await this.attempt('main', this.details.token);
      if (accepted(this.first)) this.#main = this.first.probe;
    }
    return this.first;
  }

  /**
   * The main CONNECTed session: the first one while it lives, else a new one. Returns a string saying why when
   * none can be had.
   */
  async session(): Promise<Probe | string> {
    if (this.#aborted?.aborted) return 'the run was aborted';
    if (!this.first) await this.firstAttempt();
    if (this.#main?.isOpen) return this.#main;
    const again = await this.attempt('main', this.details.token);
    if (accepted(again)) {
      this.#main = again.probe;
      return again.probe;
    }
    void again.probe.close(1000, 'nbwss check-endpoint: not accepted');
    return `no session: ${describeAttempt(again)}`;
  }

  /** Close the main session (the next {@link session} opens a new one). */
  async closeMain(code = 1000, reason = 'nbwss check-endpoint'): Promise<void> {
    const main = this.#main;
    this.#main = undefined;
    if (main) await main.close(code, reason);
  }

  /** Close every socket still open (the end of a run). */
  async closeAll(): Promise<void> {
    this.#main = undefined;
    await Promise.all([...this.#probes].map((p) => p.close(1001, 'nbwss check-endpoint done')));
  }
}

/** True when the attempt reached valid:true with the request's id. */
export function accepted(a: Attempt): boolean {
  const c = a.connect;
  return c?.kind === 'response' && c.valid === true && sameId(c.id, c.requestId);
}

/** One line saying how an attempt went. */
export function describeAttempt(a: Attempt): string {
  if (!a.open.ok) return a.open.message;
  const c = a.connect;
  if (!c) return 'no CONNECT sent';
  if (c.kind === 'timeout') return `no CONNECT RESPONSE within ${Math.round(c.ms)} ms`;
  if (c.kind === 'closed') return `the endpoint closed the connection (${describeClose(c.close)}) without a CONNECT RESPONSE`;
  if (!sameId(c.id, c.requestId)) return `CONNECT RESPONSE with id ${c.id}, not the request's ${c.requestId}`;
  return `CONNECT RESPONSE valid:${JSON.stringify(c.valid) ?? 'undefined'} in ${Math.round(c.ms)} ms`;
}

/** `1009 "message too big"`. */
export function describeClose(c: { code: number; reason: string }): string {
  return `${c.code}${c.reason ? ` "${c.reason}"` : ''}`;
}
