import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, TTY_AVAILABLE } from '../helpers/cli.js';
import { itNeeds } from '../helpers/needs.js';
import { freshCertificate, testCertificate } from '../helpers/certs.js';
import { startHttpsServer, startTlsServer } from '../helpers/tls-server.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * The built CLI (`node dist/cli/main.js`, built by `npm test`'s pretest or `npm run build`), spawned for real:
 * exit codes, stdout/stderr separation, `list --json`. Spawned asynchronously so the TLS server in this process
 * can answer the child.
 */

const TOKEN = 'cli-token-1b7e44-SECRET';

/** A temp folder with a properties file (db and key inside it, debug logs on stderr) and an endpoint file writer. */
function workspace() {
  const dir = tempDir();
  const config = join(dir, 'nbwss.properties');
  writeFileSync(config, `db.path=${join(dir, 'nbwss.db')}\nsecurity.keyFile=${join(dir, 'nbwss.key')}\nlog.level=debug\nconnectionInfo.handshakeTimeout=5000\n`);
  const endpointFile = (details: Record<string, unknown>, name = 'ep.json') => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(details));
    return file;
  };
  const cli = (...args: string[]) => runCli([...args, '--config', config], { cwd: dir });
  return { dir, config, endpointFile, cli };
}

const details = (url: string, patch: Record<string, unknown> = {}) => ({ token: TOKEN, priority: 1, groupId: 'G1', hostName: 'ep1.test', url, ...patch });

beforeAll(assertBuilt);

describe('nbwss CLI: help and usage', () => {
  it('--help and endpoints --help exit 0 and describe the commands', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/endpoints <command>\s+manage the cloud wss:\/\/ endpoints/);
    const group = await runCli(['endpoints', '--help']);
    expect(group.code).toBe(0);
    for (const cmd of ['validate', 'add', 'list', 'show', 'activate', 'deactivate', 'delete', 'update-token']) expect(group.stdout).toContain(cmd);
    expect(group.stdout).toContain('Examples:');
  });

  it('usage errors exit 2: --file and --url together, neither, an unknown option', async () => {
    const { cli, endpointFile } = workspace();
    const file = endpointFile(details('wss://127.0.0.1:1/x'));
    const both = await cli('endpoints', 'validate', '--file', file, '--url', 'https://127.0.0.1/x');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give exactly one of --file FILE or --url URL');
    expect((await cli('endpoints', 'add', '--accept-certificate')).code).toBe(2);
    expect((await cli('endpoints', 'list', '--bogus')).code).toBe(2);
    expect((await cli('endpoints', 'add', '--file', file, '--accept-certificate', '--fingerprint', 'AA')).code).toBe(2);
  });
});

