import { describe, expect, it } from 'vitest';
import { checkNotificationRequest } from '../../src/conformance/index.js';
import { PayloadBuilder, notificationRequest } from '../../src/notifications/frame.js';
import { newMessageId } from '../../src/protocol/messages.js';
import { validateNotifications } from '../../src/protocol/notification-data.js';
import { FAILURE_STATUS, SCENARIO_NAMES, type ScenarioName } from '../../src/simulator/scenarios.js';
import type { RaisedEvent } from '../../src/simulator/simulator.js';
import { byPoll, gist, simulatorRig } from './helpers.js';

/** Every scenario's notifications are valid (the outbox's checks and the mock endpoint's conformance checks). */

/**
 * The NOTIFICATION REQUESTs the sender would build from one poll's raises (one element per object type; a new
 * request where a notification would overtake an earlier one of another type).
 */
function framesOf(raises: readonly RaisedEvent[]): unknown[] {
  let seq = 0;
  const rows = raises.flatMap((r) => r.data.map((d) => [++seq, r.object, JSON.stringify(d), 0] as [number, 'JOB' | 'IMAGE', string, number]));
  const frames: unknown[] = [];
  let builder = new PayloadBuilder({ maxFrameBytes: Number.POSITIVE_INFINITY });
  const flush = () => frames.push(JSON.parse(notificationRequest(newMessageId(), 1459811679, builder.build().text)));
  for (const row of rows) {
    if (builder.add(row)) continue;
    flush();
    builder = new PayloadBuilder({ maxFrameBytes: Number.POSITIVE_INFINITY });
    builder.add(row);
  }
  if (builder.count > 0) flush();
  return frames;
}

function run(scenarios: ScenarioName[], polls = 120, jobsPerMinute = 12, seed = 3) {
  const rig = simulatorRig({ scenarios, jobsPerMinute, seed });
  rig.simulator.start();
  rig.polls(polls);
  return rig;
}

