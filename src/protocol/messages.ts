import { randomUUID } from 'node:crypto';

/**
 * NBWSS message shapes (spec §2–§5). Every message is one JSON object in one WebSocket text frame.
 */

export const PROTOCOL_VERSION = '1.0';

export type MessageType = 'CONNECT' | 'COMMAND' | 'NOTIFICATION';
export type SubType = 'REQUEST' | 'RESPONSE';

export const MESSAGE_TYPES: readonly MessageType[] = ['CONNECT', 'COMMAND', 'NOTIFICATION'];
export const SUB_TYPES: readonly SubType[] = ['REQUEST', 'RESPONSE'];

/** The envelope every message has. */
export interface Envelope<T extends MessageType, S extends SubType, P> {
  version: string;
  id: string;
  type: T;
  subType: S;
  /** Unix epoch seconds, integer. */
  timeStamp: number;
  payload: P;
}

export interface ConnectRequestPayload {
  token: string;
}
export interface ConnectResponsePayload {
  valid: boolean;
}

/** COMMAND REQUEST payload as the guide shows it. Fields are checked by the command handler, not the decoder. */
export interface CommandRequestPayload {
  uri?: unknown;
  method?: unknown;
  headers?: unknown;
  /** The request body as a JSON-escaped string. */
  parameters?: unknown;
}

export interface CommandResponsePayload {
  /** Response headers, lower-case names. */
  headers: Record<string, string>;
  responseCode: number;
  /** Response body as a string. */
  body: string;
}

/** Notification object types of this release. */
export type NotificationObject = 'JOB' | 'IMAGE';
export const NOTIFICATION_OBJECTS: readonly NotificationObject[] = ['JOB', 'IMAGE'];

/** One element of a NOTIFICATION REQUEST payload: all notifications of one object type. */
export interface NotificationElement {
  notificationType: 'INFO';
  object: NotificationObject;
  data: Record<string, unknown>[];
}

export type ConnectRequest = Envelope<'CONNECT', 'REQUEST', ConnectRequestPayload>;
export type ConnectResponse = Envelope<'CONNECT', 'RESPONSE', ConnectResponsePayload>;
export type CommandRequest = Envelope<'COMMAND', 'REQUEST', CommandRequestPayload>;
export type CommandResponse = Envelope<'COMMAND', 'RESPONSE', CommandResponsePayload>;
export type NotificationRequest = Envelope<'NOTIFICATION', 'REQUEST', NotificationElement[]>;
export type NotificationResponse = Envelope<'NOTIFICATION', 'RESPONSE', unknown[]>;

/** Any decoded message. Payload shapes beyond object/array are not guaranteed by {@link decode}. */
export type Message = ConnectRequest | ConnectResponse | CommandRequest | CommandResponse | NotificationRequest | NotificationResponse;

/** A new message id: an upper-case UUID, as in the guide's examples. */
export function newMessageId(): string {
  return randomUUID().toUpperCase();
}

/** Build a message envelope. `timeStamp` is epoch seconds. */
export function buildMessage<T extends MessageType, S extends SubType, P>(
  type: T,
  subType: S,
  id: string,
  timeStamp: number,
  payload: P,
): Envelope<T, S, P> {
  return { version: PROTOCOL_VERSION, id, type, subType, timeStamp, payload };
}

/** CONNECT REQUEST (NetBackup → endpoint). */
export function connectRequest(token: string, timeStamp: number, id: string = newMessageId()): ConnectRequest {
  return buildMessage('CONNECT', 'REQUEST', id, timeStamp, { token });
}

/** CONNECT RESPONSE (endpoint → NetBackup). */
export function connectResponse(id: string, valid: boolean, timeStamp: number): ConnectResponse {
  return buildMessage('CONNECT', 'RESPONSE', id, timeStamp, { valid });
}

/** COMMAND REQUEST (endpoint → NetBackup). */
export function commandRequest(payload: CommandRequestPayload, timeStamp: number, id: string = newMessageId()): CommandRequest {
  return buildMessage('COMMAND', 'REQUEST', id, timeStamp, payload);
}

/** COMMAND RESPONSE (NetBackup → endpoint), same id as the request. */
export function commandResponse(id: string, payload: CommandResponsePayload, timeStamp: number): CommandResponse {
  return buildMessage('COMMAND', 'RESPONSE', id, timeStamp, payload);
}

/** NOTIFICATION RESPONSE (endpoint → NetBackup): same id, payload `[]`. */
export function notificationResponse(id: string, timeStamp: number): NotificationResponse {
  return buildMessage('NOTIFICATION', 'RESPONSE', id, timeStamp, []);
}

/**
 * Whether a response's `id` answers a request's (spec §5 [project decision]): equal without regard to ASCII case,
 * since UUID libraries write lower case (Java's `UUID.toString()`, Python's `str(uuid)`) and nbwss writes upper case.
 */
export function sameId(responseId: string, requestId: string): boolean {
  return responseId.length === requestId.length && asciiUpper(responseId) === asciiUpper(requestId);
}

function asciiUpper(s: string): string {
  return s.replace(/[a-z]+/g, (m) => m.toUpperCase());
}
