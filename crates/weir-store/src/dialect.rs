//! Everything that differs between SQLite, PostgreSQL and MySQL/MariaDB, kept
//! in one place so that the store's logic is written once: which URL selects
//! which backend, the placeholder syntax, how transactions begin, per-session
//! settings, and which migration folder applies.
//!
//! Why sqlx's `Any` driver rather than an enum over three concrete pools: the
//! store's queries are few and use only integers and text, which `Any` carries
//! to every backend, so one code path serves all three. An enum would mean
//! writing (or macro-expanding) every query three times and compiling it three
//! times. The price is small and contained here: PostgreSQL wants `$1` where
//! the others want `?` (rewritten by [`Dialect::sql`]), and SQLite options can
//! only be given through the URL (so [`Target::parse`] adds `mode=rwc` and
//! creates the parent directory itself).

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use sqlx::AssertSqlSafe;
use sqlx::migrate::Migrator;

use crate::StoreError;

/// The SQL dialect behind a store URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
    MySql,
}

impl Dialect {
    /// `sql` written with `?` placeholders, in this dialect's syntax.
    ///
    /// The rewrite is purely textual, so the store's statements must not
    /// contain a `?` anywhere but as a placeholder (no string literals).
    pub(crate) fn sql(self, sql: &'static str) -> AssertSqlSafe<Cow<'static, str>> {
        match self {
            Dialect::Postgres => AssertSqlSafe(Cow::Owned(numbered_placeholders(sql))),
            Dialect::Sqlite | Dialect::MySql => AssertSqlSafe(Cow::Borrowed(sql)),
        }
    }

    /// Begins a transaction whose reads all see one committed state.
    pub(crate) fn begin_read(self) -> &'static str {
        match self {
            // A deferred transaction takes its snapshot at the first read
            // (WAL mode) and never blocks writers.
            Dialect::Sqlite => "BEGIN",
            // The default READ COMMITTED would give each statement its own
            // snapshot: the revision and the resources could disagree.
            Dialect::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            // Snapshot taken now; REPEATABLE READ is forced per session in
            // `session_setup` because WITH CONSISTENT SNAPSHOT means nothing
            // under READ COMMITTED.
            Dialect::MySql => "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
        }
    }

    /// Begins a write transaction; `None` means the default `BEGIN`.
    pub(crate) fn begin_write(self) -> Option<&'static str> {
        match self {
            // Take the write lock up front (waiting up to the busy timeout).
            // A deferred transaction that upgrades from read to write can
            // instead fail at once with SQLITE_BUSY when another writer won.
            Dialect::Sqlite => Some("BEGIN IMMEDIATE"),
            // No special isolation needed: on both, a blocked
            // `UPDATE weir_meta ... WHERE revision = base` re-reads the row
            // once the other writer commits (PostgreSQL re-checks under READ
            // COMMITTED; InnoDB's UPDATE reads the latest version) and
            // matches nothing.
            Dialect::Postgres | Dialect::MySql => None,
        }
    }

    /// The statement that announces a committed revision (bound: the
    /// channel, then the revision as text), run inside the write
    /// transaction; `None` where followers only poll. See `notify`.
    pub(crate) fn announce_revision(self) -> Option<&'static str> {
        match self {
            // `FROM`: a result of type void is more than sqlx's `Any`
            // driver can take; an integer column is not.
            Dialect::Postgres => Some("SELECT 1 FROM pg_notify(?, ?)"),
            // MySQL has no notifications; SQLite is one machine, where a
            // poll is a file read.
            Dialect::Sqlite | Dialect::MySql => None,
        }
    }

    /// Whether followers can be woken by [`Dialect::announce_revision`].
    pub(crate) fn listens(self) -> bool {
        self.announce_revision().is_some()
    }

    /// Statements run on every new connection.
    pub(crate) fn session_setup(self) -> &'static [&'static str] {
        match self {
            // sqlx sets 5 s by default; stated here so it does not depend on it.
            Dialect::Sqlite => &["PRAGMA busy_timeout = 5000"],
            Dialect::Postgres => &[],
            Dialect::MySql => &["SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"],
        }
    }

    /// The migrations for this dialect, tracked in `weir_migrations` rather
    /// than sqlx's default `_sqlx_migrations` so that Weir can share a
    /// database with another sqlx application without the two colliding.
    pub(crate) fn migrator(self) -> Migrator {
        let mut migrator = match self {
            Dialect::Sqlite => sqlx::migrate!("migrations/sqlite"),
            Dialect::Postgres => sqlx::migrate!("migrations/postgres"),
            Dialect::MySql => sqlx::migrate!("migrations/mysql"),
        };
        migrator.dangerous_set_table_name("weir_migrations");
        // A fleet upgrades one process at a time: an older binary restarted
        // after a newer one migrated the store must still open it. Weir's
        // migrations only add (tables, nullable or defaulted columns), so
        // what an older binary does not know it does not touch.
        migrator.set_ignore_missing(true);
        migrator
    }
}

