import { describe, expect, it } from 'vitest';
import { whenConnected } from '../helpers/daemon.js';
import { conventionProblems } from '../helpers/json-conventions.js';
import { detailsOf, sseClient, startAdminDaemon, type AdminDaemon } from './helpers.js';
import { createMockEndpoint } from '../../src/endpoint-mock/index.js';
import { onTestFinished } from 'vitest';

/**
 * The JSON conventions of the admin API (README "API conventions"), checked on every route and every event type:
 * camelCase member names, times as ISO 8601 strings (`…At`, `…Since`, `validFrom`/`validTo`), durations as numbers
 * named `…Ms`, fractional numbers rounded to three decimals, validation errors as `error.errors[{field, message}]`.
 * A route added without a call here fails the test: the walk covers the router's own list.
 */

describe('conventionProblems', () => {
  it('flags snake_case names, numeric times, unrounded floats and non-numeric durations', () => {
    expect(conventionProblems({ request_id: 'x', createdAt: 1700000000000, lossRate: 0.33333, waitMs: '5', ok: { inSyncAt: '2025-01-01T00:00:00.000Z' } }, 'x')).toEqual([
      'x $.request_id: member name is not camelCase',
      'x $.createdAt: a time must be an ISO 8601 string, got 1700000000000',
      'x $.createdAt: 1700000000000 looks like epoch ms (times are ISO 8601 strings)',
      'x $.lossRate: 0.33333 is not rounded to three decimals',
      'x $.waitMs: a duration …Ms must be a number, got "5"',
    ]);
  });

  it('takes a float rounded to three decimals as rounded, whatever its binary form (16.153 * 1000 is 16152.999…)', () => {
    expect(16.153 * 1000).not.toBe(16153);
    expect(conventionProblems({ durationMs: 16.153, planMs: Math.round((0.1 + 0.2) * 1000) / 1000, lossRate: 0.333 }, 'x')).toEqual([]);
    expect(conventionProblems({ durationMs: 16.1531 }, 'x')).toEqual(['x $.durationMs: 16.1531 is not rounded to three decimals']);
  });
});

/** Every JSON response body a route gives, and which route templates were called. */
class Walk {
  readonly problems: string[] = [];
  readonly called = new Set<string>();
  constructor(readonly a: AdminDaemon) {}

  async call(method: string, template: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await this.a.call(method, path, body);
    this.called.add(`${method} ${template}`);
    expect(res.headers.get('content-type'), `${method} ${path}`).toMatch(/^application\/json/);
    const json = (await res.json()) as Record<string, unknown>;
    this.problems.push(...conventionProblems(json, `${method} ${path} (${res.status})`));
    if (res.status === 400) {
      const errors = (json.error as { errors?: unknown } | undefined)?.errors;
      if (!Array.isArray(errors) || errors.length === 0 || !errors.every((e) => typeof e.field === 'string' && typeof e.message === 'string')) {
        this.problems.push(`${method} ${path} (400): a validation error lists error.errors[{field, message}], got ${JSON.stringify(json)}`);
      }
    }
    return { status: res.status, body: json };
  }
}

