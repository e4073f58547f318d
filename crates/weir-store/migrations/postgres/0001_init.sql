-- Weir configuration store, PostgreSQL dialect. Keep the three dialect folders
-- in step: same tables, same columns, same meaning (see the SQLite file for
-- comments). JSON is kept as TEXT, not JSONB: the store compares parsed
-- values, and the Any driver binds only plain types.

CREATE TABLE weir_meta (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    revision BIGINT  NOT NULL
);
INSERT INTO weir_meta (id, revision) VALUES (1, 0);

CREATE TABLE weir_revisions (
    id            BIGINT PRIMARY KEY,
    created_at_ms BIGINT NOT NULL,
    author        TEXT   NOT NULL,
    source        TEXT   NOT NULL,
    summary       TEXT   NOT NULL
);

CREATE TABLE weir_resources (
    kind    TEXT   NOT NULL,
    name    TEXT   NOT NULL,
    spec    TEXT   NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (kind, name)
);

CREATE TABLE weir_revision_changes (
    revision    BIGINT  NOT NULL REFERENCES weir_revisions (id),
    seq         BIGINT  NOT NULL,
    kind        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    op          TEXT    NOT NULL,
    before_spec TEXT,
    after_spec  TEXT,
    PRIMARY KEY (revision, seq)
);
