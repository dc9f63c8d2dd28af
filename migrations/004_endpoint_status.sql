-- Issue 12 item 2 ("why is it down"): what an endpoint's role (serving, standby, connecting, failing, deactivated) is
-- derived from, recorded by the daemon so that `nbwss endpoints list` in another process can say it too.
ALTER TABLE endpoints ADD COLUMN last_error_at INTEGER;     -- epoch ms last_error was recorded (NULL with last_error)
ALTER TABLE endpoints ADD COLUMN failing_since INTEGER;     -- epoch ms of the first failed attempt since the endpoint was last CONNECTED
ALTER TABLE endpoints ADD COLUMN state_changed_at INTEGER;  -- epoch ms it was added, activated or deactivated

UPDATE endpoints SET state_changed_at = updated_at;
UPDATE endpoints SET last_error_at = COALESCE(connection_changed_at, updated_at) WHERE last_error IS NOT NULL;
