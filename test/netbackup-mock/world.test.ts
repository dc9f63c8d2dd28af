import { describe, expect, it } from 'vitest';
import {
  World,
  WorldError,
  imageNotificationData,
  jobAttributes,
  jobNotificationData,
  imageAttributes,
  toRestTime,
  toNotificationTime,
  fromRestTime,
  seedGuideExample,
  type ImageChange,
  type JobChange,
  type VmServerChange,
} from '../../src/netbackup-mock/index.js';
import { notificationProblems } from '../../src/protocol/notification-data.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { MOCK_START } from './helpers.js';

describe('World jobs', () => {
  it('adds a job with defaults, ids from nextJobId, times from the clock', () => {
    const clock = new ManualClock(MOCK_START);
    const world = new World({ clock });
    const job = world.addJob({ clientName: 'client1' });
    expect(job).toMatchObject({ jobId: 1, parentJobId: 0, jobType: 'BACKUP', state: 'QUEUED', status: 0, try: 1, startTime: clock.now(), endTime: undefined });
    expect(world.nextJobId()).toBe(2);
    expect(world.addJob({ clientName: 'c' }).jobId).toBe(3);
    world.addJob({ jobId: 100, clientName: 'c' });
    expect(world.nextJobId()).toBe(101);
    expect(Object.isFrozen(job)).toBe(true);
  });

  it('refuses a duplicate id and invalid fields with coded errors', () => {
    const world = new World();
    world.addJob({ jobId: 5, clientName: 'c' });
    expect(() => world.addJob({ jobId: 5, clientName: 'c' })).toThrow(expect.objectContaining({ code: 'NBWSS_ERR_MOCK_EXISTS' }));
    expect(() => world.addJob({ clientName: 'c', state: 'RUNNING' as never })).toThrow(expect.objectContaining({ code: 'NBWSS_ERR_MOCK_INVALID' }));
    expect(() => world.addJob({ clientName: '' })).toThrow(WorldError);
    expect(() => world.updateJob(99, { state: 'DONE' })).toThrow(expect.objectContaining({ code: 'NBWSS_ERR_MOCK_NOT_FOUND' }));
  });

  it('emits typed change events with the record before and after', () => {
    const clock = new ManualClock(MOCK_START);
    const world = new World({ clock });
    const changes: JobChange[] = [];
    world.on('job', (c) => changes.push(c));
    world.addJob({ jobId: 7, clientName: 'c' });
    clock.advance(1500);
    world.updateJob(7, { state: 'ACTIVE' });
    world.upsertJob({ jobId: 7, state: 'DONE', endTime: clock.now(), percentComplete: 100 });
    world.upsertJob({ jobId: 8, clientName: 'd' });
    expect(changes.map((c) => [c.op, c.job.jobId, c.previous?.state, c.job.state])).toEqual([
      ['create', 7, undefined, 'QUEUED'],
      ['update', 7, 'QUEUED', 'ACTIVE'],
      ['update', 7, 'ACTIVE', 'DONE'],
      ['create', 8, undefined, 'QUEUED'],
    ]);
    expect(changes[1]!.job.lastUpdateTime).toBe(clock.now());
    expect(world.getJob(7)!.endTime).toBe(clock.now());
    // going back for another try clears endTime
    expect(world.updateJob(7, { state: 'ACTIVE', try: 2, endTime: undefined }).endTime).toBeUndefined();
  });

  it('keeps the REST scheduleType and gives notifications ST_ (either given on input)', () => {
    const world = new World();
    const job = world.addJob({ clientName: 'c', scheduleType: 'ST_FULL' });
    expect(job.scheduleType).toBe('FULL');
    expect(jobNotificationData(job).scheduleType).toBe('ST_FULL');
    expect(jobAttributes(job).scheduleType).toBe('FULL');
  });
});

describe('World images and vmservers', () => {
  it('adds, updates and deletes images with events; backupId defaults to client_seconds', () => {
    const clock = new ManualClock(Date.parse('2016-04-04T23:14:58.700Z'));
    const world = new World({ clock });
    const changes: ImageChange[] = [];
    world.on('image', (c) => changes.push(c));
    const image = world.addImage({ clientName: 'DummyTestVM', policyType: 'VMWARE' });
    expect(image.backupId).toBe(`DummyTestVM_${Math.floor(clock.now() / 1000)}`);
    expect(image.backupTime % 1000).toBe(0);
    expect(image.clientType).toBe('VMWARE');
    expect(() => world.addImage({ clientName: 'DummyTestVM' })).toThrow(expect.objectContaining({ code: 'NBWSS_ERR_MOCK_EXISTS' }));
    world.updateImage(image.backupId, { kilobytes: 10 });
    const removed = world.deleteImage(image.backupId);
    expect(removed.kilobytes).toBe(10);
    expect(world.getImage(image.backupId)).toBeUndefined();
    expect(changes.map((c) => c.op)).toEqual(['create', 'update', 'delete']);
    expect(() => world.deleteImage(image.backupId)).toThrow(expect.objectContaining({ code: 'NBWSS_ERR_MOCK_NOT_FOUND' }));
  });

  it('keys vmservers case-insensitively', () => {
    const world = new World();
    const changes: VmServerChange[] = [];
    world.on('vmServer', (c) => changes.push(c));
    world.addVmServer({ serverName: 'vCenter2.domain.com', vmType: 'VMWARE_VIRTUAL_CENTER_SERVER' });
    expect(world.getVmServer('VCENTER2.domain.com')?.serverName).toBe('vCenter2.domain.com');
    expect(() => world.addVmServer({ serverName: 'vcenter2.DOMAIN.com', vmType: 'VMWARE_ESX_SERVER' })).toThrow(expect.objectContaining({ code: 'NBWSS_ERR_MOCK_EXISTS' }));
    world.deleteVmServer('vcenter2.domain.com');
    expect(world.listVmServers()).toEqual([]);
    expect(changes.map((c) => c.op)).toEqual(['create', 'delete']);
  });
});

