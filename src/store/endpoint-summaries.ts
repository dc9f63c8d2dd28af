import type { Store } from './database.js';

/** The columns the connection task needs every period to decide (no certificate, no token). */
export interface EndpointSummary {
  hostName: string;
  groupId: string;
  priority: number;
  /** epoch ms; a different value for the same host name means the endpoint was deleted and added again. */
  createdAt: number;
  /** Bumped when the url or the certificate trust changes: an open connection is then closed and dialled again. */
  dialRevision: number;
}

/**
 * A reader of the ACTIVATED endpoints' summaries, by group, priority, host name. The connection task runs it every
 * `connectionInfo.period`; leaving out the PEM and the encrypted token makes it about five times cheaper than
 * `EndpointStore.listActivated()` at thousands of endpoints (and the task reads the full record only for the
 * endpoint it is about to dial).
 */
export function activatedSummaries(store: Store): () => EndpointSummary[] {
  const stmt = store.db.prepare(
    `SELECT host_name AS hostName, group_id AS groupId, priority, created_at AS createdAt, dial_revision AS dialRevision
       FROM endpoints WHERE state = 'ACTIVATED' ORDER BY group_id, priority, host_name`,
  );
  return () => store.guard('read the endpoints', () => stmt.all() as EndpointSummary[]);
}
