import { epochSeconds } from '../../clock.js';
import { describeAttempt, describeClose, accepted, type RunContext } from '../context.js';
import { checkJob, element } from '../payloads.js';
import { latencySummary } from '../stats.js';
import type { Outcome } from '../types.js';
import { fail, ms, pass, type CheckImpl } from './check.js';

/** Pings sent by `keepalive.pong`. */
export const PINGS = 3;

/** Keepalive (spec §6): pongs, and an idle connection that survives. */
export const keepaliveChecks: CheckImpl[] = [
  { id: 'keepalive.pong', needs: ['connect.valid'], run: pong },
  { id: 'keepalive.idle', needs: ['notification.ack'], run: idle },
];

async function pong(ctx: RunContext): Promise<Outcome> {
  const session = await ctx.session();
  if (typeof session === 'string') return fail(session);
  const rtts: number[] = [];
  for (let i = 1; i <= PINGS; i++) {
    const r = await session.ping(ctx.timings.pongTimeoutMs);
    if (r.kind === 'timeout') return fail(`no pong to ping ${i} of ${PINGS} within ${ms(r.ms)}: NetBackup counts a missed pong each keepAlive.scheduledRate and closes after keepAlive.maxPongMissAllowed`);
    if (r.kind === 'closed') return fail(`the endpoint closed the connection (${describeClose(r.close)}) after ping ${i}`);
    if (r.kind === 'notOpen') return fail('the session closed before the pings');
    rtts.push(r.ms);
  }
  return pass(`${PINGS} of ${PINGS} pings answered; RTT ${latencySummary(rtts)}`);
}

/**
 * A connection of its own, left without messages (only pings, as NetBackup sends them) for the idle window, then
 * asked to acknowledge a notification: an endpoint or a proxy that drops idle sockets fails here.
 */
async function idle(ctx: RunContext): Promise<Outcome> {
  const full = ctx.profile === 'full';
  const windowMs = full ? ctx.timings.fullIdleMs : ctx.timings.quickIdleMs;
  const every = full ? ctx.timings.keepAliveIntervalMs : Math.max(1, Math.floor(windowMs / 3));
  // One connection at a time, as NetBackup: only close.second tries two at once.
  await ctx.closeMain();
  const a = await ctx.attempt('idle', ctx.details.token);
  try {
    if (!accepted(a)) return fail(`no session for the idle connection: ${describeAttempt(a)}`);
    const probe = a.probe;
    let pings = 0;
    const timer = ctx.clock.setInterval(() => {
      pings++;
      void probe.ping(every);
    }, every);
    let survived: boolean;
    try {
      survived = await ctx.wait(windowMs, `idle for ${ms(windowMs)}`, probe.closed);
    } finally {
      ctx.clock.clearInterval(timer);
    }
    const window = `${ms(windowMs)} idle (${pings} ping${pings === 1 ? '' : 's'}, one every ${ms(every)})`;
    if (!survived && probe.closeInfo) return fail(`the endpoint (or a proxy on the way) closed the connection (${describeClose(probe.closeInfo)}) during ${window}`);
    if (!survived) return fail('the run was aborted during the idle window');
    const r = await probe.notify([element('JOB', [checkJob(5, epochSeconds(ctx.clock))])], ctx.timings.resendAfterMs);
    if (r.kind === 'ack') {
      ctx.ackLatencies.push(r.ms);
      return pass(`after ${window} the connection acknowledged a notification in ${ms(r.ms)}`);
    }
    if (r.kind === 'closed') return fail(`after ${window} the connection was closed (${describeClose(r.close)}) instead of acknowledging a notification`);
    return fail(`after ${window} a notification got no acknowledgement within ${ms(ctx.timings.resendAfterMs)}: the connection is dead (dropped silently by the endpoint or a proxy?)`);
  } finally {
    await a.probe.close(1000, 'nbwss check-endpoint: idle check done');
  }
}
