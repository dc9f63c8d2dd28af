import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { CommandRequest, CommandResponse, ConnectRequest, Message, NotificationRequest } from '../protocol/index.js';
import type { Problem } from '../conformance/index.js';

/**
 * Fault switches for drills. Each is a constructor option and can be changed at runtime
 * (`MockEndpoint.setFaults`); a change applies to the next message it concerns.
 */
export interface MockEndpointFaults {
  /** Answer every CONNECT REQUEST with `valid:false`, whatever the token. */
  rejectToken: boolean;
  /** Wait this long (ms) before sending each NOTIFICATION RESPONSE. 0: at once. */
  ackDelayMs: number;
  /** Never acknowledge a NOTIFICATION REQUEST (NetBackup must resend it, same id). */
  dropAcks: boolean;
  /** Do not answer WebSocket pings (NetBackup counts missed pongs and closes). */
  noPong: boolean;
  /**
   * Close a socket (code 1000) when it has received this many NOTIFICATION REQUESTs; the last one is not
   * acknowledged, so it is in flight when the connection drops. 0: off. With 1 no notification is ever
   * acknowledged: use 2 or more to see progress between drops.
   */
  closeAfter: number;
  /** Right after a CONNECT RESPONSE `valid:true`, send a frame over 2 MB (NetBackup must close with 1009). */
  oversizeFrame: boolean;
  /** Answer `valid:true` whatever the token (an endpoint that does not check tokens). */
  acceptAnyToken: boolean;
  /** Echo request ids in lower case in CONNECT and NOTIFICATION RESPONSEs (a UUID library re-printing the id). */
  lowerCaseIds: boolean;
  /** Answer with a fresh id instead of the request's: in the CONNECT RESPONSE (`connect`) or in acknowledgements (`ack`). */
  wrongId: false | 'connect' | 'ack';
  /** Never acknowledge a NOTIFICATION REQUEST whose id was seen before (de-duplicating by dropping the resend). */
  noReAck: boolean;
  /** Close a socket (1000 "idle timeout") that received no message for this long (ms; pings do not count). 0: off. */
  idleCloseMs: number;
  /** On a CONNECT REQUEST, send a COMMAND REQUEST before the CONNECT RESPONSE. */
  earlySend: boolean;
  /** Answer `valid:false` to a CONNECT while another socket of this endpoint is connected. */
  rejectSecondConnection: boolean;
}

/** No faults: a well-behaved endpoint. */
export const NO_FAULTS: Readonly<MockEndpointFaults> = Object.freeze({
  rejectToken: false,
  ackDelayMs: 0,
  dropAcks: false,
  noPong: false,
  closeAfter: 0,
  oversizeFrame: false,
  acceptAnyToken: false,
  lowerCaseIds: false,
  wrongId: false,
  noReAck: false,
  idleCloseMs: 0,
  earlySend: false,
  rejectSecondConnection: false,
});

/** Size of the frame sent by the `oversizeFrame` fault: 2 MiB plus 64 KiB, over the 2 MB cap however counted. */
export const OVERSIZE_FRAME_BYTES = 2 * 1024 * 1024 + 64 * 1024;

/** Options of `createMockEndpoint`. */
export interface MockEndpointOptions {
  /** Address to listen on (default `127.0.0.1`; loopback addresses such as `127.0.0.2` give distinct hosts). */
  host?: string;
  /** Port (default 0: any free port). */
  port?: number;
  /** WebSocket path (default `/nbwss`). */
  path?: string;
  /** Name used in the URL, the endpoint JSON and the generated certificate (default: `host`, or the machine's name for 0.0.0.0/::). */
  hostName?: string;
  /** Token a CONNECT REQUEST must carry (default: a random one, see `MockEndpoint.token`). */
  token?: string;
  /** PEM certificate to serve (with `key`); default: a generated self-signed one for `hostName` and `host`. */
  cert?: string;
  /** PEM private key of `cert`. */
  key?: string;
  /** Initial fault switches. */
  faults?: Partial<MockEndpointFaults>;
  /** Default timeout of `sendCommand` (ms, default 30000). */
  commandTimeoutMs?: number;
  /** A socket that sends no CONNECT REQUEST within this time is closed with 1008 (ms, default 30000; 0: never). */
  connectTimeoutMs?: number;
  /** After `valid:false`, NetBackup must close; if it has not after this long the mock closes with 1008 (ms, default 5000). */
  rejectCloseGraceMs?: number;
  /** Largest incoming frame accepted (bytes, default 16 MiB); a larger one closes the socket with 1009. */
  maxPayload?: number;
  /** Most received messages kept by `received()` (default 1000; older ones are dropped, so a long run stays small). */
  maxRecorded?: number;
  /** Time source (default: the system clock). */
  clock?: Clock;
  /** Logger (default: silent). Conformance problems are logged at warn. */
  logger?: Logger;
}

/** Why a CONNECT was answered `valid:false`: a wrong token, or a fault switch. */
export type RejectReason = 'token' | 'rejectToken' | 'rejectSecondConnection';

/** Lifecycle of one socket, as the endpoint sees it. */
export type MockConnectionStatus = 'OPEN' | 'CONNECTED' | 'REJECTED' | 'CLOSED';

