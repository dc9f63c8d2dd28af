import { MAX_FRAME_BYTES } from '../protocol/limits.js';
import { PROTOCOL_VERSION, type NotificationObject } from '../protocol/messages.js';
import type { PayloadRow } from '../store/outbox-store.js';

/** The largest frame an endpoint accepts (spec §7): a NOTIFICATION REQUEST is never bigger, serialized. */
export { MAX_FRAME_BYTES } from '../protocol/limits.js';

/**
 * The largest data of one notification (its JSON text, in UTF-8 bytes): a request holding only it stays under
 * {@link MAX_FRAME_BYTES} with room for the envelope, so every stored notification can be sent.
 */
export const MAX_NOTIFICATION_BYTES = MAX_FRAME_BYTES - 1024;

const ELEMENT_SUFFIX = ']}';

const ELEMENT_PREFIX: Record<NotificationObject, string> = {
  JOB: '{"notificationType":"INFO","object":"JOB","data":[',
  IMAGE: '{"notificationType":"INFO","object":"IMAGE","data":[',
};

function header(id: string, timeStamp: number): string {
  return `{"version":"${PROTOCOL_VERSION}","id":${JSON.stringify(id)},"type":"NOTIFICATION","subType":"REQUEST","timeStamp":${timeStamp},"payload":`;
}

/**
 * Bytes of the envelope around a payload, at most: a 36-character id (an upper-case UUID, as {@link newMessageId}
 * makes) and the longest integer timeStamp. A payload within `MAX_FRAME_BYTES - ENVELOPE_BYTES` fits in a frame
 * whatever the id and timeStamp of the send.
 */
export const ENVELOPE_BYTES = header('0'.repeat(36), Number.MAX_SAFE_INTEGER).length + 1;

/**
 * The NOTIFICATION REQUEST text of one send: the envelope with this send's id and timeStamp around a payload's
 * JSON text (spliced, not re-serialized). Equals `JSON.stringify(buildMessage('NOTIFICATION', 'REQUEST', id,
 * timeStamp, JSON.parse(payload)))`.
 */
export function notificationRequest(id: string, timeStamp: number, payload: string): string {
  return `${header(id, timeStamp)}${payload}}`;
}

/** UTF-8 bytes of {@link notificationRequest}'s result, from the payload's byte count (the envelope is ASCII). */
export function notificationRequestBytes(id: string, timeStamp: number, payloadBytes: number): number {
  return header(id, timeStamp).length + payloadBytes + 1;
}

/** The payload of one NOTIFICATION REQUEST: the JSON text of its array and what it holds. */
export interface Payload {
  /** JSON text of the `payload` array. */
  text: string;
  /** UTF-8 bytes of {@link text}. */
  bytes: number;
  firstSeq: number;
  lastSeq: number;
  count: number;
}

interface Element {
  object: NotificationObject;
  data: string[];
}

/** Options of {@link PayloadBuilder}. */
export interface PayloadBuilderOptions {
  /** The whole frame stays within this many bytes, envelope included (default {@link MAX_FRAME_BYTES}). */
  maxFrameBytes?: number;
  /**
   * true (default): refuse a row that would overtake an earlier one of another type (spec §5, project decision),
   * so a request ends there. false: group every row by type, as batches recorded before that rule were built.
   */
  keepOrder?: boolean;
}

/**
 * Builds the payload of one NOTIFICATION REQUEST by splicing the stored JSON text of each notification (no
 * parse/stringify per row). The payload has one element per object type, in the order each type first appears
 * (spec §5: `{"notificationType":"INFO","object":"JOB","data":[...]}`); within an element the notifications keep
 * seq (raise) order. A reader that takes the elements in array order meets the notifications in raise order: a
 * row whose type already has an element that is not the last one is refused (it would come before a row of
 * another type raised earlier), and the request ends there.
 *
 * The payload holds no id and no timeStamp, so groups at the same cursor can share it, and every send of a batch
 * (resends included) splices it into an envelope of its own ({@link notificationRequest}).
 */
