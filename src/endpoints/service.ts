import type { CertificateInfo } from '../certificates.js';
import { describeCertificate } from '../certificates.js';
import { systemClock, type Clock } from '../clock.js';
import { CertificateRejectedError, EndpointError, GuideMessages, UsageError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ConnectionState, DeletedEndpoint, EndpointChanges, EndpointRecord, EndpointState, EndpointStore } from '../store/endpoint-store.js';
import { FETCH_TIMEOUT_MS, fetchCertificate as defaultFetcher, type CertificateFetcher, type FetchedCertificate } from './certificate.js';
import type { TokenCipher } from './token-cipher.js';
import { checkPresentedCertificate, checkTrustOptions, type TrustOptions } from './trust.js';
import { certificateExpiry, endpointRoles, type EndpointRole, type EndpointStatusInfo, type RoleContext } from './role.js';
import { parseEndpointDetails, publicDetails, validateEndpointUrl, validateToken, type EndpointDetails, type PublicDetails } from './validate.js';

/** Dependencies of {@link EndpointService}. */
export interface EndpointServiceOptions {
  endpoints: EndpointStore;
  cipher: TokenCipher;
  logger: Logger;
  /** Fetches an endpoint's certificate (default: a real TLS connection, {@link defaultFetcher}). */
  fetchCertificate?: CertificateFetcher;
  /** Limit for one certificate fetch, ms (default {@link FETCH_TIMEOUT_MS}). */
  certificateTimeoutMs?: number;
  /** `connectionInfo.period`, ms (default 60000): how soon a change is applied, for the roles `list` reports. */
  connectionPeriodMs?: number;
  clock?: Clock;
}

/** One endpoint as `list` shows it; `list --json` prints exactly these fields. */
export interface EndpointSummary {
  hostName: string;
  url: string;
  groupId: string;
  priority: number;
  state: EndpointState;
  connectionState: ConnectionState;
  /** SHA-256 fingerprint of the certificate seen at add time (the pin; for display in CA mode). */
  fingerprint: string;
}

/** One row of `nbwss endpoints list` and `GET /api/endpoints`: the summary, its role and why, its certificate's expiry. */
export interface EndpointListRow extends EndpointSummary {
  role: EndpointRole;
  /** ISO time it took this role, or null when unknown. */
  since: string | null;
  lastError: string | null;
  /** ISO time `lastError` was recorded. */
  lastErrorAt: string | null;
  /** A deactivated endpoint still connected: at most this long until the next run of the connection task closes it. */
  closesWithinMs: number | null;
  /** `pinned` (only the certificate accepted at add) or `ca` (any certificate chaining to the CA given at add). */
  trust: 'pinned' | 'ca';
  /** ISO time the certificate seen at add expires (pinned: the one that is trusted). */
  certificateExpiresAt: string;
}

/** What only the daemon knows of its connections (`list` then reads the recorded connection states without it). */
export type LiveConnectionState = Omit<RoleContext, 'now' | 'periodMs'>;

/** A certificate for display: everything but the PEM. */
export type CertificateSummary = Omit<CertificateInfo, 'pem'>;

/** One endpoint as `show` shows it: its list row and more. `token` is present only when asked for. */
export interface EndpointView extends EndpointListRow {
  certificate: CertificateSummary;
  /** The CA given with `--ca`, or null. */
  caCertificate: CertificateSummary | null;
  /** ISO time of the last connection state change, or null. */
  connectionChangedAt: string | null;
  createdAt: string;
  updatedAt: string;
  token?: string;
}

/** What {@link EndpointService.validate} returns: the details without the token, and the presented certificate. */
export interface ValidationResult {
  details: PublicDetails;
  certificate: FetchedCertificate;
}

/** How `add` decides to trust the endpoint's certificate. At least one is needed. */
export interface AddOptions extends TrustOptions {
  /** Ask the operator (a TTY prompt in the CLI); false aborts the add. */
  confirm?: (certificate: FetchedCertificate, details: PublicDetails) => Promise<boolean>;
}

/** What {@link EndpointService.add} returns. */
export interface AddResult {
  endpoint: EndpointSummary;
  certificate: FetchedCertificate;
}

