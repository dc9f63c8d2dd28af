import { describe, expect, it } from 'vitest';
import { seedGuideExample, World } from '../../src/netbackup-mock/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { call, login, MOCK_START, NB_JSON, startMock } from './helpers.js';

describe('login and tokens', () => {
  it('logs in, then GETs jobs with the raw token; 401 without or with a wrong one', async () => {
    const { url } = await startMock();
    const res = await call(url, 'POST', '/netbackup/login', { body: { domainType: 'vx', domainName: 'mydomain', userName: 'admin', password: 'password' } });
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe(NB_JSON);
    expect(res.json).toEqual({ token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/), tokenType: 'BEARER', validity: 86400 });
    const token = res.json.token as string;
    expect((await call(url, 'GET', '/netbackup/admin/jobs', { token })).status).toBe(200);
    expect((await call(url, 'GET', '/netbackup/admin/jobs', { token: `Bearer ${token}` })).status).toBe(200);
    const none = await call(url, 'GET', '/netbackup/admin/jobs');
    expect(none.status).toBe(401);
    expect(none.json).toEqual({ errorCode: 401, errorMessage: expect.stringContaining('Unauthorized'), errorDetails: [] });
    expect((await call(url, 'GET', '/netbackup/admin/jobs', { token: token + 'x' })).status).toBe(401);
  });

  it('refuses bad credentials with 401 and a malformed body with 400', async () => {
    const { url } = await startMock({ users: [{ userName: 'ops', password: 's3cret', domainName: 'corp' }] });
    const login = (body: unknown) => call(url, 'POST', '/netbackup/login', { body });
    expect((await login({ userName: 'ops', password: 'wrong', domainName: 'corp' })).status).toBe(401);
    expect((await login({ userName: 'ops', password: 's3cret', domainName: 'other' })).status).toBe(401);
    expect((await login({ userName: 'admin', password: 'password' })).status).toBe(401);
    expect((await login({ userName: 'ops', password: 's3cret', domainName: 'CORP' })).status).toBe(201);
    const bad = await login('{not json');
    expect(bad.status).toBe(400);
    expect(bad.json.errorCode).toBe(20);
    expect((await login({ userName: 'ops' })).status).toBe(400);
  });

  it('expires tokens after their validity on the injected clock; logout revokes', async () => {
    const clock = new ManualClock(MOCK_START);
    const { url } = await startMock({ clock, tokenValidity: 60 });
    const token = await login(url);
    clock.advance(59_999);
    expect((await call(url, 'GET', '/netbackup/admin/jobs', { token })).status).toBe(200);
    clock.advance(1);
    expect((await call(url, 'GET', '/netbackup/admin/jobs', { token })).status).toBe(401);
    const again = await login(url);
    expect((await call(url, 'POST', '/netbackup/logout', { token: again })).status).toBe(204);
    expect((await call(url, 'GET', '/netbackup/admin/jobs', { token: again })).status).toBe(401);
  });
});

