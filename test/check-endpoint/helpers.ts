import { onTestFinished } from 'vitest';
import { checkEndpoint, type CheckEndpointOptions, type CheckReport, type CheckTimings } from '../../src/check-endpoint/index.js';
import { createMockEndpoint, type MockEndpoint, type MockEndpointOptions } from '../../src/endpoint-mock/index.js';

/** Timings short enough for tests (the defaults: 2 s, 5 s, 6 s idle, 2 min full idle). */
export const SHORT: Partial<CheckTimings> = {
  handshakeTimeoutMs: 3000,
  sendTimeoutMs: 1000,
  resendAfterMs: 1500,
  pongTimeoutMs: 1000,
  quickIdleMs: 300,
  fullIdleMs: 600,
  keepAliveIntervalMs: 200,
};

/** A mock endpoint on 127.0.0.1 for the checker, closed when the test finishes. */
export async function mockEndpoint(options: MockEndpointOptions = {}): Promise<MockEndpoint> {
  const endpoint = await createMockEndpoint({ host: '127.0.0.1', token: 'check-token', ...options });
  onTestFinished(() => endpoint.close({ terminate: true }));
  return endpoint;
}

/** Run the checker against a mock endpoint, pinned to its certificate, with short timings. */
export function check(endpoint: MockEndpoint, options: Partial<CheckEndpointOptions> = {}): Promise<CheckReport> {
  return checkEndpoint({
    details: endpoint.endpointDetails({ group: 'G1', priority: 1 }),
    trust: { fingerprint: endpoint.fingerprint256 },
    timings: SHORT,
    ...options,
  });
}

/** `{ id: status }` of a report. */
export function statuses(report: CheckReport): Record<string, string> {
  return Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
}