/// A parsed store URL: the dialect and the URL to hand to sqlx.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) dialect: Dialect,
    pub(crate) url: String,
    /// The SQLite database file, when there is one (not in-memory).
    pub(crate) sqlite_file: Option<PathBuf>,
}

impl Target {
    pub(crate) fn parse(url: &str) -> Result<Target, StoreError> {
        let scheme = url.split_once(':').map_or("", |(s, _)| s);
        let dialect = match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => return sqlite_target(url),
            "postgres" | "postgresql" => Dialect::Postgres,
            "mysql" | "mariadb" => Dialect::MySql,
            "" => return Err(StoreError::UnsupportedUrl("(none)".into())),
            _ => return Err(StoreError::UnsupportedUrl(scheme.to_owned())),
        };
        Ok(Target {
            dialect,
            url: url.to_owned(),
            sqlite_file: None,
        })
    }

    /// Creates the SQLite file's parent directories, which SQLite will not.
    pub(crate) fn create_parent_dirs(&self) -> Result<(), StoreError> {
        let Some(parent) = self.sqlite_file.as_deref().and_then(Path::parent) else {
            return Ok(());
        };
        if parent.as_os_str().is_empty() {
            return Ok(());
        }
        std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
            path: parent.to_owned(),
            source,
        })
    }
}

/// `sqlite://weir.db`, `sqlite:///var/lib/weir/weir.db`, `sqlite:weir.db`,
/// optionally with sqlx's query parameters. Adds `mode=rwc` (create the file
/// if missing) unless a mode was given.
fn sqlite_target(url: &str) -> Result<Target, StoreError> {
    let rest = url
        .get("sqlite:".len()..)
        .map(|r| r.strip_prefix("//").unwrap_or(r))
        .unwrap_or_default();
    let (path, params) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() {
        return Err(StoreError::UnsupportedUrl(
            "sqlite (the URL names no database file)".into(),
        ));
    }
    let has_mode = params
        .split('&')
        .any(|p| p.split_once('=').map_or(p, |(k, _)| k) == "mode");
    let in_memory = path == ":memory:" || params.split('&').any(|p| p == "mode=memory");
    let url = if has_mode {
        url.to_owned()
    } else if params.is_empty() {
        format!("{url}?mode=rwc")
    } else {
        format!("{url}&mode=rwc")
    };
    Ok(Target {
        dialect: Dialect::Sqlite,
        url,
        sqlite_file: (!in_memory).then(|| PathBuf::from(percent_decode(path))),
    })
}

/// sqlx decodes `%XX` in SQLite paths, so the directory created must be the
/// decoded one too.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `a = ? AND b = ?` → `a = $1 AND b = $2`.
fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_placeholders_are_numbered() {
        assert_eq!(
            numbered_placeholders("UPDATE t SET a = ?, b = ? WHERE c = ?"),
            "UPDATE t SET a = $1, b = $2 WHERE c = $3"
        );
        assert_eq!(numbered_placeholders("SELECT 1"), "SELECT 1");
        assert_eq!(&*Dialect::Sqlite.sql("a = ?").0, "a = ?");
        assert_eq!(&*Dialect::MySql.sql("a = ?").0, "a = ?");
    }

    #[test]
    fn only_postgres_announces_revisions() {
        assert!(Dialect::Postgres.listens());
        assert!(!Dialect::MySql.listens());
        assert!(!Dialect::Sqlite.listens());
        assert_eq!(
            &*Dialect::Postgres
                .sql(Dialect::Postgres.announce_revision().unwrap())
                .0,
            "SELECT 1 FROM pg_notify($1, $2)"
        );
    }

    #[test]
    fn sqlite_urls() {
        let t = Target::parse("sqlite://weir.db").unwrap();
        assert_eq!(t.dialect, Dialect::Sqlite);
        assert_eq!(t.url, "sqlite://weir.db?mode=rwc");
        assert_eq!(t.sqlite_file.as_deref(), Some(Path::new("weir.db")));

        let t = Target::parse("sqlite:///var/lib/weir/my%20db.sqlite").unwrap();
        assert_eq!(
            t.sqlite_file.as_deref(),
            Some(Path::new("/var/lib/weir/my db.sqlite"))
        );

        let t = Target::parse("sqlite:data/weir.db?cache=shared").unwrap();
        assert_eq!(t.url, "sqlite:data/weir.db?cache=shared&mode=rwc");
        assert_eq!(t.sqlite_file.as_deref(), Some(Path::new("data/weir.db")));

        let t = Target::parse("sqlite://weir.db?mode=ro").unwrap();
        assert_eq!(t.url, "sqlite://weir.db?mode=ro");

        assert_eq!(Target::parse("sqlite::memory:").unwrap().sqlite_file, None);
        assert!(matches!(
            Target::parse("sqlite://"),
            Err(StoreError::UnsupportedUrl(_))
        ));
    }

    #[test]
    fn server_urls_and_unknown_schemes() {
        let pg = Target::parse("postgres://u:p@localhost/weir").unwrap();
        assert_eq!(pg.dialect, Dialect::Postgres);
        assert_eq!(pg.url, "postgres://u:p@localhost/weir");
        assert_eq!(
            Target::parse("postgresql://h/db").unwrap().dialect,
            Dialect::Postgres
        );
        assert_eq!(
            Target::parse("mysql://root@h/db").unwrap().dialect,
            Dialect::MySql
        );
        assert_eq!(
            Target::parse("mariadb://root@h/db").unwrap().dialect,
            Dialect::MySql
        );

        let err = Target::parse("redis://user:secret@host/0").unwrap_err();
        let shown = err.to_string();
        assert!(shown.contains("\"redis\""), "{shown}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(matches!(
            Target::parse("weir.db"),
            Err(StoreError::UnsupportedUrl(_))
        ));
    }
}

