-- Self-registration (MySQL/MariaDB dialect). Keep the three dialect folders
-- in step (see the SQLite file for comments). Keys are VARCHAR (InnoDB cannot
-- index TEXT without a prefix): service names are at most 64 characters and
-- a canonical `[v6]:port` at most 47.

CREATE TABLE weir_registrations (
    id            VARCHAR(64)  NOT NULL PRIMARY KEY,
    service       VARCHAR(64)  NOT NULL,
    addr          VARCHAR(64)  NOT NULL,
    weight        BIGINT       NOT NULL,
    metadata      TEXT         NOT NULL,
    ttl_ms        BIGINT       NOT NULL,
    expires_at_ms BIGINT       NOT NULL,
    created_at_ms BIGINT       NOT NULL,
    updated_at_ms BIGINT       NOT NULL,
    UNIQUE KEY weir_registrations_service_addr (service, addr),
    INDEX weir_registrations_expiry (expires_at_ms)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE weir_registration_seq (
    id  BIGINT NOT NULL PRIMARY KEY,
    seq BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
INSERT INTO weir_registration_seq (id, seq) VALUES (1, 0);
