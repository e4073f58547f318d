-- Admin accounts, sessions, API tokens and the audit log (MySQL/MariaDB
-- dialect). Keep the three dialect folders in step (see the SQLite file for
-- comments). Keys are VARCHAR (InnoDB cannot index TEXT without a prefix);
-- utf8mb4_bin compares names byte for byte as the other dialects do.

CREATE TABLE weir_users (
    name          VARCHAR(64)  NOT NULL PRIMARY KEY,
    password_hash TEXT         NOT NULL,
    role          VARCHAR(16)  NOT NULL,
    must_change   BIGINT       NOT NULL,
    created_at_ms BIGINT       NOT NULL,
    updated_at_ms BIGINT       NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE weir_sessions (
    id_hash       VARCHAR(64)  NOT NULL PRIMARY KEY,
    user_name     VARCHAR(64)  NOT NULL,
    csrf_token    VARCHAR(128) NOT NULL,
    created_at_ms BIGINT       NOT NULL,
    last_seen_ms  BIGINT       NOT NULL,
    INDEX weir_sessions_user (user_name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE weir_api_tokens (
    id            VARCHAR(32)  NOT NULL PRIMARY KEY,
    name          VARCHAR(128) NOT NULL,
    token_hash    VARCHAR(64)  NOT NULL UNIQUE,
    role          VARCHAR(16)  NOT NULL,
    created_by    VARCHAR(128) NOT NULL,
    created_at_ms BIGINT       NOT NULL,
    last_used_ms  BIGINT       NULL,
    revoked_at_ms BIGINT       NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE weir_audit (
    id         BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at_ms      BIGINT       NOT NULL,
    actor      VARCHAR(128) NOT NULL,
    actor_kind VARCHAR(16)  NOT NULL,
    ip         VARCHAR(64)  NOT NULL,
    action     VARCHAR(64)  NOT NULL,
    target     VARCHAR(512) NOT NULL,
    revision   BIGINT       NULL,
    outcome    VARCHAR(16)  NOT NULL,
    detail     TEXT         NOT NULL,
    INDEX weir_audit_at (at_ms)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
