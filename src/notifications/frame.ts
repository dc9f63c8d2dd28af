import { PROTOCOL_VERSION, type NotificationObject } from '../protocol/messages.js';
import type { OutboxRow } from '../store/outbox-store.js';

/** The largest frame an endpoint accepts (spec §7): a NOTIFICATION REQUEST is never bigger, serialized. */
export const MAX_FRAME_BYTES = 2 * 1024 * 1024;

/**
 * The largest data of one notification (its JSON text, in UTF-8 bytes): a request holding only it stays under
 * {@link MAX_FRAME_BYTES} with room for the envelope, so every stored notification can be sent.
 */
export const MAX_NOTIFICATION_BYTES = MAX_FRAME_BYTES - 1024;

const ELEMENT_SUFFIX = ']}';

function elementPrefix(object: NotificationObject): string {
  return `{"notificationType":"INFO","object":"${object}","data":[`;
}

function header(id: string, timeStamp: number): string {
  return `{"version":"${PROTOCOL_VERSION}","id":${JSON.stringify(id)},"type":"NOTIFICATION","subType":"REQUEST","timeStamp":${timeStamp},"payload":[`;
}

interface Element {
  object: NotificationObject;
  data: string[];
}

/**
 * Builds one NOTIFICATION REQUEST by splicing the stored JSON text of each notification (no parse/stringify per
 * row), so a batch rebuilt from the same rows with the same id and timeStamp is byte-identical, and cheap.
 *
 * The payload has one element per object type, in the order each type first appears in the batch (spec §5:
 * `{"notificationType":"INFO","object":"JOB","data":[...]}`); within an element the notifications keep seq
 * (raise) order. The result equals `JSON.stringify(buildMessage('NOTIFICATION', 'REQUEST', id, timeStamp, payload))`.
 */
export class FrameBuilder {
  readonly id: string;
  readonly timeStamp: number;
  readonly #maxBytes: number;
  readonly #header: string;
  readonly #elements: Element[] = [];
  #bytes: number;
  #count = 0;
  #firstSeq = 0;
  #lastSeq = 0;

  constructor(id: string, timeStamp: number, maxBytes: number = MAX_FRAME_BYTES) {
    this.id = id;
    this.timeStamp = timeStamp;
    this.#maxBytes = maxBytes;
    this.#header = header(id, timeStamp);
    // the header and the closing "]}" are ASCII (the id is an upper-case UUID; JSON.stringify escapes the rest)
    this.#bytes = Buffer.byteLength(this.#header) + 2;
  }

  /**
   * Add the next row (seq order) when the frame stays within the byte limit. The first row is always taken (raise
   * limits one notification to {@link MAX_NOTIFICATION_BYTES}). Returns false, adding nothing, when it would not fit.
   */
  add(row: OutboxRow): boolean {
    const [seq, object, data] = row;
    let element = this.#elements.find((e) => e.object === object);
    let extra = Buffer.byteLength(data);
    if (element) extra += 1; // comma before it in its element
    else extra += elementPrefix(object).length + ELEMENT_SUFFIX.length + (this.#elements.length > 0 ? 1 : 0);
    if (this.#count > 0 && this.#bytes + extra > this.#maxBytes) return false;
    if (!element) {
      element = { object, data: [] };
      this.#elements.push(element);
    }
    element.data.push(data);
    this.#bytes += extra;
    if (this.#count === 0) this.#firstSeq = seq;
    this.#lastSeq = seq;
    this.#count++;
    return true;
  }

  /** Notifications added. */
  get count(): number {
    return this.#count;
  }

  /** Serialized size in UTF-8 bytes of {@link build}'s result. */
  get bytes(): number {
    return this.#bytes;
  }

  get firstSeq(): number {
    return this.#firstSeq;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** The frame text. */
  build(): string {
    const parts = this.#elements.map((e) => elementPrefix(e.object) + e.data.join(',') + ELEMENT_SUFFIX);
    return this.#header + parts.join(',') + ']}';
  }
}

/** Rebuild a frame from exactly these rows (an in-flight batch read back from the outbox). */
export function buildFrame(id: string, timeStamp: number, rows: readonly OutboxRow[]): FrameBuilder {
  const builder = new FrameBuilder(id, timeStamp, Number.POSITIVE_INFINITY);
  for (const row of rows) builder.add(row);
  return builder;
}
