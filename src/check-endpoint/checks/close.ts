import { accepted, describeAttempt, describeClose, type RunContext } from '../context.js';
import type { Outcome } from '../types.js';
import { fail, ms, pass, type CheckImpl } from './check.js';

/** Connections (spec §7): a second connection while the first is open, and a reconnect after a 1001 close. */
export const closeChecks: CheckImpl[] = [
  { id: 'close.second', needs: ['connect.valid'], run: second },
  { id: 'close.reconnect', needs: ['connect.valid'], run: reconnect },
];

/**
 * NetBackup after a half-open network failure: its old socket is dead on its side, the endpoint still holds it,
 * and NetBackup connects again with the same token. The endpoint must accept the new connection (keeping or
 * closing the old one); refusing it locks NetBackup out until the endpoint notices the old socket is dead.
 */
async function second(ctx: RunContext): Promise<Outcome> {
  const first = await ctx.session();
  if (typeof first === 'string') return fail(first);
  const a = await ctx.attempt('second', ctx.details.token);
  try {
    if (!accepted(a)) return fail(`with the first connection still open, a second one with the same token got: ${describeAttempt(a)}`);
    // A round trip on the first connection tells whether the endpoint closed it in favour of the new one.
    const r = await first.ping(ctx.timings.pongTimeoutMs);
    const old = r.kind === 'closed' ? `the endpoint closed the first one (${describeClose(r.close)})` : 'the first one stays open (NetBackup closes a stale one itself)';
    return pass(`a second connection was accepted in ${ms(a.connect!.ms)}; ${old}`);
  } finally {
    await a.probe.close(1000, 'nbwss check-endpoint: second connection done');
  }
}

async function reconnect(ctx: RunContext): Promise<Outcome> {
  const session = await ctx.session();
  if (typeof session === 'string') return fail(session);
  await ctx.closeMain(1001, 'nbwss check-endpoint: going away');
  const a = await ctx.attempt('reconnect', ctx.details.token);
  try {
    if (!accepted(a)) return fail(`after NetBackup closed with 1001, a new connection with the same token got: ${describeAttempt(a)}`);
    return pass(`after a 1001 close, a new connection with the same token was accepted in ${ms(a.connect!.ms)}`);
  } finally {
    await a.probe.close(1000, 'nbwss check-endpoint: reconnect done');
  }
}
