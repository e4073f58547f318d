-- Weir configuration store, MySQL/MariaDB dialect. Keep the three dialect
-- folders in step: same tables, same columns, same meaning (see the SQLite
-- file for comments).
--
-- Keys are VARCHAR because InnoDB cannot index TEXT without a prefix length.
-- utf8mb4_bin makes names compare byte for byte, as they do in Rust and in the
-- other dialects: under a case-insensitive collation the services "api" and
-- "API" would collide on the primary key.

CREATE TABLE weir_meta (
    id       INT    NOT NULL PRIMARY KEY,
    revision BIGINT NOT NULL
) ENGINE = InnoDB;
INSERT INTO weir_meta (id, revision) VALUES (1, 0);

CREATE TABLE weir_revisions (
    id            BIGINT       NOT NULL PRIMARY KEY,
    created_at_ms BIGINT       NOT NULL,
    author        TEXT         NOT NULL,
    source        TEXT         NOT NULL,
    summary       TEXT         NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE weir_resources (
    kind    VARCHAR(32)  NOT NULL,
    name    VARCHAR(255) NOT NULL,
    spec    LONGTEXT     NOT NULL,
    version BIGINT       NOT NULL,
    PRIMARY KEY (kind, name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE weir_revision_changes (
    revision    BIGINT       NOT NULL,
    seq         BIGINT       NOT NULL,
    kind        VARCHAR(32)  NOT NULL,
    name        VARCHAR(255) NOT NULL,
    op          VARCHAR(16)  NOT NULL,
    before_spec LONGTEXT     NULL,
    after_spec  LONGTEXT     NULL,
    PRIMARY KEY (revision, seq),
    FOREIGN KEY (revision) REFERENCES weir_revisions (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
