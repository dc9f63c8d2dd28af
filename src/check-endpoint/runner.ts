import { X509Certificate } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../clock.js';
import { CommandProxy } from '../commands/proxy.js';
import { loadConfig, type Config } from '../config/index.js';
import { CHECKS, sectionName, type CheckDefinition } from '../conformance/index.js';
import { parseEndpointDetails } from '../endpoints/validate.js';
import { InputError, UsageError } from '../errors.js';
import { normalizeFingerprint } from '../certificates.js';
import { silentLogger } from '../logger.js';
import { startMockFromBaseUrl, type StartedMock } from '../netbackup-mock/start.js';
import type { CheckImpl } from './checks/check.js';
import { closeChecks } from './checks/close.js';
import { connectChecks } from './checks/connect.js';
import { keepaliveChecks } from './checks/keepalive.js';
import { messageChecks } from './checks/messages.js';
import { notificationChecks } from './checks/notifications.js';
import { tlsChecks } from './checks/tls.js';
import { RunContext } from './context.js';
import { profilesOf, type CheckEndpointOptions, type CheckReport, type CheckResult, type CheckTimings, type Outcome } from './types.js';

/** The code of every check, by id. */
const IMPLS = new Map<string, CheckImpl>([...tlsChecks, ...connectChecks, ...keepaliveChecks, ...notificationChecks, ...closeChecks, ...messageChecks].map((c) => [c.id, c]));

/** Checks that open a CONNECTed session (skipped with `noSessions`). */
const SESSION_FREE = new Set(['tls.certificate', 'tls.expiry', 'tls.hostname', 'tls.version', 'upgrade.path']);

/** The configuration's defaults, without reading any file or environment variable (the library's default). */
export function defaultConfig(): Readonly<Config> {
  // A folder with no config/nbwss.properties: nothing but the defaults.
  return loadConfig({ env: {}, cwd: fileURLToPath(new URL('.', import.meta.url)) }).config;
}

/** The timings of a run from a configuration (see {@link CheckTimings}). */
export function timingsFrom(config: Readonly<Config>, overrides: Partial<CheckTimings> = {}): CheckTimings {
  const keepAliveMs = Math.round(config.keepAlive.scheduledRate * 1000);
  return {
    handshakeTimeoutMs: config.connectionInfo.handshakeTimeout,
    sendTimeoutMs: config.notification.sendTimeout,
    resendAfterMs: Math.round(config.notification.scheduledRate * 1000),
    pongTimeoutMs: 5000,
    // "several keepalive periods": three, within 6 s so that quick stays quick
    quickIdleMs: Math.min(6000, 3 * keepAliveMs),
    fullIdleMs: 120_000,
    keepAliveIntervalMs: keepAliveMs,
    ...overrides,
  };
}

/**
 * Check ids selected by `--only`/`--skip` values: an id, or a prefix naming a group (`notification` selects every
 * `notification.*`). Throws {@link UsageError} naming an unknown one and listing the valid ids.
 */
export function matchChecks(patterns: readonly string[], flag: string): Set<string> {
  const out = new Set<string>();
  for (const raw of patterns) {
    const p = raw.trim().replace(/\.\*$/, '');
    if (p === '') continue;
    const hits = CHECKS.filter((c) => c.id === p || c.id.startsWith(`${p}.`));
    if (hits.length === 0) throw new UsageError(`${flag}: no check "${raw}"; the checks are ${CHECKS.map((c) => c.id).join(', ')}`);
    for (const h of hits) out.add(h.id);
  }
  return out;
}

function validateTrust(options: CheckEndpointOptions): void {
  const t = options.trust ?? {};
  const given = [t.acceptCertificate ? '--accept-certificate' : undefined, t.fingerprint !== undefined ? '--fingerprint' : undefined, t.caPem !== undefined ? '--ca' : undefined].filter(Boolean);
  if (given.length > 1) throw new UsageError(`give at most one of --accept-certificate, --fingerprint and --ca (got ${given.join(', ')})`);
  if (t.fingerprint !== undefined && !normalizeFingerprint(t.fingerprint)) {
    throw new UsageError(`--fingerprint must be a SHA-256 fingerprint (64 hex digits, colons optional), got "${t.fingerprint}"`);
  }
  if (t.caPem !== undefined) {
    try {
      new X509Certificate(t.caPem);
    } catch (err) {
      throw new InputError('the CA given with --ca is not a PEM certificate', { cause: err });
    }
  }
  if (options.load !== undefined && (!Number.isInteger(options.load) || options.load < 0)) throw new UsageError(`--load must be a whole number >= 0, got ${String(options.load)}`);
}

function result(def: CheckDefinition, outcome: Outcome, durationMs: number): CheckResult {
  const explain = outcome.status === 'fail' || outcome.status === 'warn';
  return {
    id: def.id,
    title: def.title,
    section: sectionName(def.section),
    status: outcome.status,
    message: explain ? `${outcome.message}\nExpected: ${outcome.expected ?? def.expected}` : outcome.message,
    durationMs: Math.round(durationMs),
  };
}

/**
 * Connect to an endpoint as NetBackup would and run the battery of conformance checks (spec §2–§8). Stores
 * nothing. Resolves with the report (`--report json`); rejects only on bad options ({@link UsageError},
 * `EndpointError` with the guide's message for invalid details, {@link InputError}).
 */
