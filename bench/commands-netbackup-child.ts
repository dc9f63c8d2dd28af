/**
 * Child process of bench/commands.ts: the NetBackup side, over https. `--upstream mock` (default): the mock
 * NetBackup primary, seeded with the guide's jobs, logging nothing. `--upstream minimal`: a bare https server that
 * answers every request with one fixed NetBackup-shaped job body — the cheapest possible upstream, so the figures
 * show what the daemon itself can carry. Sends `{ port, cert }` to its parent once listening.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:https';
import { generateCertificate } from '../src/certificates.js';
import { createMockNetBackup, seedGuideExample, World } from '../src/netbackup-mock/index.js';

const certificate = await generateCertificate({ hosts: ['127.0.0.1'] });
const upstream = process.argv[2] ?? 'mock';

if (upstream === 'minimal') {
  const body = JSON.stringify({
    data: {
      type: 'job',
      id: '146',
      attributes: { jobId: 146, parentJobId: 145, jobType: 'BACKUP', policyType: 'VMWARE', policyName: 'vmware2', clientName: 'DummyTestVM', status: 0, state: 'DONE' },
    },
  });
  const server = createServer({ key: certificate.key, cert: certificate.cert, keepAliveTimeout: 60_000 }, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/vnd.netbackup+json;version=1.0', 'x-request-id': randomUUID(), 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as { port: number }).port, cert: certificate.cert }));
  process.on('disconnect', () => process.exit(0));
} else {
  const world = new World();
  seedGuideExample(world);
  const mock = createMockNetBackup({ world, tls: certificate, requestLogSize: 10 });
  const { port } = await mock.listen('127.0.0.1', 0);
  process.send!({ port, cert: certificate.cert });
  process.on('disconnect', () => void mock.close().then(() => process.exit(0)));
}
