-- The fleet (MySQL/MariaDB dialect). Keep the three dialect folders in step
-- (see the SQLite file for comments). The key is VARCHAR (InnoDB cannot
-- index TEXT without a prefix): ids are 32 hex digits.

CREATE TABLE weir_gateways (
    id            VARCHAR(64)  NOT NULL PRIMARY KEY,
    host          VARCHAR(255) NOT NULL,
    addresses     TEXT         NOT NULL,
    role          VARCHAR(16)  NOT NULL,
    version       VARCHAR(64)  NOT NULL,
    revision      BIGINT       NOT NULL,
    heartbeat_ms  BIGINT       NOT NULL,
    started_at_ms BIGINT       NOT NULL,
    last_seen_ms  BIGINT       NOT NULL,
    stopped_at_ms BIGINT       NULL,
    INDEX weir_gateways_last_seen (last_seen_ms)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
