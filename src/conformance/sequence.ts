import { createHash } from 'node:crypto';
import { isObject, problem, type IdLookup, type Problem } from './problem.js';

/**
 * Order rules of one connection (spec §3, §5), as an endpoint sees what NetBackup sends, and the resend rule
 * (a resend carries the same notifications). Pure functions; no socket code.
 */

/** The state of one connection as seen by an endpoint, for {@link sequenceProblems}. */
export interface SessionState {
  /** A CONNECT RESPONSE `valid:true` was sent. */
  connected: boolean;
  /** A CONNECT RESPONSE `valid:false` was sent (NetBackup must close, and send nothing more). */
  rejected: boolean;
  /** Ids of NOTIFICATION REQUESTs received on this connection and not acknowledged (yet). */
  unackedNotificationIds: IdLookup & { readonly size: number };
}

/**
 * Order rules an endpoint can see on one connection (spec §3, §5): the first message is a CONNECT REQUEST;
 * nothing follows a rejected CONNECT; no NOTIFICATION REQUEST before the connection is established; and
 * stop-and-wait: while a NOTIFICATION REQUEST is unacknowledged only a resend of it (same id) may come.
 */
export function sequenceProblems(state: Readonly<SessionState>, m: { type?: unknown; subType?: unknown; id?: unknown }): Problem[] {
  const what = `${String(m.type)} ${String(m.subType)}`;
  if (state.rejected) return [problem('sequence.afterReject', 'type', `${what} after CONNECT RESPONSE valid:false (NetBackup must close the connection)`)];
  if (m.type === 'CONNECT' && m.subType === 'REQUEST') {
    return state.connected ? [problem('sequence.connectTwice', 'type', 'second CONNECT REQUEST on an established connection', 'warning')] : [];
  }
  if (!state.connected) return [problem('sequence.beforeConnect', 'type', `${what} before the connection was established by CONNECT`)];
  if (m.type === 'NOTIFICATION' && m.subType === 'REQUEST' && state.unackedNotificationIds.size > 0 && !state.unackedNotificationIds.has(String(m.id))) {
    return [problem('sequence.stopAndWait', 'id', `new NOTIFICATION REQUEST ${String(m.id)} while an earlier one is unacknowledged (stop-and-wait)`)];
  }
  return [];
}

/** JSON with object keys sorted, so that two serializations of the same value compare equal. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** A short digest of a payload (SHA-256 of its {@link canonicalJson}): what an endpoint keeps to compare resends. */
export function payloadDigest(payload: unknown): string {
  return createHash('sha256').update(canonicalJson(payload)).digest('base64url');
}

/**
 * A resend of a NOTIFICATION REQUEST (same id) must carry the same notifications (spec §5, project decision),
 * so that an endpoint can de-duplicate. `previousDigest` is the {@link payloadDigest} of the first payload with
 * that id; key order does not matter.
 */
export function resendProblems(previousDigest: string, payload: unknown): Problem[] {
  return previousDigest === payloadDigest(payload)
    ? []
    : [problem('sequence.resendChanged', 'payload', 'resend with the same id carries different notifications')];
}
