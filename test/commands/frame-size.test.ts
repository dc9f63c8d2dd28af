import { describe, expect, it } from 'vitest';
import { commandRequest, type CommandResponse } from '../../src/protocol/messages.js';
import { FakeChannel } from '../helpers/fake-channel.js';
import { cleanUpAfterEach, proxyFor, upstream } from './helpers.js';

cleanUpAfterEach();

/** NetBackup answers `/netbackup/n/<N>` with N bytes of `x` (the same headers, whatever N has 7 digits). */
async function sized() {
  return upstream((req, res) => res.end('x'.repeat(Number(req.url!.split('/').at(-1)))));
}

async function command(proxy: ReturnType<typeof proxyFor>['proxy'], channel: FakeChannel, uri: string, id?: string): Promise<{ frame: string; res: CommandResponse }> {
  const before = channel.frames.length;
  proxy.handle(commandRequest({ uri, method: 'GET' }, 1, id), channel);
  await channel.waitForFrames(before + 1);
  const frame = channel.frames.at(-1)!;
  return { frame, res: JSON.parse(frame) as CommandResponse };
}

describe('COMMAND RESPONSE frames and the 2 MiB limit, exactly (issue 10 A4, F22)', () => {
  it('a response of exactly 2,097,152 bytes is sent as NetBackup gave it; one byte more becomes a 502 that fits', async () => {
    const up = await sized();
    const { proxy } = proxyFor(up.url);
    const ch = new FakeChannel();
    const id = '0CEAB6C2-0BBF-4F60-974D-C1F3EF39B872';
    const probe = await command(proxy, ch, '/netbackup/n/1000000', id);
    const overhead = Buffer.byteLength(probe.frame) - 1_000_000;

    const exact = await command(proxy, ch, `/netbackup/n/${2_097_152 - overhead}`, id);
    expect(Buffer.byteLength(exact.frame)).toBe(2_097_152);
    expect(exact.res.payload.responseCode).toBe(200);

    const over = await command(proxy, ch, `/netbackup/n/${2_097_152 - overhead + 1}`, id);
    expect(over.res.payload.responseCode).toBe(502);
    expect(JSON.parse(over.res.payload.body)).toMatchObject({ errorDetails: ['NBWSS_ERR_RESPONSE_TOO_LARGE'] });
    expect(JSON.parse(over.res.payload.body).errorMessage).toContain('(2097153 bytes)');
    expect(over.res.id).toBe(id);
  });

  it('with the longest id accepted (128 characters), every response frame stays within 2,097,152 bytes and carries that id', async () => {
    const up = await sized();
    const { proxy } = proxyFor(up.url);
    const ch = new FakeChannel();
    const id = 'i'.repeat(128);
    for (const n of [2_097_152 - 400, 2_097_152 - 100, 2_097_152, 2_097_153]) {
      const { frame, res } = await command(proxy, ch, `/netbackup/n/${n}`, id);
      expect(Buffer.byteLength(frame)).toBeLessThanOrEqual(2_097_152);
      expect(res.id).toBe(id);
    }
  });
});
