import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from '../helpers/cli.js';
import { freshCertificate, testCertificate } from '../helpers/certs.js';
import { startTlsServer } from '../helpers/tls-server.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * `nbwss endpoints update` and `delete` of a group's last endpoint (issue 10 B6), through the built CLI against real
 * local TLS servers: changes in place, the certificate checked exactly as `add` checks it, exit codes, and the
 * undelivered count on delete.
 */

const TOKEN = 'update-token-7f1c-SECRET';

function workspace() {
  const dir = tempDir();
  const config = join(dir, 'nbwss.properties');
  writeFileSync(config, `db.path=${join(dir, 'nbwss.db')}\nsecurity.keyFile=${join(dir, 'nbwss.key')}\nlog.level=warn\nconnectionInfo.handshakeTimeout=5000\nnotification.retention=3600\n`);
  const cli = (...args: string[]) => runCli([...args, '--config', config], { cwd: dir });
  const withInput = (input: string, ...args: string[]) => runCli([...args, '--config', config], { cwd: dir, input });
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  return { dir, cli, withInput, file };
}

async function addedEndpoint() {
  const w = workspace();
  const cert = await testCertificate('127.0.0.1');
  const server = await startTlsServer(cert);
  const details = { token: TOKEN, priority: 1, groupId: 'G1', hostName: 'ep1.test', url: server.wssUrl('/a') };
  const added = await w.cli('endpoints', 'add', '--file', w.file('ep.json', JSON.stringify(details)), '--accept-certificate');
  expect(added.code, added.stderr).toBe(0);
  const show = async () => JSON.parse((await w.cli('endpoints', 'show', 'ep1.test', '--json', '--show-token')).stdout) as Record<string, unknown>;
  return { ...w, cert, server, show };
}

beforeAll(assertBuilt);

describe('nbwss endpoints update', () => {
  it('changes the priority and the token in place, says when each applies, keeps the pin', async () => {
    const { cli, withInput, file, show, cert } = await addedEndpoint();
    const prio = await cli('endpoints', 'update', 'ep1.test', '--priority', '2.5');
    expect(prio.code, prio.stderr).toBe(0);
    expect(prio.stdout).toContain('Updated ep1.test (group G1): priority 1 → 2.5');
    expect(prio.stdout).toContain('The priority applies when the group next picks an endpoint');
    const byFile = await cli('endpoints', 'update', 'ep1.test', '--token-file', file('t.txt', 'from-file-TOKEN\n'));
    expect(byFile.code, byFile.stderr).toBe(0);
    expect(byFile.stdout).toContain('token replaced');
    expect(byFile.stdout).toContain('sent at the next CONNECT');
    expect((await show()).token).toBe('from-file-TOKEN');
    const byStdin = await withInput('from-stdin-TOKEN\n', 'endpoints', 'update', 'ep1.test', '--token-stdin', '--json');
    expect(byStdin.code, byStdin.stderr).toBe(0);
    expect(JSON.parse(byStdin.stdout)).toMatchObject({ changed: ['token'], redial: false, endpoint: { hostName: 'ep1.test', priority: 2.5, fingerprint: cert.fingerprint256 } });
    expect(byStdin.stdout).not.toContain('from-stdin-TOKEN');
    expect(await show()).toMatchObject({ token: 'from-stdin-TOKEN', priority: 2.5, groupId: 'G1', fingerprint: cert.fingerprint256, trust: 'pinned' });
    const same = await cli('endpoints', 'update', 'ep1.test', '--priority', '2.5');
    expect(same.stdout).toContain('ep1.test unchanged');
  });

  it('usage errors exit 2 and change nothing: no change given, a bad --priority, two token sources, two trust flags', async () => {
    const { cli, file, show } = await addedEndpoint();
    const before = await show();
    const none = await cli('endpoints', 'update', 'ep1.test');
    expect([none.code, none.stderr]).toEqual([2, expect.stringContaining('nothing to update')]);
    const bad = await cli('endpoints', 'update', 'ep1.test', '--priority', 'abc');
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('--priority must be a number, got "abc"')]);
    const twoTokens = await cli('endpoints', 'update', 'ep1.test', '--token-file', file('t.txt', 'x'), '--token-stdin');
    expect([twoTokens.code, twoTokens.stderr]).toEqual([2, expect.stringContaining('give either --token-file FILE or --token-stdin')]);
    expect((await cli('endpoints', 'update', 'ep1.test', '--accept-certificate', '--fingerprint', 'AA')).code).toBe(2);
    expect(await show()).toEqual(before);
  });

  it('operational errors exit 1 with the guide messages: unknown host, ws:// url, an apostrophe in the token', async () => {
    const { cli, file } = await addedEndpoint();
    const unknown = await cli('endpoints', 'update', 'nope.test', '--priority', '3');
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining('no entity was found')]);
    const ws = await cli('endpoints', 'update', 'ep1.test', '--url', 'ws://127.0.0.1:1/x');
    expect([ws.code, ws.stderr]).toEqual([1, expect.stringContaining('Invalid websocket protocol. Only wss protocol supported')]);
    const apostrophe = await cli('endpoints', 'update', 'ep1.test', '--token-file', file('t.txt', "it's"));
    expect([apostrophe.code, apostrophe.stderr]).toEqual([1, expect.stringContaining('JSON contents not valid')]);
  });

  it('re-pins a renewed certificate: --fingerprint must match what is presented, --accept-certificate takes it', async () => {
    const { cli, show, server, cert } = await addedEndpoint();
    const renewed = await freshCertificate('127.0.0.1');
    await server.restart(renewed);
    const stale = await cli('endpoints', 'update', 'ep1.test', '--fingerprint', cert.fingerprint256);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('The certificate did not match with the one accepted by the user, please verify the certificate');
    expect((await show()).fingerprint).toBe(cert.fingerprint256);
    const repinned = await cli('endpoints', 'update', 'ep1.test', '--accept-certificate');
    expect(repinned.code, repinned.stderr).toBe(0);
    expect(repinned.stdout).toContain(`certificate SHA-256 ${cert.fingerprint256} → ${renewed.fingerprint256}`);
    expect(repinned.stdout).toContain('takes effect at the next run of the connection task');
    expect((await show()).fingerprint).toBe(renewed.fingerprint256);
  });

  it('a new url must present the pinned certificate unless a trust option is given', async () => {
    const { cli, show, server } = await addedEndpoint();
    const other = await startTlsServer(await freshCertificate('127.0.0.1'));
    const refused = await cli('endpoints', 'update', 'ep1.test', '--url', other.wssUrl('/b'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('The certificate did not match with the one accepted by the user');
    expect(refused.stderr).toContain('--fingerprint');
    expect((await show()).url).toBe(server.wssUrl('/a'));
    const moved = await cli('endpoints', 'update', 'ep1.test', '--url', other.wssUrl('/b'), '--fingerprint', other.certificate.fingerprint256, '--json');
    expect(moved.code, moved.stderr).toBe(0);
    expect(JSON.parse(moved.stdout)).toMatchObject({ changed: ['url', 'certificate'], redial: true, appliesWhen: expect.stringContaining('next run of the connection task') });
    expect(await show()).toMatchObject({ url: other.wssUrl('/b'), fingerprint: other.certificate.fingerprint256 });
    // the same server on another path: the pin matches, no trust option needed
    const path = await cli('endpoints', 'update', 'ep1.test', '--url', other.wssUrl('/c'));
    expect(path.code, path.stderr).toBe(0);
    expect(path.stdout).toContain(`url ${other.wssUrl('/b')} → ${other.wssUrl('/c')}`);
  });
});

