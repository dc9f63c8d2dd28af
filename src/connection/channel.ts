import type { Message, MessageType, SubType } from '../protocol/messages.js';

/**
 * What the notification sender and the command handler see of one live, CONNECTED endpoint connection.
 * `EndpointConnection` implements it; tests may use a fake.
 */
export interface Channel {
  /** Server group of the endpoint. */
  readonly groupId: string;
  /** The endpoint's host name (unique). */
  readonly hostName: string;
  /** Unique per socket within this process (a reconnect to the same endpoint gets a new id). */
  readonly connectionId: number;
  /** True while the socket is open and CONNECTED. */
  readonly isOpen: boolean;
  /** Bytes queued in the socket, not yet written. */
  readonly bufferedAmount: number;
  /** Aborted when this connection is torn down, with the close reason. */
  readonly signal: AbortSignal;
  /**
   * Send one message as one text frame. A string is sent as is (already serialized); an object is serialized.
   * Returns false when the connection is not open (nothing sent).
   */
  send(message: object | string): boolean;
}

/** Handles one incoming message type. Must not throw; must not block (long work is async). */
export type MessageHandler = (message: Message, channel: Channel) => void;

/**
 * The routing table from (`type`, `subType`) to handler (spec §7 decoder policy: a decoded message with no route
 * is an unknown type). The daemon registers the notification and command handlers here; the connection class
 * only looks routes up.
 */
export class Router {
  readonly #routes = new Map<string, MessageHandler>();

  /** Register the handler of one (type, subType). Registering twice is a programming error. */
  on(type: MessageType, subType: SubType, handler: MessageHandler): this {
    const key = `${type} ${subType}`;
    if (this.#routes.has(key)) throw new Error(`route ${key} registered twice`);
    this.#routes.set(key, handler);
    return this;
  }

  /** The handler of (type, subType), or undefined. */
  get(type: string, subType: string): MessageHandler | undefined {
    return this.#routes.get(`${type} ${subType}`);
  }
}
