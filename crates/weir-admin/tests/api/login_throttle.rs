//! Login under attack: attempts are counted before they are verified, at
//! most a bounded number of argon2 verifications run at once, and an
//! attacker's failures from one address do not lock the admin out from
//! another. Client addresses are the TCP peer the listener records
//! (`ConnectInfo`), which `Api::call_from` sets.

use std::time::Duration;

use axum::http::{Method, header};
use futures_util::future::join_all;
use serde_json::json;
use weir_admin::AdminOptions;
use weir_admin::auth::password::PasswordPolicy;
use weir_admin::auth::throttle::ThrottleOptions;

use crate::common::{Api, Auth, FIRST_PASSWORD, START_MS};

const ATTACKER: &str = "198.51.100.7:40000";
const ADMIN: &str = "192.0.2.10:50000";

async fn login_from(api: &Api, peer: &str, user: &str, password: &str) -> (u16, String) {
    let r = api
        .call_from(
            peer,
            Method::POST,
            "/api/v1/session",
            Auth::None,
            Some(json!({"username": user, "password": password})),
        )
        .await;
    (r.status.as_u16(), r.code().to_owned())
}

/// Give the admin a hash with the production cost (~19 MiB, tens of ms),
/// so verifications take long enough to overlap.
async fn production_hash(api: &Api) {
    let hash = PasswordPolicy::default().hash_now(FIRST_PASSWORD).unwrap();
    api.store
        .set_user_password("admin", &hash, true, START_MS)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_guesses_are_counted_before_they_are_verified() {
    let api = Api::new().await;
    let guesses: Vec<String> = (0..40).map(|i| format!("wrong guess {i}")).collect();
    let answers = join_all(
        guesses
            .iter()
            .map(|g| login_from(&api, ATTACKER, "admin", g)),
    )
    .await;
    let wrong = answers.iter().filter(|a| a.0 == 401).count();
    let throttled = answers
        .iter()
        .filter(|a| *a == &(429, "too_many_attempts".to_owned()))
        .count();
    assert_eq!((wrong, throttled), (5, 35), "{answers:?}");
    assert_eq!(api.state.password_verifications().verifications, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_verifications_are_bounded() {
    let api = Api::with_options(AdminOptions {
        throttle: ThrottleOptions {
            max_concurrent_verifications: 2,
            verification_wait: Duration::from_secs(120),
            ..ThrottleOptions::default()
        },
        ..AdminOptions::default()
    })
    .await;
    production_hash(&api).await;
    // One guess from each of 24 addresses: none is throttled, all are
    // verified, never more than two at a time.
    let peers: Vec<String> = (0..24).map(|i| format!("10.9.0.{i}:1000")).collect();
    let answers = join_all(
        peers
            .iter()
            .map(|p| login_from(&api, p, "admin", "not the password")),
    )
    .await;
    assert!(answers.iter().all(|a| a.0 == 401), "{answers:?}");
    let stats = api.state.password_verifications();
    assert_eq!(stats.verifications, 24);
    assert!(
        (1..=2).contains(&stats.peak_concurrent),
        "{}",
        stats.peak_concurrent
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_verifier_answers_429_without_counting_a_failure() {
    let api = Api::with_options(AdminOptions {
        throttle: ThrottleOptions {
            max_concurrent_verifications: 1,
            verification_wait: Duration::from_millis(1),
            ..ThrottleOptions::default()
        },
        ..AdminOptions::default()
    })
    .await;
    production_hash(&api).await;
    // Five at once: exactly the per-address allowance for this user.
    let answers =
        join_all((0..5).map(|_| login_from(&api, ATTACKER, "admin", "not the password"))).await;
    let busy = answers
        .iter()
        .filter(|a| *a == &(429, "login_busy".to_owned()))
        .count();
    let wrong = answers.iter().filter(|a| a.0 == 401).count();
    assert!(busy >= 1 && wrong >= 1 && busy + wrong == 5, "{answers:?}");
    // Only verified attempts count: had the busy ones counted, the address
    // would now be locked out for this user.
    let r = api
        .call_from(
            ATTACKER,
            Method::POST,
            "/api/v1/session",
            Auth::None,
            Some(json!({"username": "admin", "password": FIRST_PASSWORD})),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
}

#[tokio::test]
async fn an_attacker_elsewhere_cannot_lock_the_admin_out() {
    let api = Api::new().await;
    for i in 0..5 {
        assert_eq!(
            login_from(&api, ATTACKER, "admin", &format!("guess {i}"))
                .await
                .0,
            401
        );
    }
    // The attacker's address is locked for this user, even with the right
    // password, and says how long for.
    let r = api
        .call_from(
            ATTACKER,
            Method::POST,
            "/api/v1/session",
            Auth::None,
            Some(json!({"username": "admin", "password": FIRST_PASSWORD})),
        )
        .await
        .expect(429);
    assert!(r.headers.contains_key(header::RETRY_AFTER));
    // The admin, from their own address, logs in.
    assert_eq!(
        login_from(&api, ADMIN, "admin", FIRST_PASSWORD).await.0,
        200
    );
    // Spraying many user names exhausts the attacker's address, not the
    // users: 15 more attempts reach the per-address limit of 20.
    for i in 0..15 {
        login_from(&api, ATTACKER, &format!("user{i}"), "whatever-123").await;
    }
    assert_eq!(
        login_from(&api, ATTACKER, "someone", "whatever-123").await,
        (429, "too_many_attempts".to_owned())
    );
    assert_eq!(
        login_from(&api, ADMIN, "admin", FIRST_PASSWORD).await.0,
        200
    );
    // A failure from the admin's own address still counts only there.
    assert_eq!(login_from(&api, ADMIN, "admin", "typo").await.0, 401);
    assert_eq!(
        login_from(&api, ADMIN, "admin", FIRST_PASSWORD).await.0,
        200
    );
}
