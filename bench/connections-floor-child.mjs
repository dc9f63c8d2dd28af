/**
 * The floor under bench/connections.ts's per-socket memory, run as a child process under plain `node`: open `N`
 * bare TLS sockets (node:tls, one shared SecureContext, nothing above TLS) to the bench's endpoint server and
 * report what each costs this Node: RSS, JS heap and external memory per socket, after a GC. Whatever the daemon's
 * sockets cost above this is nbwss's own (ws, the connection object, timers, loggers, maps).
 *
 *   (forked by bench/connections.ts with `--floor`; argv: port, N; the certificate PEM comes over IPC)
 */
import { once } from 'node:events';
import { connect, createSecureContext } from 'node:tls';

const port = Number(process.argv[2]);
const n = Number(process.argv[3]);
const [{ cert }] = await once(process, 'message');
const secureContext = createSecureContext({ ca: cert });
const sockets = [];
globalThis.gc?.();
const before = process.memoryUsage();
for (let i = 0; i < n; i += 100) {
  await Promise.all(
    Array.from(
      { length: Math.min(100, n - i) },
      () =>
        new Promise((resolve, reject) => {
          const s = connect({ host: '127.0.0.1', port, secureContext, checkServerIdentity: () => undefined });
          s.once('secureConnect', () => {
            sockets.push(s);
            resolve();
          });
          s.once('error', reject);
        }),
    ),
  );
}
globalThis.gc?.();
const after = process.memoryUsage();
const kb = (k) => Math.round(((after[k] - before[k]) / n / 1024) * 10) / 10;
process.send({ floor: { sockets: n, rssKb: kb('rss'), heapKb: kb('heapUsed'), externalKb: kb('external') } });
for (const s of sockets) s.destroy();
process.disconnect();
