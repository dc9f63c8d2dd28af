import { chmodSync, writeFileSync } from 'node:fs';
import { MockEndpointError, type EndpointDetails } from './types.js';

/** What {@link buildEndpointDetails} needs beyond the endpoint's own URL and token. */
export interface EndpointDetailsOptions {
  /** Server group (`groupId`). */
  group: string;
  /** Priority in the group (lower is tried first). */
  priority: number;
  /** `hostName` member (default: the endpoint's host name). Must be unique among the endpoints NetBackup stores. */
  hostName?: string;
  /** `token` member (default: the endpoint's token). */
  token?: string;
}

/**
 * The endpoint JSON of spec §8: exactly `token`, `priority`, `groupId`, `hostName`, `url`. Refuses what the
 * guide refuses (an empty member, an apostrophe anywhere, a non-`wss://` URL, a priority that is not a number)
 * so that the file it writes is one `nbwss endpoints add --file` accepts.
 */
export function buildEndpointDetails(values: EndpointDetails): EndpointDetails {
  const details: EndpointDetails = {
    token: values.token,
    priority: values.priority,
    groupId: values.groupId,
    hostName: values.hostName,
    url: values.url,
  };
  for (const key of ['token', 'groupId', 'hostName', 'url'] as const) {
    const v = details[key];
    if (typeof v !== 'string' || v === '') throw new MockEndpointError('NBWSS_ERR_MOCK_DETAILS', `endpoint ${key} must be a non-empty string`);
    if (v.includes("'")) throw new MockEndpointError('NBWSS_ERR_MOCK_DETAILS', `endpoint ${key} must not contain an apostrophe (')`);
  }
  if (typeof details.priority !== 'number' || !Number.isFinite(details.priority)) {
    throw new MockEndpointError('NBWSS_ERR_MOCK_DETAILS', `endpoint priority must be a number, got ${String(details.priority)}`);
  }
  if (!details.url.startsWith('wss://')) throw new MockEndpointError('NBWSS_ERR_MOCK_DETAILS', `endpoint url must be wss://, got ${details.url}`);
  return details;
}

/** Write endpoint details as a JSON file (mode 0600: it holds the token). */
export function writeDetailsFile(path: string, details: EndpointDetails): void {
  writeFileSync(path, `${JSON.stringify(details, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600); // an existing file keeps its mode on write
}
