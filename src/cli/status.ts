import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { readDeliveryStatus, type DeliveryStatus } from '../notifications/status.js';
import { Store } from '../store/database.js';
import { OutboxStore } from '../store/outbox-store.js';
import { action, cliConfig, formatTable, withConfigOption, type GlobalOptions } from './context.js';

/** A duration for humans: 850ms, 3.2s, 5m12s, 2h03m, 3d04h. */
export function formatAge(ms: number | null): string | null {
  if (ms === null) return null;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const pad = (n: number) => String(Math.floor(n)).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${pad((s % 86400) / 3600)}h`;
}

/** The human table of `nbwss status`. */
export function formatStatus(status: DeliveryStatus): string {
  const o = status.outbox;
  const head = `outbox: ${o.rows} stored notification${o.rows === 1 ? '' : 's'}` + (o.oldestSeq === null ? '' : ` (seq ${o.oldestSeq}-${o.newestSeq})`) + `, newest seq ${o.newestSeq}\n`;
  if (status.groups.length === 0) return head + 'no server groups (add an endpoint: nbwss endpoints add)\n';
  const rows = status.groups.map((g) => [
    g.groupId,
    g.connectedEndpoint,
    g.cursor,
    g.backlog,
    formatAge(g.oldestPendingAgeMs),
    g.inflight ? `${g.inflight.id} (seq ${g.inflight.firstSeq}-${g.inflight.lastSeq})` : null,
    g.inflight?.sendCount ?? null,
    `${g.ackedNotifications} in ${g.ackedBatches}`,
  ]);
  return head + formatTable(['GROUP', 'CONNECTED ENDPOINT', 'CURSOR', 'BACKLOG', 'OLDEST PENDING', 'IN-FLIGHT', 'SENDS', 'ACKED'], rows);
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
batch was sent (more than 1: resent, not yet acknowledged).`,
    )
    .action(
      action((opts: GlobalOptions & { json?: boolean }) => {
        const config = cliConfig(opts);
        // reading must not create an empty database somewhere unexpected
        if (!existsSync(config.db.path)) throw new InputError(`no database at ${config.db.path} (db.path): nothing was added or raised yet`);
        const store = Store.open(config.db.path);
        try {
          const status = readDeliveryStatus(new OutboxStore(store), config.notification);
          process.stdout.write(opts.json ? JSON.stringify(status, null, 2) + '\n' : formatStatus(status));
        } finally {
          store.close();
        }
      }),
    );
}
