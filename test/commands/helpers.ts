import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect } from 'vitest';
import { CommandProxy, type CommandConfig, type CommandEvent } from '../../src/commands/proxy.js';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/logger.js';
import { commandRequest, type CommandRequestPayload, type CommandResponse } from '../../src/protocol/messages.js';
import type { FakeChannel } from '../helpers/fake-channel.js';

/* Shared by the CommandProxy tests: a real HTTP server standing in for NetBackup, a proxy on it, one COMMAND. */

/** One request NetBackup saw. */
export interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real HTTP server standing in for NetBackup; `handler` decides each answer. */
export async function upstream(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const seen: Seen[] = [];
  const aborted: string[] = [];
  const events = new EventEmitter();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      res.on('close', () => {
        if (!res.writableFinished) {
          aborted.push(req.url!);
          events.emit('aborted', req.url);
        }
      });
      handler(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  servers.push(server);
  return { server, url, seen, aborted, events };
}

const servers: Server[] = [];
const proxies: CommandProxy[] = [];

/** Register the clean-up of the servers and proxies made here (call once per test file). */
export function cleanUpAfterEach(): void {
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((p) => p.close()));
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r).closeAllConnections())));
  });
}

/** A proxy to `baseUrl` with the default configuration plus `overrides`; its `command` events are collected. */
export function proxyFor(baseUrl: string, overrides: Record<string, string | number> = {}, logger = silentLogger()) {
  const { config } = loadConfig({ env: {}, file: undefined, cwd: '/nonexistent', overrides: { 'netbackup.baseUrl': baseUrl, ...overrides } });
  const proxy = new CommandProxy({ config: () => config as CommandConfig, logger });
  proxies.push(proxy);
  const events: CommandEvent[] = [];
  proxy.on('command', (e) => events.push(e));
  return { proxy, events };
}

/** Hand one COMMAND REQUEST to the proxy and wait for its COMMAND RESPONSE on `channel`. */
export async function send(proxy: CommandProxy, channel: FakeChannel, payload: CommandRequestPayload): Promise<CommandResponse> {
  const before = channel.frames.length;
  const req = commandRequest(payload, 1);
  proxy.handle(req, channel);
  await channel.waitForFrames(before + 1);
  const res = channel.messages<CommandResponse>().find((m) => m.id === req.id)!;
  expect(res).toMatchObject({ version: '1.0', type: 'COMMAND', subType: 'RESPONSE', id: req.id });
  return res;
}

