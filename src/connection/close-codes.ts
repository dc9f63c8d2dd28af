/**
 * The WebSocket close codes nbwss uses or reports for a connection, and why (README "Reliability"). Every close a
 * peer can cause is one of these; the fuzz suite (test/fuzz/) asserts it.
 */
export const CLOSE_CODES = {
  1000: 'normal: CONNECT RESPONSE valid:false, endpoint deleted or deactivated, handshake timeout',
  1001: 'going away: nbwss shuts down, or the attempt was aborted',
  1002: 'protocol error: the peer broke the WebSocket protocol (bad frame, bad masking, bad opcode)',
  1003: 'unsupported data: a binary frame (NBWSS messages are JSON text)',
  1006: 'abnormal: terminated without a close frame (keepalive budget spent, socket lost, attempt failed)',
  1007: 'invalid payload: a frame that cannot be decoded (not JSON, bad envelope, unknown type, id too long, bad UTF-8)',
  1008: 'policy: a message other than the matching CONNECT RESPONSE before CONNECTED, or a fragmented message too long',
  1009: 'too big: a message over 2 MiB (2,097,152 bytes)',
  1011: 'internal error: an unexpected exception while handling this connection (logged once; the process goes on)',
} as const;

/** A close code of {@link CLOSE_CODES}. */
export type CloseCode = keyof typeof CLOSE_CODES;

/** Codes that may be sent in a close frame (1006 never is: it means "no close frame"). */
const SENDABLE = new Set<number>([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1011]);

/** The code to put in a close frame for `code` (1000 for one that cannot be sent). */
export function sendableCloseCode(code: number): number {
  return SENDABLE.has(code) ? code : 1000;
}

/** A close reason must fit in 123 bytes of UTF-8. */
export function truncateReason(reason: string): string {
  if (Buffer.byteLength(reason, 'utf8') <= 123) return reason;
  let out = reason.slice(0, 120);
  while (Buffer.byteLength(out, 'utf8') > 120) out = out.slice(0, -1);
  return out + '…';
}
