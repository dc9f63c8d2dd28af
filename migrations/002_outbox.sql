-- Durable notification delivery (spec §5): an append-only outbox and one delivery cursor per server group.

-- AUTOINCREMENT: seq is monotonic and never reused, even after the newest rows are pruned. Rows are appended by
-- the daemon (raise) and by `nbwss notify` in other processes; the write lock orders commits, so a row committed
-- later always has a higher seq than every row committed before it (a sender's "after the cursor" never misses one).
-- No index besides the primary key: every read is a seq range (after a cursor, a batch's range, pruning from the
-- oldest), and an index on raised_at cost ~15% of append throughput for nothing.
CREATE TABLE outbox (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  object     TEXT NOT NULL CHECK (object IN ('JOB', 'IMAGE')),
  data       TEXT NOT NULL,                               -- one notification, JSON object text, spliced into frames as is
  raised_at  INTEGER NOT NULL                             -- epoch ms
);

-- One row per server group that has (or had) endpoints. A group first seen is subscribed from the notifications
-- raised after it was added: cursor_seq starts at the newest seq at that moment.
-- At most one in-flight batch per group: its message id, seq range and size, timeStamp of the first send, send count.
-- The batch's rows are exactly the outbox rows with inflight_first_seq <= seq <= inflight_last_seq, so a resend
-- (also after a restart) rebuilds the same bytes from the outbox.
CREATE TABLE delivery_groups (
  group_id              TEXT PRIMARY KEY,
  cursor_seq            INTEGER NOT NULL,                 -- last acknowledged seq
  created_at            INTEGER NOT NULL,                 -- epoch ms
  inflight_id           TEXT,                             -- NOTIFICATION REQUEST id (upper-case UUID)
  inflight_first_seq    INTEGER,
  inflight_last_seq     INTEGER,
  inflight_count        INTEGER,                          -- notifications in the batch
  inflight_time_stamp   INTEGER,                          -- timeStamp (epoch s) of the first send: resends are byte-identical
  inflight_first_sent_at INTEGER,                         -- epoch ms
  inflight_send_count   INTEGER NOT NULL DEFAULT 0,
  acked_batches         INTEGER NOT NULL DEFAULT 0,
  acked_notifications   INTEGER NOT NULL DEFAULT 0,
  last_acked_at         INTEGER,                          -- epoch ms of the last acknowledgement
  CHECK ((inflight_id IS NULL) = (inflight_first_seq IS NULL))
);

-- Groups of endpoints that existed before this migration start from the current end of the (empty) outbox.
INSERT INTO delivery_groups (group_id, cursor_seq, created_at)
  SELECT DISTINCT group_id, 0, CAST(strftime('%s', 'now') AS INTEGER) * 1000 FROM endpoints;
