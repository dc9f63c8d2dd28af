import { X509Certificate } from 'node:crypto';
import type { CertificateInfo } from '../certificates.js';
import { normalizeFingerprint, describeCertificate } from '../certificates.js';
import { systemClock, type Clock } from '../clock.js';
import { CertificateRejectedError, EndpointError, GuideMessages, InputError, UsageError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ConnectionState, EndpointRecord, EndpointState, EndpointStore } from '../store/endpoint-store.js';
import { fetchCertificate as defaultFetcher, type CertificateFetcher, type FetchedCertificate } from './certificate.js';
import type { TokenCipher } from './token-cipher.js';
import { parseEndpointDetails, publicDetails, validateToken, type EndpointDetails, type PublicDetails } from './validate.js';

/** Dependencies of {@link EndpointService}. */
export interface EndpointServiceOptions {
  endpoints: EndpointStore;
  cipher: TokenCipher;
  logger: Logger;
  /** Fetches an endpoint's certificate (default: a real TLS connection, {@link defaultFetcher}). */
  fetchCertificate?: CertificateFetcher;
  /** Limit for one certificate fetch, ms (default 10000; the CLI passes `connectionInfo.handshakeTimeout`). */
  certificateTimeoutMs?: number;
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

/** A certificate for display: everything but the PEM. */
export type CertificateSummary = Omit<CertificateInfo, 'pem'>;

/** One endpoint as `show` shows it. `token` is present only when asked for. */
export interface EndpointView extends EndpointSummary {
  /** `pinned`: only the certificate accepted at add; `ca`: any certificate chaining to the CA given at add. */
  trust: 'pinned' | 'ca';
  certificate: CertificateSummary;
  /** The CA given with `--ca`, or null. */
  caCertificate: CertificateSummary | null;
  /** ISO time of the last connection state change, or null. */
  connectionChangedAt: string | null;
  lastError: string | null;
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
export interface AddOptions {
  /** Trust the certificate presented now (trust on first use). */
  acceptCertificate?: boolean;
  /** The SHA-256 fingerprint the operator accepted at validate; the certificate presented now must match it. */
  fingerprint?: string;
  /** A CA (PEM): the certificate must chain to it and name the URL's host; later connections trust that CA. */
  caPem?: string;
  /** Ask the operator (a TTY prompt in the CLI); false aborts the add. */
  confirm?: (certificate: FetchedCertificate, details: PublicDetails) => Promise<boolean>;
}

/** What {@link EndpointService.add} returns. */
export interface AddResult {
  endpoint: EndpointSummary;
  certificate: FetchedCertificate;
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

  constructor(options: EndpointServiceOptions) {
    this.#endpoints = options.endpoints;
    this.#cipher = options.cipher;
    this.#log = options.logger.child({ subsystem: 'endpoints' });
    this.#fetch = options.fetchCertificate ?? defaultFetcher;
    this.#timeoutMs = options.certificateTimeoutMs ?? 10_000;
    this.#clock = options.clock ?? systemClock;
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
    const ssl = (detail: string) => new EndpointError('NBWSS_ERR_SSL_SETUP', GuideMessages.sslSetupFailed, { detail });
    if (options.caPem) {
      if (!certificate.chainVerified) throw ssl(`the certificate does not chain to the CA given with --ca: ${certificate.chainError ?? 'unknown reason'}`);
      if (certificate.hostnameError) throw ssl(certificate.hostnameError);
    } else if (!certificate.selfSigned && !certificate.chainVerified) {
      // A pinned certificate is trusted alone when self-signed, or through the public roots plus the pin
      // (connection/tls-pin.ts): OpenSSL (Node 20) takes no other kind of anchor. Refuse now rather than store an
      // endpoint that could never connect.
      throw ssl(
        `this certificate is neither self-signed nor issued by a public CA (issuer "${certificate.issuer}": ` +
          `${certificate.chainError ?? 'chain not verified'}): add the endpoint with --ca FILE (the root CA of its chain) instead`,
      );
    }
    if (expected !== undefined) {
      if (certificate.fingerprint256 !== expected) {
        throw new EndpointError('NBWSS_ERR_CERTIFICATE_MISMATCH', GuideMessages.certificateMismatch, {
          detail: `accepted ${expected}, the server now presents ${certificate.fingerprint256}`,
        });
      }
    } else if (!options.acceptCertificate && !options.caPem) {
      const yes = await options.confirm!(certificate, publicDetails(checked));
      if (!yes) throw new CertificateRejectedError(`certificate of ${checked.hostName} not accepted; nothing was added`);
    }

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
  list(): EndpointSummary[] {
    return this.#endpoints.list().map(toSummary);
  }

  /** One endpoint in detail; the token (decrypted) only with `showToken`. Throws `no entity was found`. */
  show(hostName: string, options: { showToken?: boolean } = {}): EndpointView {
    const rec = this.#endpoints.require(hostName);
    const view: EndpointView = {
      ...toSummary(rec),
      trust: trustMode(rec),
      certificate: certificateSummary(rec.certPem),
      caCertificate: rec.caPem ? certificateSummary(rec.caPem) : null,
      connectionChangedAt: iso(rec.connectionChangedAt),
      lastError: rec.lastError,
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

  /** Delete the endpoint and its pinned certificate. Throws `no entity was found`, or `Failed to remove certificate…`. */
  delete(hostName: string): void {
    try {
      this.#endpoints.delete(hostName);
    } catch (err) {
      if (err instanceof EndpointError) throw err;
      throw new EndpointError('NBWSS_ERR_CERTIFICATE_REMOVE', GuideMessages.certificateRemoveFailed(hostName), { cause: err, detail: (err as Error).message });
    }
    this.#log.info({ hostName }, 'endpoint deleted');
  }

  /** Token rotation: replace the token, keeping the pin and everything else. Throws `no entity was found`. */
  updateToken(hostName: string, token: string): void {
    validateToken(token);
    this.#endpoints.require(hostName);
    this.#endpoints.updateToken(hostName, this.#cipher.encrypt(token, hostName), this.#clock.now());
    this.#log.info({ hostName }, 'endpoint token updated');
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

/** The normalised fingerprint to expect, if any; throws {@link UsageError} when the options cannot decide trust. */
function checkTrustOptions(options: AddOptions): string | undefined {
  if (options.acceptCertificate && options.fingerprint !== undefined) {
    throw new UsageError('give either --accept-certificate or --fingerprint, not both');
  }
  if (options.caPem !== undefined) {
    try {
      new X509Certificate(options.caPem);
    } catch (err) {
      throw new InputError('the CA given with --ca is not a PEM certificate', { cause: err });
    }
  }
  if (options.fingerprint !== undefined) {
    const fp = normalizeFingerprint(options.fingerprint);
    if (!fp) throw new UsageError(`--fingerprint must be a SHA-256 fingerprint (64 hex digits, colons optional), got "${options.fingerprint}"`);
    return fp;
  }
  if (!options.acceptCertificate && !options.caPem && !options.confirm) {
    throw new UsageError(
      'the endpoint certificate must be trusted explicitly: pass --accept-certificate (trust on first use), ' +
        '--fingerprint SHA256 (the fingerprint shown by `nbwss endpoints validate`), or --ca FILE',
    );
  }
  return undefined;
}
