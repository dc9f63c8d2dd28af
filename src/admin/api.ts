import type { Clock } from '../clock.js';
import { describeUpdateTiming, type EndpointService, type LiveConnectionState } from '../endpoints/service.js';
import { parseEndpointDetails, type EndpointDetails } from '../endpoints/validate.js';
import { EndpointError } from '../errors.js';
import type { NotificationObject } from '../protocol/messages.js';
import { summarize } from '../protocol/summary.js';
import type { DeliveryStatus } from '../notifications/status.js';
import { probeView, type AccessLevel } from './access.js';
import type { EventHub, EventType } from './events.js';
import type { HealthChecks, HealthReport } from './health.js';
import { HttpError, checkMembers, invalidField, readJsonBody, requireObject, sendJson, sendText } from './http.js';
import type { GroupHistory } from './history.js';
import type { AdminMetrics } from './metrics.js';
import type { ConnectionMonitor } from './monitor.js';
import type { RealizationTracker } from './realization.js';
import { addCheckRoute, type EndpointChecks } from './endpoint-check.js';
import { AdminRouter, type RouteContext } from './router.js';
import { sendStatic, staticFileName } from './static.js';

/**
 * The admin routes (docs/operator.md lists them with curl examples). Endpoint changes go through the
 * same {@link EndpointService} as `nbwss endpoints`, so the guide's validation, messages and pinning rules are the
 * CLI's; every change answers with an `X-Request-Id` to follow in `GET /api/realization`.
 */

/** What the routes work with. */
export interface AdminApiDeps {
  /** The endpoint service, built per request so it reads the configuration of the moment. */
  endpoints: () => EndpointService;
  monitor: ConnectionMonitor;
  realization: RealizationTracker;
  notifications?: { raise(object: NotificationObject, data: Record<string, unknown> | readonly Record<string, unknown>[]): Promise<{ object: NotificationObject; firstSeq: number; lastSeq: number; count: number }>; status(): DeliveryStatus } | undefined;
  events: EventHub;
  metrics: AdminMetrics;
  health: HealthChecks;
  /** Publish an admin event (the event stream). */
  publish: (type: EventType, data: unknown) => void;
  /** What only the daemon knows of its connections: live ones, attempts in flight, the next run of the connection task. */
  live: () => LiveConnectionState;
  /** Conformance checks of stored endpoints (`POST /api/endpoints/{hostName}/check`). */
  checks?: EndpointChecks;
  /** Per-group delivery samples of the last 15 minutes (the console's charts). */
  history: GroupHistory;
  /** This daemon: its version, the Node.js running it, when it started (epoch ms). */
  daemon: { version: string; nodeVersion: string; startedAt: number };
  /** `notification.retention` in force, s: how long a group whose last endpoint is deleted keeps its place. */
  retentionSeconds: () => number;
  clock: Clock;
}

/** Body limits: endpoint details are at most 64 KiB (a CA PEM may come with them); notifications may be many. */
export const BODY_LIMITS = { endpoint: 256 * 1024, notifications: 4 * 1024 * 1024 } as const;

const ADD_MEMBERS = new Set(['details', 'fingerprint', 'acceptCertificate', 'ca']);
const UPDATE_MEMBERS = new Set(['priority', 'url', 'token', 'fingerprint', 'acceptCertificate', 'ca']);
const VALIDATE_MEMBERS = new Set(['details', 'ca']);
const NOTIFY_MEMBERS = new Set(['object', 'data']);
const FOLLOW_MEMBERS = new Set(['kind', 'hostName', 'groupId', 'redial']);
const ENDPOINT_CHANGES = ['add', 'activate', 'update', 'deactivate', 'delete'] as const;
/** The longest `wait` of `GET /api/realization`, seconds. */
export const MAX_REALIZATION_WAIT_S = 60;


