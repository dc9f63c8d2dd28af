import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createMockNetBackup, type MockNetBackup } from '../../src/netbackup-mock/index.js';
import { byPoll, gist, simulatorRig } from './helpers.js';

/**
 * The VMware Intelligent Policy scenario against the guide's worked example (spec §5, examples A–G), and the REST
 * side: the mock NetBackup serving the same world returns the same jobs and images.
 */

const NB_JSON = 'application/vnd.netbackup+json;version=1.0';
const JOB_FIELDS = ['clientName', 'jobId', 'jobType', 'parentJobId', 'policyName', 'policyType', 'scheduleType', 'startTime', 'state', 'status'];
const IMAGE_FIELDS = ['backupId', 'backupTime', 'clientName', 'clientType', 'createdTime', 'operationId'];

const servers: MockNetBackup[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

/** One VMware scenario, run to its end (jobsPerMinute so low that only the first poll starts one). */
function oneVmwareBackup(seed = 1) {
  const rig = simulatorRig({ seed, scenarios: ['vmware'], jobsPerMinute: 0.1 });
  rig.simulator.start();
  rig.polls(12);
  return rig;
}

describe('simulator: the VMware scenario', () => {
  it("produces the guide's sequence: A, B, C one poll each; images (D) with the backup's DONE (E); F with G", () => {
    const { raises, simulator } = oneVmwareBackup();
    expect(simulator.stats.scenariosStarted).toBe(1);
    const polls = [...byPoll(raises).entries()];
    const jobIds = raises.flatMap((r) => (r.object === 'JOB' ? r.data.map((d) => d.jobId as number) : []));
    const [p, s, b] = [...new Set(jobIds)].sort((x, y) => x - y) as [number, number, number];
    expect([s - p, b - s]).toEqual([1, 1]); // consecutive ids, as 144, 145, 146
    const images = raises.filter((r) => r.object === 'IMAGE').flatMap((r) => r.data);
    const [created, updated] = images.map((d) => d.backupId as string) as [string, string];

    expect(polls.map(([, rs]) => rs.map(gist))).toEqual([
      [[`JOB ${p} ACTIVE`]], // A: the parent job starts
      [[`JOB ${s} ACTIVE`]], // B: the snapshot job
      [[`JOB ${b} ACTIVE`]], // C: the backup job
      [[`IMAGE CREATE ${created}`, `IMAGE UPDATE ${updated}`], [`JOB ${b} DONE`]], // D + E: one poll, images first
      [[`JOB ${s} DONE`, `JOB ${p} DONE`]], // F + G
    ]);
    // A, B and C come at consecutive polls; F + G at the poll right after D + E.
    const numbers = polls.map(([n]) => n);
    expect([numbers[1]! - numbers[0]!, numbers[2]! - numbers[1]!, numbers[4]! - numbers[3]!]).toEqual([1, 1, 1]);
  });

  it("carries the guide's fields, parent links and values", () => {
    const { raises } = oneVmwareBackup();
    const jobs = raises.filter((r) => r.object === 'JOB').flatMap((r) => r.data);
    for (const j of jobs) expect(Object.keys(j).sort()).toEqual(JOB_FIELDS);
    const images = raises.filter((r) => r.object === 'IMAGE').flatMap((r) => r.data);
    for (const i of images) expect(Object.keys(i).sort()).toEqual(IMAGE_FIELDS);

    const [parent, snapshot, backup] = [jobs[0]!, jobs[1]!, jobs[2]!];
    expect(parent).toMatchObject({ parentJobId: parent.jobId, clientName: 'masterserver2.domain.com', state: 'ACTIVE' });
    expect(snapshot).toMatchObject({ parentJobId: parent.jobId, state: 'ACTIVE' });
    expect(backup).toMatchObject({ parentJobId: snapshot.jobId, clientName: snapshot.clientName, state: 'ACTIVE' });
    for (const j of jobs) {
      expect(j).toMatchObject({ jobType: 'BACKUP', policyType: 'VMWARE', status: 0, policyName: parent.policyName, scheduleType: parent.scheduleType });
      expect(j.scheduleType).toMatch(/^ST_(FULL|INCR|CINC)$/);
      expect(Number.isInteger(j.startTime) && (j.startTime as number) > 1459829670 && (j.startTime as number) < 1459829670 + 3600).toBe(true);
    }
    // Each job's DONE repeats its ACTIVE fields but the state.
    for (const done of jobs.filter((j) => j.state === 'DONE')) {
      const active = jobs.find((j) => j.jobId === done.jobId && j.state === 'ACTIVE')!;
      expect({ ...done, state: 'ACTIVE' }).toEqual(active);
    }
    // D: CREATE for the backup's image (backupTime = the backup job's start), UPDATE for the snapshot's.
    const [create, update] = images as [Record<string, unknown>, Record<string, unknown>];
    expect(create).toMatchObject({ operationId: 'CREATE', clientType: 'VMWARE', clientName: backup.clientName, backupTime: backup.startTime, backupId: `${String(backup.clientName)}_${String(backup.startTime)}` });
    expect(update).toMatchObject({ operationId: 'UPDATE', clientType: 'VMWARE', clientName: backup.clientName, backupTime: snapshot.startTime });
    expect(create.createdTime as number).toBeGreaterThanOrEqual(create.backupTime as number);
  });

  it('is the same for the same seed, and another seed gives another backup', () => {
    const a = oneVmwareBackup(7).raises;
    const b = oneVmwareBackup(7).raises;
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    const others = [8, 9, 10].map((seed) => JSON.stringify(oneVmwareBackup(seed).raises));
    expect(others.some((o) => o !== JSON.stringify(a))).toBe(true);
  });

  it('the REST API serves the same jobs and images as the notifications said', async () => {
    const { raises, world, clock } = oneVmwareBackup();
    const mock = createMockNetBackup({ world, clock });
    servers.push(mock);
    const { url } = await mock.listen('127.0.0.1', 0);
    const login = await request(`${url}/netbackup/login`, { method: 'POST', headers: { 'content-type': NB_JSON }, body: JSON.stringify({ userName: 'admin', password: 'password' }) });
    expect(login.statusCode).toBe(201);
    const { token } = (await login.body.json()) as { token: string };
    const get = async (path: string) => {
      const res = await request(`${url}${path}`, { headers: { accept: NB_JSON, authorization: token } });
      expect(res.statusCode).toBe(200);
      return (await res.body.json()) as { data: { id: string; attributes: Record<string, unknown> }[] };
    };

    const jobs = (await get('/netbackup/admin/jobs?page[limit]=100')).data;
    const last = new Map<number, Record<string, unknown>>();
    for (const r of raises) if (r.object === 'JOB') for (const d of r.data) last.set(d.jobId as number, d);
    expect(jobs.map((j) => Number(j.id)).sort()).toEqual([...last.keys()].sort());
    for (const { attributes: a } of jobs) {
      const n = last.get(a.jobId as number)!;
      expect({ jobId: a.jobId, parentJobId: a.parentJobId, jobType: a.jobType, state: a.state, status: a.status, policyName: a.policyName, policyType: a.policyType, clientName: a.clientName }).toEqual({
        jobId: n.jobId, parentJobId: n.parentJobId, jobType: n.jobType, state: n.state, status: n.status, policyName: n.policyName, policyType: n.policyType, clientName: n.clientName,
      });
      expect(`ST_${String(a.scheduleType)}`).toBe(n.scheduleType);
      expect(Date.parse(a.startTime as string) / 1000).toBe(n.startTime);
      expect(a.percentComplete).toBe(100);
      expect(typeof a.endTime).toBe('string');
    }

    const images = (await get('/netbackup/catalog/images?page[limit]=100')).data;
    const notified = raises.filter((r) => r.object === 'IMAGE').flatMap((r) => r.data);
    expect(images.map((i) => i.id).sort()).toEqual(notified.map((n) => n.backupId).sort());
    for (const n of notified) {
      const a = images.find((i) => i.id === n.backupId)!.attributes;
      expect({ clientName: a.clientName, clientType: a.clientType, backupTime: Date.parse(a.backupTime as string) / 1000 }).toEqual({ clientName: n.clientName, clientType: n.clientType, backupTime: n.backupTime });
    }
  });
});
