//! Several `weir admin` processes behind a load balancer, on one store
//! (PostgreSQL, MariaDB, a SQLite file): nothing that makes a login or a
//! write work depends on which process a request reaches. A session made
//! on one works on the other (cookie, and its CSRF token on a write); a logout on one ends it
//! on both; failed logins spread over both meet the one limit a single
//! process would set (the counts are in the store, `weir_login_attempts`),
//! and the client counted is the one the balancer names in
//! `X-Forwarded-For` (it is in `admin.trusted_proxies`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;

use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use weir_store::{AuditFilter, Store};
use weir_testkit::db::{with_mysql, with_postgres, with_sqlite};

use common::process::ServingProcess;

const FIRST_PASSWORD: &str = "first-admin-password-1";
const NEW_PASSWORD: &str = "the-second-password-22";

fn admin_process(dir: &Path, url: &str) -> ServingProcess {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_weir"));
    cmd.current_dir(dir)
        .args(["admin", "--admin", "127.0.0.1:0"])
        .env("WEIR_STORE_URL", url)
        .env("WEIR_ADMIN_PASSWORD", FIRST_PASSWORD)
        // The test client stands for the load balancer in front of both.
        .env("WEIR_ADMIN_TRUSTED_PROXIES", "127.0.0.1")
        .env("WEIR_LOG_ACCESS", "off");
    ServingProcess::start(cmd)
}

/// One admin process as a browser sees it (no cookie jar: the test
/// carries the session cookie from one process to the other itself).
struct Admin {
    client: reqwest::Client,
    base: String,
}

struct Answer {
    status: StatusCode,
    body: Value,
    cookie: Option<String>,
    retry_after: Option<String>,
}