/** `details`: the endpoint JSON (spec §8) as an object or as the file's text; both go through the guide's rules. */
function detailsOf(body: Record<string, unknown>): EndpointDetails {
  const d = body.details;
  if (d === undefined) throw invalidField('details', 'is missing: the endpoint JSON (an object, or the text of the endpoint file)');
  try {
    return parseEndpointDetails(typeof d === 'string' ? d : JSON.stringify(d));
  } catch (err) {
    // The guide's error as it is, its fields named from the request body (`url` → `details.url`).
    if (!(err instanceof EndpointError) || !err.fields) throw err;
    const fields = err.fields.map((f) => ({ field: f.field ? `details.${f.field}` : 'details', message: f.message }));
    throw new EndpointError(err.code, err.message, { detail: err.detail, fields, cause: err.cause });
  }
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw invalidField(key, 'must be a non-empty string');
  return v;
}

/** `fingerprint` and `acceptCertificate` of an add or update: each well-formed, not both. */
function trustChoice(body: Record<string, unknown>): { fingerprint: string | undefined; accept: boolean | undefined } {
  const fingerprint = optionalString(body, 'fingerprint');
  const accept = body.acceptCertificate;
  if (accept !== undefined && typeof accept !== 'boolean') throw invalidField('acceptCertificate', 'must be true or false');
  if (fingerprint !== undefined && accept === true) {
    throw new HttpError(400, 'NBWSS_ERR_HTTP_BAD_REQUEST', 'give either fingerprint or acceptCertificate, not both', {}, {
      fields: [{ field: 'acceptCertificate', message: 'cannot be given with fingerprint' }],
    });
  }
  return { fingerprint, accept };
}

function sendHealth(res: RouteContext['res'], r: HealthReport, access: AccessLevel): void {
  sendJson(res, r.status === 'ok' ? 200 : 503, access === 'probe' ? probeView(r) : r);
}

