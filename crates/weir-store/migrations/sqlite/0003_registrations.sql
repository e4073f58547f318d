-- Self-registration (SQLite dialect): instances register service + address
-- with a TTL through the admin API and renew by heartbeat. This is runtime
-- state, not configuration: no revision is written for it, but it lives in
-- the store so it survives a restart and every gateway node sees it. Keep
-- the three dialect folders in step.

-- One row per (service, addr): registering the same pair again renews the
-- existing row (same id). addr is a canonical `ip:port` (`[v6]:port`);
-- metadata is a JSON object of strings. expires_at_ms = last renewal +
-- ttl_ms; rows past it count as gone (readers filter, prune deletes).
CREATE TABLE weir_registrations (
    id            TEXT   NOT NULL PRIMARY KEY,
    service       TEXT   NOT NULL,
    addr          TEXT   NOT NULL,
    weight        BIGINT NOT NULL,
    metadata      TEXT   NOT NULL,
    ttl_ms        BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    UNIQUE (service, addr)
);
CREATE INDEX weir_registrations_expiry ON weir_registrations (expires_at_ms);

-- Bumped by every change a follower must see (register, a heartbeat that
-- changes weight, metadata or TTL, deregister, prune that removed rows), so
-- gateways poll one integer instead of the whole table. Plain renewals do
-- not bump it: they change nothing a follower routes by.
CREATE TABLE weir_registration_seq (
    id  BIGINT NOT NULL PRIMARY KEY,
    seq BIGINT NOT NULL
);
INSERT INTO weir_registration_seq (id, seq) VALUES (1, 0);