describe('jobs', () => {
  async function withJobs(n: number) {
    const world = new World();
    for (let i = 1; i <= n; i++) world.addJob({ jobId: i, clientName: `client${i % 3}`, parentJobId: i > 10 ? 10 : 0, state: i % 2 ? 'DONE' : 'ACTIVE' });
    const { url, mock } = await startMock({ world });
    return { url, mock, world, token: await login(url) };
  }

  it('pages with page[offset]/page[limit] (default 10), meta.pagination and links.next', async () => {
    const { url, token } = await withJobs(25);
    const first = await call(url, 'GET', '/netbackup/admin/jobs', { token });
    expect(first.json.data).toHaveLength(10);
    expect(first.json.data[0]).toMatchObject({ type: 'job', id: '25', attributes: { jobId: 25 }, links: { self: { href: '/admin/jobs/25' } } });
    expect(first.json.meta.pagination).toMatchObject({ count: 25, limit: 10, offset: 0, hasNext: true, hasPrev: false, pages: 3 });
    const seen: string[] = [];
    let next: string | undefined = `${url}/netbackup/admin/jobs?page[limit]=10`;
    while (next) {
      const page = await call(next, 'GET', '', { token });
      seen.push(...page.json.data.map((d: { id: string }) => d.id));
      next = page.json.links.next?.href;
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => String(25 - i)));
    const last = await call(url, 'GET', '/netbackup/admin/jobs?page[offset]=20&page[limit]=10', { token });
    expect(last.json.data).toHaveLength(5);
    expect(last.json.meta.pagination).toMatchObject({ offset: 20, hasNext: false, hasPrev: true });
    expect(last.json.links.next).toBeUndefined();
    const encoded = await call(url, 'GET', '/netbackup/admin/jobs?page%5Blimit%5D=3', { token });
    expect(encoded.json.data).toHaveLength(3);
    expect((await call(url, 'GET', '/netbackup/admin/jobs?page[limit]=0', { token })).status).toBe(400);
    expect((await call(url, 'GET', '/netbackup/admin/jobs?page[offset]=-1', { token })).status).toBe(400);
  });

  it('filters: eq/and, ne/gt/ge/lt/le, dates; a malformed filter is 400 with a NetBackup body', async () => {
    const { url, token } = await withJobs(14);
    const q = async (filter: string) => {
      const res = await call(url, 'GET', `/netbackup/admin/jobs?page[limit]=100&filter=${encodeURIComponent(filter)}`, { token });
      expect(res.status).toBe(200);
      return res.json.data.map((d: { attributes: { jobId: number } }) => d.attributes.jobId);
    };
    expect(await q("parentJobId eq 10 and state eq 'DONE'")).toEqual([13, 11]);
    expect(await q('jobId gt 12')).toEqual([14, 13]);
    expect(await q('jobId ge 13 and jobId le 13')).toEqual([13]);
    expect(await q('jobId lt 2')).toEqual([1]);
    expect(await q("state ne 'DONE' and jobId lt 5")).toEqual([4, 2]);
    expect(await q(`startTime ge 2000-01-01T00:00:00.000Z`)).toHaveLength(14);
    expect(await q(`startTime lt 2000-01-01T00:00:00.000Z`)).toHaveLength(0);
    const plus = await call(url, 'GET', "/netbackup/admin/jobs?filter=jobId+eq+3", { token });
    expect(plus.json.data.map((d: { id: string }) => d.id)).toEqual(['3']);
    const bad = await call(url, 'GET', `/netbackup/admin/jobs?filter=${encodeURIComponent("state eq DONE'")}`, { token });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ errorCode: 20, errorMessage: expect.stringContaining('Invalid filter'), errorDetails: [expect.objectContaining({ parameter: 'filter' })] });
    expect((await call(url, 'GET', `/netbackup/admin/jobs?filter=${encodeURIComponent('nope eq 1')}`, { token })).status).toBe(400);
    expect((await call(url, 'GET', '/netbackup/admin/jobs?sort=jobId', { token })).json.data[0].id).toBe('1');
    expect((await call(url, 'GET', '/netbackup/admin/jobs?sort=-nope', { token })).status).toBe(400);
  });

  it('GET /admin/jobs/{jobId}: the spec shape; unknown 404, not a number 400', async () => {
    const world = new World();
    const t = Date.parse('2018-01-09T10:03:22.000Z');
    world.addJob({
      jobId: 5, parentJobId: 0, jobType: 'BACKUP', jobSubType: 'IMMEDIATE', policyType: 'VMWARE', policyName: 'vmware2', scheduleType: 'FULL',
      clientName: 'DummyTestVM', status: 0, state: 'DONE', percentComplete: 100, kilobytesTransferred: 1024, startTime: t, endTime: t + 1000, lastUpdateTime: t + 1256, try: 1,
    });
    const { url } = await startMock({ world });
    const token = await login(url);
    const res = await call(url, 'GET', '/netbackup/admin/jobs/5', { token });
    expect(res.status).toBe(200);
    expect(res.json.data).toMatchObject({
      type: 'job',
      id: '5',
      attributes: {
        jobId: 5, parentJobId: 0, jobType: 'BACKUP', jobSubType: 'IMMEDIATE', policyType: 'VMWARE', policyName: 'vmware2', scheduleType: 'FULL', clientName: 'DummyTestVM',
        status: 0, state: 'DONE', percentComplete: 100, kilobytesTransferred: 1024,
        startTime: '2018-01-09T10:03:22.000Z', endTime: '2018-01-09T10:03:23.000Z', lastUpdateTime: '2018-01-09T10:03:23.256Z', try: 1,
      },
    });
    const missing = await call(url, 'GET', '/netbackup/admin/jobs/6', { token });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ errorCode: 227, errorMessage: expect.stringContaining('no entity was found') });
    expect((await call(url, 'GET', '/netbackup/admin/jobs/abc', { token })).status).toBe(400);
  });

  it('shows world changes made after start (the simulator path) exactly as REST', async () => {
    const clock = new ManualClock(MOCK_START);
    const { url, mock } = await startMock({ clock });
    const token = await login(url);
    const job = mock.world.addJob({ clientName: 'vm1', policyType: 'VMWARE', state: 'ACTIVE' });
    expect((await call(url, 'GET', `/netbackup/admin/jobs/${job.jobId}`, { token })).json.data.attributes.state).toBe('ACTIVE');
    clock.advance(5000);
    mock.world.updateJob(job.jobId, { state: 'DONE', endTime: clock.now(), percentComplete: 100 });
    const done = await call(url, 'GET', `/netbackup/admin/jobs?filter=${encodeURIComponent("state eq 'DONE'")}`, { token });
    expect(done.json.data).toHaveLength(1);
    expect(done.json.data[0].attributes).toMatchObject({ state: 'DONE', endTime: new Date(clock.now()).toISOString(), lastUpdateTime: new Date(clock.now()).toISOString() });
    const image = mock.world.addImage({ clientName: 'vm1', policyType: 'VMWARE', jobId: job.jobId });
    expect((await call(url, 'GET', `/netbackup/catalog/images/${image.backupId}`, { token })).status).toBe(200);
    mock.world.deleteImage(image.backupId);
    expect((await call(url, 'GET', `/netbackup/catalog/images/${image.backupId}`, { token })).status).toBe(404);
  });
});