impl Answer {
    fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

/// The session cookie a browser would send back: `weir_session=…`.
struct Session {
    cookie: String,
    csrf: String,
}

impl Admin {
    fn new(process: &ServingProcess) -> Self {
        Self {
            client: common::client(),
            base: format!("http://{}", process.addr("admin_addr").unwrap()),
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        session: Option<&Session>,
        csrf: bool,
        body: Option<Value>,
    ) -> Answer {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(s) = session {
            req = req.header(header::COOKIE, &s.cookie);
            if csrf {
                req = req.header("x-csrf-token", &s.csrf);
            }
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        answer(req.send().await.unwrap()).await
    }

    async fn login(&self, password: &str) -> Answer {
        self.login_from(None, password).await
    }

    /// A login the balancer forwards for `client` (`X-Forwarded-For`).
    async fn login_from(&self, client: Option<&str>, password: &str) -> Answer {
        let mut req = self
            .client
            .post(format!("{}/api/v1/session", self.base))
            .json(&json!({"username": "admin", "password": password}));
        if let Some(client) = client {
            req = req.header("x-forwarded-for", client);
        }
        answer(req.send().await.unwrap()).await
    }
}

async fn answer(res: reqwest::Response) -> Answer {
    let status = res.status();
    let text = |h: header::HeaderName| res.headers().get(h).map(|v| v.to_str().unwrap().to_owned());
    let cookie = text(header::SET_COOKIE)
        .and_then(|c| c.split(';').next().map(str::to_owned))
        .filter(|c| c.starts_with("weir_session=") && c.len() > "weir_session=".len());
    let retry_after = text(header::RETRY_AFTER);
    let body = res.json().await.unwrap_or(Value::Null);
    Answer {
        status,
        body,
        cookie,
        retry_after,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_admin_processes_share_sessions_csrf_and_the_login_throttle() {
    with_postgres(two_admins_scenario).await;
}

/// The same on MariaDB and on a SQLite file both processes open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_admin_processes_share_sessions_csrf_and_the_login_throttle() {
    with_mysql(two_admins_scenario).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_admin_processes_share_sessions_csrf_and_the_login_throttle() {
    with_sqlite(two_admins_scenario).await;
}

async fn two_admins_scenario(url: String) {
    let dir = tempfile::tempdir().unwrap();
    // The schema first, so both processes find it in place.
    Store::open(&url).await.unwrap();
    // Both start at once on a store without users: the first admin is
    // created once, and neither fails.
    let (pa, pb) = std::thread::scope(|s| {
        let a = s.spawn(|| admin_process(dir.path(), &url));
        let b = s.spawn(|| admin_process(dir.path(), &url));
        (a.join().unwrap(), b.join().unwrap())
    });
    let (a, b) = (Admin::new(&pa), Admin::new(&pb));

    // Log in on A; the session works on B.
    let r = a.login(FIRST_PASSWORD).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let session = Session {
        cookie: r.cookie.expect("a session cookie"),
        csrf: r.body["csrf_token"].as_str().unwrap().to_owned(),
    };
    let r = b
        .call(Method::GET, "/api/v1/session", Some(&session), false, None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["username"], "admin");
    assert_eq!(r.body["csrf_token"].as_str(), Some(session.csrf.as_str()));

    // A write on B: refused without A's CSRF token, done with it.
    let change = json!({"current_password": FIRST_PASSWORD, "new_password": NEW_PASSWORD});
    let r = b
        .call(
            Method::POST,
            "/api/v1/session/password",
            Some(&session),
            false,
            Some(change.clone()),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "csrf_failed"));
    let r = b
        .call(
            Method::POST,
            "/api/v1/session/password",
            Some(&session),
            true,
            Some(change),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    // A sees the result (the password change was pending; now it is not).
    let r = a
        .call(Method::GET, "/api/v1/services", Some(&session), false, None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // Log out on B: the session is over on A too.
    let r = b
        .call(
            Method::DELETE,
            "/api/v1/session",
            Some(&session),
            true,
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = a
        .call(Method::GET, "/api/v1/session", Some(&session), false, None)
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (401, "session_expired"));

    // Failed logins from one client, through the balancer, alternate
    // between A and B: together they get the five a single process allows
    // for (admin, that client), not five each.
    let attacker = Some("198.51.100.7");
    // A NUL in the name (which PostgreSQL refuses in text) is a wrong name
    // like any other: 401, not a store error.
    let r = a
        .call(
            Method::POST,
            "/api/v1/session",
            None,
            false,
            Some(json!({"username": "ad\u{0}min", "password": "x"})),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (401, "invalid_credentials"));
    for i in 0..5 {
        let on = if i % 2 == 0 { &a } else { &b };
        let r = on.login_from(attacker, &format!("wrong guess {i}")).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (401, "invalid_credentials"),
            "attempt {}",
            i + 1
        );
    }
    // The sixth is refused whichever process it reaches, even with the
    // right password, with a Retry-After.
    for on in [&b, &a] {
        let r = on.login_from(attacker, NEW_PASSWORD).await;
        assert_eq!((r.status.as_u16(), r.code()), (429, "too_many_attempts"));
        let wait: u64 = r.retry_after.expect("Retry-After").parse().unwrap();
        assert!((1..=900).contains(&wait), "{wait}");
    }
    let store = Store::open(&url).await.unwrap();
    let rows = store.login_attempt_rows().await.unwrap();
    // The attacker's (user, address) and address rows, the address row of
    // the first logins (a success deletes its pair row) and the pair row
    // of the name with a NUL.
    assert_eq!(rows, 4);
    // The admin, another client behind the same balancer, still logs in,
    // on either process: the balancer's own address is not what counts.
    for on in [&a, &b] {
        let r = on.login_from(Some("192.0.2.10"), NEW_PASSWORD).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    // Both processes audited the forwarded client, not the balancer.
    let filter = AuditFilter {
        action: "session.login".into(),
        ..AuditFilter::default()
    };
    let (_, entries) = store.audit(&filter, 0, 100).await.unwrap();
    let from = |ip: &str| entries.iter().filter(|e| e.entry.ip == ip).count();
    assert_eq!(
        (from("198.51.100.7"), from("192.0.2.10"), from("127.0.0.1")),
        (7, 2, 2),
        "5 wrong, 2 throttled; 2 logins; the first login and the NUL name"
    );
}
