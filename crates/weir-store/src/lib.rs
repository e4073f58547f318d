//! Weir's configuration store. Every change to the configuration is one
//! numbered **revision**, written in one transaction together with what it
//! changed; running gateways follow the revision number
//! ([`RevisionFollower`]) and reload when it moves.
//!
//! SQLite (the default: `sqlite://weir.db`, created on first start),
//! PostgreSQL and MySQL/MariaDB sit behind the one [`Store`]; what differs
//! between them lives in `dialect` (and why one code path is enough).
//!
//! Schema (`migrations/<dialect>/`, embedded and run by [`Store::open`];
//! append-only: sqlx refuses to start if an applied file changed):
//! - `weir_meta`: one row, the current revision. Every write bumps it, which
//!   is both what followers poll and the optimistic-concurrency check.
//! - `weir_resources`: `(kind, name, spec JSON, version)`, every kind in one
//!   table so that new kinds need no migration.
//! - `weir_revisions`: who, when, from where, and a summary.
//! - `weir_revision_changes`: per revision, each resource's before and after,
//!   enough to show, revert or replay a revision.
//! - `weir_users`, `weir_sessions`, `weir_api_tokens`, `weir_audit` (0002):
//!   the admin API's accounts and its audit log (`accounts`, `audit`).
//! - `weir_registrations`, `weir_registration_seq` (0003): self-registered
//!   instances with their TTLs, and a sequence followers poll
//!   (`registrations`; runtime state, never part of a revision).
//! - `weir_stats_hourly` (0010): traffic rollups (`stats`; read back as
//!   the admin side's hourly series in `series`).
//! - `summary_code`/`summary_params` on `weir_revisions` and
//!   `detail_code`/`detail_params` on `weir_audit` (0021): the summaries and
//!   details Weir generated, as a message code with parameters beside the
//!   English text (`message`), so the dashboard can translate them.
//! - `weir_gateways` (0022): the fleet, one row per data-plane process
//!   start, heartbeated with the revision it serves (`gateways`; runtime
//!   state, never part of a revision).
//! - `weir_login_attempts` (0023): login attempt counts shared by every
//!   admin process, so the login throttle holds behind a load balancer
//!   (`login_attempts`; runtime state, never part of a revision).
//!
//! Beyond whole-document [`Store::apply`], `resources` writes one resource
//! against the version it was read at (optimistic concurrency for the admin
//! API) and `history` rebuilds the configuration as of any revision (diff
//! between revisions, rollback as a new revision).
//!
//! Writes are optimistic rather than locking: [`Store::apply`] computes its
//! diff outside any transaction, then commits only if the revision is still
//! the one the diff was computed against, retrying otherwise. That keeps
//! several admin nodes (or a CLI and the admin API) safe against lost updates
//! without holding a lock while the configuration is loaded, diffed and
//! validated.

/// Selects revision entries as `history::RevisionRow`; a macro so that
/// `concat!` can build `&'static str` statements from it.
macro_rules! select_revisions {
    () => {
        "SELECT id, created_at_ms, author, source, summary, summary_code, summary_params \
         FROM weir_revisions"
    };
}

mod accounts;
mod audit;
mod codec;
mod dialect;
mod error;
mod follower;
mod gateways;
mod history;
mod login_attempts;
mod message;
mod notify;
mod registrations;
mod resources;
mod series;
mod stats;

use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyArguments, AnyPoolOptions};
use sqlx::query::Query;
use sqlx::{Any, AnyPool};
use weir_core::{Change, ChangeOp, ConfigDocument, ResourceKind, compile, diff};

pub use dialect::redact_url;
use dialect::{Dialect, Target};

pub use accounts::{ApiTokenRecord, SessionRecord, UserRecord};
pub use audit::{AuditEntry, AuditFilter, NewAuditEntry};
pub use error::StoreError;
pub use follower::RevisionFollower;
pub use gateways::{
    Gateway, GatewayState, MISSED_BEATS, NewGateway, NodeLimits, RETENTION as GATEWAY_RETENTION,
};
pub use login_attempts::{AttemptLimit, MAX_ATTEMPT_KEY, Reservation};
pub use message::{AuditDetail, RevisionSummary, StoredText};
pub use registrations::{NewRegistration, Registered, Registration, RegistrationUpdate};
pub use resources::{Expect, ResourceWrite, StoredResource};

