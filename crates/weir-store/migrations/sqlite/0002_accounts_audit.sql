-- Admin accounts, sessions, API tokens and the audit log (SQLite dialect).
-- Keep the three dialect folders in step. Booleans and times are BIGINT so
-- that every backend reads them back through the Any driver as i64.

-- Admin users. password_hash is an argon2id PHC string; role is `admin` or
-- `viewer`; must_change (0/1) forces a password change before anything else.
CREATE TABLE weir_users (
    name          TEXT   NOT NULL PRIMARY KEY,
    password_hash TEXT   NOT NULL,
    role          TEXT   NOT NULL,
    must_change   BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);

-- Login sessions, keyed by the SHA-256 of the cookie value so that a copy of
-- the database does not hand out live sessions. Expiry (idle and absolute) is
-- decided by the admin listener from created_at_ms and last_seen_ms.
CREATE TABLE weir_sessions (
    id_hash       TEXT   NOT NULL PRIMARY KEY,
    user_name     TEXT   NOT NULL,
    csrf_token    TEXT   NOT NULL,
    created_at_ms BIGINT NOT NULL,
    last_seen_ms  BIGINT NOT NULL
);
CREATE INDEX weir_sessions_user ON weir_sessions (user_name);

-- API tokens for automation: only the SHA-256 of the token is kept; id is the
-- public part shown in listings and used to revoke.
CREATE TABLE weir_api_tokens (
    id            TEXT   NOT NULL PRIMARY KEY,
    name          TEXT   NOT NULL,
    token_hash    TEXT   NOT NULL UNIQUE,
    role          TEXT   NOT NULL,
    created_by    TEXT   NOT NULL,
    created_at_ms BIGINT NOT NULL,
    last_used_ms  BIGINT NULL,
    revoked_at_ms BIGINT NULL
);

-- Who did what, when and from where; revision links configuration writes to
-- the revision they created.
CREATE TABLE weir_audit (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms      BIGINT NOT NULL,
    actor      TEXT   NOT NULL,
    actor_kind TEXT   NOT NULL,
    ip         TEXT   NOT NULL,
    action     TEXT   NOT NULL,
    target     TEXT   NOT NULL,
    revision   BIGINT NULL,
    outcome    TEXT   NOT NULL,
    detail     TEXT   NOT NULL
);
CREATE INDEX weir_audit_at ON weir_audit (at_ms);