describe('admin API JSON conventions', () => {
  it('every route and every event type: camelCase, ISO times, …Ms durations, rounded floats, field errors', async () => {
    const a = await startAdminDaemon({
      endpoints: [
        { host: '127.0.0.2', group: 'G1' },
        { host: '127.0.0.3', group: 'G1', priority: 2 },
        { host: '127.0.0.4', group: 'G2', faults: { rejectToken: true } },
      ],
      overrides: { 'connectionInfo.period': 3600 },
    });
    const events = await sseClient(`${a.base}/api/events`);
    const w = new Walk(a);
    const extra = await createMockEndpoint({ host: '127.0.0.5', token: 'token-5' });
    onTestFinished(() => extra.close());
    const details = detailsOf(extra, 'G5');

    // a COMMAND the daemon refuses by itself (a `..` segment): a command event without any NetBackup
    const [ep1] = a.endpoints;
    expect((await ep1!.sendCommand({ method: 'GET', uri: '/netbackup/../etc/passwd' })).responseCode).toBe(400);

    await w.call('GET', '/api/endpoints', '/api/endpoints');
    await w.call('GET', '/api/endpoints/{hostName}', '/api/endpoints/127.0.0.2');
    await w.call('GET', '/api/endpoints/{hostName}', '/api/endpoints/no.such.host');
    await w.call('GET', '/api/endpoints/{hostName}/monitor', '/api/endpoints/127.0.0.2/monitor');
    await w.call('GET', '/api/endpoints/{hostName}/monitor', '/api/endpoints/127.0.0.4/monitor');
    const validated = await w.call('POST', '/api/endpoints/validate', '/api/endpoints/validate', { details });
    await w.call('POST', '/api/endpoints/validate', '/api/endpoints/validate', { details: { ...details, url: 'ws://127.0.0.5/x' } });
    await w.call('POST', '/api/endpoints/validate', '/api/endpoints/validate', { details: { ...details, token: undefined } });
    const fingerprint = (validated.body.certificate as { fingerprint256: string }).fingerprint256;
    await w.call('POST', '/api/endpoints', '/api/endpoints', { details, fingerprint, extra: 1 });
    const added = await w.call('POST', '/api/endpoints', '/api/endpoints', { details, fingerprint });
    expect(added.status).toBe(201);
    await w.call('PATCH', '/api/endpoints/{hostName}', '/api/endpoints/127.0.0.5', { priority: 3 });
    await w.call('PATCH', '/api/endpoints/{hostName}', '/api/endpoints/127.0.0.5', { priority: 'high' });
    await w.call('PATCH', '/api/endpoints/{hostName}', '/api/endpoints/127.0.0.5', {});
    await w.call('POST', '/api/endpoints/{hostName}/deactivate', '/api/endpoints/127.0.0.2/deactivate');
    await a.daemon.scheduler.tickNow(); // closes 127.0.0.2; 127.0.0.3 takes G1
    await whenConnected(a.daemon, 'G1', '127.0.0.3');
    await w.call('POST', '/api/endpoints/{hostName}/activate', '/api/endpoints/127.0.0.2/activate');
    const deleted = await w.call('DELETE', '/api/endpoints/{hostName}', '/api/endpoints/127.0.0.5');
    await a.daemon.scheduler.tickNow();
    const job = { jobId: 7, parentJobId: 0, jobType: 'BACKUP', state: 'DONE', status: 0, startTime: 1700000000, policyName: 'p', policyType: 'VMWARE', scheduleType: 'FULL', clientName: 'vm1' };
    const raised = await w.call('POST', '/api/notifications', '/api/notifications', { object: 'JOB', data: [job, job] });
    await w.call('POST', '/api/notifications', '/api/notifications', { object: 'JOB', data: [{ ...job, jobId: 'x' }, {}] });
    await w.call('POST', '/api/notifications', '/api/notifications', { object: 'FILE', data: job });
    await w.call('GET', '/api/realization', `/api/realization?requestId=${raised.body.requestId as string}`);
    await w.call('GET', '/api/realization', `/api/realization?requestId=${deleted.body.requestId as string}`);
    await w.call('GET', '/api/realization', '/api/realization?requestId=x&wait=61');
    await w.call('GET', '/api/realization', '/api/realization');
    await w.call('POST', '/api/realization', '/api/realization', { kind: 'activate', hostName: '127.0.0.2', groupId: 'G1' });
    await w.call('POST', '/api/realization', '/api/realization', { kind: 'rename', hostName: '127.0.0.2', groupId: 'G1' });
    await w.call('POST', '/api/realization', '/api/realization', { kind: 'delete', hostName: '127.0.0.2', groupId: 'G1' });
    await w.call('GET', '/api/groups', '/api/groups');
    await w.call('POST', '/api/endpoints/{hostName}/check', '/api/endpoints/127.0.0.3/check', { only: ['tls'] });
    await w.call('POST', '/api/endpoints/{hostName}/check', '/api/endpoints/127.0.0.3/check', { only: ['nope'], profile: 'slow' });
    await w.call('GET', '/healthz', '/healthz');
    await w.call('GET', '/readyz', '/readyz?connected=1');
    w.called.add('GET /api/events'); // below: its frames
    for (const [path, template] of [['/metrics', '/metrics'], ['/', '/'], ['/console.js', '/{file}']] as const) {
      expect((await a.call('GET', path)).status).toBe(200); // not JSON
      w.called.add(`GET ${template}`);
    }

    await events.next((e) => e.event === 'batch_acked');
    a.admin.history!.sampleNow(); // a sample with an acknowledgement rate and latency
    await w.call('GET', '/api/history', '/api/history');
    await w.call('GET', '/api/daemon', '/api/daemon');
    await events.next((e) => e.event === 'command');
    await events.next((e) => e.event === 'attempt_failed');
    for (const e of events.events) w.problems.push(...conventionProblems(e.data, `event ${e.event}`));
    const types = new Set(events.events.map((e) => e.event));
    for (const t of ['hello', 'connection', 'attempt_failed', 'tick', 'endpoint', 'realization', 'notifications_raised', 'batch_sent', 'batch_acked', 'command']) expect(types, t).toContain(t);

    expect(w.problems).toEqual([]);
    expect([...w.called].sort()).toEqual(a.admin.routes.map((r) => `${r.method} ${r.template}`).sort());
  });
});
