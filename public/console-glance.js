// nbwss console: "at a glance" — the summary bar, and one card per server group with its delivery figures and three
// small charts of the last 15 minutes (GET /api/history: a sample every 10 s kept by the daemon). The charts are
// plain SVG drawn here (a polyline over at most 90 points needs no charting library). Values are set as text.
import { count } from './console-events.js';

const SVG = 'http://www.w3.org/2000/svg';
const DAY_MS = 86_400_000;
/** A certificate that expires within this is shown as a warning. */
const EXPIRY_WARNING_MS = 30 * DAY_MS;

/** An element with attributes and text. */
export function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A duration for people: 45 s, 3 min 5 s, 2 h 4 min, 3 d 4 h; '–' when unknown. */
export function age(msValue) {
  if (msValue === null || msValue === undefined) return '–';
  const s = Math.round(msValue / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** A figure with at most 3 significant decimals, thousands separated: 1,204 · 12.5 · 0.042. */
function figure(v) {
  if (v === null || v === undefined) return '–';
  return v >= 100 ? count(Math.round(v)) : String(Number(v.toPrecision(3)));
}

// --- summary bar --------------------------------------------------------------------------------------------------

/** One item of the summary bar: a label, a value, and a state (ok, warn, bad) for its colour. */
function item(key, label, value, state = 'ok', title) {
  const div = el('div', { class: 'glance-item', 'data-key': key, 'data-state': state });
  div.append(el('dt', {}, label), el('dd', {}, value));
  if (title) div.title = title;
  return div;
}

/**
 * The summary bar: groups serving / total, total backlog, oldest pending, failing endpoints, the next certificate
 * to expire and the trust modes, the daemon's version and uptime. `daemon` is GET /api/daemon with `readAt` (the
 * browser time it was read), so the uptime goes on without asking again.
 */
export function renderSummary(root, { endpoints, groups, daemon, now = Date.now() }) {
  const live = groups.filter((g) => !g.deleted);
  const serving = live.filter((g) => g.connectedEndpoint).length;
  const backlog = groups.reduce((n, g) => n + g.backlog, 0);
  const oldest = groups.reduce((m, g) => (g.oldestPendingAgeMs !== null && (m === null || g.oldestPendingAgeMs > m) ? g.oldestPendingAgeMs : m), null);
  const failing = endpoints.filter((e) => e.role === 'failing');
  const items = [
    item('groups', 'Groups serving', `${serving} / ${live.length}`, serving < live.length ? 'warn' : 'ok'),
    item('backlog', 'Backlog', count(backlog), groups.some((g) => g.backlogWarning) ? 'warn' : 'ok'),
    item('oldest', 'Oldest pending', age(oldest), groups.some((g) => g.holdsPruningBack) ? 'bad' : 'ok'),
    item('failing', 'Failing endpoints', String(failing.length), failing.length > 0 ? 'bad' : 'ok', failing.map((e) => `${e.hostName}: ${e.lastError || 'failing'}`).join('\n')),
  ];
  const next = [...endpoints].sort((a, b) => Date.parse(a.certificateExpiresAt) - Date.parse(b.certificateExpiresAt))[0];
  if (next) {
    const left = Date.parse(next.certificateExpiresAt) - now;
    const value = left <= 0 ? `expired (${next.hostName})` : `in ${age(left).split(' ').slice(0, 2).join(' ')} (${next.hostName})`;
    items.push(item('certificates', 'Next certificate expiry', value, left <= 0 ? 'bad' : left < EXPIRY_WARNING_MS ? 'warn' : 'ok', new Date(next.certificateExpiresAt).toLocaleString()));
    const modes = new Map();
    for (const e of endpoints) modes.set(e.trust, (modes.get(e.trust) || 0) + 1);
    items.push(item('trust', 'Trust', [...modes].map(([mode, n]) => `${n} ${mode === 'ca' ? 'by CA' : mode}`).join(', ')));
  }
  if (daemon) {
    const up = daemon.uptimeMs + (now - daemon.readAt);
    items.push(item('daemon', 'Daemon', `nbwss ${daemon.version} · up ${age(up)}`, 'ok', `Node.js ${daemon.nodeVersion}, pid ${daemon.pid}, started ${new Date(daemon.startedAt).toLocaleString()}`));
  }
  root.replaceChildren(...items);
}

/** Under an endpoint's state: how its certificate is trusted, and when it expires. */
export function certificateLine(e, now = Date.now()) {
  const left = Date.parse(e.certificateExpiresAt) - now;
  const state = left <= 0 ? 'bad' : left < EXPIRY_WARNING_MS ? 'warn' : 'ok';
  const when = left <= 0 ? 'expired' : `expires in ${age(left).split(' ').slice(0, 2).join(' ')}`;
  const line = el('span', { class: 'cert', 'data-trust': e.trust, 'data-state': state }, `${e.trust === 'ca' ? 'trusted by CA' : 'pinned'} · certificate ${when}`);
  line.title = `certificate valid until ${new Date(e.certificateExpiresAt).toLocaleString()}`;
  return line;
}

// --- group cards and charts ----------------------------------------------------------------------------------------

const CHARTS = [
  { key: 'backlog', title: 'Backlog', value: (s) => s.backlog, unit: '' },
  { key: 'ackRate', title: 'Acknowledged', value: (s) => s.ackedPerSecond, unit: '/s' },
  { key: 'ackLatency', title: 'Ack latency', value: (s) => s.ackLatencyMs, unit: ' ms' },
];

/**
 * A small line chart of `samples` (oldest first, `at` ISO) over the window that ends now: x is time, y runs from 0
 * to the largest value; a sample without a value (no acknowledgement, no latency) breaks the line.
 */
export function chart(spec, groupId, samples, windowMs, now = Date.now()) {
  const W = 300;
  const H = 60;
  const points = samples.map((s) => ({ t: Date.parse(s.at), v: spec.value(s) }));
  const values = points.map((p) => p.v).filter((v) => v !== null && v !== undefined);
  const max = Math.max(0, ...values);
  const last = values.length > 0 ? values[values.length - 1] : null;
  const start = now - windowMs;
  const x = (t) => Math.max(0, Math.min(W, ((t - start) / windowMs) * W));
  const y = (v) => H - 2 - (max > 0 ? (v / max) * (H - 6) : 0);

  let line = '';
  let pen = 'M';
  const dots = [];
  for (const p of points) {
    if (p.v === null || p.v === undefined) {
      pen = 'M';
      continue;
    }
    line += `${pen}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)} `;
    if (pen === 'M') dots.push(p);
    pen = 'L';
  }
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  svg.setAttribute('data-points', String(values.length));
  svg.setAttribute('aria-label', `${spec.title} of ${groupId} over the last ${Math.round(windowMs / 60000)} minutes: now ${figure(last)}${spec.unit}, highest ${figure(max)}${spec.unit}`);
  const base = document.createElementNS(SVG, 'line');
  for (const [k, v] of Object.entries({ x1: 0, x2: W, y1: H - 1.5, y2: H - 1.5, class: 'axis' })) base.setAttribute(k, String(v));
  svg.append(base);
  if (line) {
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', line.trim());
    path.setAttribute('class', 'line');
    path.setAttribute('vector-effect', 'non-scaling-stroke');
    svg.append(path);
  }
  // a lone point (the first sample, or one between gaps) is a short tick, visible without a neighbour
  for (const p of dots) {
    const tick = document.createElementNS(SVG, 'line');
    for (const [k, v] of Object.entries({ x1: x(p.t), x2: Math.max(0, x(p.t) - 3), y1: y(p.v), y2: y(p.v), class: 'line', 'vector-effect': 'non-scaling-stroke' })) tick.setAttribute(k, String(v));
    svg.append(tick);
  }
  const fig = el('figure', { class: 'chart', 'data-chart': spec.key });
  const scale = el('span', { class: 'scale' });
  scale.append(el('span', { class: 'now' }, `${figure(last)}${last === null ? '' : spec.unit}`), document.createTextNode(` · max ${figure(max)}${spec.unit}`));
  fig.append(el('figcaption', {}, spec.title), svg, scale);
  return fig;
}

/** One card per server group: who serves it, its backlog, oldest pending and in-flight batch, and its charts. */
export function renderGroups(root, groups, history, now = Date.now()) {
  const samples = new Map((history?.groups || []).map((g) => [g.groupId, g.samples]));
  const windowMs = history?.windowMs || 15 * 60_000;
  const end = Date.parse(history?.at) || now; // the daemon's clock: its samples' times are on it
  const cards = groups.map((g) => {
    const card = el('article', { class: 'group', 'data-group': g.groupId, 'aria-label': `Server group ${g.groupId}` });
    const head = el('h3', {}, g.groupId);
    const served = g.deleted
      ? `deleted: its place is kept until ${new Date(g.deleted.expiresAt).toLocaleString()}`
      : g.connectedEndpoint
        ? `served by ${g.connectedEndpoint} for ${age(now - Date.parse(g.connectedSince))}`
        : 'not connected';
    head.append(el('span', { class: 'served', 'data-state': g.connectedEndpoint ? 'ok' : 'bad' }, served));
    const facts = el('dl', { class: 'facts' });
    const f = g.inflight;
    for (const [label, value] of [
      ['Backlog', count(g.backlog)],
      ['Oldest pending', age(g.oldestPendingAgeMs)],
      ['In flight', f ? `${count(f.count)} (seq ${f.firstSeq}–${f.lastSeq}), sent ${f.sendCount}×` : '–'],
    ]) {
      facts.append(el('dt', {}, label), el('dd', {}, value));
    }
    const charts = el('div', { class: 'charts' });
    for (const spec of CHARTS) charts.append(chart(spec, g.groupId, samples.get(g.groupId) || [], windowMs, end));
    card.append(head, facts, charts);
    return card;
  });
  root.replaceChildren(...cards);
}