export async function checkEndpoint(options: CheckEndpointOptions): Promise<CheckReport> {
  const details = parseEndpointDetails(JSON.stringify(options.details));
  validateTrust(options);
  const profile = options.profile ?? 'quick';
  if (profile !== 'quick' && profile !== 'full') throw new UsageError(`--profile must be quick or full, got "${String(profile)}"`);
  const only = options.only && options.only.length > 0 ? matchChecks(options.only, '--only') : undefined;
  const skipped = matchChecks(options.skip ?? [], '--skip');
  const config = options.config ?? defaultConfig();
  const clock = options.clock ?? systemClock;
  const log = (options.logger ?? silentLogger()).child({ subsystem: 'check-endpoint', hostName: details.hostName });
  const load = options.load ?? 0;
  const profiles = profilesOf(profile, profile === 'full' ? Math.max(load, 1) : load);
  const defs = CHECKS.filter((c) => profiles.has(c.profile));
  const startedAt = new Date(clock.now()).toISOString();
  const started = clock.monotonic();

  let mock: StartedMock | undefined;
  if ((options.netbackup ?? { mock: true }).mock && !options.noSessions) mock = await startMockFromBaseUrl('http://127.0.0.1:0', { logger: silentLogger() });
  const proxy = new CommandProxy({ config: () => config, logger: log, clock, ...(mock ? { baseUrl: mock.url } : {}) });
  const ctx = new RunContext({
    details,
    trustOptions: options.trust ?? {},
    config,
    timings: timingsFrom(config, options.timings),
    clock,
    log,
    profile,
    load,
    signal: options.signal,
    onProgress: options.onProgress,
    answerCommand: (message, probe) => proxy.handle(message, probe),
  });
  proxy.on('command', (e) => ctx.commandAnswered(e.id, e.status));

  const results = new Map<string, CheckResult>();
  const selected = (id: string) => (only ? only.has(id) : true) && !skipped.has(id);
  const order = [...defs.filter((d) => !IMPLS.get(d.id)!.final), ...defs.filter((d) => IMPLS.get(d.id)!.final)];
  const total = order.filter((d) => selected(d.id)).length;
  let index = 0;
  try {
    // The trust decision is needed by every connection, even when tls.certificate is not in the run.
    let trustFailure: string | undefined;
    if (!selected('tls.certificate') && order.some((d) => selected(d.id) && d.id !== 'tls.certificate')) {
      const outcome = await IMPLS.get('tls.certificate')!.run(ctx);
      if (outcome.status === 'fail') trustFailure = `TLS: ${outcome.message}`;
    }
    for (const def of order) {
      if (!selected(def.id)) {
        results.set(def.id, result(def, { status: 'skip', message: only ? 'not selected (--only)' : 'not selected (--skip)' }, 0));
        continue;
      }
      const impl = IMPLS.get(def.id)!;
      index++;
      ctx.current = def.id;
      options.onProgress?.({ type: 'start', id: def.id, title: def.title, index, total });
      const t0 = clock.monotonic();
      let outcome: Outcome;
      const blocked = impl.needs?.map((n) => results.get(n)).find((r) => r && (r.status === 'fail' || (r.status === 'skip' && !r.message.startsWith('not selected'))));
      if (options.signal?.aborted) outcome = { status: 'skip', message: 'the run was aborted' };
      else if (options.noSessions && !SESSION_FREE.has(def.id)) outcome = { status: 'skip', message: options.noSessions };
      else if (blocked) outcome = { status: 'skip', message: `needs ${blocked.id}, which ${blocked.status === 'fail' ? 'failed' : 'was skipped'}` };
      else if (trustFailure && def.id !== 'tls.certificate' && !def.id.startsWith('tls.')) outcome = { status: 'fail', message: trustFailure };
      else if (def.id === 'upgrade.path' && options.noSessions) outcome = await upgradeOnly(ctx);
      else {
        try {
          outcome = await impl.run(ctx);
        } catch (err) {
          log.error({ err, check: def.id }, 'check threw');
          outcome = { status: 'fail', message: `internal error: ${(err as Error).message}` };
        }
      }
      const r = result(def, outcome, clock.monotonic() - t0);
      results.set(def.id, r);
      options.onProgress?.({ type: 'done', result: r, index, total });
    }
  } finally {
    await ctx.closeAll();
    await proxy.close();
    await mock?.mock.close();
  }
  const checks = defs.map((d) => results.get(d.id)!);
  const summary = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const c of checks) summary[c.status]++;
  return {
    endpoint: { hostName: details.hostName, url: details.url, groupId: details.groupId },
    startedAt,
    durationMs: Math.round(clock.monotonic() - started),
    checks,
    summary,
  };
}

/** `upgrade.path` without sending CONNECT: open the socket and close it (admin API, daemon connected). */
async function upgradeOnly(ctx: RunContext): Promise<Outcome> {
  const probe = ctx.probe('upgrade');
  const open = await probe.open();
  await probe.close(1000, 'nbwss check-endpoint: upgrade only');
  if (!open.ok) return { status: 'fail', message: open.message };
  return { status: 'pass', message: `101 Switching Protocols on ${new URL(ctx.details.url).pathname} (no CONNECT sent)` };
}

/** The exit code of a run: 0 when no check failed (warnings allowed), else 1. */
export function exitCodeOf(report: CheckReport): 0 | 1 {
  return report.summary.fail > 0 ? 1 : 0;
}
