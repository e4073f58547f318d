-- Where each node counts its limits (PostgreSQL dialect; see the SQLite
-- file for comments).
ALTER TABLE weir_gateways ADD COLUMN limits TEXT NOT NULL DEFAULT 'local';
ALTER TABLE weir_gateways ADD COLUMN limits_reason TEXT NULL;
ALTER TABLE weir_gateways ADD COLUMN limits_since_ms BIGINT NULL;