/** A snapshot of one socket. */
export interface ConnectionInfo {
  /** Unique per socket within this endpoint (1, 2, …). */
  id: number;
  remoteAddress: string;
  remotePort: number;
  status: MockConnectionStatus;
  /** Epoch ms when the socket opened. */
  openedAt: number;
  /** NOTIFICATION REQUESTs received on this socket. */
  notificationsReceived: number;
}

/** One message received, as recorded (in arrival order). */
export interface RecordedMessage {
  /** 1, 2, … across the endpoint's life. */
  seq: number;
  connectionId: number;
  /** Epoch ms (from the clock) when it arrived. */
  receivedAt: number;
  /** Frame size in bytes. */
  bytes: number;
  /** The decoded message; absent when the frame could not be decoded. */
  message?: Message;
  /** Why the frame could not be decoded, and its first bytes. */
  undecodable?: { error: string; preview: string };
  /** Conformance problems found in it (empty when none). */
  problems: Problem[];
}

/** A NOTIFICATION REQUEST received, with de-duplication facts. */
export interface NotificationEvent {
  connection: ConnectionInfo;
  request: NotificationRequest;
  /** True when this id was seen before (on any socket of this endpoint): a resend. */
  duplicate: boolean;
  /** How many times this id has now been received (1 for the first time). */
  timesSeen: number;
  /** Epoch ms when this id was first received. */
  firstSeenAt: number;
  /**
   * What the endpoint does with it: `ack` (now or after `ackDelayMs`), `drop` (dropAcks), `close` (closeAfter),
   * `ignore` (noReAck: a resend is not acknowledged).
   */
  action: 'ack' | 'drop' | 'close' | 'ignore';
}

/** A COMMAND RESPONSE received, paired with the request it answers. */
export interface CommandResponseEvent {
  connection: ConnectionInfo;
  /** The request it answers (undefined when no request with its id was sent). */
  request: CommandRequest | undefined;
  response: CommandResponse;
  /** Round-trip time in ms (undefined when unpaired). */
  rttMs: number | undefined;
  /** The request had already timed out in `sendCommand`. */
  late: boolean;
}

/** The events of a mock endpoint; each listener gets one object. */
export interface MockEndpointEvents {
  /** A socket opened (before any message). */
  connection: [{ connection: ConnectionInfo }];
  /** A CONNECT REQUEST was answered `valid:true`. */
  connected: [{ connection: ConnectionInfo; request: ConnectRequest }];
  /** A CONNECT REQUEST was answered `valid:false`. */
  rejected: [{ connection: ConnectionInfo; request: ConnectRequest; reason: RejectReason }];
  /** Every frame received, recorded, before it is acted on. */
  message: [RecordedMessage];
  /** A NOTIFICATION REQUEST was received. */
  notification: [NotificationEvent];
  /** A NOTIFICATION RESPONSE was sent. */
  acknowledged: [{ connection: ConnectionInfo; id: string; delayMs: number }];
  /** A COMMAND REQUEST was sent by `sendCommand`. */
  commandSent: [{ connection: ConnectionInfo; request: CommandRequest }];
  /** A COMMAND RESPONSE was received. */
  commandResponse: [CommandResponseEvent];
  /** A WebSocket ping was received; `answered` is false under `noPong`. */
  ping: [{ connection: ConnectionInfo; answered: boolean }];
  /** Conformance problems found in a received message or in the order of messages. */
  problem: [{ connection: ConnectionInfo; problems: Problem[]; record?: RecordedMessage }];
  /** A socket closed. `by` says which side started the close (`netbackup` when unknown). */
  close: [{ connection: ConnectionInfo; code: number; reason: string; by: 'endpoint' | 'netbackup' }];
}

/** Counters of a mock endpoint. */
export interface MockEndpointStats {
  /** Sockets open now. */
  openSockets: number;
  /** Sockets open now that passed CONNECT. */
  connectedSockets: number;
  /** Sockets ever opened. */
  totalConnections: number;
  /** Most sockets open at the same time. */
  maxConcurrentSockets: number;
  notificationsReceived: number;
  /** NOTIFICATION REQUESTs whose id had been seen before. */
  duplicateNotifications: number;
  notificationsAcknowledged: number;
  commandsSent: number;
  commandResponses: number;
  /** Conformance problems found so far. */
  problems: number;
}

/** A COMMAND to send to the connected NetBackup (spec §4). */
export interface MockCommand {
  method: string;
  /** A path such as `/netbackup/admin/jobs`; NetBackup adds its host and port. */
  uri: string;
  headers?: Record<string, string>;
  /** The request body: a string is sent as is (JSON-escaped string, as the guide has it); anything else is JSON-serialized. */
  parameters?: unknown;
}

/** Options of `MockEndpoint.sendCommand`. */
export interface SendCommandOptions {
  /** Give up after this long (ms; default: the endpoint's `commandTimeoutMs`). */
  timeoutMs?: number;
  /** Send on this socket (default: the most recently connected one). */
  connectionId?: number;
}

/** Options of `MockEndpoint.close` and `MockEndpoint.disconnectAll`. */
export interface MockCloseOptions {
  /** Close code sent to NetBackup (default 1001 "going away" for `close`, 1000 for `disconnectAll`). */
  code?: number;
  reason?: string;
  /** Drop the TCP connections without a close frame, as a crash would (NetBackup sees 1006). */
  terminate?: boolean;
}

/** The endpoint JSON of spec §8: exactly these five members. */
export type { EndpointDetails } from '../protocol/endpoint-details.js';

export { MockEndpointError, type MockEndpointErrorCode } from '../errors.js';