describe('nbwss endpoints against a real local TLS server', () => {
  it('validate → add → list --json → show → deactivate → update-token → delete, with exit codes', async () => {
    const { cli, endpointFile, dir } = workspace();
    const cert = await testCertificate('127.0.0.1');
    const server = await startTlsServer(cert);
    const file = endpointFile(details(server.wssUrl()));

    const empty = await cli('endpoints', 'list', '--json');
    expect(empty.code).toBe(0);
    expect(JSON.parse(empty.stdout)).toEqual([]);
    const unknown = await cli('endpoints', 'show', 'ep1.test');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no entity was found');
    // read-only commands create nothing: no database, no key (issue 12 item 7)
    expect(readdirSync(dir).sort()).toEqual(['ep.json', 'nbwss.properties']);

    const validated = await cli('endpoints', 'validate', '--file', file);
    expect(validated.code).toBe(0);
    expect(validated.stdout).toContain(cert.fingerprint256);
    expect(validated.stdout).toContain('IP Address:127.0.0.1');
    expect(validated.stdout).not.toContain(TOKEN);

    const noTrust = await cli('endpoints', 'add', '--file', file);
    expect(noTrust.code).toBe(2);
    expect(noTrust.stderr).toMatch(/--accept-certificate/);

    const added = await cli('endpoints', 'add', '--file', file, '--fingerprint', cert.fingerprint256);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('Added ep1.test');

    const again = await cli('endpoints', 'add', '--file', file, '--accept-certificate');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('the entity already exists');

    const listed = await cli('endpoints', 'list', '--json');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      {
        hostName: 'ep1.test',
        url: server.wssUrl(),
        groupId: 'G1',
        priority: 1,
        state: 'ACTIVATED',
        connectionState: 'DISCONNECTED',
        fingerprint: cert.fingerprint256,
        role: 'connecting',
        since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        lastError: null,
        lastErrorAt: null,
        closesWithinMs: null,
        trust: 'pinned',
        certificateExpiresAt: new Date(new X509Certificate(cert.cert).validTo).toISOString(),
      },
    ]);
    const table = await cli('endpoints', 'list');
    expect(table.stdout.split('\n')[0]).toMatch(/^HOST NAME\s+URL\s+GROUP ID\s+PRIORITY\s+STATE\s+CONNECTION\s+ROLE\s+SINCE\s+LAST ERROR/);
    expect(table.stdout.split('\n')[1]).toMatch(/^ep1\.test\s+wss:\S+\s+G1\s+1\s+ACTIVATED\s+DISCONNECTED\s+connecting\s+\S+\s+-\s*$/);

    const shown = await cli('endpoints', 'show', 'ep1.test', '--json');
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout).token).toBeUndefined();
    expect(shown.stdout).not.toContain(TOKEN);
    const withToken = await cli('endpoints', 'show', 'ep1.test', '--show-token');
    expect(withToken.stdout).toContain(TOKEN);

    const deactivated = await cli('endpoints', 'deactivate', 'ep1.test', '--json');
    expect(deactivated.code).toBe(0);
    expect(JSON.parse(deactivated.stdout)).toEqual({ hostName: 'ep1.test', groupId: 'G1', state: 'DEACTIVATED', appliesWhen: "at the next run of the daemon's connection task, within 60 s (connectionInfo.period)" });
    expect(JSON.parse((await cli('endpoints', 'list', '--json')).stdout)[0].state).toBe('DEACTIVATED');
    expect(JSON.parse((await cli('--json', 'endpoints', 'activate', 'ep1.test')).stdout)).toEqual({ hostName: 'ep1.test', groupId: 'G1', state: 'ACTIVATED', appliesWhen: "at the next run of the daemon's connection task, within 60 s (connectionInfo.period)" });
    // when the running daemon applies it: the configured connectionInfo.period
    expect((await cli('endpoints', 'deactivate', 'ep1.test')).stdout).toBe(
      "ep1.test deactivated\nApplied by the running daemon at the next run of the daemon's connection task, within 60 s (connectionInfo.period); --wait waits for it.\n",
    );

    const rotated = await runCli(['endpoints', 'update-token', 'ep1.test', '--token-stdin', '--json', '--config', join(dir, 'nbwss.properties')], { input: 'rotated-NEW-token\n', cwd: dir });
    expect(rotated.code).toBe(0);
    expect(JSON.parse(rotated.stdout)).toEqual({ hostName: 'ep1.test', tokenUpdated: true, certificatePinChanged: false });
    const after = JSON.parse((await cli('endpoints', 'show', 'ep1.test', '--json', '--show-token')).stdout);
    expect(after.token).toBe('rotated-NEW-token');
    expect(after.fingerprint).toBe(cert.fingerprint256);

    expect((await cli('endpoints', 'delete', 'ep1.test')).code).toBe(0);
    const gone = await cli('endpoints', 'show', 'ep1.test');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('no entity was found');

    // Nothing above wrote the token in clear to the database or to the (debug-level) logs on stderr.
    expect(readFileSync(join(dir, 'nbwss.db')).includes(Buffer.from(TOKEN))).toBe(false);
    for (const r of [validated, added, listed, shown, rotated]) expect(r.stderr).not.toContain(TOKEN);
  });

  itNeeds(TTY_AVAILABLE, 'util-linux script (a pseudo-terminal)', 'the TTY prompt of endpoints add is NOT tested (apt-get install util-linux)')('on a terminal without a trust flag, add shows the certificate and asks [y/N]', async () => {
    const { endpointFile, config, dir } = workspace();
    const cert = await testCertificate('127.0.0.1');
    const server = await startTlsServer(cert);
    const tty = (file: string, answer: string) => runCli(['endpoints', 'add', '--file', file, '--config', config], { cwd: dir, tty: true, input: answer });
    const no = await tty(endpointFile(details(server.wssUrl(), { hostName: 'ep-no.test' }), 'no.json'), 'n\n');
    expect(no.stdout).toContain(cert.fingerprint256);
    expect(no.stdout).toMatch(/Trust this certificate and add ep-no\.test\? \[y\/N\]/);
    expect(no.stdout).toContain('not accepted; nothing was added');
    expect(no.code).toBe(1);
    const yes = await tty(endpointFile(details(server.wssUrl(), { hostName: 'ep-yes.test' }), 'yes.json'), 'y\n');
    expect(yes.code).toBe(0);
    expect(yes.stdout).toContain('Added ep-yes.test');
    const listed = JSON.parse((await runCli(['endpoints', 'list', '--json', '--config', config], { cwd: dir })).stdout);
    expect(listed.map((e: { hostName: string }) => e.hostName)).toEqual(['ep-yes.test']);
  });

  it('add --fingerprint after the certificate changed → exit 1 with the guide message', async () => {
    const { cli, endpointFile } = workspace();
    const server = await startTlsServer(await freshCertificate('127.0.0.1'));
    const file = endpointFile(details(server.wssUrl()));
    const validated = JSON.parse((await cli('endpoints', 'validate', '--file', file, '--json')).stdout);
    await server.restart(await freshCertificate('127.0.0.1'));
    const added = await cli('endpoints', 'add', '--file', file, '--fingerprint', validated.certificate.fingerprint256);
    expect(added.code).toBe(1);
    expect(added.stderr).toContain('The certificate did not match with the one accepted by the user, please verify the certificate');
    expect(JSON.parse((await cli('endpoints', 'list', '--json')).stdout)).toEqual([]);
  });

  it('operational errors exit 1 with the guide message: invalid JSON, ws:// url, unreachable host', async () => {
    const { cli, endpointFile, dir } = workspace();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, "{'token': 'x'}");
    const r1 = await cli('endpoints', 'validate', '--file', bad);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/^nbwss: JSON contents not valid \(contains an apostrophe\)/);
    const r2 = await cli('endpoints', 'validate', '--file', endpointFile(details('ws://127.0.0.1:1/x')));
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain('Invalid websocket protocol. Only wss protocol supported');
    const r3 = await cli('endpoints', 'validate', '--file', endpointFile(details('wss://127.0.0.1:1/x', { hostName: 'ep7.acme.com' })));
    expect(r3.code).toBe(1);
    expect(r3.stderr).toContain('Unable to establish connection with host: ep7.acme.com');
    const r4 = await cli('endpoints', 'validate', '--file', join(dir, 'missing.json'));
    expect(r4.code).toBe(1);
    expect(r4.stderr).toContain('cannot read endpoint file');
    expect(r4.stdout).toBe('');
    // validate stores nothing: no database, no key file
    expect(existsSync(join(dir, 'nbwss.db'))).toBe(false);
    expect(existsSync(join(dir, 'nbwss.key'))).toBe(false);
  });

  it('--url: fetches the details over https (--url-ca trusts a lab certificate), refuses http:// with exit 1', async () => {
    const { cli, dir } = workspace();
    const cert = await testCertificate('127.0.0.1');
    const wss = await startTlsServer(cert);
    const https = await startHttpsServer(cert, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(details(wss.wssUrl())));
    });
    const caFile = join(dir, 'lab-ca.pem');
    writeFileSync(caFile, cert.cert);
    const untrusted = await cli('endpoints', 'validate', '--url', https.url());
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toContain('Failed to open connection to the remote object referred to by the URL');
    const added = await cli('endpoints', 'add', '--url', https.url(), '--url-ca', caFile, '--accept-certificate', '--json');
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout).hostName).toBe('ep1.test');
    const plain = await cli('endpoints', 'validate', '--url', 'http://127.0.0.1:1/ep.json');
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('invalid command parameter');
    expect((await cli('endpoints', 'validate', '--url', https.url(), '--url-ca', caFile, '--insecure-url')).code).toBe(2);
  });

  it('a configuration error exits 1 naming the key, value, file and line', async () => {
    const { dir } = workspace();
    const config = join(dir, 'broken.properties');
    writeFileSync(config, '# x\nkeepAlive.scheduledRate=abc\n');
    const r = await runCli(['endpoints', 'list', '--config', config], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`invalid value for keepAlive.scheduledRate: "abc"`);
    expect(r.stderr).toContain(`${config}:2`);
  });
});
