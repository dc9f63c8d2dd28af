import { describe, expect, it } from 'vitest';
import { formatImage, formatJob, formatMessage, formatProblem, maskToken, previewBody, redactMessage } from '../../src/endpoint-mock/format.js';
import { commandRequest, commandResponse, connectRequest, connectResponse, notificationResponse } from '../../src/protocol/index.js';
import { guidePayload } from './helpers.js';

const ID = '608FE0C1-B03C-421D-8876-E3730A7855AF';
const job = { scheduleType: 'ST_FULL', clientName: 'DummyTestVM', status: 0, startTime: 1459829698, policyName: 'vmware2', parentJobId: 145, jobId: 146, policyType: 'VMWARE', jobType: 'BACKUP' };

describe('format', () => {
  it('a JOB in one line: parent when another job, status when done or failed', () => {
    expect(formatJob({ ...job, state: 'ACTIVE' })).toBe('JOB 146 ACTIVE (parent 145) BACKUP vmware2 DummyTestVM');
    expect(formatJob({ ...job, state: 'DONE', status: 150 })).toBe('JOB 146 DONE status 150 (parent 145) BACKUP vmware2 DummyTestVM');
    expect(formatJob({ ...job, state: 'ACTIVE', jobId: 144, parentJobId: 144, clientName: 'primary' })).toBe('JOB 144 ACTIVE BACKUP vmware2 primary');
    expect(formatJob({ ...job, state: 'QUEUED', jobType: 'RESTORE', policyName: '', parentJobId: 0 })).toBe('JOB 146 QUEUED RESTORE "" DummyTestVM');
    expect(formatJob('junk')).toBe('JOB junk');
  });

  it('an IMAGE in one line', () => {
    expect(formatImage({ operationId: 'CREATE', backupId: 'DummyTestVM_1459811698' })).toBe('IMAGE CREATE DummyTestVM_1459811698');
    expect(formatImage({})).toBe('IMAGE ? ?');
  });

  it('a NOTIFICATION REQUEST: a summary line and one line per notification; resends are marked', () => {
    const m = { version: '1.0', id: ID, type: 'NOTIFICATION', subType: 'REQUEST', timeStamp: 1, payload: guidePayload() };
    expect(formatMessage(m)).toBe(
      [`NOTIFICATION REQUEST ${ID}: 1 JOB, 1 IMAGE`, '  JOB 146 DONE status 0 (parent 145) BACKUP vmware2 DummyTestVM', '  IMAGE UPDATE DummyTestVM_1459811698'].join('\n'),
    );
    expect(formatMessage(m, { timesSeen: 3 }).split('\n')[0]).toBe(`NOTIFICATION REQUEST ${ID}: 1 JOB, 1 IMAGE (resend #2)`);
  });

  it('a CONNECT REQUEST never shows the token', () => {
    const line = formatMessage(connectRequest('qwerrtrtrtrt2234344===', 1, ID), { valid: true });
    expect(line).toBe(`CONNECT REQUEST ${ID} token=*** (22 chars) → valid`);
    expect(line).not.toContain('qwer');
    expect(formatMessage(connectRequest('x', 1, ID), { valid: false })).toMatch(/→ REJECTED$/);
    expect(maskToken(undefined)).toBe('(missing)');
    expect(JSON.stringify(redactMessage(connectRequest('qwerrtrtrtrt2234344===', 1, ID)))).not.toContain('qwer');
  });

  it('a COMMAND RESPONSE: status, size, content type, round trip and the request', () => {
    const r = commandResponse(ID, { headers: { 'content-type': 'application/json' }, responseCode: 200, body: '{"data":[]}' }, 1);
    expect(formatMessage(r, { rttMs: 12.4, request: { method: 'GET', uri: '/netbackup/admin/jobs' } })).toBe(
      `COMMAND RESPONSE ${ID} 200 (11 bytes, application/json) in 12 ms ← GET /netbackup/admin/jobs`,
    );
  });

  it('the endpoint side and anything else', () => {
    expect(formatMessage(commandRequest({ method: 'POST', uri: '/x', parameters: '{"a":1}' }, 1, ID))).toBe(`COMMAND REQUEST ${ID} POST /x (7 bytes)`);
    expect(formatMessage(connectResponse(ID, true, 1))).toBe(`CONNECT RESPONSE ${ID} valid=true`);
    expect(formatMessage(notificationResponse(ID, 1))).toBe(`NOTIFICATION RESPONSE ${ID} ack`);
    expect(formatMessage({ type: 'X', subType: 'Y', id: 'z' })).toBe('X Y z (unknown message)');
    expect(formatMessage(null)).toBe('(not a message: null)');
    expect(previewBody('a\n  b', 200)).toBe('a b');
    expect(previewBody('x'.repeat(10), 4)).toBe('xxxx… (10 chars)');
    expect(formatProblem({ rule: 'r', path: 'p', message: 'm', severity: 'error' })).toBe('! error p: m [r]');
    expect(formatProblem({ rule: 'envelope.timeStamp', path: 'timeStamp', message: 'm', severity: 'error' })).toBe('! error timeStamp: m [envelope.timeStamp §2]');
  });
});