/// Limits of self-registration, shared by the store and the admin API.
pub mod registration_limits {
    pub use crate::registrations::{
        DEFAULT_TTL, MAX_METADATA_ENTRIES, MAX_METADATA_KEY, MAX_METADATA_VALUE, MAX_TTL,
        MAX_WEIGHT, MIN_TTL, canonical_addr,
    };
}
pub use series::{HourStats, Series};
pub use stats::{StatsDelta, StatsHour};

/// How many times [`Store::apply`] recomputes after losing a race before
/// giving up with [`StoreError::Conflict`].
const APPLY_ATTEMPTS: u32 = 8;

/// How many times [`Store::open`] tries to bring a SQLite schema up to date
/// (see there why more than once).
const SCHEMA_ATTEMPTS: u32 = 5;

/// How long to wait for a pooled connection before reporting an error, so that
/// an unreachable database shows up as an error promptly rather than a hang.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections per store. A gateway needs one for its follower and the admin
/// API a few more; many nodes may share one database server.
const MAX_CONNECTIONS: u32 = 4;

const REVISION_SQL: &str = "SELECT revision FROM weir_meta WHERE id = 1";

/// A handle to the configuration store. Cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    dialect: Dialect,
    /// Where a follower opens its `LISTEN` connection: the store URL, on
    /// PostgreSQL only (see `notify`).
    listen_url: Option<std::sync::Arc<str>>,
}

/// Who made a change, for the revision history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionMeta {
    pub author: String,
    /// Where the change came from: `"cli"`, `"api"`, ...
    pub source: String,
    /// `None`: generated from the changes, e.g. `services: added a; changed b, c`.
    pub summary: Option<Summary>,
}

/// The summary of a revision about to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Summary {
    /// Written by a person (`weir apply -m`): stored as typed.
    Written(String),
    /// Generated by Weir: stored as English text and as code + parameters.
    Generated(RevisionSummary),
}

impl From<String> for Summary {
    fn from(text: String) -> Self {
        Summary::Written(text)
    }
}

impl From<&str> for Summary {
    fn from(text: &str) -> Self {
        Summary::Written(text.to_owned())
    }
}

impl From<RevisionSummary> for Summary {
    fn from(message: RevisionSummary) -> Self {
        Summary::Generated(message)
    }
}

impl Summary {
    fn stored(&self) -> StoredText {
        match self {
            Summary::Written(text) => StoredText::written(text.as_str()),
            Summary::Generated(message) => StoredText::coded(message),
        }
    }
}

/// One entry of the revision history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Revision {
    pub id: i64,
    /// Unix time in milliseconds.
    pub created_at_ms: i64,
    pub author: String,
    pub source: String,
    /// The English text (or what a person wrote).
    pub summary: String,
    /// For a generated summary: its message code ([`RevisionSummary`]; a
    /// newer Weir may have written one this version does not know).
    pub summary_code: Option<String>,
    /// The code's parameters (a JSON object).
    pub summary_params: Option<serde_json::Value>,
}

/// What [`Store::apply`] did, or what [`Store::plan`] would do.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ApplyOutcome {
    /// The revision the changes were computed against.
    pub base_revision: i64,
    /// The revision written; `None` when nothing changed (no revision is
    /// created) and always `None` from [`Store::plan`].
    pub revision: Option<i64>,
    pub changes: Vec<Change>,
}