describe('simulator: every scenario', () => {
  it.each(SCENARIO_NAMES)('%s: every raise validates and every poll makes a conformant NOTIFICATION REQUEST', (name) => {
    const { raises, simulator } = run([name]);
    expect(simulator.stats.byScenario[name]).toBeGreaterThanOrEqual(20);
    expect(raises.length).toBeGreaterThan(0);
    for (const r of raises) expect(() => validateNotifications(r.object, r.data)).not.toThrow();
    for (const [, rs] of byPoll(raises)) for (const frame of framesOf(rs)) expect(checkNotificationRequest(frame)).toEqual([]);
  });

  it('standard: QUEUED → ACTIVE → image CREATE → DONE status 0, at successive polls', () => {
    const { raises } = run(['standard'], 12, 0.1);
    const lines = raises.flatMap(gist);
    const id = raises[0]!.data[0]!.jobId as number;
    const image = lines.find((l) => l.startsWith('IMAGE'))!;
    expect(lines).toEqual([`JOB ${id} QUEUED`, `JOB ${id} ACTIVE`, image, `JOB ${id} DONE`]);
    expect(image).toMatch(/^IMAGE CREATE \S+_\d+$/);
    const done = raises.at(-1)!.data[0]!;
    expect(done).toMatchObject({ parentJobId: id, jobType: 'BACKUP', policyType: 'STANDARD', status: 0 });
    expect(new Set(raises.map((r) => r.poll)).size).toBe(3); // QUEUED, ACTIVE, then image + DONE in one poll
  });

  it('failed: DONE with a non-zero NetBackup status and no image', () => {
    const { raises } = run(['failed'], 200, 12);
    expect(raises.every((r) => r.object === 'JOB')).toBe(true);
    const done = raises.flatMap((r) => r.data).filter((d) => d.state === 'DONE');
    expect(done.length).toBeGreaterThan(10);
    for (const d of done) expect(Object.keys(FAILURE_STATUS).map(Number)).toContain(d.status);
    expect(new Set(done.map((d) => d.status)).size).toBeGreaterThan(2);
  });

  it("restore: jobType RESTORE, policyName \"\", policyType STANDARD, parentJobId = its own jobId (the guide's example)", () => {
    const { raises } = run(['restore'], 30, 6);
    const jobs = raises.flatMap((r) => r.data);
    expect(jobs.length).toBeGreaterThan(0);
    for (const j of jobs) expect(j).toMatchObject({ jobType: 'RESTORE', policyName: '', policyType: 'STANDARD', parentJobId: j.jobId, scheduleType: 'ST_FULL' });
    expect(jobs.filter((j) => j.state === 'DONE').every((j) => j.status === 0)).toBe(true);
  });

  it('expire: IMAGE DELETE of images that then are gone from the world', () => {
    const { raises, world } = run(['standard', 'expire'], 120, 12);
    const deleted = raises.filter((r) => r.object === 'IMAGE').flatMap((r) => r.data).filter((d) => d.operationId === 'DELETE');
    expect(deleted.length).toBeGreaterThan(5);
    for (const d of deleted) expect(world.getImage(d.backupId as string)).toBeUndefined();
  });

  it('air: UPDATE and NO_LOCAL_COPY_AVAILABLE of one image in one raise; the image stays, marked', () => {
    const { raises, world } = run(['air'], 30, 6);
    const images = raises.filter((r) => r.object === 'IMAGE');
    expect(images.length).toBeGreaterThan(0);
    for (const r of images) {
      expect(r.data.map((d) => d.operationId)).toEqual(['UPDATE', 'NO_LOCAL_COPY_AVAILABLE']);
      expect(r.data[0]).toEqual({ ...r.data[1], operationId: 'UPDATE' });
      expect(world.getImage(r.data[0]!.backupId as string)?.extra.localCopyAvailable).toBe(false);
    }
  });

  it('the mix follows simulator.scenarios and the rate follows simulator.jobsPerMinute, both live', () => {
    const rig = simulatorRig({ scenarios: [...SCENARIO_NAMES], jobsPerMinute: 60, seed: 5 });
    rig.simulator.start();
    rig.polls(120); // 10 minutes at 60/min, plus the one the first poll starts at once
    expect(rig.simulator.stats.scenariosStarted).toBe(601);
    for (const name of SCENARIO_NAMES) expect(rig.simulator.stats.byScenario[name]).toBeGreaterThan(60);
    rig.setConfig({ jobsPerMinute: 6, scenarios: ['failed'] });
    rig.polls(120); // 10 more minutes at 6/min
    const stats = rig.simulator.stats;
    expect(stats.scenariosStarted).toBe(661);
    expect(stats.byScenario.failed).toBeGreaterThanOrEqual(60);
    expect(stats.byObject.JOB + stats.byObject.IMAGE).toBe(stats.notificationsRaised);
  });

  it('refuses an unknown scenario name at start, naming the known ones', () => {
    const rig = simulatorRig({ scenarios: ['vmware', 'tape'] });
    expect(() => rig.simulator.start()).toThrow(/unknown scenario tape \(known: vmware, standard, restore, failed, expire, air\)/);
  });

  it('stop() raises what the world already changed, then nothing more', async () => {
    const rig = simulatorRig({ scenarios: ['vmware'], jobsPerMinute: 0.1 });
    rig.simulator.start();
    rig.clock.advance(5000 + 4900); // the first poll started it; its parent job is ACTIVE, not yet polled
    expect(rig.raises).toEqual([]);
    await rig.simulator.stop();
    expect(rig.raises.flatMap(gist)).toEqual([expect.stringMatching(/^JOB \d+ ACTIVE$/)]);
    rig.polls(10);
    expect(rig.raises).toHaveLength(1);
  });

  it('burst mode: maxScenarios, job ids from firstJobId, then idle', async () => {
    const rig = simulatorRig({ scenarios: ['standard', 'vmware'], jobsPerMinute: 600, pollInterval: 1 }, { maxScenarios: 25, firstJobId: 1_000_000 });
    const idle = rig.simulator.whenIdle();
    rig.simulator.start();
    for (let i = 0; i < 20; i++) {
      rig.polls(1);
      await Promise.resolve();
    }
    await idle;
    expect(rig.simulator.stats.scenariosStarted).toBe(25);
    const ids = rig.raises.filter((r) => r.object === 'JOB').flatMap((r) => r.data.map((d) => d.jobId as number));
    expect(Math.min(...ids)).toBe(1_000_000);
    await rig.simulator.stop();
  });
});
