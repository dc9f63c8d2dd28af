// nbwss console: the endpoints pane of NetBackup's WebSocket server dialog, live from GET /api/events.
// Plain browser JavaScript, no build step, no external assets. Every value from the API is set as text, never as HTML.
import { BUSY, EventLog } from './console-events.js';
import { setupForms } from './console-forms.js';
import { age, certificateLine, el, renderGroups, renderSummary } from './console-glance.js';

(() => {
  const $ = (selector) => document.querySelector(selector);
  const rows = new Map(); // hostName → { tr, cells, toggle, edit, check, remove, pending, data, report }
  const pending = new Map(); // requestId → { label, hostName }
  const REFRESH_DELAY_MS = 250;
  const BUSY_DELAY_MS = 2000;
  const HISTORY_EVERY_MS = 10_000; // the daemon samples its groups every 10 s
  const MAX_EVENTS = 50;
  let refreshTimer;
  let refreshDue = 0;
  let daemon; // GET /api/daemon, with readAt (browser time)
  let history; // GET /api/history

  function say(text, kind = 'info') {
    const m = $('#message');
    m.dataset.kind = kind;
    m.textContent = text;
  }

  async function api(method, path, body) {
    const init = { method, cache: 'no-store', headers: {} };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    const text = await res.text();
    let json = {};
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      // not JSON: reported below by status
    }
    if (!res.ok) {
      const e = json.error || {};
      throw new Error(`${e.message || `${res.status} ${res.statusText}`}${e.detail ? ` (${e.detail})` : ''}`);
    }
    return { json, requestId: res.headers.get('x-request-id') };
  }

  function badge(text) {
    return el('span', { class: `badge ${text.toLowerCase()}` }, text);
  }

  function ms(value) {
    return value === null || value === undefined ? '–' : `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
  }

  // --- endpoints table ------------------------------------------------------------------------------------------

  function createRow(hostName) {
    const tr = el('tr', { 'data-host': hostName });
    const cells = {};
    for (const col of ['host', 'url', 'group', 'priority', 'state', 'connection', 'rtt']) {
      const td = el(col === 'host' ? 'th' : 'td', col === 'host' ? { scope: 'row', 'data-col': col } : { 'data-col': col });
      if (col === 'url') td.className = 'url';
      if (col === 'priority' || col === 'rtt') td.className = 'num';
      cells[col] = td;
      tr.append(td);
    }
    const actions = el('td', { class: 'actions', 'data-col': 'actions' });
    const toggle = el('button', { type: 'button', 'data-action': 'toggle' });
    const edit = el('button', { type: 'button', class: 'secondary', 'data-action': 'edit' }, 'Edit');
    edit.setAttribute('aria-label', `Edit ${hostName}`);
    edit.addEventListener('click', () => forms.openEdit(hostName));
    const remove = el('button', { type: 'button', class: 'danger', 'data-action': 'delete' }, 'Delete');
    remove.setAttribute('aria-label', `Delete ${hostName}`);
    const check = el('button', { type: 'button', class: 'secondary', 'data-action': 'check', 'aria-label': `Check ${hostName}` }, 'Check');
    check.addEventListener('click', () => runCheck(hostName));
    toggle.addEventListener('click', () => {
      const activate = toggle.dataset.next === 'activate';
      change(hostName, activate ? 'activate' : 'deactivate', 'POST', `/api/endpoints/${encodeURIComponent(hostName)}/${activate ? 'activate' : 'deactivate'}`);
    });
    remove.addEventListener('click', () => {
      const question =
        `Delete ${hostName}? Its connection is closed at the next run of the connection task. ` +
        'If it is the last endpoint of its group, the group keeps its undelivered notifications for notification.retention: add an endpoint of the group again to deliver them.';
      if (!window.confirm(question)) return;
      change(hostName, 'delete', 'DELETE', `/api/endpoints/${encodeURIComponent(hostName)}`, undefined, (json) =>
        json.lastOfGroup
          ? `it was the last endpoint of group ${json.groupId}, which holds ${json.undeliveredNotifications} undelivered notification${json.undeliveredNotifications === 1 ? '' : 's'}, kept until ${new Date(json.keptUntil).toLocaleString()}`
          : '',
      );
    });
    const buttons = el('div', { class: 'action-buttons' });
    buttons.append(toggle, edit, check, remove);
    actions.append(buttons);
    tr.append(actions);
    const row = { tr, cells, toggle, edit, check, remove, pending: el('span', { class: 'pending' }), data: undefined, report: undefined };
    rows.set(hostName, row);
    return row;
  }

  // Why an endpoint is (not) connected: its role (serving, standby, connecting, failing, deactivated), for how
  // long, and the last error; a deactivated endpoint still connected says how soon the next run closes it.
  function roleLine(e) {
    const line = el('span', { class: 'why' });
    const role = el('span', { class: `role ${e.role}`, 'data-role': e.role }, e.role);
    line.append(role);
    const parts = [];
    if (e.since) parts.push(`for ${age(Date.now() - Date.parse(e.since))}`);
    if (e.role === 'deactivated' && e.closesWithinMs !== null) parts.push(`still connected: closes at the next run, within ${age(e.closesWithinMs)}`);
    else if (e.lastError && e.role !== 'serving') parts.push(e.lastError);
    if (parts.length > 0) line.append(document.createTextNode(` ${parts.join(' — ')}`));
    if (e.lastErrorAt) line.title = `last error at ${new Date(e.lastErrorAt).toLocaleString()}`;
    return line;
  }

  function setConnection(row, state, pendingText) {
    const cell = row.cells.connection;
    cell.replaceChildren(badge(state));
    if (row.data && row.data.role) cell.append(roleLine(row.data));
    if (pendingText) {
      row.pending.textContent = pendingText;
      cell.append(row.pending);
    }
  }

  function renderEndpoints(list) {
    const body = $('#endpoints tbody');
    const seen = new Set();
    list.forEach((e, index) => {
      seen.add(e.hostName);
      const row = rows.get(e.hostName) || createRow(e.hostName);
      row.data = e;
      row.cells.host.textContent = e.hostName;
      row.cells.url.textContent = e.url;
      row.cells.group.textContent = e.groupId;
      row.cells.priority.textContent = String(e.priority);
      row.cells.state.replaceChildren(badge(e.state), certificateLine(e));
      setConnection(row, e.connectionState, row.pendingText);
      row.cells.rtt.textContent = e.connectionState === 'CONNECTED' ? ms(e.lastRttMs) : '–';
      // One toggle button whose label changes: keyboard focus stays on it after the click.
      const next = e.state === 'ACTIVATED' ? 'deactivate' : 'activate';
      row.toggle.dataset.next = next;
      row.toggle.textContent = next === 'activate' ? 'Activate' : 'Deactivate';
      row.toggle.setAttribute('aria-label', `${row.toggle.textContent} ${e.hostName}`);
      row.toggle.className = next === 'activate' ? '' : 'secondary';
      // Keep the API's order (group, priority, host name), moving a row only when it is out of place: moving the
      // row that holds the focused button would take the keyboard focus away.
      const at = rowAt(body, index);
      if (at !== row.tr) body.insertBefore(row.tr, at);
      if (row.report && row.tr.nextElementSibling !== row.report) row.tr.after(row.report);
    });
    for (const [host, row] of rows) {
      if (!seen.has(host)) {
        row.tr.remove();
        row.report?.remove();
        rows.delete(host);
      }
    }
    $('#empty').hidden = list.length > 0;
  }

  // The index-th endpoint row of the table (report rows under an endpoint are not counted).
  function rowAt(body, index) {
    return [...body.children].filter((tr) => !tr.dataset.reportFor)[index] || null;
  }

  // --- Check: nbwss check-endpoint from the daemon, the report under the row -----------------------------------

  async function runCheck(hostName) {
    const row = rows.get(hostName);
    if (!row) return;
    row.check.disabled = true;
    row.check.textContent = 'Checking…';
    say(`Checking ${hostName} (quick profile, up to 30 s)…`);
    try {
      const { json } = await api('POST', `/api/endpoints/${encodeURIComponent(hostName)}/check`);
      showReport(row, hostName, json);
      const s = json.summary;
      say(`${hostName}: ${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.skip} skip`, s.fail > 0 ? 'error' : 'info');
    } catch (err) {
      say(`Could not check ${hostName}: ${err.message}`, 'error');
    } finally {
      row.check.disabled = false;
      row.check.textContent = 'Check';
    }
  }

  function showReport(row, hostName, report) {
    const tr = el('tr', { class: 'report-row', 'data-report-for': hostName });
    const td = el('td', { colspan: String(row.tr.children.length) });
    const s = report.summary;
    const head = el('p', { class: 'report-summary' }, `Check of ${hostName}: ${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.skip} skip (${(report.durationMs / 1000).toFixed(1)} s) `);
    const hide = el('button', { type: 'button', class: 'secondary', 'aria-label': `Hide the check report of ${hostName}` }, 'Hide');
    hide.addEventListener('click', () => {
      tr.remove();
      row.report = undefined;
      row.check.focus();
    });
    head.append(hide);
    const list = el('ul', { class: 'report' });
    // failures and warnings first, each with what was seen and what was expected
    const order = { fail: 0, warn: 1, pass: 2, skip: 3 };
    const skipped = new Map(); // one line per skip reason
    for (const c of [...report.checks].sort((a, b) => order[a.status] - order[b.status])) {
      if (c.status === 'skip') {
        skipped.set(c.message, [...(skipped.get(c.message) || []), c.id]);
        continue;
      }
      const li = el('li', { 'data-status': c.status });
      li.append(el('span', { class: `badge ${c.status}` }, c.status.toUpperCase()), el('code', {}, c.id), document.createTextNode(` ${c.section}: ${c.message.replace(/\n/g, ' · ')}`));
      list.append(li);
    }
    for (const [reason, ids] of skipped) {
      const li = el('li', { 'data-status': 'skip' });
      li.append(el('span', { class: 'badge skip' }, 'SKIP'), el('code', {}, ids.join(', ')), document.createTextNode(` ${reason}`));
      list.append(li);
    }
    td.append(head, list);
    tr.append(td);
    row.report?.remove();
    row.report = tr;
    row.tr.after(tr);
  }

  // Backlogs nobody drains (notification.backlogWarning, pruning held back): the daemon's own sentences.
  function renderWarnings(warnings) {
    const list = $('#warning-list');
    const text = warnings.join('\n');
    if (list.dataset.text === text) return; // unchanged: do not re-announce the alert
    list.dataset.text = text;
    list.replaceChildren(...warnings.map((w) => el('li', {}, w)));
    $('#warnings').hidden = warnings.length === 0;
  }

  // Readiness (a corrupt database, the connection task stalled…): the failing checks, red, until they pass.
  async function refreshHealth() {
    let failed = [];
    try {
      const res = await fetch('/readyz', { cache: 'no-store' });
      const body = await res.json();
      failed = Object.entries(body.checks || {})
        .filter(([, c]) => !c.ok)
        .map(([name, c]) => `${name}: ${c.message || 'failing'}`);
    } catch (err) {
      failed = [`cannot read /readyz: ${err.message}`];
    }
    const list = $('#health-list');
    const text = failed.join('\n');
    if (list.dataset.text === text) return;
    list.dataset.text = text;
    list.replaceChildren(...failed.map((f) => el('li', {}, f)));
    $('#health').hidden = failed.length === 0;
  }

  async function refresh() {
    refreshHealth();
    try {
      const [endpoints, groups, samples, info] = await Promise.all([
        api('GET', '/api/endpoints'),
        api('GET', '/api/groups'),
        api('GET', '/api/history'),
        daemon ? undefined : api('GET', '/api/daemon'),
      ]);
      if (info) daemon = { ...info.json, readAt: Date.now() };
      history = samples.json;
      renderEndpoints(endpoints.json.endpoints);
      renderGroups($('#groups'), groups.json.groups, history);
      $('#no-groups').hidden = groups.json.groups.length > 0;
      renderSummary($('#summary'), { endpoints: endpoints.json.endpoints, groups: groups.json.groups, daemon });
      renderWarnings(groups.json.warnings || []);
    } catch (err) {
      say(`Could not read the endpoints: ${err.message}`, 'error');
    }
  }

  // One refresh for a burst of events; busy notification traffic refreshes at most every BUSY_DELAY_MS (the
  // backlog figures cost the daemon a query).
  function scheduleRefresh(delay = REFRESH_DELAY_MS) {
    const due = Date.now() + (typeof delay === 'number' ? delay : REFRESH_DELAY_MS);
    if (refreshTimer && refreshDue <= due) return;
    clearTimeout(refreshTimer);
    refreshDue = due;
    refreshTimer = setTimeout(() => {
      refreshTimer = undefined;
      refresh();
    }, due - Date.now());
  }
  const scheduleSlowRefresh = () => scheduleRefresh(BUSY_DELAY_MS);

  // --- changes and their realization ----------------------------------------------------------------------------

  // `describe(json)` adds what the daemon answered (e.g. when an update applies) to the message.
  async function change(hostName, action, method, path, body, describe) {
    const label = `${action[0].toUpperCase()}${action.slice(1)} ${hostName}`;
    try {
      const { json, requestId } = await api(method, path, body);
      pending.set(requestId, { label, hostName });
      const row = rows.get(hostName);
      if (row) row.pendingText = 'applying…';
      const said = describe ? describe(json) : '';
      say(`${label}: accepted${said ? ` (${said})` : ''}, waiting for the connection task to apply it…`);
      scheduleRefresh();
      // The change may already be in sync (its event can arrive before this response): ask once.
      const realization = await api('GET', `/api/realization?requestId=${encodeURIComponent(requestId)}`);
      realized(realization.json);
    } catch (err) {
      say(`${label} failed: ${err.message}`, 'error');
    }
  }

  function realized(view) {
    const p = pending.get(view.requestId);
    if (!p) return;
    const failure = (view.details || []).map((d) => d.failureMessage).find(Boolean);
    const row = rows.get(p.hostName);
    if (view.state === 'in_progress') {
      if (failure) say(`${p.label}: not applied yet — ${failure}`, 'error');
      return;
    }
    pending.delete(view.requestId);
    if (row) row.pendingText = undefined;
    say(view.state === 'in_sync' ? `${p.label}: applied.` : `${p.label}: ${failure || 'state unknown'}`, view.state === 'in_sync' ? 'ok' : 'error');
    scheduleRefresh();
  }

  // --- add form and edit dialog (console-forms.js) ---------------------------------------------------------------

  const forms = setupForms({ $, api, say, change, refresh, rows, pending });

  // --- event stream -----------------------------------------------------------------------------------------------

  const log = new EventLog($('#events'), MAX_EVENTS);

  // What each event type adds to the list (busy types are grouped: console-events.js BUSY)…
  const TEXT = {
    connection: (e) => `${e.groupId} ${e.hostName}: ${e.state}${e.state === 'DISCONNECTED' ? ` (${e.code} ${e.reason})` : ''}`,
    attempt_failed: (e) => `${e.groupId} ${e.hostName}: connection attempt failed — ${e.message}`,
    endpoint: (e) => `${e.hostName}: ${e.action}`,
    batch_resent: (e) => `${e.groupId} ${e.hostName}: batch resent (${e.reason})`,
    backlog_warning: (e) => (e.over ? `warning: ${e.message}` : `${e.groupId}: backlog back under the warning threshold`),
  };
  // …and what it changes on the page.
  const APPLY = {
    connection: (e) => {
      const row = rows.get(e.hostName);
      if (row) setConnection(row, e.state, row.pendingText);
      scheduleRefresh();
    },
    endpoint: () => scheduleRefresh(),
    realization: (e) => realized(e),
    backlog_warning: () => scheduleRefresh(),
    tick: () => scheduleRefresh(),
    batch_acked: () => scheduleSlowRefresh(),
    batch_sent: () => scheduleSlowRefresh(),
    notifications_raised: () => scheduleSlowRefresh(),
  };

  function connect() {
    const live = $('#live');
    // Only the types handled here: the replay count of `hello` then counts exactly the events that follow it.
    const types = [...new Set([...Object.keys(TEXT), ...Object.keys(APPLY), ...Object.keys(BUSY)])];
    const source = new EventSource(`/api/events?types=${types.join(',')}`);
    // Events the daemon replays from its history (hello.replayed of them) are only listed: the rows and the pending
    // changes follow the live ones, and one refresh after the replay reads the current state.
    let replaying = 0;
    const handle = (type, e) => {
      const data = JSON.parse(e.data);
      const busy = BUSY[type];
      if (busy) log.group(data.at, busy.key(data), busy.merge(data), busy.render(data));
      else if (TEXT[type]) log.add(data.at, TEXT[type](data));
      if (replaying > 0) {
        if (--replaying === 0) refresh();
      } else if (APPLY[type]) {
        APPLY[type](data);
      }
    };
    for (const type of types) source.addEventListener(type, (e) => handle(type, e));
    // The first event of every stream. Not a resume (a first connection, or a daemon that restarted): what follows
    // is the daemon's whole history, so the list starts over from it.
    source.addEventListener('hello', (e) => {
      const hello = JSON.parse(e.data);
      if (!hello.resumed) {
        log.clear();
        daemon = undefined; // perhaps a daemon that restarted: read its version and uptime again
      }
      replaying = hello.replayed;
    });
    source.addEventListener('open', () => {
      live.dataset.state = 'live';
      live.textContent = 'Live';
      refresh();
    });
    source.addEventListener('error', () => {
      live.dataset.state = 'down';
      live.textContent = 'Event stream lost: reconnecting…';
    });
  }

  connect();
  refresh();
  // The charts and the uptime move on without events too: read again when the daemon has a new sample.
  setInterval(() => scheduleRefresh(), HISTORY_EVERY_MS);
})();
