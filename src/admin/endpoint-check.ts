import { checkEndpoint, matchChecks } from '../check-endpoint/runner.js';
import type { CheckReport } from '../check-endpoint/types.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../logger.js';
import { UsageError } from '../errors.js';
import type { EndpointDetails } from '../protocol/index.js';
import { HttpError, checkMembers, invalidField, readJsonBody, requireObject, sendJson } from './http.js';
import type { AdminRouter } from './router.js';

/**
 * `POST /api/endpoints/{hostName}/check`: `nbwss check-endpoint` against a stored endpoint, from the daemon, with
 * its stored token and trust (the pinned fingerprint, or the CA given at add). The report is the response.
 *
 * The spec allows one connection per endpoint (§7), and an endpoint may answer a new connection by closing the
 * old one (which `close.second` accepts). So while the daemon holds the endpoint's live connection, a check runs
 * only what opens no CONNECTed session of its own (TLS, the upgrade without CONNECT) and reports the rest as
 * skipped, saying why; `"force": true` runs everything anyway (the daemon's connection may then be closed by the
 * endpoint and come back at the next run of the connection task). One check per endpoint at a time.
 */

/** What a check needs from the daemon. */
export interface EndpointCheckDeps {
  /** The stored endpoint's details (with its token) and trust anchor; throws `no entity was found`. */
  target(hostName: string): { details: EndpointDetails; certFingerprint: string; caPem: string | null };
  /** True while the daemon holds a live connection to the endpoint. */
  connected(hostName: string): boolean;
  config: () => Readonly<Config>;
  logger: Logger;
  clock?: Clock;
}

/** Members of the request body (all optional). */
const MEMBERS = new Set(['profile', 'only', 'skip', 'load', 'force']);
/** Most checks running at once in one daemon (each is a few sockets; a full one lasts minutes). */
export const MAX_CONCURRENT_CHECKS = 2;

function ids(body: Record<string, unknown>, key: 'only' | 'skip'): string[] | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalidField(key, 'must be an array of check ids');
  try {
    matchChecks(v as string[], `--${key}`);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    throw new HttpError(400, 'NBWSS_ERR_HTTP_BAD_REQUEST', err.message, {}, { fields: [{ field: key, message: err.message.replace(/^--\w+: /, '') }] });
  }
  return v as string[];
}

/** The checks the daemon runs, one per endpoint at a time. */
export class EndpointChecks {
  readonly #deps: EndpointCheckDeps;
  readonly #running = new Set<string>();

  constructor(deps: EndpointCheckDeps) {
    this.#deps = deps;
  }

  /** Run a check of `hostName` with the options of a request body; resolves with the report. */
  async run(hostName: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<CheckReport> {
    checkMembers(body, MEMBERS);
    if (body.profile !== undefined && body.profile !== 'quick' && body.profile !== 'full') throw invalidField('profile', 'must be "quick" or "full"');
    if (body.force !== undefined && typeof body.force !== 'boolean') throw invalidField('force', 'must be true or false');
    if (body.load !== undefined && (!Number.isInteger(body.load) || (body.load as number) < 0)) throw invalidField('load', 'must be a whole number >= 0');
    const only = ids(body, 'only');
    const skip = ids(body, 'skip');
    const target = this.#deps.target(hostName);
    if (this.#running.has(hostName)) throw new HttpError(409, 'NBWSS_ERR_HTTP_CONFLICT', `a check of ${hostName} is already running`);
    if (this.#running.size >= MAX_CONCURRENT_CHECKS) throw new HttpError(503, 'NBWSS_ERR_HTTP_UNAVAILABLE', `${this.#running.size} checks are running: try again when one has finished`);
    const config = this.#deps.config();
    const live = this.#deps.connected(hostName) && body.force !== true;
    this.#running.add(hostName);
    try {
      this.#deps.logger.info({ hostName, profile: body.profile ?? 'quick', live }, 'endpoint check started');
      const report = await checkEndpoint({
        details: target.details,
        trust: target.caPem ? { caPem: target.caPem } : { fingerprint: target.certFingerprint },
        profile: (body.profile as 'quick' | 'full' | undefined) ?? 'quick',
        ...(only ? { only } : {}),
        ...(skip ? { skip } : {}),
        ...(body.load !== undefined ? { load: body.load as number } : {}),
        config,
        netbackup: { mock: config.netbackup.mock },
        logger: this.#deps.logger,
        ...(this.#deps.clock ? { clock: this.#deps.clock } : {}),
        ...(live
          ? {
              noSessions: `not run: the daemon holds ${hostName}'s live connection, and a check opens more with the same token, which the endpoint may answer by closing the daemon's (spec §7: one connection per endpoint). Deactivate the endpoint first, or check with "force": true`,
            }
          : {}),
        ...(signal ? { signal } : {}),
      });
      this.#deps.logger.info({ hostName, summary: report.summary, durationMs: report.durationMs }, 'endpoint check done');
      return report;
    } finally {
      this.#running.delete(hostName);
    }
  }
}

/** Add `POST /api/endpoints/{hostName}/check` to the admin router. */
export function addCheckRoute(router: AdminRouter, checks: EndpointChecks): void {
  router.add('POST', '/api/endpoints/{hostName}/check', async ({ req, res, params, signal }) => {
    const body = requireObject((await readJsonBody(req, 4096)) ?? {}, '{"profile"?: "quick"|"full", "only"?: [ids], "skip"?: [ids], "load"?: N, "force"?: true}');
    const report = await checks.run(params.hostName!, body, signal);
    if (!res.destroyed) sendJson(res, 200, report);
  });
}
