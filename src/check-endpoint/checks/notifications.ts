import { epochSeconds } from '../../clock.js';
import { PYTHON_WEBSOCKETS_MAX_SIZE } from '../../conformance/index.js';
import { newMessageId, type NotificationElement } from '../../protocol/index.js';
import { describeClose, type RunContext } from '../context.js';
import { checkImage, checkJob, element, jobs, payloadOfSize } from '../payloads.js';
import type { AckOutcome } from '../probe.js';
import { latencySummary, percentile } from '../stats.js';
import type { Outcome } from '../types.js';
import { fail, ms, pass, warn, type CheckImpl } from './check.js';

/** Size of the `notification.large` request: 1.9 MiB, under NetBackup's 2 MB. */
export const LARGE_REQUEST_BYTES = Math.floor(1.9 * 1024 * 1024);
/** Round trips measured by `notification.latency`. */
export const LATENCY_SAMPLES = 20;
/** Notifications `load.throughput` sends in the full profile when `--load` is not given. */
export const FULL_PROFILE_LOAD = 1000;

const NEEDS_ACK = ['notification.ack'] as const;

/** The NOTIFICATION checks (spec §5) and the load. */
export const notificationChecks: CheckImpl[] = [
  { id: 'notification.ack', needs: ['connect.valid'], run: (ctx) => single(ctx, 'JOB request', (now) => [element('JOB', [checkJob(1, now)])]) },
  { id: 'notification.image', needs: NEEDS_ACK, run: (ctx) => single(ctx, 'IMAGE request', (now) => [element('IMAGE', [checkImage(1, now)])]) },
  { id: 'notification.mixed', needs: NEEDS_ACK, run: (ctx) => single(ctx, 'request with a JOB and an IMAGE element', (now) => [element('JOB', [checkJob(2, now)]), element('IMAGE', [checkImage(2, now)])]) },
  { id: 'notification.batch', needs: NEEDS_ACK, run: (ctx) => single(ctx, `request of ${ctx.config.notification.maxBatchSize} notifications (notification.maxBatchSize)`, (now) => jobs(10, ctx.config.notification.maxBatchSize, now)) },
  {
    id: 'notification.extraFields',
    needs: NEEDS_ACK,
    run: (ctx) =>
      single(ctx, 'request whose data carry unknown fields', (now) => [element('JOB', [{ ...checkJob(3, now), nbwssCheckExtra: 'a field the guide does not name', futureObject: { nested: [1, 2] } }])]),
  },
  { id: 'notification.latency', needs: NEEDS_ACK, run: latency },
  { id: 'notification.large', needs: NEEDS_ACK, run: large },
  { id: 'notification.resend', needs: NEEDS_ACK, run: resend },
  { id: 'load.throughput', needs: NEEDS_ACK, run: load },
];

/** Judge one acknowledgement: same id (case aside), payload [], within notification.sendTimeout. */
function judge(ctx: RunContext, what: string, r: AckOutcome, sentAt: number): Outcome {
  const t = ctx.timings;
  switch (r.kind) {
    case 'notOpen':
      return fail(`the session closed before the ${what} could be sent`);
    case 'closed':
      return fail(`the endpoint closed the connection (${describeClose(r.close)}) instead of acknowledging the ${what}`);
    case 'timeout': {
      const other = ctx.frames.find((f, i) => i >= sentAt && f.kind === 'NOTIFICATION RESPONSE' && f.problems.some((p) => p.rule === 'response.id'));
      const why = other ? `; a NOTIFICATION RESPONSE came with another id (${other.id ?? '?'})` : '';
      return fail(`no NOTIFICATION RESPONSE with its id within ${ms(r.ms)} (notification.scheduledRate): NetBackup would resend it and send nothing new${why}`);
    }
    case 'ack':
      ctx.ackLatencies.push(r.ms);
      if (!r.payloadEmpty) return fail(`acknowledged in ${ms(r.ms)}, but the payload is not []`);
      if (r.ms > t.sendTimeoutMs) return fail(`acknowledged after ${ms(r.ms)}: over notification.sendTimeout (${ms(t.sendTimeoutMs)}); NetBackup ends the send and resends after notification.scheduledRate`);
      return pass(`acknowledged in ${ms(r.ms)}`);
  }
}

/** Send one request on the main session and judge its acknowledgement. */
async function single(ctx: RunContext, what: string, build: (nowSeconds: number) => NotificationElement[]): Promise<Outcome> {
  const session = await ctx.session();
  if (typeof session === 'string') return fail(session);
  const sentAt = ctx.frames.length;
  const r = await session.notify(build(epochSeconds(ctx.clock)), ctx.timings.resendAfterMs);
  return judge(ctx, what, r, sentAt);
}