describe('views: one record, two time formats', () => {
  it('REST shows ISO strings, notifications epoch seconds, of the same instants', () => {
    const world = new World();
    const startTime = Date.parse('2018-01-09T10:03:22.000Z');
    const job = world.addJob({ jobId: 5, clientName: 'DummyTestVM', startTime, endTime: startTime + 1000, lastUpdateTime: startTime + 1256, state: 'DONE' });
    expect(jobAttributes(job)).toMatchObject({ startTime: '2018-01-09T10:03:22.000Z', endTime: '2018-01-09T10:03:23.000Z', lastUpdateTime: '2018-01-09T10:03:23.256Z' });
    expect(jobNotificationData(job)).toEqual({
      jobId: 5, parentJobId: 0, jobType: 'BACKUP', state: 'DONE', status: 0, startTime: 1515492202,
      policyName: '', policyType: 'STANDARD', scheduleType: 'ST_FULL', clientName: 'DummyTestVM',
    });
    const image = world.addImage({ clientName: 'DummyTestVM', clientType: 'VMWARE', backupTime: 1459811698_000, createdTime: 1459829720_500 });
    expect(imageAttributes(image).backupTime).toBe('2016-04-04T23:14:58.000Z');
    expect(imageNotificationData(image, 'UPDATE')).toEqual({
      backupId: 'DummyTestVM_1459811698', operationId: 'UPDATE', clientName: 'DummyTestVM', clientType: 'VMWARE', backupTime: 1459811698, createdTime: 1459829720,
    });
    expect(toNotificationTime(fromRestTime(toRestTime(1459811698_999))!)).toBe(1459811698);
    // what notifications' raise() takes
    const asRaised: Record<string, unknown>[] = [jobNotificationData(job), imageNotificationData(image, 'CREATE')];
    expect(notificationProblems('JOB', asRaised[0])).toEqual([]);
    expect(notificationProblems('IMAGE', asRaised[1])).toEqual([]);
    expect(fromRestTime('yesterday')).toBeUndefined();
  });

  it('omits endTime from REST until the job ends and lets extras through without overriding named fields', () => {
    const world = new World();
    const job = world.addJob({ clientName: 'c', extra: { jobOwner: 'root', state: 'BOGUS' } });
    const attrs = jobAttributes(job);
    expect(attrs).not.toHaveProperty('endTime');
    expect(attrs.jobOwner).toBe('root');
    expect(attrs.state).toBe('QUEUED');
  });
});

describe('seedGuideExample', () => {
  it("holds the guide's jobs 144-146 as its examples E-G show them done, and the image of job 146", () => {
    const world = new World();
    seedGuideExample(world, 'masterserver2.domain.com');
    const common = { jobType: 'BACKUP', state: 'DONE', status: 0, policyName: 'vmware2', policyType: 'VMWARE', scheduleType: 'ST_FULL' };
    // The guide's example G (parent), F (snapshot) and E (backup), field for field.
    expect(jobNotificationData(world.getJob(144)!)).toEqual({ ...common, jobId: 144, parentJobId: 144, startTime: 1459829674, clientName: 'masterserver2.domain.com' });
    expect(jobNotificationData(world.getJob(145)!)).toEqual({ ...common, jobId: 145, parentJobId: 144, startTime: 1459829686, clientName: 'DummyTestVM' });
    expect(jobNotificationData(world.getJob(146)!)).toEqual({ ...common, jobId: 146, parentJobId: 145, startTime: 1459829698, clientName: 'DummyTestVM' });
    for (const id of [144, 145, 146]) expect(notificationProblems('JOB', jobNotificationData(world.getJob(id)!))).toEqual([]);
    expect(imageNotificationData(world.getImage('DummyTestVM_1459811698')!, 'CREATE')).toEqual({
      clientType: 'VMWARE', clientName: 'DummyTestVM', backupTime: 1459811698, createdTime: 1459829720, operationId: 'CREATE', backupId: 'DummyTestVM_1459811698',
    });
  });
});
