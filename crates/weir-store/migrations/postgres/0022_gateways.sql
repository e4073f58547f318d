-- The fleet (PostgreSQL dialect). Keep the three dialect folders in step
-- (see the SQLite file for comments).

CREATE TABLE weir_gateways (
    id            TEXT   NOT NULL PRIMARY KEY,
    host          TEXT   NOT NULL,
    addresses     TEXT   NOT NULL,
    role          TEXT   NOT NULL,
    version       TEXT   NOT NULL,
    revision      BIGINT NOT NULL,
    heartbeat_ms  BIGINT NOT NULL,
    started_at_ms BIGINT NOT NULL,
    last_seen_ms  BIGINT NOT NULL,
    stopped_at_ms BIGINT NULL
);
CREATE INDEX weir_gateways_last_seen ON weir_gateways (last_seen_ms);
