-- Login throttling (SQLite dialect): failed-login counts shared by every
-- admin process on this store, so that N admin processes behind a load
-- balancer allow an attacker the same number of guesses as one. Runtime
-- state, never part of a revision. Keep the three dialect folders in step.

-- One row per throttled key. attempt_key is an opaque digest the admin
-- listener derives from (user name, client address) or from the client
-- address alone (never from the user name alone), so that the names people
-- type, which are sometimes passwords typed into the wrong field, are not
-- stored in clear. attempts counts the attempts started in the window that
-- ends at window_ends_ms; a row whose window has ended is reset on its next
-- use and pruned by the admin processes (index below).
CREATE TABLE weir_login_attempts (
    attempt_key    TEXT   NOT NULL PRIMARY KEY,
    attempts       BIGINT NOT NULL,
    window_ends_ms BIGINT NOT NULL
);
CREATE INDEX weir_login_attempts_window_ends ON weir_login_attempts (window_ends_ms);