export class PayloadBuilder {
  readonly #maxPayloadBytes: number;
  readonly #keepOrder: boolean;
  readonly #elements: Element[] = [];
  #last: Element | undefined;
  /**
   * Size of the payload text: `[` + elements + `]`, in UTF-16 code units while {@link #exact} is false (a UTF-8
   * byte is at most 3 per code unit, so while 3 × this fits, the frame fits and no byte count is needed), in UTF-8
   * bytes once it is true.
   */
  #size = 2;
  #exact = false;
  #count = 0;
  #firstSeq = 0;
  #lastSeq = 0;
  #closed = false;

  constructor(options: PayloadBuilderOptions = {}) {
    this.#maxPayloadBytes = (options.maxFrameBytes ?? MAX_FRAME_BYTES) - ENVELOPE_BYTES;
    this.#keepOrder = options.keepOrder ?? true;
  }

  /**
   * Add the next row (seq order) when the frame stays within the byte limit and the row overtakes no earlier row
   * of another type. The first row is always taken (raise limits one notification to {@link MAX_NOTIFICATION_BYTES}).
   * Returns false, adding nothing, when the row does not belong in this request; the request is then complete
   * ({@link closed}), and later rows are refused too.
   */
  add(row: PayloadRow): boolean {
    if (this.#closed) return false;
    const object = row[1];
    const data = row[2];
    let element = this.#last !== undefined && this.#last.object === object ? this.#last : undefined;
    if (element === undefined) {
      element = this.#elements.find((e) => e.object === object);
      if (element !== undefined && this.#keepOrder) return this.#close();
    }
    // the envelope parts are ASCII: as many bytes as code units
    const framing = element !== undefined ? 1 : ELEMENT_PREFIX[object].length + ELEMENT_SUFFIX.length + (this.#elements.length > 0 ? 1 : 0);
    if (!this.#exact && (this.#size + framing + data.length) * 3 > this.#maxPayloadBytes) {
      // near the limit: count UTF-8 bytes from here on
      this.#size = this.#utf8Bytes();
      this.#exact = true;
    }
    const extra = framing + (this.#exact ? Buffer.byteLength(data) : data.length);
    if (this.#count > 0 && this.#size + extra > this.#maxPayloadBytes) return this.#close();
    if (element === undefined) {
      element = { object, data: [] };
      this.#elements.push(element);
    }
    this.#last = element;
    element.data.push(data);
    this.#size += extra;
    if (this.#count === 0) this.#firstSeq = row[0];
    this.#lastSeq = row[0];
    this.#count++;
    return true;
  }

  /** UTF-8 bytes of the payload text built so far. */
  #utf8Bytes(): number {
    let bytes = 2 + Math.max(0, this.#elements.length - 1);
    for (const e of this.#elements) {
      bytes += ELEMENT_PREFIX[e.object].length + ELEMENT_SUFFIX.length + Math.max(0, e.data.length - 1);
      for (const d of e.data) bytes += Buffer.byteLength(d);
    }
    return bytes;
  }

  #close(): false {
    this.#closed = true;
    return false;
  }

  /** Notifications added. */
  get count(): number {
    return this.#count;
  }

  /** True once a row was refused: this request can take no more rows, whatever is raised later. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The payload (call once all rows are added). */
  build(): Payload {
    const parts = this.#elements.map((e) => ELEMENT_PREFIX[e.object] + e.data.join(',') + ELEMENT_SUFFIX);
    const text = `[${parts.join(',')}]`;
    return { text, bytes: this.#exact ? this.#size : Buffer.byteLength(text), firstSeq: this.#firstSeq, lastSeq: this.#lastSeq, count: this.#count };
  }
}

/**
 * Rebuild the payload of a recorded in-flight batch from exactly these rows (read back from the outbox after a
 * restart or failover). Rows are grouped by type without the ordering rule, so a batch recorded before that rule
 * existed is rebuilt with the same notifications too.
 */
export function rebuildPayload(rows: readonly PayloadRow[]): Payload {
  const builder = new PayloadBuilder({ maxFrameBytes: Number.POSITIVE_INFINITY, keepOrder: false });
  for (const row of rows) builder.add(row);
  return builder.build();
}
