/**
 * The catalogue of NBWSS rules, one definition each: the spec section every {@link Problem} rule and every
 * `check-endpoint` check belongs to, the check's stable id, title and what it expects. The mock endpoint prints
 * a problem's section from here; `nbwss check-endpoint` builds its report (ids, titles, sections, profiles) from
 * here; the README table of checks is tested against it.
 */

/** Sections of the spec (`shared/spec/NBWSS.md`, which restates the guide section by section). */
export const SECTIONS = {
  '§2': 'Message envelope',
  '§3': 'CONNECT',
  '§4': 'COMMAND',
  '§5': 'NOTIFICATION',
  '§6': 'Keepalive',
  '§7': 'Connections',
  '§8': 'Endpoint credentials and TLS',
} as const;

/** A section key such as `§5`. */
export type SectionKey = keyof typeof SECTIONS;

/** `§5 NOTIFICATION`: how a section is named in reports. */
export function sectionName(key: SectionKey): string {
  return `${key} ${SECTIONS[key]}`;
}

/** Which runs include a check: `quick` (the default profile), `full` only, or only with a load (`--load N`, or `full`). */
export type CheckProfile = 'quick' | 'full' | 'load';

/** One check of `nbwss check-endpoint`. */
export interface CheckDefinition {
  /** Stable id (`--only`, `--skip`, the JSON and JUnit reports). */
  readonly id: string;
  readonly title: string;
  readonly section: SectionKey;
  readonly profile: CheckProfile;
  /** What a conforming endpoint does: the "expected" of a failure. */
  readonly expected: string;
}

const check = (id: string, section: SectionKey, profile: CheckProfile, title: string, expected: string): CheckDefinition => ({ id, section, profile, title, expected });

/** Every check, in the order a run performs them. */
export const CHECKS: readonly CheckDefinition[] = Object.freeze([
  check('tls.certificate', '§8', 'quick', 'TLS certificate presented and trusted', 'a certificate that matches the pin (--fingerprint, --accept-certificate) or chains to the CA (--ca, else the public CAs)'),
  check('tls.expiry', '§8', 'quick', 'Certificate not expiring within 30 days', 'a certificate valid for more than 30 days'),
  check('tls.hostname', '§8', 'quick', 'hostName named by the certificate', "the endpoint's hostName among the certificate's subject alternative names"),
  check('tls.version', '§8', 'quick', 'TLS 1.2 or later', 'TLSv1.2 or TLSv1.3'),
  check('upgrade.path', '§8', 'quick', 'The url upgrades to WebSocket', 'HTTP 101 Switching Protocols on the path of url'),
  check('connect.valid', '§3', 'quick', 'Right token: valid:true, same id, in time', 'a CONNECT RESPONSE with the same id and payload {"valid":true} within connectionInfo.handshakeTimeout'),
  check('connect.first', '§3', 'quick', 'Nothing before the CONNECT RESPONSE', 'the CONNECT RESPONSE as the first message on every connection'),
  check('connect.wrongToken', '§3', 'quick', 'Wrong token: valid:false', 'a CONNECT RESPONSE with payload {"valid":false} (not silence, not a bare close, not true)'),
  check('connect.idCase', '§3', 'quick', 'Response ids echoed exactly', 'every response id equal to its request id, upper case as sent'),
  check('keepalive.pong', '§6', 'quick', 'Pings answered with pongs', 'a pong for every WebSocket ping'),
  check('notification.ack', '§5', 'quick', 'JOB request acknowledged', 'a NOTIFICATION RESPONSE with the same id and payload [] within notification.sendTimeout'),
  check('notification.image', '§5', 'quick', 'IMAGE request acknowledged', 'a NOTIFICATION RESPONSE with the same id and payload [] within notification.sendTimeout'),
  check('notification.mixed', '§5', 'quick', 'Mixed JOB and IMAGE request acknowledged', 'a NOTIFICATION RESPONSE with the same id and payload [] within notification.sendTimeout'),
  check('notification.batch', '§5', 'quick', 'Request of notification.maxBatchSize acknowledged', 'a NOTIFICATION RESPONSE with the same id and payload [] within notification.sendTimeout'),
  check('notification.extraFields', '§5', 'quick', 'Unknown extra fields tolerated', 'an acknowledgement of a request whose data carry fields the guide does not name'),
  check('notification.latency', '§5', 'quick', 'Acknowledgement latency', 'acknowledgements well within notification.sendTimeout (p99 under half of it)'),
  check('notification.large', '§7', 'quick', 'Request of about 1.9 MiB accepted', 'an acknowledgement of a 1.9 MiB request (NetBackup sends up to 2 MB)'),
  check('notification.resend', '§5', 'full', 'Resend of an acknowledged id acknowledged again', 'the same id sent again after notification.scheduledRate acknowledged again (de-duplicate, do not stall)'),
  check('keepalive.idle', '§6', 'quick', 'Idle connection survives', 'the connection still delivers after several keepalive periods without messages (full: 2 minutes)'),
  check('close.second', '§7', 'quick', 'Second connection while the first is open', 'the new connection accepted (valid:true), with the old one kept or closed'),
  check('close.reconnect', '§7', 'quick', 'Reconnect after NetBackup closes with 1001', 'a new connection with the same token accepted after a 1001 close'),
  check('load.throughput', '§5', 'load', 'Notifications at full speed', 'every request acknowledged (stop-and-wait, notification.maxBatchSize per request)'),
  check('envelope.shape', '§2', 'quick', 'Envelope of every message', 'version "1.0", a UUID id, a known type and subType, an integer timeStamp in seconds near now, an object (array for NOTIFICATION) payload'),
  check('command.shape', '§4', 'quick', 'COMMAND REQUESTs well-formed', 'a path-only uri, an HTTP method, a headers object of strings, parameters as a string, a frame under 2 MB'),
]);