/// The pool settings of every store: its size, how long to wait for a
/// connection, and each new connection's session set-up.
fn pool_options(dialect: Dialect) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                for statement in dialect.session_setup() {
                    sqlx::query(*statement).execute(&mut *conn).await?;
                }
                Ok(())
            })
        })
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dialect", &self.dialect)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (and on first use creates) the store and brings its schema up to
    /// date.
    ///
    /// - `sqlite://PATH`: a relative or absolute path (`sqlite:///var/lib/weir.db`);
    ///   the file and its parent directories are created if missing; WAL mode,
    ///   5 s busy timeout.
    /// - `postgres://...` / `postgresql://...`
    /// - `mysql://...` / `mariadb://...`
    ///
    /// An error never contains the URL's password (see [`redact_url`]).
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        Self::open_inner(url).await.map_err(|e| {
            let text = e.to_string();
            let secrets = dialect::url_secrets(url);
            if secrets.iter().any(|s| text.contains(s.as_str())) {
                let scrubbed = secrets
                    .iter()
                    .fold(text, |t, s| t.replace(s.as_str(), "***"));
                StoreError::Open(scrubbed)
            } else {
                e
            }
        })
    }

    /// A store whose connections open when first used: no connection now
    /// and no schema preparation. For a proxy that starts from its cached
    /// configuration while the database is unreachable; every query fails
    /// until the database answers, then works. Whoever opens the store with
    /// [`Store::open`] (the admin) brings the schema up to date.
    ///
    /// Fails only on a URL that names no supported database; never
    /// contains the URL's password.
    pub fn open_lazy(url: &str) -> Result<Store, StoreError> {
        let target = Target::parse(url)?;
        sqlx::any::install_default_drivers();
        let pool = pool_options(target.dialect)
            .connect_lazy(&target.url)
            .map_err(|e| {
                let secrets = dialect::url_secrets(url);
                let text = secrets
                    .iter()
                    .fold(e.to_string(), |t, s| t.replace(s.as_str(), "***"));
                StoreError::Open(text)
            })?;
        Ok(Store {
            pool,
            dialect: target.dialect,
            listen_url: target.dialect.listens().then(|| target.url.as_str().into()),
        })
    }

    async fn open_inner(url: &str) -> Result<Store, StoreError> {
        let target = Target::parse(url)?;
        target.create_parent_dirs()?;
        sqlx::any::install_default_drivers();
        let dialect = target.dialect;
        let pool = pool_options(dialect).connect(&target.url).await?;
        let listen_url = dialect.listens().then(|| target.url.as_str().into());
        let store = Store {
            pool,
            dialect,
            listen_url,
        };
        let mut attempt = 1;
        loop {
            match store.prepare_schema(target.sqlite_file.is_some()).await {
                Ok(()) => return Ok(store),
                // SQLite has no lock for sqlx's migrator to take: processes
                // starting together on a fresh file both create the tables
                // and one fails. Each migration is one transaction, so the
                // loser left nothing behind, and trying again finds it done.
                Err(e) if dialect == Dialect::Sqlite && attempt < SCHEMA_ATTEMPTS => {
                    tracing::debug!(error = %e, attempt, "preparing the SQLite schema; retrying");
                    tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The current revision; 0 when nothing was ever written.
    pub async fn revision(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(self.dialect.sql(REVISION_SQL))
            .fetch_one(&self.pool)
            .await?)
    }

    /// The current revision and the whole configuration as of that revision:
    /// every kind present (`Some(vec![])` when it has none).
    pub async fn load(&self) -> Result<(i64, ConfigDocument), StoreError> {
        let mut tx = self.pool.begin_with(self.dialect.begin_read()).await?;
        let revision: i64 = sqlx::query_scalar(self.dialect.sql(REVISION_SQL))
            .fetch_one(&mut *tx)
            .await?;
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            self.dialect
                .sql("SELECT kind, name, spec FROM weir_resources ORDER BY kind, name"),
        )
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((revision, codec::document_from_rows(rows)?))
    }

    /// What [`Store::apply`] would do now, without writing anything. Fails
    /// with [`StoreError::Invalid`] exactly when `apply` would.
    pub async fn plan(&self, desired: &ConfigDocument) -> Result<ApplyOutcome, StoreError> {
        let (base_revision, changes) = self.prepare(desired).await?;
        Ok(ApplyOutcome {
            base_revision,
            revision: None,
            changes,
        })
    }

    /// Makes the store equal to `desired` for every kind `desired` declares:
    /// resources absent from it are removed, kinds it does not declare are
    /// left alone. All of it is one revision written in one transaction, or
    /// nothing when there is no change.
    ///
    /// The configuration that would result is validated as a whole first
    /// ([`StoreError::Invalid`]). If another writer commits in between, the
    /// changes are recomputed against its result and tried again (a few
    /// times, then [`StoreError::Conflict`]).
    pub async fn apply(
        &self,
        desired: &ConfigDocument,
        meta: RevisionMeta,
    ) -> Result<ApplyOutcome, StoreError> {
        for attempt in 1..=APPLY_ATTEMPTS {
            let (base_revision, changes) = self.prepare(desired).await?;
            if changes.is_empty() {
                return Ok(ApplyOutcome {
                    base_revision,
                    revision: None,
                    changes,
                });
            }
            if let Some(revision) = self.write(base_revision, &changes, &meta).await? {
                return Ok(ApplyOutcome {
                    base_revision,
                    revision: Some(revision),
                    changes,
                });
            }
            tracing::debug!(base_revision, attempt, "apply lost a race; recomputing");
            // Jitter so that two writers that collided do not collide again.
            let jitter = std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish()
                % (5 * u64::from(attempt));
            tokio::time::sleep(Duration::from_millis(1 + jitter)).await;
        }
        Err(StoreError::Conflict)
    }

    /// The revision history, newest first: at most `limit` revisions, all
    /// older than `before` when given (pass the last id seen to page).
    pub async fn revisions(
        &self,
        limit: u32,
        before: Option<i64>,
    ) -> Result<Vec<Revision>, StoreError> {
        let rows: Vec<history::RevisionRow> = sqlx::query_as(self.dialect.sql(concat!(
            select_revisions!(),
            " WHERE id < ? ORDER BY id DESC LIMIT ?"
        )))
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(history::revision_from_row).collect())
    }

    /// What `revision` changed, in diff order. Empty for a revision that does
    /// not exist (every written revision has at least one change).
    pub async fn revision_changes(&self, revision: i64) -> Result<Vec<Change>, StoreError> {
        let rows: Vec<codec::ChangeRow> = sqlx::query_as(self.dialect.sql(
            "SELECT kind, name, op, before_spec, after_spec FROM weir_revision_changes \
             WHERE revision = ? ORDER BY seq",
        ))
        .bind(revision)
        .fetch_all(&self.pool)
        .await?;
        let mut changes = Vec::with_capacity(rows.len());
        for row in rows {
            changes.extend(codec::change_from_row(row)?);
        }
        Ok(changes)
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// WAL mode and migrations.
    async fn prepare_schema(&self, sqlite_file: bool) -> Result<(), StoreError> {
        if sqlite_file {
            // Persistent in the file, so once is enough. WAL lets followers
            // read while a write is in progress.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&self.pool)
                .await?;
        }
        self.dialect.migrator().run(&self.pool).await?;
        Ok(())
    }

    /// The revision the store is at and the changes that make it `desired`,
    /// after checking that the resulting configuration compiles.
    async fn prepare(&self, desired: &ConfigDocument) -> Result<(i64, Vec<Change>), StoreError> {
        let (base_revision, current) = self.load().await?;
        // Secrets omitted from the document (a redacted export applied back)
        // keep their stored values.
        let mut desired = desired.clone();
        desired.inherit_secrets(&current);
        // Validate before diffing: the diff is keyed by name and would quietly
        // collapse duplicate names that validation reports.
        compile(&merged(&current, &desired)?).map_err(StoreError::Invalid)?;
        let changes = diff::diff_documents(&current, &desired);
        weir_core::compile::check_changes(&changes, unix_now_secs())
            .map_err(StoreError::Invalid)?;
        Ok((base_revision, changes))
    }

    /// Writes `changes` as revision `base + 1`, or returns `None` without
    /// writing if the store has moved past `base`.
    async fn write(
        &self,
        base: i64,
        changes: &[Change],
        meta: &RevisionMeta,
    ) -> Result<Option<i64>, StoreError> {
        let mut tx = self.begin_write().await?;
        // The optimistic check and the bump in one statement: it matches no
        // row if someone else committed since `base` was read, and it holds
        // the row lock until commit so that nobody can commit in between.
        let claimed = self
            .q("UPDATE weir_meta SET revision = revision + 1 WHERE id = 1 AND revision = ?")
            .bind(base)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if claimed != 1 {
            tx.rollback().await?;
            return Ok(None);
        }
        let revision = base + 1;
        // In the transaction: PostgreSQL delivers it at commit, and not at
        // all on rollback.
        if let Some(announce) = self.dialect.announce_revision() {
            self.q(announce)
                .bind(notify::CHANNEL)
                .bind(revision.to_string())
                .execute(&mut *tx)
                .await?;
        }
        let summary = match &meta.summary {
            Some(summary) => summary.stored(),
            None => StoredText::coded(&RevisionSummary::Changes {
                changes: diff::summary(changes),
            }),
        };
        let params = summary.params_text();
        self.q("INSERT INTO weir_revisions \
             (id, created_at_ms, author, source, summary, summary_code, summary_params) \
             VALUES (?, ?, ?, ?, ?, ?, ?)")
            .bind(revision)
            .bind(now_ms())
            .bind(meta.author.as_str())
            .bind(meta.source.as_str())
            .bind(summary.text)
            .bind(summary.code)
            .bind(params)
            .execute(&mut *tx)
            .await?;

        for (seq, change) in (0_i64..).zip(changes) {
            let kind = change.kind.as_str();
            let name = change.name.as_str();
            let before = codec::spec_text(change.before.as_ref())?;
            let after = codec::spec_text(change.after.as_ref())?;
            // Columns ordered so that all three statements end in
            // `kind, name` and share the last two binds.
            let statement = match change.op {
                ChangeOp::Add => self
                    .q("INSERT INTO weir_resources (spec, version, kind, name) VALUES (?, ?, ?, ?)")
                    .bind(after.clone())
                    .bind(revision),
                ChangeOp::Update => self
                    .q("UPDATE weir_resources SET spec = ?, version = ? WHERE kind = ? AND name = ?")
                    .bind(after.clone())
                    .bind(revision),
                ChangeOp::Remove => {
                    self.q("DELETE FROM weir_resources WHERE kind = ? AND name = ?")
                }
            };
            statement.bind(kind).bind(name).execute(&mut *tx).await?;
            self.q("INSERT INTO weir_revision_changes \
                 (revision, seq, kind, name, op, before_spec, after_spec) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)")
                .bind(revision)
                .bind(seq)
                .bind(kind)
                .bind(name)
                .bind(codec::op_str(change.op))
                .bind(before)
                .bind(after)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Some(revision))
    }

    /// A write transaction in this store's dialect.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Any>, StoreError> {
        Ok(match self.dialect.begin_write() {
            Some(begin) => self.pool.begin_with(begin).await?,
            None => self.pool.begin().await?,
        })
    }

    /// A query in this store's dialect.
    fn q(&self, sql: &'static str) -> Query<'static, Any, AnyArguments> {
        sqlx::query(self.dialect.sql(sql))
    }
}

/// Seconds since the Unix epoch (for write-time checks such as certificate
/// expiry).
pub(crate) fn unix_now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The configuration `desired` would produce: its declared kinds, in its own
/// order (so validation errors point at the user's list indexes), plus the
/// stored resources of every kind it leaves alone.
fn merged(
    current: &ConfigDocument,
    desired: &ConfigDocument,
) -> Result<ConfigDocument, StoreError> {
    let declared = desired.declared_kinds();
    let mut out = desired.clone();
    for kind in ResourceKind::ALL {
        if !declared.contains(&kind) {
            let kept = current.resources(kind).unwrap_or_default();
            out.set_resources(kind, kept.into_iter().map(|(_, v)| v).collect())?;
        }
    }
    Ok(out)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
