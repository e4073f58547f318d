-- The fleet (SQLite dialect): every data-plane process (`weir serve`,
-- `weir proxy`) registers here at start and heartbeats, so that the admin
-- API can show each node, the revision it serves and whether it is alive.
-- Runtime state, never part of a revision. Keep the three dialect folders
-- in step.

-- One row per process start (id is random). addresses is a JSON array of
-- the bound listen addresses. heartbeat_ms is the node's own interval, so
-- that a reader can tell alive (seen within 3 heartbeats) from down without
-- knowing each node's settings. stopped_at_ms is set by a clean shutdown;
-- a killed node simply stops heartbeating. Rows stopped or silent for long
-- are pruned by the live nodes.
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
