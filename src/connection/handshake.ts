import type WebSocket from 'ws';
import { ConnectError } from '../errors.js';
import { MAX_FRAME_BYTES, sameId, summarize, type Message } from '../protocol/index.js';
import { pinnedTlsOptions } from './tls-pin.js';
import type { ConnectionSettings, EndpointTarget } from './types.js';

/* The pure parts of a connection attempt: the socket options and the check of the CONNECT RESPONSE. */

/** `ws` client options of one attempt: the pinned TLS, the 2 MiB cap, no compression, no redirects. */
export function socketOptions(endpoint: EndpointTarget, settings: ConnectionSettings): WebSocket.ClientOptions {
  return {
    ...pinnedTlsOptions(endpoint),
    maxPayload: settings.maxPayload ?? MAX_FRAME_BYTES,
    perMessageDeflate: false,
    handshakeTimeout: settings.handshakeTimeoutMs,
    followRedirects: false,
    closeTimeout: settings.closeTimeoutMs ?? 2000,
  } as unknown as WebSocket.ClientOptions;
}

/**
 * Why the first message after the CONNECT REQUEST does not establish the connection (spec §3 [project decision]),
 * with the close code that fits, or undefined when it is the matching CONNECT RESPONSE with `valid: true`. Peer
 * values appear only as bounded summaries.
 */
export function connectResponseProblem(message: Message, connectId: string, hostName: string): { error: ConnectError; closeCode: 1000 | 1008 } | undefined {
  const isResponse = message.type === 'CONNECT' && message.subType === 'RESPONSE';
  if (!isResponse || !sameId(message.id, connectId)) {
    const what = isResponse ? `a CONNECT RESPONSE with another id (${message.id})` : `${message.type} ${message.subType}`;
    return { error: new ConnectError('rejected', `${hostName} sent ${what} before the CONNECT RESPONSE to ${connectId}`), closeCode: 1008 };
  }
  const valid = (message.payload as { valid?: unknown }).valid;
  if (valid !== true) return { error: new ConnectError('rejected', `${hostName} rejected the CONNECT REQUEST (valid: ${summarize(valid)})`), closeCode: 1000 };
  return undefined;
}
