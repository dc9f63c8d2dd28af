-- Durable notification delivery (spec §5): an append-only outbox and one delivery cursor per server group.

-- AUTOINCREMENT: seq is monotonic and never reused, even after the newest rows are pruned.
CREATE TABLE outbox (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  object     TEXT NOT NULL CHECK (object IN ('JOB', 'IMAGE')),
  data       TEXT NOT NULL,                               -- one notification, JSON object text, sent as is
  raised_at  INTEGER NOT NULL                             -- epoch ms
);

-- One row per server group that has (or had) endpoints. A group first seen is subscribed from the notifications
-- raised after it was added: cursor_seq starts at the newest seq at that moment.
-- At most one in-flight batch per group: its message id, seq range, timeStamp of the first send and send count.
CREATE TABLE delivery_groups (
  group_id              TEXT PRIMARY KEY,
  cursor_seq            INTEGER NOT NULL,                 -- last acknowledged seq
  created_at            INTEGER NOT NULL,                 -- epoch ms
  inflight_id           TEXT,                             -- NOTIFICATION REQUEST id (upper-case UUID)
  inflight_first_seq    INTEGER,
  inflight_last_seq     INTEGER,
  inflight_time_stamp   INTEGER,                          -- timeStamp (epoch s) of the first send: resends are byte-identical
  inflight_first_sent_at INTEGER,                         -- epoch ms
  inflight_send_count   INTEGER NOT NULL DEFAULT 0,
  acked_batches         INTEGER NOT NULL DEFAULT 0,
  acked_notifications   INTEGER NOT NULL DEFAULT 0,
  CHECK ((inflight_id IS NULL) = (inflight_first_seq IS NULL))
);

CREATE INDEX outbox_raised_at ON outbox (raised_at);

-- Groups of endpoints that existed before this migration start from the current end of the (empty) outbox.
INSERT INTO delivery_groups (group_id, cursor_seq, created_at)
  SELECT DISTINCT group_id, 0, CAST(strftime('%s', 'now') AS INTEGER) * 1000 FROM endpoints;