/** The check with this id, or undefined. */
export function checkById(id: string): CheckDefinition | undefined {
  return CHECKS.find((c) => c.id === id);
}

/** Which side sends the message a {@link Problem} rule judges. */
export type RuleSide = 'netbackup' | 'endpoint' | 'both';

/** One {@link Problem} rule: its section, who it judges, and the `check-endpoint` check that reports it (endpoint side). */
export interface RuleDefinition {
  readonly section: SectionKey;
  readonly side: RuleSide;
  /**
   * The check that reports this rule when an endpoint breaks it. Absent for the NetBackup-side rules and for the
   * response rules, which go to the check whose request the response answers.
   */
  readonly check?: string;
}

const rule = (section: SectionKey, side: RuleSide, check?: string): RuleDefinition => (check ? { section, side, check } : { section, side });

/** Every {@link Problem} rule id the conformance functions report. */
export const RULES: Readonly<Record<string, RuleDefinition>> = Object.freeze({
  'frame.binary': rule('§2', 'both', 'envelope.shape'),
  'frame.json': rule('§2', 'both', 'envelope.shape'),
  'frame.object': rule('§2', 'both', 'envelope.shape'),
  'frame.size': rule('§7', 'both', 'envelope.shape'),
  'envelope.version': rule('§2', 'both', 'envelope.shape'),
  'envelope.id': rule('§2', 'both', 'envelope.shape'),
  'envelope.idUuid': rule('§2', 'both', 'envelope.shape'),
  'envelope.idUpperCase': rule('§2', 'both', 'envelope.shape'),
  'envelope.type': rule('§2', 'both', 'envelope.shape'),
  'envelope.subType': rule('§2', 'both', 'envelope.shape'),
  'envelope.timeStamp': rule('§2', 'both', 'envelope.shape'),
  'envelope.timeStampSkew': rule('§2', 'both', 'envelope.shape'),
  'envelope.payload': rule('§2', 'both', 'envelope.shape'),
  direction: rule('§2', 'both', 'envelope.shape'),
  'connect.token': rule('§3', 'netbackup'),
  'connect.valid': rule('§3', 'endpoint', 'connect.valid'),
  'response.id': rule('§5', 'endpoint'),
  'response.idCase': rule('§5', 'endpoint', 'connect.idCase'),
  'notificationResponse.payload': rule('§5', 'endpoint'),
  'command.uri': rule('§4', 'endpoint', 'command.shape'),
  'command.method': rule('§4', 'endpoint', 'command.shape'),
  'command.headers': rule('§4', 'endpoint', 'command.shape'),
  'command.parameters': rule('§4', 'endpoint', 'command.shape'),
  'command.size': rule('§7', 'endpoint', 'command.shape'),
  'commandResponse.id': rule('§4', 'netbackup'),
  'commandResponse.headers': rule('§4', 'netbackup'),
  'commandResponse.headerName': rule('§4', 'netbackup'),
  'commandResponse.headerValue': rule('§4', 'netbackup'),
  'commandResponse.responseCode': rule('§4', 'netbackup'),
  'commandResponse.body': rule('§4', 'netbackup'),
  'notification.payload': rule('§5', 'netbackup'),
  'notification.element': rule('§5', 'netbackup'),
  'notification.notificationType': rule('§5', 'netbackup'),
  'notification.object': rule('§5', 'netbackup'),
  'notification.oneElementPerObject': rule('§5', 'netbackup'),
  'notification.data': rule('§5', 'netbackup'),
  'notification.item': rule('§5', 'netbackup'),
  'sequence.beforeConnect': rule('§3', 'netbackup'),
  'sequence.afterReject': rule('§3', 'netbackup'),
  'sequence.connectTwice': rule('§3', 'netbackup'),
  'sequence.noConnect': rule('§3', 'netbackup'),
  'sequence.notClosedAfterReject': rule('§3', 'netbackup'),
  'sequence.stopAndWait': rule('§5', 'netbackup'),
  'sequence.resendChanged': rule('§5', 'netbackup'),
});

/** The section of a problem rule (`§2` for an unknown one). */
export function ruleSection(ruleId: string): SectionKey {
  return RULES[ruleId]?.section ?? '§2';
}
