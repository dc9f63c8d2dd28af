import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Store } from '../../src/store/database.js';
import { EndpointStore } from '../../src/store/endpoint-store.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * What the daemon records for an endpoint's role (migration 004): when its last error happened, when a run of failed
 * attempts began, when it was added, activated or deactivated. Another process (`nbwss endpoints list`) reads them.
 */

function setup() {
  const store = Store.open(join(tempDir(), 'nbwss.db'));
  onTestFinished(() => store.close());
  const endpoints = new EndpointStore(store);
  endpoints.insert({ hostName: 'ep1', url: 'wss://ep1/x', groupId: 'G1', priority: 1, tokenEnc: Buffer.from('x'), certPem: 'pem', certFingerprint: 'AA', caPem: null }, 1000);
  return endpoints;
}

describe('EndpointStore: what a role is derived from', () => {
  it('an add sets stateChangedAt; activate/deactivate move it only when the state changes', () => {
    const endpoints = setup();
    expect(endpoints.get('ep1')).toMatchObject({ stateChangedAt: 1000, lastError: null, lastErrorAt: null, failingSince: null });
    endpoints.setState('ep1', 'ACTIVATED', 2000); // already ACTIVATED
    expect(endpoints.get('ep1')!.stateChangedAt).toBe(1000);
    endpoints.setState('ep1', 'DEACTIVATED', 3000);
    expect(endpoints.get('ep1')).toMatchObject({ state: 'DEACTIVATED', stateChangedAt: 3000, updatedAt: 3000 });
  });

  it('failed attempts: lastErrorAt each time, failingSince from the first; CONNECTED clears them; a drop records only the error', () => {
    const endpoints = setup();
    endpoints.recordError('ep1', 'refused', 5000);
    endpoints.recordError('ep1', 'timed out', 6000);
    expect(endpoints.get('ep1')).toMatchObject({ lastError: 'timed out', lastErrorAt: 6000, failingSince: 5000 });
    endpoints.recordConnectionState('ep1', 'CONNECTED', null, 7000);
    expect(endpoints.get('ep1')).toMatchObject({ connectionState: 'CONNECTED', connectionChangedAt: 7000, lastError: null, lastErrorAt: null, failingSince: null });
    endpoints.recordConnectionState('ep1', 'DISCONNECTED', '1006 connection lost', 8000);
    expect(endpoints.get('ep1')).toMatchObject({ connectionState: 'DISCONNECTED', lastError: '1006 connection lost', lastErrorAt: 8000, failingSince: null });
    endpoints.recordConnectionState('ep1', 'CONNECTED', null, 9000);
    expect(endpoints.resetConnectionStates('daemon restarted', 10_000)).toBe(1);
    expect(endpoints.get('ep1')).toMatchObject({ connectionState: 'DISCONNECTED', lastError: 'daemon restarted', lastErrorAt: 10_000, failingSince: null });
  });
});
