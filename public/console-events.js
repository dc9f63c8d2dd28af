// nbwss console: the "Recent events" list. Events are shown at the time they happened (their `at`), newest first.
// Busy kinds (acknowledgements, COMMANDs) are grouped: events of one kind and group within WINDOW_MS share one row
// ("1,204 notifications acknowledged in 10 s"), so a loaded daemon gives a readable list, not one row per batch.

const WINDOW_MS = 10_000;
const numberFormat = new Intl.NumberFormat('en-US');

/** `n` with thousands separators: 1,204. */
export const count = (n) => numberFormat.format(n);

/** "1 notification" / "3 notifications". */
export const plural = (n, word) => `${count(n)} ${word}${n === 1 ? '' : 's'}`;

/** The list of recent events under `list` (an `<ol>`), at most `max` rows. */
export class EventLog {
  #list;
  #max;
  /** key → { li, firstAt, state }: the open group of each busy kind. */
  #open = new Map();

  constructor(list, max = 50) {
    this.#list = list;
    this.#max = max;
  }

  /** Remove every row (a new daemon run: its history replaces what was shown). */
  clear() {
    this.#list.replaceChildren();
    this.#open.clear();
  }

  /** One row for one event. */
  add(at, text, kind = 'event') {
    this.#prepend(this.#row(at, text, kind));
  }

  /**
   * A busy event: merged into the row of `key` while that row is younger than WINDOW_MS, else a new row.
   * `merge(state)` returns the new state (starting from undefined); `render(state, spanMs)` its text.
   */
  group(at, key, merge, render) {
    const time = Date.parse(at) || Date.now();
    const open = this.#open.get(key);
    if (open && open.li.isConnected && time - open.firstAt < WINDOW_MS && time >= open.firstAt) {
      open.state = merge(open.state);
      open.lastAt = time;
      open.li.lastChild.textContent = render(open.state, open.lastAt - open.firstAt);
      open.li.dataset.count = String(open.state.events);
      return;
    }
    const state = merge(undefined);
    const li = this.#row(at, render(state, 0), 'group');
    li.dataset.count = String(state.events);
    this.#open.set(key, { li, firstAt: time, lastAt: time, state });
    this.#prepend(li);
  }

  #row(at, text, kind) {
    const li = document.createElement('li');
    li.dataset.kind = kind;
    const time = document.createElement('time');
    const date = at ? new Date(at) : new Date();
    time.dateTime = date.toISOString();
    time.textContent = date.toLocaleTimeString();
    li.append(time, document.createTextNode(text));
    return li;
  }

  #prepend(li) {
    this.#list.prepend(li);
    while (this.#list.children.length > this.#max) this.#list.lastElementChild.remove();
  }
}

/** Merge and render functions of the busy kinds, by SSE event type. */
export const BUSY = {
  batch_acked: {
    key: (e) => `acked:${e.groupId}`,
    merge: (e) => (s) => ({ events: (s?.events ?? 0) + 1, n: (s?.n ?? 0) + e.count, hosts: new Set([...(s?.hosts ?? []), e.hostName]) }),
    render: (e) => (s, spanMs) =>
      s.events === 1
        ? `${e.groupId} ${e.hostName}: ${plural(s.n, 'notification')} acknowledged`
        : `${e.groupId}: ${plural(s.n, 'notification')} acknowledged in the last ${Math.max(1, Math.ceil(spanMs / 1000))} s (${count(s.events)} batch${s.events === 1 ? '' : 'es'} via ${[...s.hosts].join(', ')})`,
  },
  command: {
    key: (e) => `command:${e.groupId}`,
    merge: (e) => (s) => {
      const statuses = new Map(s?.statuses ?? []);
      statuses.set(e.status, (statuses.get(e.status) ?? 0) + 1);
      return { events: (s?.events ?? 0) + 1, statuses, last: e };
    },
    render: (e) => (s, spanMs) =>
      s.events === 1
        ? `${e.groupId} COMMAND ${e.method} ${e.uri} → ${e.status} in ${Math.round(e.durationMs)} ms`
        : `${e.groupId}: ${plural(s.events, 'COMMAND')} in the last ${Math.max(1, Math.ceil(spanMs / 1000))} s (${[...s.statuses].sort((a, b) => b[1] - a[1]).map(([status, n]) => `${count(n)} × ${status}`).join(', ')})`,
  },
};
