-- Login throttling (MySQL/MariaDB dialect). Keep the three dialect folders
-- in step (see the SQLite file for comments). The key is VARCHAR (InnoDB
-- cannot index TEXT without a prefix): keys are 64 hex digits.

CREATE TABLE weir_login_attempts (
    attempt_key    VARCHAR(64) NOT NULL PRIMARY KEY,
    attempts       BIGINT      NOT NULL,
    window_ends_ms BIGINT      NOT NULL,
    INDEX weir_login_attempts_window_ends (window_ends_ms)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
