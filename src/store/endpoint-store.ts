import { EndpointError, GuideMessages } from '../errors.js';
import type { Store } from './database.js';

/** Administrative state of an endpoint (spec §8). */
export type EndpointState = 'ACTIVATED' | 'DEACTIVATED';
/** Connection state shown beside it (spec §8). */
export type ConnectionState = 'CONNECTED' | 'DISCONNECTED';

/** One stored endpoint. The token stays encrypted here; `endpoints/` decrypts it when a connection needs it. */
export interface EndpointRecord {
  hostName: string;
  url: string;
  groupId: string;
  priority: number;
  state: EndpointState;
  tokenEnc: Buffer;
  certPem: string;
  certFingerprint: string;
  caPem: string | null;
  connectionState: ConnectionState;
  /** epoch ms of the last connection state change */
  connectionChangedAt: number | null;
  /** Why the last attempt failed or the last connection closed (null once CONNECTED again). */
  lastError: string | null;
  /** epoch ms `lastError` was recorded */
  lastErrorAt: number | null;
  /** epoch ms of the first failed connection attempt since the endpoint was last CONNECTED (null: none failed since) */
  failingSince: number | null;
  /** epoch ms it was added, activated or deactivated */
  stateChangedAt: number | null;
  createdAt: number;
  updatedAt: number;
  /** Bumped when the url or the certificate trust changes (the connection task then dials again). */
  dialRevision: number;
}

/** What {@link EndpointStore.insert} takes. */
export type NewEndpointRecord = Pick<EndpointRecord, 'hostName' | 'url' | 'groupId' | 'priority' | 'tokenEnc' | 'certPem' | 'certFingerprint' | 'caPem'> & {
  state?: EndpointState;
};

interface Row {
  host_name: string;
  url: string;
  group_id: string;
  priority: number;
  state: EndpointState;
  token_enc: Buffer;
  cert_pem: string;
  cert_fingerprint: string;
  ca_pem: string | null;
  connection_state: ConnectionState;
  connection_changed_at: number | null;
  last_error: string | null;
  last_error_at: number | null;
  failing_since: number | null;
  state_changed_at: number | null;
  created_at: number;
  updated_at: number;
  dial_revision: number;
}

/** What {@link EndpointStore.update} may change (absent: kept). A url or trust change bumps the dial revision. */
export interface EndpointChanges {
  url?: string;
  priority?: number;
  tokenEnc?: Buffer;
  /** The new trust: pinned certificate (and its fingerprint), and the CA (null: pinned mode). */
  trust?: { certPem: string; certFingerprint: string; caPem: string | null };
}

/** What {@link EndpointStore.delete} reports. */
export interface DeletedEndpoint {
  groupId: string;
  /** The group has no endpoint left: its delivery place is kept as a tombstone. */
  lastOfGroup: boolean;
  /** Notifications raised after the group's cursor (in flight included): what the group has not acknowledged. */
  undelivered: number;
}

function fromRow(r: Row): EndpointRecord {
  return {
    hostName: r.host_name,
    url: r.url,
    groupId: r.group_id,
    priority: r.priority,
    state: r.state,
    tokenEnc: r.token_enc,
    certPem: r.cert_pem,
    certFingerprint: r.cert_fingerprint,
    caPem: r.ca_pem,
    connectionState: r.connection_state,
    connectionChangedAt: r.connection_changed_at,
    lastError: r.last_error,
    lastErrorAt: r.last_error_at,
    failingSince: r.failing_since,
    stateChangedAt: r.state_changed_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    dialRevision: r.dial_revision,
  };
}

const ORDER = 'ORDER BY group_id, priority, host_name';
/** What a failing read or write was doing, for the coded error (`Store.guard`). */
const READ = 'read the endpoints';
const WRITE = 'store the endpoint';

/**
 * The `endpoints` table, and the delivery group rows that follow endpoints: a group is subscribed when its first
 * endpoint is added (from the notifications raised after that moment). When its last endpoint is deleted the group
 * keeps its place as a tombstone (cursor and in-flight batch), so adding an endpoint of the group again resumes
 * delivery exactly there; the retention pruner drops tombstones older than `notification.retention`.
 */
export class EndpointStore {
  readonly #store: Store;
  readonly #stmts;

