import type { CertificateInfo } from '../certificates.js';
import type { FetchedCertificate } from '../endpoints/certificate.js';
import { describeRole } from '../endpoints/role.js';
import type { CertificateSummary, EndpointListRow, EndpointView, UpdateResult } from '../endpoints/service.js';
import { formatAge } from '../notifications/status.js';
import type { PublicDetails } from '../endpoints/validate.js';
import { formatTable } from './context.js';

/** Human output of `nbwss endpoints …`: plain aligned text, no colour, stable enough to grep. */

function lines(pairs: [string, string | number | null | undefined][], indent = ''): string {
  const width = Math.max(...pairs.map(([k]) => k.length)) + 1;
  return pairs.map(([k, v]) => `${indent}${(k + ':').padEnd(width)}  ${v === null || v === undefined || v === '' ? '-' : String(v)}`).join('\n') + '\n';
}

/** The endpoint details, without the token. */
export function formatDetails(details: PublicDetails): string {
  return (
    'Endpoint\n' +
    lines(
      [
        ['Host name', details.hostName],
        ['URL', details.url],
        ['Group ID', details.groupId],
        ['Priority', details.priority],
        ['Token', '(not shown)'],
      ],
      '  ',
    )
  );
}

/** A certificate as an operator checks it before trusting it. */
export function formatCertificate(cert: CertificateSummary | CertificateInfo, title = 'Certificate', trust?: string): string {
  return (
    `${title}\n` +
    lines(
      [
        ['Subject', cert.subject],
        ['Issuer', cert.issuer],
        ['Valid from', cert.validFrom],
        ['Valid to', cert.validTo],
        ['SHA-256 fingerprint', cert.fingerprint256],
        ['Subject alt names', cert.subjectAltNames.join(', ')],
        ['Self-signed', cert.selfSigned ? 'yes' : 'no'],
        ...(trust ? ([['Trust', trust]] as [string, string][]) : []),
      ],
      '  ',
    )
  );
}

/** What TLS verification made of a fetched certificate, in words. */
export function describeTrust(cert: FetchedCertificate, withCa: boolean): string {
  if (withCa) {
    if (!cert.chainVerified) return `does NOT chain to the CA given with --ca (${cert.chainError ?? 'unverified'})`;
    return cert.hostnameError ? `chains to the CA given with --ca, but ${cert.hostnameError}` : 'chains to the CA given with --ca';
  }
  if (cert.selfSigned) return 'self-signed: trusted once pinned by add';
  return `issued by a CA (${cert.chainVerified ? 'one Node trusts' : cert.chainError ?? 'unverified'}): add it with --ca FILE (the root CA of its chain)`;
}

/** Warnings about a certificate's validity period, empty when it is current. */
export function validityWarnings(cert: CertificateSummary, now: number = Date.now()): string[] {
  const out: string[] = [];
  if (Date.parse(cert.validTo) < now) out.push(`the certificate expired on ${cert.validTo}: connections will fail until the endpoint renews it`);
  if (Date.parse(cert.validFrom) > now) out.push(`the certificate is not valid before ${cert.validFrom}`);
  return out;
}

/** An ISO time as an age from `now` ("5m12s"), or "-". */
function ageOf(at: string | null, now: number): string {
  return at === null ? '-' : (formatAge(Math.max(0, now - Date.parse(at))) ?? '-');
}

/** A last error for one table cell: one line, at most 60 characters. */
function shortError(text: string | null): string | null {
  if (text === null) return null;
  const line = text.replace(/\s+/g, ' ');
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}

/**
 * The aligned table of `nbwss endpoints list`: the guide's columns, then ROLE (why it is or is not connected), SINCE
 * (how long it has had that role) and LAST ERROR (why the last attempt failed or the last connection closed).
 */
export function formatList(endpoints: EndpointListRow[], now: number = Date.now()): string {
  if (endpoints.length === 0) return 'No endpoints. Add one with: nbwss endpoints add --file endpoint.json --accept-certificate\n';
  return formatTable(
    ['HOST NAME', 'URL', 'GROUP ID', 'PRIORITY', 'STATE', 'CONNECTION', 'ROLE', 'SINCE', 'LAST ERROR'],
    endpoints.map((e) => [e.hostName, e.url, e.groupId, e.priority, e.state, e.connectionState, describeRole(e, true), ageOf(e.since, now), shortError(e.lastError)]),
  );
}

/** The detail view of `nbwss endpoints show`. */
export function formatView(v: EndpointView): string {
  const since = v.connectionChangedAt ? ` (since ${v.connectionChangedAt})` : '';
  let out = lines([
    ['Host name', v.hostName],
    ['URL', v.url],
    ['Group ID', v.groupId],
    ['Priority', v.priority],
    ['State', v.state],
    ['Connection state', v.connectionState + since],
    ['Role', `${describeRole(v)}${v.since ? ` (since ${v.since})` : ''}`],
    ['Last error', v.lastError === null ? null : `${v.lastError}${v.lastErrorAt ? ` (at ${v.lastErrorAt})` : ''}`],
    ['Trust', v.trust === 'ca' ? 'any certificate chaining to the CA given at add' : 'the pinned certificate only'],
    ['Certificate expires', v.certificateExpiresAt],
    ['Token', v.token ?? '(hidden; --show-token to view)'],
    ['Created', v.createdAt],
    ['Updated', v.updatedAt],
  ]);
  out += formatCertificate(v.certificate, v.trust === 'ca' ? 'Certificate seen at add' : 'Pinned certificate');
  if (v.caCertificate) out += formatCertificate(v.caCertificate, 'Trusted CA');
  return out;
}

/** The first line of `nbwss endpoints update`: what changed, before → after. */
export function formatUpdate(r: Pick<UpdateResult, 'endpoint' | 'previous' | 'changed'>): string {
  if (r.changed.length === 0) return `${r.endpoint.hostName} unchanged\n`;
  const parts = r.changed.map((f) => {
    if (f === 'priority') return `priority ${r.previous.priority} → ${r.endpoint.priority}`;
    if (f === 'url') return `url ${r.previous.url} → ${r.endpoint.url}`;
    if (f === 'token') return 'token replaced';
    return `certificate SHA-256 ${r.previous.fingerprint} → ${r.endpoint.fingerprint}`;
  });
  return `Updated ${r.endpoint.hostName} (group ${r.endpoint.groupId}): ${parts.join('; ')}\n`;
}

/** What `nbwss endpoints delete` adds when the deleted endpoint was its group's last. */
export function formatLastOfGroup(groupId: string, undelivered: number, keptUntil: string): string {
  return (
    `It was the last endpoint of group ${groupId}, which holds ${undelivered} undelivered notification${undelivered === 1 ? '' : 's'}. ` +
    `The group keeps its place until ${keptUntil} (notification.retention): add an endpoint of group ${groupId} again to deliver them.\n`
  );
}
