-- Self-registration (PostgreSQL dialect). Keep the three dialect folders in
-- step (see the SQLite file for comments).

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

CREATE TABLE weir_registration_seq (
    id  BIGINT NOT NULL PRIMARY KEY,
    seq BIGINT NOT NULL
);
INSERT INTO weir_registration_seq (id, seq) VALUES (1, 0);
