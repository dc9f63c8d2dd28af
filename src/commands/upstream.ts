import type { Dispatcher } from 'undici';
import type { Clock } from '../clock.js';
import { UpstreamError } from '../errors.js';
import { MAX_FRAME_BYTES } from '../protocol/limits.js';

export { UpstreamError } from '../errors.js';

/** What NetBackup answered. */
export interface Upstream {
  statusCode: number;
  /** Lower-case names; several values joined with ", " as HTTP field combination does (RFC 9110 §5.3). */
  headers: Record<string, string>;
  body: string;
}

/** The 502 for a body that cannot fit one frame (raw, or once framed into the COMMAND RESPONSE). */
export function tooLarge(bytes: number, raw: boolean): UpstreamError {
  return new UpstreamError(
    502,
    'NBWSS_ERR_RESPONSE_TOO_LARGE',
    `NetBackup response ${raw ? 'body is over' : 'does not fit in'} ${MAX_FRAME_BYTES} bytes${raw ? '' : ` once framed (${bytes} bytes)`}: too large for a 2 MB WebSocket frame`,
  );
}

/** Something that can cut an upstream call short (the connection keeps a set of them, see {@link callUpstream}). */
export interface Abortable {
  abort(reason: Error): void;
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

class TimeoutError extends Error {}

/**
 * One HTTP exchange driven through undici's dispatch handler API: no Readable stream, no promise per chunk — the
 * cheapest way undici offers, which matters at thousands of COMMANDs per second. Stops reading past 2 MB.
 */
class UpstreamCall implements Dispatcher.DispatchHandler, Abortable {
  #controller: Dispatcher.DispatchController | undefined;
  /** Why it was aborted from outside (timeout, socket closed), if it was. */
  reason: Error | undefined;
  #status = 0;
  #headers: Record<string, string> = {};
  readonly #chunks: Buffer[] = [];
  #size = 0;

  constructor(private readonly done: (err: Error | null, answer?: Upstream) => void) {}

  abort(reason: Error): void {
    if (this.reason) return;
    this.reason = reason;
    this.#controller?.abort(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.reason) controller.abort(this.reason); // aborted while it waited in the pool
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    this.#status = statusCode;
    this.#headers = flattenHeaders(headers);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#size += chunk.length;
    if (this.#size > MAX_FRAME_BYTES) {
      controller.abort(tooLarge(this.#size, true));
      return;
    }
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    const body = this.#chunks.length === 1 ? this.#chunks[0]!.toString('utf8') : Buffer.concat(this.#chunks).toString('utf8');
    this.done(null, { statusCode: this.#status, headers: this.#headers, body });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.done(error);
  }
}

/** Options of {@link callUpstream}. */
export interface CallOptions {
  origin: string;
  path: string;
  method: Dispatcher.HttpMethod;
  headers: Record<string, string>;
  body: string | undefined;
  timeoutMs: number;
  clock: Clock;
  /** The call registers itself here while in flight, so the connection can abort it when its socket closes. */
  inflight: Set<Abortable>;
}

/**
 * Make one request to NetBackup. Resolves with the answer; rejects with {@link UpstreamError} (502 unreachable or
 * body too large, 504 after `timeoutMs`), or with the abort reason when aborted through `inflight`.
 */
export function callUpstream(dispatcher: Dispatcher, o: CallOptions): Promise<Upstream> {
  return new Promise<Upstream>((resolve, reject) => {
    const call: UpstreamCall = new UpstreamCall((err, answer) => {
      o.clock.clearTimeout(timer);
      o.inflight.delete(call);
      if (!err) resolve(answer!);
      else if (err instanceof UpstreamError) reject(err);
      else if (call.reason instanceof TimeoutError) {
        reject(new UpstreamError(504, 'NBWSS_ERR_UPSTREAM_TIMEOUT', `NetBackup did not answer within ${o.timeoutMs} ms (command.timeout)`));
      } else if (call.reason) reject(call.reason);
      else reject(new UpstreamError(502, 'NBWSS_ERR_UPSTREAM_UNREACHABLE', `NetBackup unreachable: ${describeNetworkError(err)}`));
    });
    o.inflight.add(call);
    const timer = o.clock.setTimeout(() => call.abort(new TimeoutError('command.timeout')), o.timeoutMs);
    dispatcher.dispatch({ origin: o.origin, path: o.path, method: o.method, headers: o.headers, body: o.body ?? null }, call);
  });
}

function describeNetworkError(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = e?.code ?? e?.cause?.code;
  return code ? `${code}: ${e.message}` : String(e?.message ?? err);
}