/** What {@link EndpointService.update} may change (absent: kept). The trust options are those of `add`. */
export interface EndpointUpdate extends TrustOptions {
  priority?: number;
  url?: string;
  token?: string;
}

/** A field {@link EndpointService.update} changed. */
export type UpdatedField = 'priority' | 'url' | 'token' | 'certificate';

/** What {@link EndpointService.update} returns. */
export interface UpdateResult {
  endpoint: EndpointSummary;
  /** The endpoint before the change. */
  previous: EndpointSummary;
  /** What actually changed (a value equal to the stored one changes nothing). */
  changed: UpdatedField[];
  /**
   * The url or the certificate trust changed: the connection task closes an open connection to the endpoint at its
   * next run and dials it again (the group's in-flight batch is then resent, nothing is lost).
   */
  redial: boolean;
  /** The certificate presented at the url, when it was fetched (a new url or a trust option). */
  certificate?: FetchedCertificate;
}

/**
 * When an update takes effect, in words (the CLI prints it, the API returns it as `appliesWhen`): a url or
 * certificate change at the next run of the connection task, which closes an open connection and dials again;
 * a priority when the group next picks an endpoint (no preemption); a token at the next CONNECT.
 */
export function describeUpdateTiming(result: Pick<UpdateResult, 'changed' | 'redial' | 'endpoint'>, periodSeconds?: number): string {
  if (result.changed.length === 0 && !result.redial) return `nothing changed: ${result.endpoint.hostName} already has these settings`;
  const parts: string[] = [];
  if (result.redial) {
    parts.push(
      `the new url or certificate takes effect at the next run of the connection task (${periodSeconds === undefined ? '' : `within ${periodSeconds} s, `}connectionInfo.period): an open ` +
        `connection to ${result.endpoint.hostName} is closed then and dialled again; the group's undelivered notifications wait and are resent, none is lost`,
    );
  }
  if (result.changed.includes('priority')) parts.push('the priority applies when the group next picks an endpoint (an open connection is kept: no preemption)');
  if (result.changed.includes('token') && !result.redial) parts.push('the new token is sent at the next CONNECT (an open connection is kept)');
  return parts.join('; ');
}

/** The list view of a stored endpoint (never the token). */
export function toSummary(rec: EndpointRecord): EndpointSummary {
  return {
    hostName: rec.hostName,
    url: rec.url,
    groupId: rec.groupId,
    priority: rec.priority,
    state: rec.state,
    connectionState: rec.connectionState,
    fingerprint: rec.certFingerprint,
  };
}

/** The list row of a stored endpoint, given its role. */
function listRow(rec: EndpointRecord, status: EndpointStatusInfo): EndpointListRow {
  return {
    ...toSummary(rec),
    role: status.role,
    since: iso(status.since),
    lastError: status.lastError,
    lastErrorAt: iso(status.lastErrorAt),
    closesWithinMs: status.closesWithinMs,
    trust: trustMode(rec),
    certificateExpiresAt: certificateExpiry(rec),
  };
}

function certificateSummary(pem: string): CertificateSummary {
  const { pem: _omit, ...rest } = describeCertificate(pem);
  return rest;
}

/**
 * How a connection trusts a stored endpoint: `pinned` (only the certificate accepted at add; the connection passes it
 * as `ca` and compares `fingerprint256` in `checkServerIdentity`, see `connection/tls-pin.ts`) or `ca` (any
 * certificate chaining to the CA given with `--ca` that names the host, so the endpoint can renew its certificate).
 */
