import type { DecodeErrorCode } from '../errors.js';
import type { KeepaliveStats } from './keepalive.js';
import type { TrustAnchor } from './tls-pin.js';

/* Types and constants of EndpointConnection (split out to keep the class file short). */

/** How the 1009 close is logged and recorded (the operator's troubleshooting line, spec §10). */
export const OVERSIZE_REASON = 'incoming packet over 2 MB';

/** Lifecycle of one socket. Transitions are guarded (see `TRANSITIONS`); an illegal one throws. */
export type ConnectionStatus = 'idle' | 'opening' | 'handshaking' | 'connected' | 'closing' | 'closed';

/** The stored endpoint as a connection needs it. */
export interface EndpointTarget extends TrustAnchor {
  hostName: string;
  url: string;
  groupId: string;
  priority: number;
}

/** What a connection keeps of its endpoint once CONNECTED: who it is, without the certificate or CA text. */
export type EndpointIdentity = Omit<EndpointTarget, 'certPem' | 'caPem'>;

/**
 * Numeric settings of a connection, in ms: the narrow options `connection/` depends on (the scheduler derives them
 * from the configuration, see `scheduler/settings.ts`).
 */
export interface ConnectionSettings {
  /** Limit for TCP + TLS + upgrade + CONNECT RESPONSE (`connectionInfo.handshakeTimeout`). */
  handshakeTimeoutMs: number;
  /** Ping period (`keepAlive.scheduledRate` × 1000). */
  keepAliveIntervalMs: number;
  /** `keepAlive.maxPongMissAllowed`. */
  maxPongMissAllowed: number;
  /** `exception.ignoreDecoder`. */
  ignoreDecoder: boolean;
  /** Largest incoming message (default `MAX_FRAME_BYTES`, 2 MiB). */
  maxPayload?: number;
  /** How long a polite close waits for the peer's close frame before the socket is destroyed (default 2000). */
  closeTimeoutMs?: number;
}

/** Why a socket ended. `code` is the code we sent (or the peer's when it closed first); 1006 = no close frame. */
export interface CloseInfo {
  code: number;
  reason: string;
  cause?: unknown;
  /** Who started the close. */
  initiator: 'local' | 'peer';
  /** Whether the connection had reached CONNECTED. */
  wasConnected: boolean;
}

/** What {@link EndpointConnection.close} takes. */
export interface CloseOptions {
  code: number;
  reason: string;
  cause?: unknown;
  /** Destroy the socket without a close frame (the peer is presumed dead). */
  terminate?: boolean;
}

/** A frame the connection could not use (undecodable, or no route takes it) and what the decoder policy did. */
export interface DecodeErrorInfo {
  /** The {@link DecodeError} code (`NBWSS_ERR_DECODE_*`). */
  code: DecodeErrorCode;
  /** True: logged and dropped (`exception.ignoreDecoder=true`); false: the connection (or the attempt) closes for it. */
  ignored: boolean;
}

/**
 * Typed events of a connection (STYLE §4). `disconnected` follows `connected`, once. `decodeError` comes once per
 * unusable frame, before the close it causes (if any).
 */
export interface ConnectionEvents {
  connected: [];
  disconnected: [info: CloseInfo];
  pong: [info: { rttMs: number }];
  decodeError: [info: DecodeErrorInfo];
}

/** What the admin surface shows of a connection. */
export interface ConnectionStats extends KeepaliveStats {
  status: ConnectionStatus;
  /** epoch ms when CONNECTED was reached, or null. */
  connectedSince: number | null;
  messagesIn: number;
  messagesOut: number;
  lastClose: { code: number; reason: string; initiator: 'local' | 'peer'; at: number } | null;
}