/** Build the router with every admin route. */
export function createAdminRouter(deps: AdminApiDeps): AdminRouter {
  const { monitor, realization, events, metrics, health } = deps;
  const router = new AdminRouter();

  const changed = (
    ctx: RouteContext,
    status: number,
    kind: 'add' | 'activate' | 'update' | 'deactivate' | 'delete',
    hostName: string,
    groupId: string,
    body: Record<string, unknown> = {},
    options: { redial?: boolean } = {},
  ) => {
    const requestId = realization.recordEndpointChange(kind, hostName, groupId, options);
    deps.publish('endpoint', { action: kind, hostName, groupId, requestId });
    sendJson(ctx.res, status, { ...body, requestId }, { 'x-request-id': requestId });
  };
  const groupOf = (hostName: string) => deps.endpoints().show(hostName).groupId;
  const storedGroupOf = (hostName: string): string | undefined => {
    try {
      return groupOf(hostName);
    } catch (err) {
      if (err instanceof EndpointError && err.code === 'NBWSS_ERR_NOT_FOUND') return undefined;
      throw err;
    }
  };
  const notifications = () => {
    if (!deps.notifications) throw new HttpError(503, 'NBWSS_ERR_HTTP_UNAVAILABLE', 'notifications are not running in this daemon');
    return deps.notifications;
  };

  // The backlog is the group's (GET /api/groups), not each endpoint's.
  router.add('GET', '/api/endpoints', ({ res }) => {
    const list = deps.endpoints().list(deps.live()).map((e) => ({ ...e, lastRttMs: monitor.liveConnection(e.hostName)?.stats.lastRttMs ?? null }));
    sendJson(res, 200, { endpoints: list });
  });

  router.add('POST', '/api/endpoints/validate', async ({ req, res }) => {
    const body = requireObject(await readJsonBody(req, BODY_LIMITS.endpoint), '{"details": {...}, "ca"?: PEM}');
    checkMembers(body, VALIDATE_MEMBERS);
    const ca = optionalString(body, 'ca');
    const { details, certificate } = await deps.endpoints().validate(detailsOf(body), ca === undefined ? {} : { caPem: ca });
    const { pem: _pem, ...cert } = certificate;
    sendJson(res, 200, { details, certificate: cert });
  });

  router.add('POST', '/api/endpoints', async (ctx) => {
    const body = requireObject(await readJsonBody(ctx.req, BODY_LIMITS.endpoint), '{"details": {...}, "fingerprint": "AA:BB:…"}');
    checkMembers(body, ADD_MEMBERS);
    const details = detailsOf(body);
    const { fingerprint, accept } = trustChoice(body);
    const ca = optionalString(body, 'ca');
    if (fingerprint === undefined && accept !== true && ca === undefined) {
      throw new HttpError(
        400,
        'NBWSS_ERR_HTTP_BAD_REQUEST',
        'the endpoint certificate must be trusted explicitly: give "fingerprint" (from POST /api/endpoints/validate), "acceptCertificate": true, or "ca" (a PEM CA)',
        {},
        { fields: ['fingerprint', 'acceptCertificate', 'ca'].map((field) => ({ field, message: 'one of fingerprint, acceptCertificate: true or ca is required' })) },
      );
    }
    const { endpoint, certificate } = await deps.endpoints().add(details, {
      ...(fingerprint !== undefined ? { fingerprint } : {}),
      ...(accept === true ? { acceptCertificate: true } : {}),
      ...(ca !== undefined ? { caPem: ca } : {}),
    });
    const { pem: _pem, ...cert } = certificate;
    ctx.res.setHeader('location', `/api/endpoints/${encodeURIComponent(endpoint.hostName)}`);
    changed(ctx, 201, 'add', endpoint.hostName, endpoint.groupId, { endpoint, certificate: cert });
  });

  router.add('GET', '/api/endpoints/{hostName}', ({ res, params }) => {
    sendJson(res, 200, deps.endpoints().show(params.hostName!, { live: deps.live() }));
  });

  router.add('GET', '/api/endpoints/{hostName}/monitor', ({ res, params }) => {
    const view = deps.endpoints().show(params.hostName!); // 404 for an unknown endpoint
    sendJson(res, 200, { ...monitor.view(view.hostName), groupId: view.groupId, lastError: view.lastError });
  });

  router.add('POST', '/api/endpoints/{hostName}/activate', (ctx) => {
    const host = ctx.params.hostName!;
    deps.endpoints().activate(host);
    changed(ctx, 202, 'activate', host, groupOf(host), { hostName: host, state: 'ACTIVATED' });
  });

  router.add('POST', '/api/endpoints/{hostName}/deactivate', (ctx) => {
    const host = ctx.params.hostName!;
    deps.endpoints().deactivate(host);
    changed(ctx, 202, 'deactivate', host, groupOf(host), { hostName: host, state: 'DEACTIVATED' });
  });

  router.add('PATCH', '/api/endpoints/{hostName}', async (ctx) => {
    const host = ctx.params.hostName!;
    const body = requireObject(await readJsonBody(ctx.req, BODY_LIMITS.endpoint), '{"priority"?: N, "url"?: "wss://…", "token"?: "…", "fingerprint"?|"acceptCertificate"?|"ca"?}');
    checkMembers(body, UPDATE_MEMBERS);
    const priority = body.priority;
    if (priority !== undefined && (typeof priority !== 'number' || !Number.isFinite(priority))) throw invalidField('priority', 'must be a number');
    const { fingerprint, accept } = trustChoice(body);
    const url = optionalString(body, 'url');
    const token = optionalString(body, 'token');
    const ca = optionalString(body, 'ca');
    if (priority === undefined && url === undefined && token === undefined && fingerprint === undefined && accept !== true && ca === undefined) {
      const message = 'nothing to update: give priority, url, token, or a trust decision (fingerprint, "acceptCertificate": true, or ca)';
      throw new HttpError(400, 'NBWSS_ERR_HTTP_BAD_REQUEST', message, {}, { fields: [{ field: 'body', message: 'names nothing to update (priority, url, token, fingerprint, acceptCertificate or ca)' }] });
    }
    const result = await deps.endpoints().update(host, {
      ...(priority !== undefined ? { priority } : {}),
      ...(url !== undefined ? { url } : {}),
      ...(token !== undefined ? { token } : {}),
      ...(fingerprint !== undefined ? { fingerprint } : {}),
      ...(accept === true ? { acceptCertificate: true } : {}),
      ...(ca !== undefined ? { caPem: ca } : {}),
    });
    const reply: Record<string, unknown> = { endpoint: result.endpoint, changed: result.changed, redial: result.redial, appliesWhen: describeUpdateTiming(result) };
    if (result.certificate) {
      const { pem: _pem, ...cert } = result.certificate;
      reply.certificate = cert;
    }
    changed(ctx, 202, 'update', host, result.endpoint.groupId, reply, { redial: result.redial });
  });

  router.add('DELETE', '/api/endpoints/{hostName}', (ctx) => {
    const host = ctx.params.hostName!;
    const r = deps.endpoints().delete(host);
    const keptUntil = r.lastOfGroup ? new Date(deps.clock.now() + deps.retentionSeconds() * 1000).toISOString() : null;
    changed(ctx, 202, 'delete', host, r.groupId, { hostName: host, deleted: true, groupId: r.groupId, lastOfGroup: r.lastOfGroup, undeliveredNotifications: r.undelivered, keptUntil });
  });

  if (deps.checks) addCheckRoute(router, deps.checks);

  router.add('GET', '/api/groups', ({ res }) => {
    const status = deps.notifications?.status();
    const delivery = new Map((status?.groups ?? []).map((g) => [g.groupId, g]));
    const members = new Map<string, { endpoints: number; activated: number }>();
    for (const e of deps.endpoints().list()) {
      const m = members.get(e.groupId) ?? { endpoints: 0, activated: 0 };
      m.endpoints++;
      if (e.state === 'ACTIVATED') m.activated++;
      members.set(e.groupId, m);
    }
    const ids = [...new Set([...members.keys(), ...delivery.keys()])].sort();
    const live = monitor.connections();
    const groups = ids.map((groupId) => {
      const g = delivery.get(groupId);
      const conn = live.get(groupId);
      const since = conn?.stats.connectedSince;
      return {
        groupId,
        ...(members.get(groupId) ?? { endpoints: 0, activated: 0 }),
        connectedEndpoint: conn?.hostName ?? null,
        connectedSince: since ? new Date(since).toISOString() : null,
        cursor: g?.cursor ?? null,
        backlog: g?.backlog ?? 0,
        oldestPendingAgeMs: g?.oldestPendingAgeMs ?? null,
        inflight: g?.inflight ? { ...g.inflight, firstSentAt: new Date(g.inflight.firstSentAt).toISOString(), resends: Math.max(0, g.inflight.sendCount - 1) } : null,
        resendCount: g?.inflight ? Math.max(0, g.inflight.sendCount - 1) : 0,
        ackedBatches: g?.ackedBatches ?? 0,
        ackedNotifications: g?.ackedNotifications ?? 0,
        deleted: g?.deleted ? { at: new Date(g.deleted.at).toISOString(), expiresAt: new Date(g.deleted.expiresAt).toISOString() } : null,
        backlogWarning: g?.backlogWarning ?? false,
        holdsPruningBack: g?.holdsPruningBack ?? false,
      };
    });
    sendJson(res, 200, { groups, outbox: status?.outbox ?? null, database: status?.database ?? null, warnings: status?.warnings ?? [] });
  });

  // The console's charts: per group, a sample every 10 s over the last 15 minutes, oldest first.
  router.add('GET', '/api/history', ({ res }) => {
    const view = deps.history.view();
    const groups = view.groups.map((g) => ({ groupId: g.groupId, samples: g.samples.map((x) => ({ ...x, at: new Date(x.at).toISOString() })) }));
    sendJson(res, 200, { at: new Date(view.at).toISOString(), intervalMs: view.intervalMs, windowMs: view.windowMs, groups });
  });

  router.add('GET', '/api/daemon', ({ res }) => {
    const { version, nodeVersion, startedAt } = deps.daemon;
    sendJson(res, 200, { version, nodeVersion, pid: process.pid, startedAt: new Date(startedAt).toISOString(), uptimeMs: Math.max(0, deps.clock.now() - startedAt) });
  });

  router.add('POST', '/api/notifications', async ({ req, res }) => {
    const n = notifications();
    const body = requireObject(await readJsonBody(req, BODY_LIMITS.notifications), '{"object": "JOB"|"IMAGE", "data": {...} | [...]}');
    checkMembers(body, NOTIFY_MEMBERS);
    if (typeof body.object !== 'string') throw invalidField('object', 'must be JOB or IMAGE');
    const object = body.object.toUpperCase();
    if (object !== 'JOB' && object !== 'IMAGE') throw invalidField('object', `must be JOB or IMAGE, got ${summarize(body.object)}`);
    if (body.data === undefined) throw invalidField('data', 'is missing: one notification (an object) or an array of them');
    const result = await n.raise(object, body.data as Record<string, unknown>);
    const requestId = realization.recordNotification(result.firstSeq, result.lastSeq);
    sendJson(res, 202, { ...result, requestId }, { 'x-request-id': requestId });
  });

  // A change another process wrote to the database (`nbwss endpoints … --wait`), followed from now on as if it had
  // been made here. The endpoint must be in this daemon's database (gone, for a delete): a CLI pointed at another
  // daemon's admin API learns it here instead of waiting for a change that daemon will never see.
  router.add('POST', '/api/realization', async (ctx) => {
    const body = requireObject(await readJsonBody(ctx.req, BODY_LIMITS.endpoint), '{"kind": "add"|"activate"|"update"|"deactivate"|"delete", "hostName": "…", "groupId": "…", "redial"?: true}');
    checkMembers(body, FOLLOW_MEMBERS);
    const kind = ENDPOINT_CHANGES.find((k) => k === body.kind);
    if (!kind) throw invalidField('kind', `must be one of ${ENDPOINT_CHANGES.join(', ')}`);
    const hostName = optionalString(body, 'hostName');
    if (hostName === undefined) throw invalidField('hostName', 'is required');
    const groupId = optionalString(body, 'groupId');
    if (groupId === undefined) throw invalidField('groupId', 'is required');
    if (body.redial !== undefined && typeof body.redial !== 'boolean') throw invalidField('redial', 'must be true or false');
    const storedGroup = storedGroupOf(hostName);
    if (kind === 'delete' ? storedGroup !== undefined : storedGroup !== groupId) {
      const has = kind === 'delete' ? `still has ${hostName}` : `has no endpoint ${hostName} of group ${groupId}`;
      throw new HttpError(409, 'NBWSS_ERR_HTTP_CONFLICT', `this daemon ${has} in its database (db.path): is it the daemon of the database that was changed?`);
    }
    changed(ctx, 201, kind, hostName, groupId, { kind, hostName, groupId }, { redial: body.redial === true });
  });

  router.add('GET', '/api/realization', async ({ res, url, signal }) => {
    // `request_id` is the spelling of earlier versions, still understood.
    const id = url.searchParams.get('requestId') ?? url.searchParams.get('request_id');
    if (!id) throw invalidField('requestId', 'is required (the X-Request-Id of a change)');
    const waitParam = url.searchParams.get('wait');
    const wait = waitParam === null ? 0 : Number(waitParam);
    if (!Number.isFinite(wait) || wait < 0 || wait > MAX_REALIZATION_WAIT_S) throw invalidField('wait', `must be a number of seconds from 0 to ${MAX_REALIZATION_WAIT_S}`);
    const view = await realization.wait(id, Math.round(wait * 1000), signal);
    if (!res.destroyed) sendJson(res, 200, view);
  });

  router.add('GET', '/api/events', ({ req, res, url }) => {
    if (req.method === 'HEAD') sendText(res, 200, '', 'text/event-stream; charset=utf-8');
    else events.attach(req, res, url);
  });

  router.add('GET', '/metrics', async ({ res }) => {
    const { contentType, text } = await metrics.scrape();
    sendText(res, 200, text, contentType);
  });

  router.add('GET', '/healthz', async ({ res, access }) => sendHealth(res, await health.liveness(), access));
  router.add('GET', '/readyz', async ({ res, url, access }) => {
    const v = url.searchParams.get('connected');
    sendHealth(res, await health.readiness({ requireConnected: v === '1' || v === 'true' }), access);
  });

  for (const path of ['/', '/{file}']) {
    router.add('GET', path, async ({ req, res, url }) => {
      const name = staticFileName(url.pathname);
      if (!name) throw new HttpError(404, 'NBWSS_ERR_HTTP_NOT_FOUND', `no such route: ${url.pathname}`);
      await sendStatic(res, name, req.method === 'HEAD');
    });
  }
  return router;
}