export function trustMode(rec: Pick<EndpointRecord, 'caPem'>): 'pinned' | 'ca' {
  return rec.caPem ? 'ca' : 'pinned';
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * Endpoint credential management (spec §8): validate, add with a pinned certificate, list, show, activate,
 * deactivate, delete, token rotation. Tokens are encrypted with the {@link TokenCipher} before they reach the store
 * and leave it only through {@link tokenOf} (the connection) or `show(…, { showToken: true })`.
 */
export class EndpointService {
  readonly #endpoints: EndpointStore;
  readonly #cipher: TokenCipher;
  readonly #log: Logger;
  readonly #fetch: CertificateFetcher;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #periodMs: number;

  constructor(options: EndpointServiceOptions) {
    this.#endpoints = options.endpoints;
    this.#cipher = options.cipher;
    this.#log = options.logger.child({ subsystem: 'endpoints' });
    this.#fetch = options.fetchCertificate ?? defaultFetcher;
    this.#timeoutMs = options.certificateTimeoutMs ?? FETCH_TIMEOUT_MS;
    this.#clock = options.clock ?? systemClock;
    this.#periodMs = options.connectionPeriodMs ?? 60_000;
  }

  /**
   * The guide's "Validate": check the details and show the certificate the endpoint presents. With `caPem`, the
   * result also says whether the chain verifies to that CA. Stores nothing.
   */
  async validate(details: EndpointDetails, options: { caPem?: string } = {}): Promise<ValidationResult> {
    const checked = checkDetails(details);
    const certificate = await this.#fetch(checked.url, { timeoutMs: this.#timeoutMs, hostName: checked.hostName, caPem: options.caPem });
    this.#log.debug({ hostName: checked.hostName, url: checked.url, fingerprint: certificate.fingerprint256 }, 'endpoint validated');
    return { details: publicDetails(checked), certificate };
  }

  /**
   * The guide's "Add Host": fetch the certificate again, apply the trust decision of `options`, encrypt the token and
   * store the endpoint (ACTIVATED). Throws `the entity already exists` for a stored host name, `The certificate did
   * not match…` when `fingerprint` differs, `Failed to setup SSL security` when the certificate cannot be trusted
   * the chosen way, {@link CertificateRejectedError} when `confirm` says no, {@link UsageError} when no trust decision
   * is given.
   */
  async add(details: EndpointDetails, options: AddOptions = {}): Promise<AddResult> {
    const checked = checkDetails(details);
    const expected = checkTrustOptions(options);
    if (this.#endpoints.get(checked.hostName)) {
      throw new EndpointError('NBWSS_ERR_ALREADY_EXISTS', GuideMessages.alreadyExists, { detail: `hostName ${checked.hostName}` });
    }
    const certificate = await this.#fetch(checked.url, { timeoutMs: this.#timeoutMs, hostName: checked.hostName, caPem: options.caPem });
    await checkPresentedCertificate(certificate, options, expected, () => options.confirm!(certificate, publicDetails(checked)), checked.hostName, 'added');

    const now = this.#clock.now();
    let rec: EndpointRecord;
    try {
      rec = this.#endpoints.insert(
        {
          hostName: checked.hostName,
          url: checked.url,
          groupId: checked.groupId,
          priority: checked.priority,
          tokenEnc: this.#cipher.encrypt(checked.token, checked.hostName),
          certPem: certificate.pem,
          certFingerprint: certificate.fingerprint256,
          caPem: options.caPem ?? null,
        },
        now,
      );
    } catch (err) {
      if (err instanceof EndpointError) throw err;
      throw new EndpointError('NBWSS_ERR_TRUSTSTORE_WRITE', GuideMessages.truststoreWriteFailed, { cause: err, detail: (err as Error).message });
    }
    this.#log.info(
      { hostName: rec.hostName, groupId: rec.groupId, url: rec.url, priority: rec.priority, fingerprint: rec.certFingerprint, trust: trustMode(rec) },
      'endpoint added',
    );
    return { endpoint: toSummary(rec), certificate };
  }

  /** Every stored endpoint, by group, priority, host name. Never the token. */
  list(live: LiveConnectionState = {}): EndpointListRow[] {
    const records = this.#endpoints.list();
    const roles = endpointRoles(records, { ...live, now: this.#clock.now(), periodMs: this.#periodMs });
    return records.map((rec) => listRow(rec, roles.get(rec.hostName)!));
  }

  /** One endpoint in detail; the token (decrypted) only with `showToken`. Throws `no entity was found`. */
  show(hostName: string, options: { showToken?: boolean; live?: LiveConnectionState } = {}): EndpointView {
    const rec = this.#endpoints.require(hostName);
    // the role depends on the other endpoints of the group (standby: another one serves it)
    const row = this.list(options.live).find((r) => r.hostName === hostName);
    if (!row) return this.show(hostName, options); // deleted and added again meanwhile: read it again
    const view: EndpointView = {
      ...row,
      certificate: certificateSummary(rec.certPem),
      caCertificate: rec.caPem ? certificateSummary(rec.caPem) : null,
      connectionChangedAt: iso(rec.connectionChangedAt),
      createdAt: iso(rec.createdAt)!,
      updatedAt: iso(rec.updatedAt)!,
    };
    if (options.showToken) {
      view.token = this.tokenOf(rec);
      this.#log.info({ hostName }, 'token shown');
    }
    return view;
  }

  /** Set ACTIVATED: the connection task may connect to it. Throws `no entity was found`. */
  activate(hostName: string): void {
    this.#endpoints.setState(hostName, 'ACTIVATED', this.#clock.now());
    this.#log.info({ hostName }, 'endpoint activated');
  }

  /** Set DEACTIVATED: never connected to; an open connection is closed at the next run of the task. */
  deactivate(hostName: string): void {
    this.#endpoints.setState(hostName, 'DEACTIVATED', this.#clock.now());
    this.#log.info({ hostName }, 'endpoint deactivated');
  }

  /**
   * Delete the endpoint and its pinned certificate. Throws `no entity was found`, or `Failed to remove certificate…`.
   * When it was its group's last endpoint the group keeps its place (a tombstone, `notification.retention`): the
   * result says how many notifications wait for the group.
   */
  delete(hostName: string): DeletedEndpoint {
    let result: DeletedEndpoint;
    try {
      result = this.#endpoints.delete(hostName, this.#clock.now());
    } catch (err) {
      if (err instanceof EndpointError) throw err;
      throw new EndpointError('NBWSS_ERR_CERTIFICATE_REMOVE', GuideMessages.certificateRemoveFailed(hostName), { cause: err, detail: (err as Error).message });
    }
    if (result.lastOfGroup) {
      this.#log.info({ hostName, groupId: result.groupId, undelivered: result.undelivered }, 'endpoint deleted: the last of its group; the group keeps its place');
    } else {
      this.#log.info({ hostName, groupId: result.groupId }, 'endpoint deleted');
    }
    return result;
  }

  /**
   * Change one endpoint in place (`nbwss endpoints update`, `PATCH /api/endpoints/{hostName}`): priority, url, token,
   * certificate trust. Never touches the group or its delivery place. A new url or a trust option fetches the
   * certificate the endpoint presents at the (new) url and checks it exactly as {@link add} does: with a trust
   * option the certificate is pinned again (or the CA replaced); with a new url alone it must match the stored pin
   * (or chain to the stored CA). Throws `no entity was found`, the guide's messages of `add`, {@link UsageError}
   * when nothing is to change.
   */
  async update(hostName: string, changes: EndpointUpdate): Promise<UpdateResult> {
    const rec = this.#endpoints.require(hostName);
    const trustGiven = changes.acceptCertificate === true || changes.fingerprint !== undefined || changes.caPem !== undefined;
    if (changes.priority === undefined && changes.url === undefined && changes.token === undefined && !trustGiven) {
      throw new UsageError('nothing to update: give a new priority, url, token, or a trust decision (accept the certificate, a fingerprint, or a CA)');
    }
    if (changes.priority !== undefined && (typeof changes.priority !== 'number' || !Number.isFinite(changes.priority))) {
      throw new EndpointError('NBWSS_ERR_JSON_NOT_VALID', GuideMessages.jsonNotValid, { detail: 'priority must be a number' });
    }
    if (changes.url !== undefined) validateEndpointUrl(changes.url);
    if (changes.token !== undefined) validateToken(changes.token);
    const expected = trustGiven ? checkTrustOptions(changes) : undefined;
    const url = changes.url ?? rec.url;
    const set: EndpointChanges = {};
    let certificate: FetchedCertificate | undefined;
    if (changes.url !== undefined || trustGiven) {
      const caPem = trustGiven ? changes.caPem : (rec.caPem ?? undefined);
      certificate = await this.#fetch(url, { timeoutMs: this.#timeoutMs, hostName, caPem });
      if (trustGiven) {
        await checkPresentedCertificate(certificate, changes, expected, undefined, hostName, 'changed');
        set.trust = { certPem: certificate.pem, certFingerprint: certificate.fingerprint256, caPem: changes.caPem ?? null };
      } else if (rec.caPem) {
        await checkPresentedCertificate(certificate, { caPem: rec.caPem }, undefined, undefined, hostName, 'changed');
        set.trust = { certPem: certificate.pem, certFingerprint: certificate.fingerprint256, caPem: rec.caPem };
      } else if (certificate.fingerprint256 !== rec.certFingerprint) {
        throw new EndpointError('NBWSS_ERR_CERTIFICATE_MISMATCH', GuideMessages.certificateMismatch, {
          detail: `pinned ${rec.certFingerprint}, the server at ${url} presents ${certificate.fingerprint256}: to trust it, update with --fingerprint (or --accept-certificate)`,
        });
      }
    }
    if (changes.url !== undefined && changes.url !== rec.url) set.url = changes.url;
    if (changes.priority !== undefined && changes.priority !== rec.priority) set.priority = changes.priority;
    if (changes.token !== undefined) set.tokenEnc = this.#cipher.encrypt(changes.token, hostName);
    if (set.trust && set.trust.certFingerprint === rec.certFingerprint && set.trust.caPem === rec.caPem && set.url === undefined) delete set.trust;
    let updated: EndpointRecord;
    try {
      updated = this.#endpoints.update(hostName, set, this.#clock.now());
    } catch (err) {
      if (err instanceof EndpointError) throw err;
      throw new EndpointError('NBWSS_ERR_TRUSTSTORE_WRITE', GuideMessages.truststoreWriteFailed, { cause: err, detail: (err as Error).message });
    }
    const changed: UpdatedField[] = [];
    if (set.priority !== undefined) changed.push('priority');
    if (set.url !== undefined) changed.push('url');
    if (set.tokenEnc !== undefined) changed.push('token');
    if (set.trust !== undefined && (set.trust.certFingerprint !== rec.certFingerprint || set.trust.caPem !== rec.caPem)) changed.push('certificate');
    const redial = updated.dialRevision !== rec.dialRevision;
    this.#log.info({ hostName, groupId: rec.groupId, changed, fingerprint: updated.certFingerprint, trust: trustMode(updated), redial }, 'endpoint updated');
    return { endpoint: toSummary(updated), previous: toSummary(rec), changed, redial, ...(certificate ? { certificate } : {}) };
  }

  /** Token rotation: replace the token, keeping the pin and everything else. Throws `no entity was found`. */
  updateToken(hostName: string, token: string): void {
    validateToken(token);
    this.#endpoints.require(hostName);
    this.#endpoints.updateToken(hostName, this.#cipher.encrypt(token, hostName), this.#clock.now());
    this.#log.info({ hostName }, 'endpoint token updated');
  }

  /**
   * What a conformance check of a stored endpoint needs (`POST /api/endpoints/{hostName}/check`): its details with
   * the decrypted token, and how it is trusted (the pinned fingerprint, or the CA given at add). Never log it.
   * Throws `no entity was found`.
   */
  checkTarget(hostName: string): { details: EndpointDetails; certFingerprint: string; caPem: string | null } {
    const rec = this.#endpoints.require(hostName);
    return {
      details: { token: this.tokenOf(rec), priority: rec.priority, groupId: rec.groupId, hostName: rec.hostName, url: rec.url },
      certFingerprint: rec.certFingerprint,
      caPem: rec.caPem,
    };
  }

  /** The decrypted token of a stored endpoint (for the CONNECT message). Never log it. */
  tokenOf(record: Pick<EndpointRecord, 'hostName' | 'tokenEnc'>): string {
    return this.#cipher.decrypt(record.tokenEnc, record.hostName);
  }
}

/** Re-check details given programmatically with the same rules as a file (exactly five members and so on). */
function checkDetails(details: EndpointDetails): EndpointDetails {
  return parseEndpointDetails(JSON.stringify(details));
}
