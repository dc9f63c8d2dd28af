import { DecodeError } from '../errors.js';
import { MAX_ID_LENGTH } from './limits.js';
import { MESSAGE_TYPES, SUB_TYPES, type Message, type MessageType } from './messages.js';
import { summarize } from './summary.js';

/** What the first bytes of a bad frame look like in a log line (spec: log the first 200 bytes). */
export function preview(data: Buffer | string, max = 200): string {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const head = buf.subarray(0, max).toString('utf8');
  return buf.length > max ? `${head}…(${buf.length} bytes)` : head;
}

/**
 * Decode one incoming frame into a message (spec §2). Checks the envelope only: a JSON object with a string `id` of
 * at most {@link MAX_ID_LENGTH} characters, a known `type` and `subType`, and a payload that is an object (CONNECT,
 * COMMAND) or an array (NOTIFICATION). Throws {@link DecodeError} (with the WebSocket close code that fits) for
 * anything else, and nothing but a DecodeError: the peer's values appear in its message only as bounded summaries
 * (a `type` nested 100,000 levels deep is `object(1 keys)`, not a stack overflow).
 */
export function decode(data: Buffer | string, isBinary: boolean): Message {
  if (isBinary) throw new DecodeError('NBWSS_ERR_DECODE_BINARY', 'binary frame (NBWSS messages are JSON text frames)', 1003);
  let value: unknown;
  try {
    value = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  } catch (err) {
    throw new DecodeError('NBWSS_ERR_DECODE_JSON', `not JSON: ${(err as Error).message}`, 1007);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DecodeError('NBWSS_ERR_DECODE_SHAPE', 'not a JSON object', 1007);
  }
  const m = value as Record<string, unknown>;
  if (typeof m.id !== 'string' || m.id === '') throw new DecodeError('NBWSS_ERR_DECODE_SHAPE', 'missing or empty "id"', 1007);
  if (m.id.length > MAX_ID_LENGTH) {
    throw new DecodeError('NBWSS_ERR_DECODE_ID', `"id" of ${m.id.length} characters (at most ${MAX_ID_LENGTH}): ${summarize(m.id, 40)}`, 1007);
  }
  if (!MESSAGE_TYPES.includes(m.type as MessageType)) {
    throw new DecodeError('NBWSS_ERR_DECODE_TYPE', `unknown "type": ${summarize(m.type)}`, 1007);
  }
  if (!SUB_TYPES.includes(m.subType as never)) {
    throw new DecodeError('NBWSS_ERR_DECODE_TYPE', `unknown "subType": ${summarize(m.subType)}`, 1007);
  }
  const wantsArray = m.type === 'NOTIFICATION';
  const p = m.payload;
  const ok = wantsArray ? Array.isArray(p) : p !== null && typeof p === 'object' && !Array.isArray(p);
  if (!ok) {
    throw new DecodeError('NBWSS_ERR_DECODE_SHAPE', `"payload" of ${m.type} ${m.subType} must be ${wantsArray ? 'an array' : 'an object'}`, 1007);
  }
  return m as unknown as Message;
}
