//! Admin accounts as stored: users, login sessions and API tokens.
//!
//! The store keeps records and answers lookups; policy (hashing, expiry,
//! roles, throttling) belongs to the admin listener. Secrets never reach this
//! module in the clear: passwords arrive as argon2id PHC strings, sessions
//! and tokens as SHA-256 hex digests.

use crate::{Store, StoreError};

/// An admin user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub name: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// `admin` or `viewer`.
    pub role: String,
    /// The password must be changed before anything else is allowed.
    pub must_change: bool,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// A login session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// SHA-256 (hex) of the cookie value.
    pub id_hash: String,
    pub user_name: String,
    /// The CSRF token state-changing requests of this session must carry.
    pub csrf_token: String,
    pub created_at_ms: i64,
    pub last_seen_ms: i64,
}

/// An API token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRecord {
    /// Public identifier (part of the token, shown in listings).
    pub id: String,
    pub name: String,
    /// SHA-256 (hex) of the whole token.
    pub token_hash: String,
    pub role: String,
    pub created_by: String,
    pub created_at_ms: i64,
    pub last_used_ms: Option<i64>,
    pub revoked_at_ms: Option<i64>,
}

type UserRow = (String, String, String, i64, i64, i64);
type SessionRow = (String, String, String, i64, i64);
type TokenRow = (
    String,
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
);

fn user_from_row(
    (name, password_hash, role, must_change, created, updated): UserRow,
) -> UserRecord {
    UserRecord {
        name,
        password_hash,
        role,
        must_change: must_change != 0,
        created_at_ms: created,
        updated_at_ms: updated,
    }
}

fn session_from_row((id_hash, user_name, csrf_token, created, seen): SessionRow) -> SessionRecord {
    SessionRecord {
        id_hash,
        user_name,
        csrf_token,
        created_at_ms: created,
        last_seen_ms: seen,
    }
}

fn token_from_row(
    (id, name, token_hash, role, created_by, created, used, revoked): TokenRow,
) -> ApiTokenRecord {
    ApiTokenRecord {
        id,
        name,
        token_hash,
        role,
        created_by,
        created_at_ms: created,
        last_used_ms: used,
        revoked_at_ms: revoked,
    }
}

impl Store {
    // ---- users ----

