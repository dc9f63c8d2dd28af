-- Endpoint credentials (spec §8): one row per WebSocket server endpoint.
-- The token is stored encrypted (AES-256-GCM, key in security.keyFile); the pinned certificate is the trust store.
CREATE TABLE endpoints (
  host_name             TEXT PRIMARY KEY,                 -- unique among endpoints (the guide's rule)
  url                   TEXT NOT NULL,                    -- wss:// only
  group_id              TEXT NOT NULL,
  priority              REAL NOT NULL,                    -- lower is preferred
  state                 TEXT NOT NULL DEFAULT 'ACTIVATED' CHECK (state IN ('ACTIVATED', 'DEACTIVATED')),
  token_enc             BLOB NOT NULL,                    -- version(1) | iv(12) | tag(16) | ciphertext
  cert_pem              TEXT NOT NULL,                    -- the certificate accepted at add time (pinned)
  cert_fingerprint      TEXT NOT NULL,                    -- its SHA-256 fingerprint, AA:BB:... upper case
  ca_pem                TEXT,                             -- with --ca: trust a chain to this CA instead of the pin
  connection_state      TEXT NOT NULL DEFAULT 'DISCONNECTED' CHECK (connection_state IN ('CONNECTED', 'DISCONNECTED')),
  connection_changed_at INTEGER,                          -- epoch ms of the last connection state change
  last_error            TEXT,                             -- why the last attempt failed or the last connection closed
  created_at            INTEGER NOT NULL,                 -- epoch ms
  updated_at            INTEGER NOT NULL                  -- epoch ms
);

CREATE INDEX endpoints_group ON endpoints (group_id, priority, host_name);
