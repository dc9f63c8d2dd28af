import { existsSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { deliveryStatusJson, formatAge, readDeliveryStatus, type DeliveryStatus } from '../notifications/status.js';
import { Store } from '../store/database.js';
import { OutboxStore } from '../store/outbox-store.js';
import { action, cliConfig, formatTable, withConfigOption, type GlobalOptions } from './context.js';

/** A size for humans: 512 B, 3.4 KiB, 217 MiB, 1.2 GiB. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** Free space for an unprivileged writer on the file system of `path`'s folder, or undefined when unknown. */
function freeBytes(path: string): number | undefined {
  try {
    const s = statfsSync(dirname(path));
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/** The human table of `nbwss status`; `free` is the free space beside the database, when known. */
export function formatStatus(status: DeliveryStatus, free?: number): string {
  const o = status.outbox;
  const n = (x: number) => x.toLocaleString('en-US');
  const head =
    `outbox: ${n(o.rows)} stored notification${o.rows === 1 ? '' : 's'}` +
    (o.oldestSeq === null ? '' : ` (seq ${o.oldestSeq}-${o.newestSeq})`) +
    `, newest seq ${o.newestSeq}; database ${formatBytes(status.database.bytes)}` +
    (free === undefined ? '' : ` (${formatBytes(free)} free)`) +
    '\n';
  if (status.groups.length === 0) return head + 'no server groups (add an endpoint: nbwss endpoints add)\n';
  const rows = status.groups.map((g) => [
    g.groupId,
    g.deleted ? `(deleted; kept until ${new Date(g.deleted.expiresAt).toISOString()})` : g.endpoints > 0 && g.activatedEndpoints === 0 ? '(all deactivated)' : g.connectedEndpoint,
    g.cursor,
    g.backlog,
    formatAge(g.oldestPendingAgeMs),
    g.inflight ? `${g.inflight.id} (seq ${g.inflight.firstSeq}-${g.inflight.lastSeq})` : null,
    g.inflight?.sendCount ?? null,
    `${g.ackedNotifications} in ${g.ackedBatches}`,
  ]);
  const table = formatTable(['GROUP', 'CONNECTED ENDPOINT', 'CURSOR', 'BACKLOG', 'OLDEST PENDING', 'IN-FLIGHT', 'SENDS', 'ACKED'], rows);
  return head + table + status.warnings.map((w) => `warning: ${w}\n`).join('');
}

/** Register `nbwss status`. */
export function registerStatusCommand(program: Command): void {
  withConfigOption(program.command('status'))
    .description('notification delivery per server group: connected endpoint, cursor, backlog, oldest pending, in-flight batch')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
Reads the database, so it works while the daemon runs (the connected endpoint is the one the daemon recorded).
BACKLOG counts the notifications after the cursor, in-flight ones included; SENDS is how often the in-flight
batch was sent (more than 1: resent, not yet acknowledged). A warning line follows for each group whose backlog
is over notification.backlogWarning, or whose oldest unacknowledged notification is older than
notification.retention: such a group holds back pruning for every group, and the database grows.`,
    )
    .action(
      action((opts: GlobalOptions & { json?: boolean }) => {
        const config = cliConfig(opts);
        // reading must not create an empty database somewhere unexpected
        if (!existsSync(config.db.path)) throw new InputError(`no database at ${config.db.path} (db.path): nothing was added or raised yet`);
        const store = Store.open(config.db.path);
        try {
          const status = readDeliveryStatus(new OutboxStore(store), config.notification);
          process.stdout.write(opts.json ? JSON.stringify(deliveryStatusJson(status), null, 2) + '\n' : formatStatus(status, freeBytes(config.db.path)));
        } finally {
          store.close();
        }
      }),
    );
}
