/**
 * What the mock primary has been asked: a running count and the last requests in full (method, path, headers,
 * body), so tests elsewhere can assert "the upstream saw no request" or "the proxy dropped hop-by-hop headers".
 */
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';

/** One request the mock received. `status`/`durationMs` are filled in when the response has been sent. */
export interface RequestRecord {
  /** 1, 2, … in arrival order. */
  seq: number;
  method: string;
  /** Path and query as received. */
  url: string;
  /** Header names lower case, as Node parses them (`Authorization` is kept: this is a test double). */
  headers: IncomingHttpHeaders;
  /** The body as UTF-8 ('' when none, or when refused as too large). */
  body: string;
  /** The `X-Request-ID` the response carries. */
  requestId: string;
  /** Clock time of arrival (epoch ms). */
  receivedAt: number;
  status?: number;
  durationMs?: number;
}

/** Events of {@link RequestLog}. */
export interface RequestLogEvents {
  /** A request arrived (before its body is read). */
  request: [record: RequestRecord];
  /** Its response was sent (or the client went away; then `status` is absent). */
  response: [record: RequestRecord];
}

/** Counts every request and keeps the last `capacity` of them. */
export class RequestLog extends EventEmitter<RequestLogEvents> {
  readonly #capacity: number;
  #records: RequestRecord[] = [];
  #count = 0;

  /** @param capacity how many records to keep (older ones are dropped; the count goes on). */
  constructor(capacity = 1000) {
    super();
    this.#capacity = capacity;
  }

  /** Requests seen since start (or the last {@link clear}). */
  get count(): number {
    return this.#count;
  }

  /** The kept records, oldest first. */
  entries(): readonly RequestRecord[] {
    return this.#records.slice(-this.#capacity);
  }

  /** The latest request, if any. */
  last(): RequestRecord | undefined {
    return this.#records[this.#records.length - 1];
  }

  /** Reset the count and forget the records. */
  clear(): void {
    this.#records = [];
    this.#count = 0;
  }

  /** Record an arriving request (the server calls this). */
  add(record: Omit<RequestRecord, 'seq'>): RequestRecord {
    const r: RequestRecord = { seq: ++this.#count, ...record };
    this.#records.push(r);
    // Trim in one go at twice the capacity: amortised O(1) under a benchmark's request rate.
    if (this.#records.length >= 2 * this.#capacity) this.#records = this.#records.slice(-this.#capacity);
    this.emit('request', r);
    return r;
  }

  /** Record the response of a request (the server calls this). */
  finish(record: RequestRecord, status: number | undefined, durationMs: number): void {
    if (status !== undefined) record.status = status;
    record.durationMs = durationMs;
    this.emit('response', record);
  }
}
