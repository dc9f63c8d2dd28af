import { World } from '../../src/netbackup-mock/world.js';
import type { SimulatorConfig } from '../../src/simulator/simulator.js';
import { Simulator, type RaisedEvent } from '../../src/simulator/simulator.js';
import { ManualClock } from '../helpers/manual-clock.js';

/** The guide's worked example starts at 1459829674 (job 144's startTime): start the clock just before it. */
export const GUIDE_EPOCH_MS = 1459829670000;

/** A simulator on a fresh world, driven by a manual clock, whose raises are recorded (no database). */
export function simulatorRig(config: Partial<SimulatorConfig> = {}, options: { firstJobId?: number; maxScenarios?: number } = {}) {
  const clock = new ManualClock(GUIDE_EPOCH_MS);
  const world = new World({ clock });
  const raises: RaisedEvent[] = [];
  const full: SimulatorConfig = { enabled: true, seed: 1, jobsPerMinute: 6, scenarios: ['vmware'], primaryName: 'masterserver2.domain.com', pollInterval: 5, ...config };
  let live = full;
  const simulator = new Simulator({
    world,
    clock,
    sink: { raise: async () => undefined },
    config: () => live,
    ...options,
  });
  simulator.on('raised', (e) => raises.push(e));
  return {
    clock,
    world,
    simulator,
    raises,
    /** Change live keys (as a reload would). */
    setConfig(patch: Partial<SimulatorConfig>) {
      live = { ...live, ...patch };
    },
    /** Advance by `polls` poll intervals, one at a time. */
    polls(polls: number) {
      for (let i = 0; i < polls; i++) clock.advance(full.pollInterval * 1000);
    },
  };
}

/** Raises grouped by poll: poll number → its raises in order. */
export function byPoll(raises: readonly RaisedEvent[]): Map<number, RaisedEvent[]> {
  const map = new Map<number, RaisedEvent[]>();
  for (const r of raises) map.set(r.poll, [...(map.get(r.poll) ?? []), r]);
  return map;
}

/** `JOB 144 ACTIVE` / `IMAGE CREATE x_1` for each notification of a raise. */
export function gist(r: RaisedEvent): string[] {
  return r.data.map((d) => (r.object === 'JOB' ? `JOB ${String(d.jobId)} ${String(d.state)}` : `IMAGE ${String(d.operationId)} ${String(d.backupId)}`));
}
