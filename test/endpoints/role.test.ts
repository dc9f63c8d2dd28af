import { describe, expect, it } from 'vitest';
import { describeRole, endpointRoles, type RoleRecord } from '../../src/endpoints/role.js';

/** The role of an endpoint (issue 12 item 2): serving, standby, connecting, failing, deactivated — and since when. */

const T = Date.parse('2025-06-01T09:00:00Z');
const MIN = 60_000;

function rec(hostName: string, groupId: string, over: Partial<RoleRecord> = {}): RoleRecord {
  return {
    hostName,
    groupId,
    state: 'ACTIVATED',
    connectionState: 'DISCONNECTED',
    connectionChangedAt: null,
    lastError: null,
    lastErrorAt: null,
    failingSince: null,
    stateChangedAt: T - 60 * MIN,
    createdAt: T - 60 * MIN,
    ...over,
  };
}

const rolesOf = (records: RoleRecord[], ctx: Partial<Parameters<typeof endpointRoles>[1]> = {}) => {
  const roles = endpointRoles(records, { now: T, periodMs: 60_000, ...ctx });
  return Object.fromEntries([...roles].map(([h, r]) => [h, r.role]));
};

describe('endpointRoles', () => {
  it('serving, and a healthy other endpoint of the group is standby (no preemption); since = when it took the role', () => {
    const records = [rec('ep1', 'G1', { connectionState: 'CONNECTED', connectionChangedAt: T - 5 * MIN }), rec('ep2', 'G1')];
    const roles = endpointRoles(records, { now: T, periodMs: 60_000 });
    expect(roles.get('ep1')).toMatchObject({ role: 'serving', since: T - 5 * MIN, lastError: null });
    expect(roles.get('ep2')).toMatchObject({ role: 'standby', since: T - 5 * MIN });
  });

  it('a failed attempt is failing with its reason, even while another endpoint serves the group', () => {
    const records = [
      rec('ep1', 'G1', { lastError: 'Unable to establish connection with host: ep1', lastErrorAt: T - MIN, failingSince: T - 10 * MIN }),
      rec('ep2', 'G1', { connectionState: 'CONNECTED', connectionChangedAt: T - MIN }),
    ];
    const roles = endpointRoles(records, { now: T, periodMs: 60_000 });
    expect(roles.get('ep1')).toMatchObject({ role: 'failing', since: T - 10 * MIN, lastError: 'Unable to establish connection with host: ep1', lastErrorAt: T - MIN });
    expect(roles.get('ep2')!.role).toBe('serving');
  });

  it('a dropped connection: standby once another endpoint took over, failing while none did', () => {
    const dropped = { lastError: '1006 connection lost', lastErrorAt: T - 2 * MIN, connectionChangedAt: T - 2 * MIN };
    expect(rolesOf([rec('ep1', 'G1', dropped), rec('ep2', 'G1', { connectionState: 'CONNECTED', connectionChangedAt: T - MIN })])).toEqual({ ep1: 'standby', ep2: 'serving' });
    const roles = endpointRoles([rec('ep1', 'G1', dropped)], { now: T, periodMs: 60_000 });
    expect(roles.get('ep1')).toMatchObject({ role: 'failing', since: T - 2 * MIN });
  });

  it('connecting: never tried, or activated after its last error, or an attempt in flight (the daemon knows)', () => {
    const old = { lastError: 'rejected', lastErrorAt: T - 30 * MIN, failingSince: T - 40 * MIN, stateChangedAt: T - 10 * MIN };
    expect(rolesOf([rec('ep1', 'G1'), rec('ep2', 'G2', old)])).toEqual({ ep1: 'connecting', ep2: 'connecting' });
    const failing = rec('ep3', 'G3', { lastError: 'rejected', lastErrorAt: T - MIN, failingSince: T - MIN });
    expect(rolesOf([failing])).toEqual({ ep3: 'failing' });
    expect(rolesOf([failing], { attempting: new Set(['ep3']) })).toEqual({ ep3: 'connecting' });
  });

  it('deactivated; still connected: closes within the time to the next run (the daemon), else within a period of the change', () => {
    const still = rec('ep1', 'G1', { state: 'DEACTIVATED', stateChangedAt: T - 20_000, connectionState: 'CONNECTED', connectionChangedAt: T - 60 * MIN });
    const fromDb = endpointRoles([still, rec('ep2', 'G1')], { now: T, periodMs: 60_000 });
    expect(fromDb.get('ep1')).toMatchObject({ role: 'deactivated', since: T - 20_000, closesWithinMs: 40_000 });
    expect(fromDb.get('ep2')!.role).toBe('standby'); // the group is still served until that run
    const live = endpointRoles([still], { now: T, periodMs: 60_000, nextRunAt: T + 7_000 });
    expect(live.get('ep1')!.closesWithinMs).toBe(7_000);
    expect(describeRole(live.get('ep1')!)).toBe('deactivated, still connected until the next run of the connection task (within 7 s)');
    const closed = endpointRoles([rec('ep1', 'G1', { state: 'DEACTIVATED' })], { now: T, periodMs: 60_000 });
    expect(closed.get('ep1')).toMatchObject({ role: 'deactivated', closesWithinMs: null });
    expect(describeRole(closed.get('ep1')!)).toBe('deactivated');
  });

  it("the daemon's live view wins over the recorded connection state", () => {
    const records = [rec('ep1', 'G1', { connectionState: 'CONNECTED', connectionChangedAt: T - MIN }), rec('ep2', 'G1')];
    expect(rolesOf(records, { connected: (h) => h === 'ep2' })).toEqual({ ep1: 'standby', ep2: 'serving' });
  });
});