describe('images', () => {
  it('lists with filter and paging, gets one by backupId', async () => {
    const world = new World();
    seedGuideExample(world);
    world.addImage({ clientName: 'x', backupTime: Date.parse('2017-12-31T12:00:00Z') });
    world.addImage({ clientName: 'x', backupTime: Date.parse('2018-03-01T12:00:00Z'), policyName: 'p1' });
    const { url } = await startMock({ world });
    const token = await login(url);
    const all = await call(url, 'GET', '/netbackup/catalog/images', { token });
    expect(all.json.meta.pagination).toMatchObject({ count: 3, hasNext: false });
    expect(all.json.data[0]).toMatchObject({ type: 'image', id: 'x_1519905600', attributes: { clientName: 'x', policyName: 'p1', backupTime: '2018-03-01T12:00:00.000Z' } });
    const filter = encodeURIComponent("clientName eq 'x' and backupTime ge 2018-01-01T00:00:00.000Z");
    const some = await call(url, 'GET', `/netbackup/catalog/images?filter=${filter}`, { token });
    expect(some.json.data.map((d: { id: string }) => d.id)).toEqual(['x_1519905600']);
    const one = await call(url, 'GET', '/netbackup/catalog/images/DummyTestVM_1459811698', { token });
    expect(one.json.data).toMatchObject({
      id: 'DummyTestVM_1459811698',
      attributes: { policyName: 'vmware2', clientName: 'DummyTestVM', backupTime: '2016-04-04T23:14:58.000Z', scheduleName: 'full', clientType: 'VMWARE' },
    });
    expect((await call(url, 'GET', '/netbackup/catalog/images/nope_1', { token })).status).toBe(404);
  });
});

describe('vmservers', () => {
  it('create → list → get → 409 → delete → 404; the password is never served', async () => {
    const { url, mock } = await startMock();
    const token = await login(url);
    const body = { serverName: 'vCenter2.domain.com', vmType: 'VMWARE_VIRTUAL_CENTER_SERVER', userId: 'root', password: 'hunter2', port: 0 };
    const created = await call(url, 'POST', '/netbackup/config/servers/vmservers', { token, body });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`${url}/netbackup/config/servers/vmservers/vCenter2.domain.com`);
    const list = await call(url, 'GET', '/netbackup/config/servers/vmservers', { token });
    expect(list.json.data).toEqual([{ type: 'vmServer', id: 'vCenter2.domain.com', attributes: { vmServer: { serverName: 'vCenter2.domain.com', vmType: 'VMWARE_VIRTUAL_CENTER_SERVER', userId: 'root', port: 0 } } }]);
    const one = await call(url, 'GET', '/netbackup/config/servers/vmservers/vCenter2.domain.com', { token });
    expect(one.json).toEqual({
      vmServer: { serverName: 'vCenter2.domain.com', vmType: 'VMWARE_VIRTUAL_CENTER_SERVER', userId: 'root', password: '', port: 0 },
      links: [{ rel: 'self', href: `${url}/netbackup/config/servers/vmservers/vCenter2.domain.com` }],
    });
    expect(list.text + one.text).not.toContain('hunter2');
    expect(mock.world.getVmServer('vCenter2.domain.com')?.password).toBe('hunter2');
    const dup = await call(url, 'POST', '/netbackup/config/servers/vmservers', { token, body: { ...body, serverName: 'VCENTER2.domain.com' } });
    expect(dup.status).toBe(409);
    expect(dup.json.errorCode).toBe(226);
    expect((await call(url, 'DELETE', '/netbackup/config/servers/vmservers/vCenter2.domain.com', { token })).status).toBe(204);
    const gone = await call(url, 'DELETE', '/netbackup/config/servers/vmservers/vCenter2.domain.com', { token });
    expect(gone.status).toBe(404);
    expect(gone.json.errorCode).toBe(227);
    expect((await call(url, 'GET', '/netbackup/config/servers/vmservers/vCenter2.domain.com', { token })).status).toBe(404);
  });

  it('takes the guide COMMAND example body (no userId/password) and refuses invalid ones', async () => {
    const { url } = await startMock();
    const token = await login(url);
    const post = (body: unknown) => call(url, 'POST', '/netbackup/config/servers/vmservers', { token, body });
    expect((await post('{"serverName": "vcenterServer1", "vmType": "VMWARE_VIRTUAL_CENTER_SERVER", "port": 0}')).status).toBe(201);
    for (const body of [{ vmType: 'VMWARE_ESX_SERVER' }, { serverName: 'a', vmType: 'HYPERV' }, { serverName: 'a', vmType: 'VMWARE_ESX_SERVER', port: 'x' }, []]) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.errorCode).toBe(20);
    }
  });
});
