-- Where each node counts its limits (SQLite dialect; keep the three
-- dialect folders in step): `local` (in the process), `shared` (for the
-- fleet, in Redis) or `degraded` (Redis configured but away: the node
-- counts its share locally since limits_since_ms, for limits_reason).
ALTER TABLE weir_gateways ADD COLUMN limits TEXT NOT NULL DEFAULT 'local';
ALTER TABLE weir_gateways ADD COLUMN limits_reason TEXT NULL;
ALTER TABLE weir_gateways ADD COLUMN limits_since_ms BIGINT NULL;
