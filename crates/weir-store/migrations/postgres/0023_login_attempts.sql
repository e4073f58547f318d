-- Login throttling (PostgreSQL dialect). Keep the three dialect folders in
-- step (see the SQLite file for comments).

CREATE TABLE weir_login_attempts (
    attempt_key    TEXT   NOT NULL PRIMARY KEY,
    attempts       BIGINT NOT NULL,
    window_ends_ms BIGINT NOT NULL
);
CREATE INDEX weir_login_attempts_window_ends ON weir_login_attempts (window_ends_ms);