async function latency(ctx: RunContext): Promise<Outcome> {
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const outcome = await single(ctx, `JOB request ${i + 1} of ${LATENCY_SAMPLES}`, (now) => [element('JOB', [checkJob(100 + i, now)])]);
    if (outcome.status === 'fail') return outcome;
    samples.push(ctx.ackLatencies[ctx.ackLatencies.length - 1]!);
  }
  const summary = `${LATENCY_SAMPLES} round trips: ${latencySummary(samples)} (${ctx.ackLatencies.length} acknowledgements in the run so far)`;
  const half = ctx.timings.sendTimeoutMs / 2;
  if (percentile(samples, 99) > half) return warn(`${summary}: p99 over half of notification.sendTimeout (${ms(half)})`);
  return pass(summary);
}

async function large(ctx: RunContext): Promise<Outcome> {
  const session = await ctx.session();
  if (typeof session === 'string') return fail(session);
  const { payload, count } = payloadOfSize(LARGE_REQUEST_BYTES, epochSeconds(ctx.clock));
  const bytes = JSON.stringify(payload).length + 120;
  const what = `request of about ${(bytes / 1024 / 1024).toFixed(2)} MiB (${count} JOB notifications)`;
  const sentAt = ctx.frames.length;
  const r = await session.notify(payload, ctx.timings.resendAfterMs);
  const outcome = judge(ctx, what, r, sentAt);
  if (outcome.status !== 'fail' || r.kind === 'ack') return outcome.status === 'pass' ? pass(`${what} ${outcome.message}`) : outcome;
  const closedTooBig = r.kind === 'closed' && r.close.code === 1009;
  const hint =
    ` NetBackup sends requests of up to 2 MB (spec §7).${closedTooBig ? ' Close code 1009 means "message too big".' : ''}` +
    ` An endpoint on Python \`websockets\` limits messages to ${PYTHON_WEBSOCKETS_MAX_SIZE / 1024 / 1024} MiB by default (max_size=2**20):` +
    ' serve with max_size=2**21 or more (other servers: raise their message size limit).';
  return fail(`${outcome.message}.${hint}`);
}

async function resend(ctx: RunContext): Promise<Outcome> {
  const session = await ctx.session();
  if (typeof session === 'string') return fail(session);
  const now = epochSeconds(ctx.clock);
  const payload = [element('JOB', [checkJob(4, now)])];
  const id = newMessageId();
  const firstSent = ctx.frames.length;
  const first = await session.notify(payload, ctx.timings.resendAfterMs, id);
  const firstOutcome = judge(ctx, 'first copy of the request', first, firstSent);
  if (first.kind !== 'ack' || firstOutcome.status === 'fail') return firstOutcome;
  // NetBackup resends after notification.scheduledRate, with the same id and the time of that send.
  const waited = ctx.timings.resendAfterMs;
  if (!(await ctx.wait(waited, 'before the resend', session.closed))) {
    return fail(`the endpoint closed the connection (${describeClose(session.closeInfo ?? { code: 0, reason: '' })}) before the resend`);
  }
  const again = ctx.frames.length;
  const second = await session.notify(payload, ctx.timings.resendAfterMs, id);
  const outcome = judge(ctx, 'resend', second, again);
  if (outcome.status === 'fail') {
    return fail(
      `the resend of an id acknowledged ${ms(waited)} earlier was not acknowledged again: ${outcome.message}. NetBackup resends an id until it is acknowledged and sends nothing new meanwhile (stop-and-wait), so delivery to the group stalls: de-duplicate by id and acknowledge every copy`,
    );
  }
  return pass(`the resend ${ms(waited)} later (same id, new timeStamp) was ${outcome.message}`);
}

async function load(ctx: RunContext): Promise<Outcome> {
  const total = ctx.load > 0 ? ctx.load : FULL_PROFILE_LOAD;
  const batch = ctx.config.notification.maxBatchSize;
  const requests = Math.ceil(total / batch);
  const latencies: number[] = [];
  const started = ctx.clock.monotonic();
  for (let i = 0; i < requests; i++) {
    const session = await ctx.session();
    if (typeof session === 'string') return fail(`after ${i} of ${requests} requests: ${session}`);
    const n = Math.min(batch, total - i * batch);
    const sentAt = ctx.frames.length;
    const r = await session.notify(jobs(1000 + i * batch, n, epochSeconds(ctx.clock)), ctx.timings.resendAfterMs);
    const outcome = judge(ctx, `request ${i + 1} of ${requests}`, r, sentAt);
    if (r.kind !== 'ack' || !r.payloadEmpty) return fail(`after ${i} of ${requests} requests: ${outcome.message}`);
    latencies.push(r.ms);
  }
  const seconds = Math.max(ctx.clock.monotonic() - started, 1) / 1000;
  const rate = (n: number) => Math.round(n / seconds).toLocaleString('en-US');
  const late = latencies.filter((l) => l > ctx.timings.sendTimeoutMs).length;
  const summary = `${total.toLocaleString('en-US')} notifications in ${requests} requests of up to ${batch} in ${seconds.toFixed(2)} s: ${rate(total)} notifications/s, ${rate(requests)} requests/s; acknowledgement ${latencySummary(latencies)}`;
  if (late > 0) return warn(`${summary}; ${late} acknowledgement${late === 1 ? '' : 's'} over notification.sendTimeout (${ms(ctx.timings.sendTimeoutMs)})`);
  return pass(summary);
}
