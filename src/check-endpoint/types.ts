import type { Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import type { CheckProfile } from '../conformance/index.js';
import type { Logger } from '../logger.js';
import type { EndpointDetails } from '../protocol/index.js';

/** The result of one check. */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

/** One check in the report (the JSON report's `checks[]`, exactly these members). */
export interface CheckResult {
  /** Stable id (see `CHECKS` in `src/conformance/rules.ts`). */
  id: string;
  title: string;
  /** The spec section, e.g. `§5 NOTIFICATION`. */
  section: string;
  status: CheckStatus;
  /** What was seen; for a failure or warning also what was expected (`Expected: …`). */
  message: string;
  durationMs: number;
}

/** The report of one run: what `checkEndpoint` returns and `--report json` prints. */
export interface CheckReport {
  endpoint: { hostName: string; url: string; groupId: string };
  /** ISO 8601. */
  startedAt: string;
  durationMs: number;
  checks: CheckResult[];
  summary: { pass: number; warn: number; fail: number; skip: number };
}

/** What a check's code decides: the status and the words; the runner adds id, title, section and duration. */
export interface Outcome {
  status: CheckStatus;
  message: string;
  /** What was expected, for a failure or a warning (default: the check's `expected` from the catalogue). */
  expected?: string;
}

/** How to trust the endpoint's certificate (at most one; none: the public CAs, with the host name checked). */
export interface TrustOptions {
  /** Trust the certificate presented now (trust on first use). */
  acceptCertificate?: boolean;
  /** The SHA-256 fingerprint the certificate must have (colons optional). */
  fingerprint?: string;
  /** A CA (PEM) the certificate must chain to, naming the host. */
  caPem?: string;
}

/** Where the COMMAND REQUESTs the endpoint sends during a run are answered. */
export type NetBackupTarget =
  /** The mock NetBackup primary, started in-process for the run (default). */
  | { mock: true }
  /** A NetBackup REST API (`netbackup.baseUrl`, TLS per `netbackup.tls.*` of the configuration). */
  | { mock: false };

/** Timings of a run, in ms (defaults from the configuration keys named; tests shorten them). */
export interface CheckTimings {
  /** `connectionInfo.handshakeTimeout`: TCP + TLS + upgrade, and again for the CONNECT RESPONSE. */
  handshakeTimeoutMs: number;
  /** `notification.sendTimeout`: an acknowledgement later than this fails. */
  sendTimeoutMs: number;
  /** `notification.scheduledRate` × 1000: how long to wait for a late acknowledgement, and before a resend. */
  resendAfterMs: number;
  /** How long to wait for a pong (default 5000). */
  pongTimeoutMs: number;
  /** Idle window of `keepalive.idle` in the quick profile (default: three keepalive periods, at most 6000). */
  quickIdleMs: number;
  /** Idle window of `keepalive.idle` in the full profile (default 120000: two minutes). */
  fullIdleMs: number;
  /** Pings during the idle window come this often: `keepAlive.scheduledRate` × 1000 in full, a third of the window in quick. */
  keepAliveIntervalMs: number;
}

/** A progress event of a run (the CLI draws them on a TTY). */
export type CheckProgress =
  | { type: 'start'; id: string; title: string; index: number; total: number }
  | { type: 'done'; result: CheckResult; index: number; total: number }
  /** A check armed a deliberate wait of `ms` on the run's clock (an idle window, the delay before a resend). */
  | { type: 'wait'; id: string; ms: number; what: string };

/** Options of `checkEndpoint`. */
export interface CheckEndpointOptions {
  /** The endpoint JSON of spec §8 (validated with the same messages as `endpoints add`). */
  details: EndpointDetails;
  /** How to trust its certificate. */
  trust?: TrustOptions;
  /** `quick` (default) or `full` (adds the slow checks and a load of 1000 notifications). */
  profile?: 'quick' | 'full';
  /** Run only these check ids (a prefix such as `notification` selects a group). */
  only?: string[];
  /** Skip these check ids (or prefixes). */
  skip?: string[];
  /** Send this many notifications at full speed (`load.throughput`); default 0 in quick, 1000 in full. */
  load?: number;
  /** Configuration (timings, batch size, the NetBackup target with `netbackup: { mock: false }`); default: the defaults. */
  config?: Readonly<Config>;
  /** Where COMMANDs are answered (default: the in-process mock NetBackup). */
  netbackup?: NetBackupTarget;
  /** Override timings (tests). */
  timings?: Partial<CheckTimings>;
  /**
   * Skip every check that opens a CONNECTed session, with this reason (the admin API, while the daemon holds the
   * endpoint's one connection: spec §7).
   */
  noSessions?: string;
  clock?: Clock;
  logger?: Logger;
  onProgress?: (event: CheckProgress) => void;
  /** Abort the run: checks not done are reported as skipped. */
  signal?: AbortSignal;
}

/** Which profiles a run includes. */
export function profilesOf(profile: 'quick' | 'full', load: number): Set<CheckProfile> {
  const set = new Set<CheckProfile>(['quick']);
  if (profile === 'full') set.add('full');
  if (load > 0) set.add('load');
  return set;
}
