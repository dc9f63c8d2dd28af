-- Issue 10 B6: deleting a server group's last endpoint no longer drops its backlog. The group's delivery row stays
-- as a tombstone (cursor and in-flight batch kept), so adding an endpoint of the group again — the guide's way to
-- renew a token — resumes exactly where delivery stopped. A tombstone expires after notification.retention; until
-- then it holds pruning back like any other group.
ALTER TABLE delivery_groups ADD COLUMN deleted_at INTEGER;  -- epoch ms the last endpoint was deleted; NULL while the group has endpoints

-- `nbwss endpoints update` bumps this when the url or the certificate trust changes: the connection task then closes
-- an open connection to the endpoint at its next run and dials it again with the new settings.
ALTER TABLE endpoints ADD COLUMN dial_revision INTEGER NOT NULL DEFAULT 0;
