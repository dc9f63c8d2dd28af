import { randomBytes } from 'node:crypto';
import { sameId } from '../../protocol/index.js';
import type { RunContext } from '../context.js';
import { describeClose } from '../context.js';
import type { Outcome } from '../types.js';
import { fail, ms, pass, skip, warn, type CheckImpl } from './check.js';

/** The upgrade and the CONNECT handshake (spec §3, §8). */
export const connectChecks: CheckImpl[] = [
  { id: 'upgrade.path', needs: ['tls.certificate'], run: upgrade },
  { id: 'connect.valid', needs: ['upgrade.path'], run: valid },
  { id: 'connect.first', needs: ['upgrade.path'], final: true, run: first },
  { id: 'connect.wrongToken', needs: ['connect.valid'], run: wrongToken },
  { id: 'connect.idCase', needs: ['connect.valid'], final: true, run: idCase },
];

async function upgrade(ctx: RunContext): Promise<Outcome> {
  const a = await ctx.firstAttempt();
  const path = new URL(ctx.details.url).pathname;
  if (!a.open.ok) {
    const status = a.open.status === undefined ? '' : ` (HTTP ${a.open.status}${a.open.status === 404 ? ': is the path right?' : ''})`;
    return fail(`${a.open.message}${status}`, `HTTP 101 Switching Protocols on ${path}`);
  }
  return pass(`101 Switching Protocols on ${path} in ${ms(a.open.ms)}`);
}

async function valid(ctx: RunContext): Promise<Outcome> {
  const a = await ctx.firstAttempt();
  if (!a.open.ok) return fail(`no WebSocket: ${a.open.message}`);
  const c = a.connect!;
  const limit = `connectionInfo.handshakeTimeout (${ms(ctx.timings.handshakeTimeoutMs)})`;
  if (c.kind === 'timeout') return fail(`no CONNECT RESPONSE within ${limit}`);
  if (c.kind === 'closed') return fail(`the endpoint closed the connection (${describeClose(c.close)}) without a CONNECT RESPONSE`);
  if (!sameId(c.id, c.requestId)) return fail(`CONNECT RESPONSE with id ${c.id}; the CONNECT REQUEST's id was ${c.requestId} (NetBackup fails the attempt)`);
  if (c.valid === false) return fail(`valid:false for the token in the endpoint details: is it the token the endpoint expects?`);
  if (c.valid !== true) return fail(`payload.valid is ${JSON.stringify(c.valid) ?? 'missing'}, not true`);
  return pass(`valid:true with the same id in ${ms(c.ms)}`);
}

async function first(ctx: RunContext): Promise<Outcome> {
  const early = ctx.frames.filter((f) => f.beforeConnect);
  const connections = new Set(ctx.frames.map((f) => f.connection)).size;
  if (early.length === 0) return pass(`the CONNECT RESPONSE came first on every connection (${connections})`);
  const list = early.slice(0, 3).map((f) => `${f.connection}: ${f.kind}${f.id ? ` ${f.id}` : ''}`);
  return fail(`${early.length} message${early.length === 1 ? '' : 's'} before the CONNECT RESPONSE (${list.join('; ')}${early.length > 3 ? '; …' : ''}): NetBackup accepts only a CONNECT RESPONSE until the connection is established, and fails the attempt`);
}

async function wrongToken(ctx: RunContext): Promise<Outcome> {
  const token = `nbwss-check-wrong-${randomBytes(12).toString('base64url')}`;
  // One connection at a time, as NetBackup: only close.second tries two at once.
  await ctx.closeMain();
  const a = await ctx.attempt('wrong-token', token);
  try {
    if (!a.open.ok) return fail(`a second connection could not be opened: ${a.open.message}`);
    const c = a.connect!;
    if (c.kind === 'timeout') return fail(`silence: no CONNECT RESPONSE within ${ms(c.ms)}; NetBackup can only time out, and cannot tell a wrong token from a slow endpoint`);
    if (c.kind === 'closed') return fail(`the endpoint closed the connection (${describeClose(c.close)}) without a CONNECT RESPONSE valid:false`);
    if (c.valid === true) return fail('valid:true for a wrong token: the endpoint accepts any token');
    if (c.valid !== false) return fail(`payload.valid is ${JSON.stringify(c.valid) ?? 'missing'}, not false`);
    return pass(`valid:false in ${ms(c.ms)}`);
  } finally {
    await a.probe.close(1000, 'nbwss check-endpoint: wrong token');
  }
}

async function idCase(ctx: RunContext): Promise<Outcome> {
  const responses = ctx.frames.filter((f) => f.kind === 'CONNECT RESPONSE' || f.kind === 'NOTIFICATION RESPONSE');
  if (responses.length === 0) return skip('no response was received');
  const changed = responses.filter((f) => f.problems.some((p) => p.rule === 'response.idCase'));
  if (changed.length === 0) return pass(`${responses.length} responses echoed their request ids exactly`);
  const example = changed[0]!;
  return warn(
    `${changed.length} of ${responses.length} responses echoed the request id in another case (e.g. ${example.kind} ${example.id ?? ''}): this daemon compares ids without regard to case, but NetBackup compares ids; UUID libraries print lower case, so echo the id string as received`,
  );
}

