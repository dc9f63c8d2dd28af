/**
 * Memory of the console's per-group history rings (src/admin/history.ts) once full: G server groups, each sampled
 * every 10 s until its ring holds its 90 samples (15 minutes on an injected clock, in a moment), with a backlog, an
 * oldest pending age, acknowledgements and a latency in every sample. Prints the JS heap and the typed arrays'
 * backing stores (`arrayBuffers`) it holds, after a GC, per group and per sample, and the time of one
 * `GET /api/history` view.
 *
 *   node --expose-gc --import tsx bench/history.ts [--groups 10000]      (or npm run bench, BENCH_ONLY=history)
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { GroupHistory } from '../src/admin/history.js';
import type { DeliveryStatus } from '../src/notifications/status.js';
import { ManualClock } from '../test/helpers/manual-clock.js';

const { values } = parseArgs({ options: { groups: { type: 'string', default: '10000' } }, strict: false }); // npm run bench passes its own flags
const groups = Number(values.groups);
if (!Number.isInteger(groups) || groups < 1) throw new Error(`--groups must be a positive integer, got ${values.groups}`);
setFlagsFromString('--expose-gc'); // also under plain node (npm run bench)
const gc = ((globalThis as { gc?: () => void }).gc ?? runInNewContext('gc')) as () => void;

const ids = Array.from({ length: groups }, (_, i) => `group-${i}`);
const clock = new ManualClock();
const acks = new EventEmitter();
let tick = 0;
const status = () =>
  ({ groups: ids.map((groupId, i) => ({ groupId, deleted: null, backlog: (i + tick) % 7, oldestPendingAgeMs: (i + tick) % 3 ? 1234.5 : null })) }) as unknown as DeliveryStatus;
const delivery = { status, on: acks.on.bind(acks), off: acks.off.bind(acks) };

const used = () => {
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers };
};
const before = used();
const history = new GroupHistory({ clock, delivery, endpointGroups: () => ids });
for (tick = 0; tick < 90; tick++) {
  for (let i = 0; i < groups; i += 3) acks.emit('batchAcked', { groupId: ids[i], count: 10, latencyMs: 12.5 + tick });
  history.sampleNow();
  clock.advance(history.intervalMs);
}
const after = used();
const t0 = performance.now();
const view = history.view();
const viewMs = performance.now() - t0;
const samples = view.groups.reduce((n, g) => n + g.samples.length, 0);
const mb = (b: number) => (b / 2 ** 20).toFixed(1);
const heap = after.heap - before.heap;
const buffers = after.buffers - before.buffers;
console.log(`bench/history — ${groups} groups, ${samples / groups} samples each`);
console.log(`  held (after a GC)   ${mb(heap + buffers)} MB: JS heap ${mb(heap)} MB, typed arrays ${mb(buffers)} MB`);
console.log(`  per group           ${((heap + buffers) / groups / 1024).toFixed(2)} KB (${((heap + buffers) / samples).toFixed(1)} bytes a sample)`);
console.log(`  one view            ${viewMs.toFixed(0)} ms (GET /api/history builds its objects then)`);
console.log(JSON.stringify({ groups, samples, heapMb: Number(mb(heap)), typedArraysMb: Number(mb(buffers)), perGroupKb: Number(((heap + buffers) / groups / 1024).toFixed(2)), viewMs: Math.round(viewMs) }));
