/** The part of faye-websocket's server API the second-stack endpoint of the check-endpoint tests uses (no @types package exists). */
declare module 'faye-websocket' {
  import type { IncomingMessage } from 'node:http';
  import type { Duplex } from 'node:stream';

  interface MessageEvent {
    data: string | Buffer;
  }
  interface CloseEvent {
    code: number;
    reason: string;
  }
  interface ServerOptions {
    /** Largest incoming message in bytes; a larger one closes the socket with 1009. */
    maxLength?: number;
  }
  class WebSocket {
    constructor(request: IncomingMessage, socket: Duplex, body: Buffer, protocols?: string[] | null, options?: ServerOptions);
    static isWebSocket(request: IncomingMessage): boolean;
    send(data: string | Buffer): boolean;
    close(code?: number, reason?: string): void;
    on(event: 'message', listener: (event: MessageEvent) => void): this;
    on(event: 'close', listener: (event: CloseEvent) => void): this;
    on(event: 'open' | 'error', listener: (event: unknown) => void): this;
  }
  export = WebSocket;
}
