/**
 * Seed data: the NBWSS guide's worked example (spec §5) as a finished world, so a fresh `nbwss mock-netbackup`
 * has something to list.
 */
import { fromNotificationTime } from './views.js';
import type { World } from './world.js';

/** The VMware server of the guide's COMMAND RESPONSE example. */
export const GUIDE_VM_SERVER = { serverName: 'vCenter2.domain.com', vmType: 'VMWARE_VIRTUAL_CENTER_SERVER', userId: 'root', password: 'secret', port: 0 } as const;

/**
 * Add the guide's VMware Intelligent Policy backup (its notification examples A–G), done: parent job 144 (client =
 * `primaryName`, `parentJobId` its own id), snapshot job 145 (child of 144), backup job 146 (child of 145) of
 * `DummyTestVM` with its image `DummyTestVM_1459811698`, and the vCenter `vCenter2.domain.com`. All three jobs are
 * `jobType` `BACKUP`, as the guide's notifications show. Times are the guide's epoch seconds.
 */
export function seedGuideExample(world: World, primaryName = 'nbu-primary.example.com'): void {
  const end = fromNotificationTime(1459829730);
  const common = { jobType: 'BACKUP', jobSubType: 'IMMEDIATE', policyType: 'VMWARE', policyName: 'vmware2', scheduleType: 'FULL', scheduleName: 'full', state: 'DONE', status: 0, endTime: end, lastUpdateTime: end, percentComplete: 100 } as const;
  world.addJob({ ...common, jobId: 144, parentJobId: 144, clientName: primaryName, startTime: fromNotificationTime(1459829674) });
  world.addJob({ ...common, jobId: 145, parentJobId: 144, clientName: 'DummyTestVM', startTime: fromNotificationTime(1459829686) });
  world.addJob({ ...common, jobId: 146, parentJobId: 145, clientName: 'DummyTestVM', startTime: fromNotificationTime(1459829698), kilobytesTransferred: 1024, numberOfFiles: 12 });
  world.addImage({
    backupId: 'DummyTestVM_1459811698',
    clientName: 'DummyTestVM',
    clientType: 'VMWARE',
    policyName: 'vmware2',
    policyType: 'VMWARE',
    scheduleName: 'full',
    scheduleType: 'FULL',
    backupTime: fromNotificationTime(1459811698),
    createdTime: fromNotificationTime(1459829720),
    kilobytes: 1024,
    numberOfFiles: 12,
    jobId: 146,
  });
  if (!world.getVmServer(GUIDE_VM_SERVER.serverName)) world.addVmServer(GUIDE_VM_SERVER);
}
