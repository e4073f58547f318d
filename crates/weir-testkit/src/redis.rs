//! Keys of their own on the local Redis server (127.0.0.1:6379), for tests
//! that share it: a unique prefix per test, and the removal of every key
//! under it afterwards.

use std::sync::atomic::{AtomicU32, Ordering};

/// The local Redis server the test suite shares.
pub const SHARED_REDIS: &str = "redis://127.0.0.1:6379/";

/// A key prefix no other test (or test process) uses.
pub fn unique_prefix() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "weir-test-{}-{nanos:x}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Delete every key under `prefix` on the shared Redis.
pub async fn clear_prefix(prefix: &str) {
    let client = redis::Client::open(SHARED_REDIS).expect("the shared Redis URL");
    let mut c = client
        .get_multiplexed_async_connection()
        .await
        .expect("the shared Redis on 127.0.0.1:6379");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query_async(&mut c)
        .await
        .expect("KEYS");
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut c)
            .await
            .expect("DEL");
    }
}