/// `url` with its password replaced by `***` (`postgres://weir:***@db/weir`),
/// also in a `password=` query parameter (or Redis's `pass=`): what logs and
/// errors may show of a store or Redis URL.
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let mut out = match base.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest
                .find('/')
                .map_or((rest, ""), |i| (&rest[..i], &rest[i..]));
            let authority = match authority.rsplit_once('@') {
                Some((userinfo, host)) => match userinfo.split_once(':') {
                    Some((user, _)) => format!("{user}:***@{host}"),
                    None => format!("{userinfo}@{host}"),
                },
                None => authority.to_owned(),
            };
            format!("{scheme}://{authority}{path}")
        }
        None => base.to_owned(),
    };
    if let Some(q) = query {
        let params: Vec<String> = q
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _))
                    if k.to_ascii_lowercase().contains("password")
                        || k.eq_ignore_ascii_case("pass") =>
                {
                    format!("{k}=***")
                }
                _ => kv.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

/// `text` (an error message) with `url`'s secrets replaced by `***`.
pub(crate) fn scrub(url: &str, text: &str) -> String {
    url_secrets(url)
        .iter()
        .fold(text.to_owned(), |t, s| t.replace(s.as_str(), "***"))
}

/// The secrets of `url` (its password, `password=` parameters), to scrub
/// from error texts that might echo them.
pub(crate) fn url_secrets(url: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    if let Some((_, rest)) = base.split_once("://") {
        let authority = rest.split('/').next().unwrap_or("");
        if let Some((userinfo, _)) = authority.rsplit_once('@')
            && let Some((_, pw)) = userinfo.split_once(':')
            && !pw.is_empty()
        {
            out.push(pw.to_owned());
        }
    }
    for kv in query.into_iter().flat_map(|q| q.split('&')) {
        if let Some((k, v)) = kv.split_once('=')
            && k.to_ascii_lowercase().contains("password")
            && !v.is_empty()
        {
            out.push(v.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod redact_tests {
    use super::*;

    #[test]
    fn passwords_are_replaced() {
        for (url, want) in [
            (
                "postgres://weir:supersecret@127.0.0.1:5432/weir",
                "postgres://weir:***@127.0.0.1:5432/weir",
            ),
            ("mysql://root@localhost/weir", "mysql://root@localhost/weir"),
            ("mysql://u:p%40ss@db", "mysql://u:***@db"),
            (
                "postgres://db/weir?user=w&password=hunter2&sslmode=require",
                "postgres://db/weir?user=w&password=***&sslmode=require",
            ),
            ("sqlite:///var/lib/weir.db", "sqlite:///var/lib/weir.db"),
            ("sqlite://weir.db?mode=rwc", "sqlite://weir.db?mode=rwc"),
            (
                "redis://:s3cret@10.0.0.5:6379/0",
                "redis://:***@10.0.0.5:6379/0",
            ),
            (
                "redis+unix:///run/redis.sock?db=0&pass=s3cret",
                "redis+unix:///run/redis.sock?db=0&pass=***",
            ),
        ] {
            assert_eq!(redact_url(url), want);
        }
        assert_eq!(url_secrets("postgres://w:a:b@h/d?password=c"), ["a:b", "c"]);
        assert!(url_secrets("postgres://w@h/d").is_empty());
    }
}
