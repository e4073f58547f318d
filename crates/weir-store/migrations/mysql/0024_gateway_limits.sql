-- Where each node counts its limits (MySQL/MariaDB dialect; see the SQLite
-- file for comments).
ALTER TABLE weir_gateways
    ADD COLUMN limits VARCHAR(16) NOT NULL DEFAULT 'local',
    ADD COLUMN limits_reason VARCHAR(255) NULL,
    ADD COLUMN limits_since_ms BIGINT NULL;
