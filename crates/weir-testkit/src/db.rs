//! Where a test's database comes from: a fresh SQLite file, or a uniquely
//! named database on a local server (PostgreSQL at `WEIR_TEST_PG_URL`,
//! MariaDB/MySQL at `WEIR_TEST_MYSQL_URL`, the machine's own by default)
//! that is dropped afterwards, even when the scenario panics.

use std::future::Future;
use std::hash::{BuildHasher, Hasher};

use futures_util::FutureExt;
use sqlx::{AnyConnection, AssertSqlSafe, Connection};

pub async fn with_sqlite<F, Fut>(scenario: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    scenario(format!("sqlite://{}", dir.path().join("weir.db").display())).await;
}

pub async fn with_postgres<F, Fut>(scenario: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    with_server_database(Server::Postgres, scenario).await
}

pub async fn with_mysql<F, Fut>(scenario: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    with_server_database(Server::MySql, scenario).await
}

/// A database server the tests use.
#[derive(Debug, Clone, Copy)]
pub enum Server {
    Postgres,
    MySql,
}

impl Server {
    /// Server URL without a database.
    pub fn base_url(self) -> String {
        let (var, default) = match self {
            Server::Postgres => ("WEIR_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432"),
            Server::MySql => ("WEIR_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306"),
        };
        std::env::var(var)
            .unwrap_or_else(|_| default.to_owned())
            .trim_end_matches('/')
            .to_owned()
    }

    /// A database that always exists, to connect to for CREATE/DROP.
    fn admin_database(self) -> &'static str {
        match self {
            Server::Postgres => "postgres",
            Server::MySql => "test",
        }
    }
}

/// Runs `scenario` with the URL of a fresh database on `server`.
pub async fn with_server_database<F, Fut>(server: Server, scenario: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    sqlx::any::install_default_drivers();
    let base = server.base_url();
    let admin_url = format!("{base}/{}", server.admin_database());
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let name = format!("weir_test_{}_{:012x}", std::process::id(), random >> 16);

    let mut admin = AnyConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("database server at {admin_url} is unreachable: {e}"));
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap();

    // The panic is caught, so that the database is dropped before it is
    // passed on (not a spawned task: the scenario need not be Send).
    let outcome = std::panic::AssertUnwindSafe(scenario(format!("{base}/{name}")))
        .catch_unwind()
        .await;

    let drop = match server {
        // FORCE: a scenario that panicked may have left connections open.
        Server::Postgres => format!("DROP DATABASE {name} WITH (FORCE)"),
        Server::MySql => format!("DROP DATABASE {name}"),
    };
    sqlx::raw_sql(AssertSqlSafe(drop))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    if let Err(e) = outcome {
        std::panic::resume_unwind(e);
    }
}