  constructor(store: Store) {
    this.#store = store;
    const db = store.db;
    this.#stmts = {
      get: db.prepare('SELECT * FROM endpoints WHERE host_name = ?'),
      list: db.prepare(`SELECT * FROM endpoints ${ORDER}`),
      count: db.prepare('SELECT COUNT(*) AS n FROM endpoints'),
      listActivated: db.prepare(`SELECT * FROM endpoints WHERE state = 'ACTIVATED' ${ORDER}`),
      insert: db.prepare(
        `INSERT INTO endpoints (host_name, url, group_id, priority, state, token_enc, cert_pem, cert_fingerprint, ca_pem, created_at, updated_at, state_changed_at)
         VALUES (@hostName, @url, @groupId, @priority, @state, @tokenEnc, @certPem, @certFingerprint, @caPem, @now, @now, @now)`,
      ),
      subscribeGroup: db.prepare(
        `INSERT OR IGNORE INTO delivery_groups (group_id, cursor_seq, created_at)
         VALUES (?, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0), ?)`,
      ),
      reviveGroup: db.prepare('UPDATE delivery_groups SET deleted_at = NULL WHERE group_id = ? AND deleted_at IS NOT NULL'),
      groupHasEndpoints: db.prepare('SELECT EXISTS (SELECT 1 FROM endpoints WHERE group_id = ?)').pluck(),
      tombstoneGroup: db.prepare('UPDATE delivery_groups SET deleted_at = ? WHERE group_id = ? AND deleted_at IS NULL'),
      undelivered: db
        .prepare(
          `SELECT MAX(0, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0) - cursor_seq) FROM delivery_groups WHERE group_id = ?`,
        )
        .pluck(),
      update: db.prepare(
        `UPDATE endpoints SET url = COALESCE(@url, url), priority = COALESCE(@priority, priority), token_enc = COALESCE(@tokenEnc, token_enc),
           cert_pem = COALESCE(@certPem, cert_pem), cert_fingerprint = COALESCE(@certFingerprint, cert_fingerprint),
           ca_pem = CASE WHEN @setTrust THEN @caPem ELSE ca_pem END,
           dial_revision = dial_revision + @dial, updated_at = @now
         WHERE host_name = @hostName`,
      ),
      setState: db.prepare(
        `UPDATE endpoints SET state_changed_at = CASE WHEN state = @state THEN state_changed_at ELSE @now END, state = @state, updated_at = @now
         WHERE host_name = @hostName`,
      ),
      updateToken: db.prepare('UPDATE endpoints SET token_enc = ?, updated_at = ? WHERE host_name = ?'),
      delete: db.prepare('DELETE FROM endpoints WHERE host_name = ?'),
      // CONNECTED clears the error and the run of failed attempts; DISCONNECTED records why and when it dropped.
      connection: db.prepare(
        `UPDATE endpoints SET connection_state = @state, connection_changed_at = @now, last_error = @lastError,
           last_error_at = CASE WHEN @lastError IS NULL THEN NULL ELSE @now END,
           failing_since = CASE WHEN @state = 'CONNECTED' THEN NULL ELSE failing_since END
         WHERE host_name = @hostName`,
      ),
      lastError: db.prepare('UPDATE endpoints SET last_error = @lastError, last_error_at = @now, failing_since = COALESCE(failing_since, @now) WHERE host_name = @hostName'),
      resetConnections: db.prepare(
        `UPDATE endpoints SET connection_state = 'DISCONNECTED', connection_changed_at = @now, last_error = @reason, last_error_at = @now
         WHERE connection_state = 'CONNECTED'`,
      ),
    };
  }

  /** Store a new endpoint. Throws `the entity already exists` when the host name is taken. */
  insert(rec: NewEndpointRecord, now: number = Date.now()): EndpointRecord {
    return this.#store.guard(WRITE, () => this.#insert(rec, now));
  }

  #insert(rec: NewEndpointRecord, now: number): EndpointRecord {
    return this.#store.transaction(() => {
      if (this.#stmts.get.get(rec.hostName)) throw new EndpointError('NBWSS_ERR_ALREADY_EXISTS', GuideMessages.alreadyExists, { detail: `hostName ${rec.hostName}` });
      this.#stmts.insert.run({ ...rec, state: rec.state ?? 'ACTIVATED', caPem: rec.caPem ?? null, now });
      this.#stmts.subscribeGroup.run(rec.groupId, now);
      this.#stmts.reviveGroup.run(rec.groupId);
      return this.get(rec.hostName)!;
    });
  }

  /** One endpoint, or undefined. */
  get(hostName: string): EndpointRecord | undefined {
    const row = this.#store.guard(READ, () => this.#stmts.get.get(hostName) as Row | undefined);
    return row ? fromRow(row) : undefined;
  }

  /** One endpoint, or the guide's `no entity was found`. */
  require(hostName: string): EndpointRecord {
    const rec = this.get(hostName);
    if (!rec) throw new EndpointError('NBWSS_ERR_NOT_FOUND', GuideMessages.notFound, { detail: `hostName ${hostName}` });
    return rec;
  }

  /** All endpoints, by group, priority, host name. */
  list(): EndpointRecord[] {
    return this.#store.guard(READ, () => this.#stmts.list.all() as Row[]).map(fromRow);
  }

  /** How many endpoints are stored (each holds a token encrypted with the key file). */
  count(): number {
    return this.#store.guard(READ, () => this.#stmts.count.get() as { n: number }).n;
  }

  /** The ACTIVATED endpoints, by group, priority, host name (what the scheduler reads each tick). */
  listActivated(): EndpointRecord[] {
    return this.#store.guard(READ, () => this.#stmts.listActivated.all() as Row[]).map(fromRow);
  }

  /** Activate or deactivate. Throws `no entity was found` for an unknown host. */
  setState(hostName: string, state: EndpointState, now: number = Date.now()): void {
    if (this.#store.guard(WRITE, () => this.#stmts.setState.run({ state, now, hostName }).changes) === 0) this.require(hostName);
  }

  /** Replace the encrypted token (rotation), keeping the pin. */
  updateToken(hostName: string, tokenEnc: Buffer, now: number = Date.now()): void {
    if (this.#store.guard(WRITE, () => this.#stmts.updateToken.run(tokenEnc, now, hostName).changes) === 0) this.require(hostName);
  }

  /**
   * Change an endpoint in place (one statement): what `changes` gives, the rest kept. A url or trust change bumps the
   * dial revision. Throws `no entity was found` for an unknown host.
   */
  update(hostName: string, changes: EndpointChanges, now: number = Date.now()): EndpointRecord {
    const dial = changes.url !== undefined || changes.trust !== undefined ? 1 : 0;
    const params = {
      hostName,
      url: changes.url ?? null,
      priority: changes.priority ?? null,
      tokenEnc: changes.tokenEnc ?? null,
      certPem: changes.trust?.certPem ?? null,
      certFingerprint: changes.trust?.certFingerprint ?? null,
      setTrust: changes.trust ? 1 : 0,
      caPem: changes.trust?.caPem ?? null,
      dial,
      now,
    };
    if (this.#store.guard(WRITE, () => this.#stmts.update.run(params).changes) === 0) this.require(hostName);
    return this.require(hostName);
  }

  /**
   * Delete an endpoint (and its pinned certificate). When it was the group's last endpoint the group's delivery place
   * stays as a tombstone (see the class comment); the result says how many notifications the group has not
   * acknowledged.
   */
  delete(hostName: string, now: number = Date.now()): DeletedEndpoint {
    return this.#store.guard(WRITE, () => this.#delete(hostName, now));
  }

  #delete(hostName: string, now: number): DeletedEndpoint {
    return this.#store.transaction(() => {
      const rec = this.require(hostName);
      this.#stmts.delete.run(hostName);
      const lastOfGroup = this.#stmts.groupHasEndpoints.get(rec.groupId) === 0;
      if (lastOfGroup) this.#stmts.tombstoneGroup.run(now, rec.groupId);
      return { groupId: rec.groupId, lastOfGroup, undelivered: (this.#stmts.undelivered.get(rec.groupId) as number | undefined) ?? 0 };
    });
  }

  /** Persist a connection state change so other processes (`nbwss endpoints list`) see it. */
  recordConnectionState(hostName: string, state: ConnectionState, lastError: string | null, now: number = Date.now()): void {
    this.#store.guard(WRITE, () => this.#stmts.connection.run({ state, now, lastError, hostName }));
  }

  /** Record why the last attempt failed (and when), without changing the state. */
  recordError(hostName: string, lastError: string, now: number = Date.now()): void {
    this.#store.guard(WRITE, () => this.#stmts.lastError.run({ lastError, now, hostName }));
  }

  /** At daemon start: connections recorded by a previous (crashed) daemon are not live any more. */
  resetConnectionStates(reason: string, now: number = Date.now()): number {
    return this.#store.guard(WRITE, () => this.#stmts.resetConnections.run({ now, reason }).changes);
  }
}
