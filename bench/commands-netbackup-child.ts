/**
 * Child process of bench/commands.ts: the mock NetBackup primary over https, seeded with the guide's jobs,
 * logging nothing. Sends `{ port, cert }` to its parent once listening.
 */
import { generateCertificate } from '../src/certificates.js';
import { createMockNetBackup, seedGuideExample, World } from '../src/netbackup-mock/index.js';

const certificate = await generateCertificate({ hosts: ['127.0.0.1'] });
const world = new World();
seedGuideExample(world);
const mock = createMockNetBackup({ world, tls: certificate, requestLogSize: 10 });
const { port } = await mock.listen('127.0.0.1', 0);
process.send!({ port, cert: certificate.cert });
process.on('disconnect', () => void mock.close().then(() => process.exit(0)));
