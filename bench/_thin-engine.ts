/**
 * The thin engine: the baseline bench/notifications.ts measures nbwss against (issue 14), in the same process run.
 * It does what nbwss's delivery must do and nothing more, on the same stack: one process, TLS `ws` client with the
 * endpoint's certificate pinned as CA, a better-sqlite3 WAL outbox (appends committed with synchronous=FULL, one
 * transaction per event-loop turn of raises), stop-and-wait per group, the group's cursor committed on every
 * acknowledgement (synchronous=NORMAL, as nbwss). No validation, no logging, no events, no timers, no resends.
 *
 * Not product code: it assumes the endpoint always acknowledges, every row is eligible at once (delay 0) and no row
 * exceeds the frame limit. It builds the same frames nbwss does (one element per object type, spliced JSON).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import WebSocket from 'ws';

/** Options of {@link ThinEngine}. */
export interface ThinEngineOptions {
  dir: string;
  url: (group: string) => string;
  ca: string;
  groups: number;
  maxBatchSize: number;
}

type Row = [seq: number, object: string, data: string];

interface Group {
  id: string;
  ws: WebSocket;
  cursor: number;
  inflight: { id: string; lastSeq: number; count: number } | null;
}

export class ThinEngine {
  readonly #db: Database.Database;
  readonly #o: ThinEngineOptions;
  readonly #groups: Group[] = [];
  readonly #stmts;
  #pending: [string, string, number][] = [];
  #scheduled = false;
  /** Called on every acknowledgement: group index, first and last seq. */
  onAck: (group: number, firstSeq: number, lastSeq: number) => void = () => {};

  constructor(o: ThinEngineOptions) {
    this.#o = o;
    const db = new Database(join(o.dir, 'thin.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, object TEXT NOT NULL, data TEXT NOT NULL, raised_at INTEGER NOT NULL);
             CREATE TABLE cursors (group_id TEXT PRIMARY KEY, cursor_seq INTEGER NOT NULL) WITHOUT ROWID;`);
    this.#db = db;
    this.#stmts = {
      insert: db.prepare('INSERT INTO outbox (object, data, raised_at) VALUES (?, ?, ?)'),
      after: db.prepare('SELECT seq, object, data FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?').raw(true),
      ack: db.prepare('UPDATE cursors SET cursor_seq = ? WHERE group_id = ?'),
    };
    for (let i = 0; i < o.groups; i++) db.prepare('INSERT INTO cursors VALUES (?, 0)').run(`g${i}`);
  }

  async connect(): Promise<void> {
    await Promise.all(
      Array.from({ length: this.#o.groups }, async (_, i) => {
        const id = `g${i}`;
        const ws = new WebSocket(this.#o.url(id), { ca: this.#o.ca, perMessageDeflate: false });
        const group: Group = { id, ws, cursor: 0, inflight: null };
        ws.on('message', (raw) => this.#onMessage(i, group, raw as Buffer));
        await new Promise<void>((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('error', reject);
        });
        // the bench endpoint wants a CONNECT first; the reply is ignored
        ws.send(JSON.stringify({ version: '1.0', id: randomUUID().toUpperCase(), type: 'CONNECT', subType: 'REQUEST', timeStamp: 0, payload: { token: 'thin' } }));
        this.#groups[i] = group;
      }),
    );
  }

  /** Raise one notification: committed (synchronous=FULL) with the rest of this turn's raises. */
  raise(object: string, data: Record<string, unknown>): void {
    this.#pending.push([object, JSON.stringify(data), Date.now()]);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#scheduled = false;
    const rows = this.#pending;
    this.#pending = [];
    this.#db.pragma('synchronous = FULL');
    this.#db.transaction(() => {
      for (const r of rows) this.#stmts.insert.run(r[0], r[1], r[2]);
    }).immediate();
    this.#db.pragma('synchronous = NORMAL');
    for (const g of this.#groups) if (!g.inflight) this.#sendNext(g);
  }

  #sendNext(g: Group): void {
    const rows = this.#stmts.after.all(g.cursor, this.#o.maxBatchSize) as Row[];
    if (rows.length === 0) return;
    const elements = new Map<string, string[]>();
    for (const [, object, data] of rows) {
      let list = elements.get(object);
      if (!list) elements.set(object, (list = []));
      list.push(data);
    }
    const payload = [...elements].map(([object, list]) => `{"notificationType":"INFO","object":"${object}","data":[${list.join(',')}]}`).join(',');
    const id = randomUUID().toUpperCase();
    g.inflight = { id, lastSeq: rows[rows.length - 1]![0], count: rows.length };
    g.ws.send(`{"version":"1.0","id":"${id}","type":"NOTIFICATION","subType":"REQUEST","timeStamp":${Math.floor(Date.now() / 1000)},"payload":[${payload}]}`);
  }

  #onMessage(index: number, g: Group, raw: Buffer): void {
    const m = JSON.parse(raw.toString()) as { id: string; type: string; subType: string };
    if (m.type !== 'NOTIFICATION' || m.subType !== 'RESPONSE' || !g.inflight || m.id !== g.inflight.id) return;
    const firstSeq = g.cursor + 1;
    g.cursor = g.inflight.lastSeq;
    this.#stmts.ack.run(g.cursor, g.id); // durable cursor per acknowledgement (autocommit)
    g.inflight = null;
    this.onAck(index, firstSeq, g.cursor);
    this.#sendNext(g);
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#groups.map(
        (g) =>
          new Promise<void>((resolve) => {
            g.ws.once('close', () => resolve());
            g.ws.close(1000);
          }),
      ),
    );
    this.#db.close();
  }
}