    pub async fn user_count(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(self.dialect.sql("SELECT COUNT(*) FROM weir_users"))
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Every user, by name.
    pub async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let rows: Vec<UserRow> = sqlx::query_as(self.dialect.sql(
            "SELECT name, password_hash, role, must_change, created_at_ms, updated_at_ms \
             FROM weir_users ORDER BY name",
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(user_from_row).collect())
    }

    pub async fn user(&self, name: &str) -> Result<Option<UserRecord>, StoreError> {
        let row: Option<UserRow> = sqlx::query_as(self.dialect.sql(
            "SELECT name, password_hash, role, must_change, created_at_ms, updated_at_ms \
             FROM weir_users WHERE name = ?",
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(user_from_row))
    }

    /// Add a user; [`StoreError::AlreadyExists`] when the name is taken.
    pub async fn create_user(&self, user: &UserRecord) -> Result<(), StoreError> {
        if self.user(&user.name).await?.is_some() {
            return Err(StoreError::AlreadyExists(format!("user {:?}", user.name)));
        }
        let inserted = self
            .q("INSERT INTO weir_users \
                (name, password_hash, role, must_change, created_at_ms, updated_at_ms) \
                VALUES (?, ?, ?, ?, ?, ?)")
            .bind(user.name.as_str())
            .bind(user.password_hash.as_str())
            .bind(user.role.as_str())
            .bind(i64::from(user.must_change))
            .bind(user.created_at_ms)
            .bind(user.updated_at_ms)
            .execute(&self.pool)
            .await;
        match inserted {
            Ok(_) => Ok(()),
            // Lost a race with another creator of the same name.
            Err(e) if self.user(&user.name).await?.is_some() => {
                tracing::debug!(error = %e, "user created concurrently");
                Err(StoreError::AlreadyExists(format!("user {:?}", user.name)))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Create `user` only when there are no users at all (first start).
    /// Returns whether it was created; several processes starting at once on
    /// one store create it once.
    pub async fn create_first_user(&self, user: &UserRecord) -> Result<bool, StoreError> {
        if self.user_count().await? > 0 {
            return Ok(false);
        }
        match self.create_user(user).await {
            Ok(()) => Ok(true),
            Err(StoreError::AlreadyExists(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Replace a user's password hash and must-change flag.
    pub async fn set_user_password(
        &self,
        name: &str,
        password_hash: &str,
        must_change: bool,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let n = self
            .q(
                "UPDATE weir_users SET password_hash = ?, must_change = ?, updated_at_ms = ? \
                WHERE name = ?",
            )
            .bind(password_hash)
            .bind(i64::from(must_change))
            .bind(now_ms)
            .bind(name)
            .execute(&self.pool)
            .await?
            .rows_affected();
        found(n, || format!("user {name:?}"))
    }

    pub async fn set_user_role(
        &self,
        name: &str,
        role: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let n = self
            .q("UPDATE weir_users SET role = ?, updated_at_ms = ? WHERE name = ?")
            .bind(role)
            .bind(now_ms)
            .bind(name)
            .execute(&self.pool)
            .await?
            .rows_affected();
        found(n, || format!("user {name:?}"))
    }

    /// Remove a user and all of their sessions.
    pub async fn delete_user(&self, name: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        self.q("DELETE FROM weir_sessions WHERE user_name = ?")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        let n = self
            .q("DELETE FROM weir_users WHERE name = ?")
            .bind(name)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        found(n, || format!("user {name:?}"))
    }

    // ---- sessions ----

    pub async fn create_session(&self, s: &SessionRecord) -> Result<(), StoreError> {
        self.q("INSERT INTO weir_sessions \
                (id_hash, user_name, csrf_token, created_at_ms, last_seen_ms) \
                VALUES (?, ?, ?, ?, ?)")
            .bind(s.id_hash.as_str())
            .bind(s.user_name.as_str())
            .bind(s.csrf_token.as_str())
            .bind(s.created_at_ms)
            .bind(s.last_seen_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let row: Option<SessionRow> = sqlx::query_as(self.dialect.sql(
            "SELECT id_hash, user_name, csrf_token, created_at_ms, last_seen_ms \
             FROM weir_sessions WHERE id_hash = ?",
        ))
        .bind(id_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(session_from_row))
    }

    pub async fn touch_session(&self, id_hash: &str, now_ms: i64) -> Result<(), StoreError> {
        self.q("UPDATE weir_sessions SET last_seen_ms = ? WHERE id_hash = ?")
            .bind(now_ms)
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        self.q("DELETE FROM weir_sessions WHERE id_hash = ?")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// End every session of `user` except `keep` (e.g. after a password
    /// change, every other browser is logged out).
    pub async fn delete_user_sessions(
        &self,
        user: &str,
        keep: Option<&str>,
    ) -> Result<(), StoreError> {
        self.q("DELETE FROM weir_sessions WHERE user_name = ? AND id_hash <> ?")
            .bind(user)
            .bind(keep.unwrap_or(""))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Remove sessions idle since before `idle_cutoff_ms` or created before
    /// `absolute_cutoff_ms`; returns how many.
    pub async fn purge_sessions(
        &self,
        idle_cutoff_ms: i64,
        absolute_cutoff_ms: i64,
    ) -> Result<u64, StoreError> {
        Ok(self
            .q("DELETE FROM weir_sessions WHERE last_seen_ms < ? OR created_at_ms < ?")
            .bind(idle_cutoff_ms)
            .bind(absolute_cutoff_ms)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    // ---- API tokens ----

    pub async fn create_token(&self, t: &ApiTokenRecord) -> Result<(), StoreError> {
        self.create_scoped_token(t, None).await
    }

    /// Create a token that may register only into `services` (`None`: no
    /// service restriction). See [`Store::token_services`].
    pub async fn create_scoped_token(
        &self,
        t: &ApiTokenRecord,
        services: Option<&[String]>,
    ) -> Result<(), StoreError> {
        let services = services.map(serde_json::to_string).transpose()?;
        self.q("INSERT INTO weir_api_tokens \
                (id, name, token_hash, role, created_by, created_at_ms, last_used_ms, revoked_at_ms, \
                 services) \
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(t.id.as_str())
            .bind(t.name.as_str())
            .bind(t.token_hash.as_str())
            .bind(t.role.as_str())
            .bind(t.created_by.as_str())
            .bind(t.created_at_ms)
            .bind(t.last_used_ms)
            .bind(t.revoked_at_ms)
            .bind(services)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The services each scoped token may register into, by token id
    /// (unscoped tokens are absent).
    pub async fn token_services(
        &self,
    ) -> Result<std::collections::HashMap<String, Vec<String>>, StoreError> {
        let rows: Vec<(String, Option<String>)> = sqlx::query_as(
            self.dialect
                .sql("SELECT id, services FROM weir_api_tokens WHERE services IS NOT NULL"),
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .filter_map(|(id, s)| s.map(|s| (id, s)))
            .map(|(id, s)| {
                serde_json::from_str(&s)
                    .map(|v| (id.clone(), v))
                    .map_err(|e| StoreError::corrupt("api token", &id, e))
            })
            .collect()
    }

    /// The services token `id` may register into; `None` when it is
    /// unscoped (or does not exist).
    pub async fn token_services_of(&self, id: &str) -> Result<Option<Vec<String>>, StoreError> {
        let row: Option<(Option<String>,)> = sqlx::query_as(
            self.dialect
                .sql("SELECT services FROM weir_api_tokens WHERE id = ?"),
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.and_then(|(s,)| s)
            .map(|s| serde_json::from_str(&s).map_err(|e| StoreError::corrupt("api token", id, e)))
            .transpose()
    }

    /// Every token, revoked ones included, newest first.
    pub async fn tokens(&self) -> Result<Vec<ApiTokenRecord>, StoreError> {
        let rows: Vec<TokenRow> = sqlx::query_as(self.dialect.sql(
            "SELECT id, name, token_hash, role, created_by, created_at_ms, last_used_ms, \
             revoked_at_ms FROM weir_api_tokens ORDER BY created_at_ms DESC, id",
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(token_from_row).collect())
    }

    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<ApiTokenRecord>, StoreError> {
        let row: Option<TokenRow> = sqlx::query_as(self.dialect.sql(
            "SELECT id, name, token_hash, role, created_by, created_at_ms, last_used_ms, \
             revoked_at_ms FROM weir_api_tokens WHERE token_hash = ?",
        ))
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(token_from_row))
    }

    pub async fn touch_token(&self, id: &str, now_ms: i64) -> Result<(), StoreError> {
        self.q("UPDATE weir_api_tokens SET last_used_ms = ? WHERE id = ?")
            .bind(now_ms)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Revoke a token (kept for the record); [`StoreError::NotFound`] when
    /// there is no such token or it was already revoked.
    pub async fn revoke_token(&self, id: &str, now_ms: i64) -> Result<(), StoreError> {
        let n = self
            .q("UPDATE weir_api_tokens SET revoked_at_ms = ? \
                WHERE id = ? AND revoked_at_ms IS NULL")
            .bind(now_ms)
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        found(n, || format!("token {id:?}"))
    }
}

fn found(rows: u64, what: impl FnOnce() -> String) -> Result<(), StoreError> {
    if rows == 0 {
        Err(StoreError::NotFound(what()))
    } else {
        Ok(())
    }
}