describe('nbwss endpoints delete of a group\'s last endpoint', () => {
  it('says how many notifications the group holds, and re-adding resumes from the same cursor', async () => {
    const { cli, file, server } = await addedEndpoint();
    const details = { token: TOKEN, priority: 1, groupId: 'G1', hostName: 'ep2.test', url: server.wssUrl('/2') };
    expect((await cli('endpoints', 'add', '--file', file('ep2.json', JSON.stringify(details)), '--accept-certificate')).code).toBe(0);
    const job = (id: number) => ({ jobId: id, parentJobId: 0, jobType: 'BACKUP', state: 'DONE', status: 0, startTime: 1, policyName: 'p', policyType: 'STANDARD', scheduleType: 'ST_FULL', clientName: 'c' });
    expect((await cli('notify', '--object', 'JOB', '--data', JSON.stringify([job(1), job(2), job(3)]))).code).toBe(0);
    const notLast = await cli('endpoints', 'delete', 'ep2.test');
    expect(notLast.stdout).toBe("ep2.test deleted\nApplied by the running daemon at the next run of the daemon's connection task, within 60 s (connectionInfo.period); --wait waits for it.\n");
    const last = await cli('endpoints', 'delete', 'ep1.test');
    expect(last.code).toBe(0);
    expect(last.stdout).toMatch(/^ep1\.test deleted\nIt was the last endpoint of group G1, which holds 3 undelivered notifications\. The group keeps its place until \d{4}-\d\d-\d\dT[\d:.]+Z \(notification\.retention\)/);
    const status = JSON.parse((await cli('status', '--json')).stdout);
    expect(status.groups).toEqual([expect.objectContaining({ groupId: 'G1', cursor: 0, backlog: 3, deleted: { at: expect.any(String), expiresAt: expect.any(String) } })]);
    expect(Date.parse(status.groups[0].deleted.expiresAt) - Date.parse(status.groups[0].deleted.at)).toBe(3_600_000);
    expect((await cli('endpoints', 'add', '--file', file('ep2.json', JSON.stringify(details)), '--accept-certificate')).code).toBe(0);
    const resumed = JSON.parse((await cli('status', '--json')).stdout);
    expect(resumed.groups).toEqual([expect.objectContaining({ groupId: 'G1', cursor: 0, backlog: 3, deleted: null })]);
    const json = JSON.parse((await cli('endpoints', 'delete', 'ep2.test', '--json')).stdout);
    expect(json).toEqual({ hostName: 'ep2.test', deleted: true, groupId: 'G1', lastOfGroup: true, undeliveredNotifications: 3, keptUntil: expect.any(String), appliesWhen: expect.stringMatching(/^at the next run/) });
  });
});
