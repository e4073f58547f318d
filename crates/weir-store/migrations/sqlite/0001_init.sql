-- Weir configuration store, SQLite dialect. Keep the three dialect folders in
-- step: same tables, same columns, same meaning.

-- The current revision; one row. Every write bumps it in the same transaction,
-- which is what followers poll and what optimistic concurrency compares.
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

-- Every resource of every kind; spec is the JSON the model serialises to.
-- version is the revision that last wrote the row.
CREATE TABLE weir_resources (
    kind    TEXT   NOT NULL,
    name    TEXT   NOT NULL,
    spec    TEXT   NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (kind, name)
);

-- What each revision changed, in diff order (seq); enough to show, revert or
-- replay a revision without storing whole copies of the configuration.
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
