//! Passwords: argon2id hashing into PHC strings, verification, the rules a
//! new password must meet, and generated first-start passwords.
//!
//! Hashing and verifying cost tens of milliseconds of CPU and ~19 MiB of
//! memory by design, so callers run them on the blocking pool
//! ([`PasswordPolicy::hash`] and [`PasswordPolicy::verify`] do). Logins,
//! which anyone can send, verify through a [`VerifyGate`] that bounds how
//! many run at once: the blocking pool itself would grow to hundreds of
//! threads and gigabytes under a flood.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;

use crate::msg::ApiMsg;

/// Shortest password accepted.
pub const MIN_LENGTH: usize = 10;
/// Longest password accepted (argon2 takes any length; this bounds the work
/// an unauthenticated login request can ask for).
pub const MAX_LENGTH: usize = 1024;

/// argon2id cost parameters. The defaults are the RFC 9106 / OWASP
/// recommendation the argon2 crate ships (m = 19 MiB, t = 2, p = 1); tests
/// use cheaper ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub m_cost_kib: u32,
    pub t_cost: u32,
    pub p_cost: u32,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            m_cost_kib: Params::DEFAULT_M_COST,
            t_cost: Params::DEFAULT_T_COST,
            p_cost: Params::DEFAULT_P_COST,
        }
    }
}

/// A PHC string every failed lookup verifies against, so that an unknown
/// user name costs as much time as a wrong password (no user enumeration by
/// timing). Computed once per policy, on first use.
fn dummy_hash(policy: PasswordPolicy) -> String {
    static CACHE: Mutex<Vec<(PasswordPolicy, String)>> = Mutex::new(Vec::new());
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, h)) = cache.iter().find(|(p, _)| *p == policy) {
        return h.clone();
    }
    let hash = policy
        .hash_now("weir-no-such-user-password")
        .unwrap_or_default();
    cache.push((policy, hash.clone()));
    hash
}

impl PasswordPolicy {
    /// Cheap parameters for tests (still argon2id).
    pub fn for_tests() -> Self {
        Self {
            m_cost_kib: Params::MIN_M_COST.max(64),
            t_cost: 1,
            p_cost: 1,
        }
    }

    fn hasher(self) -> Result<Argon2<'static>, argon2::Error> {
        let params = Params::new(self.m_cost_kib, self.t_cost, self.p_cost, None)?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// Hash on the current thread.
    pub fn hash_now(self, password: &str) -> Result<String, String> {
        let hasher = self.hasher().map_err(|e| e.to_string())?;
        hasher
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| e.to_string())
    }

    /// Hash on the blocking pool.
    pub async fn hash(self, password: String) -> Result<String, String> {
        tokio::task::spawn_blocking(move || self.hash_now(&password))
            .await
            .map_err(|e| e.to_string())?
    }

    /// Verify `password` against a stored PHC string (`None`: the user does
    /// not exist — a dummy hash is verified so the answer takes as long).
    pub async fn verify(self, password: String, stored: Option<String>) -> bool {
        tokio::task::spawn_blocking(move || self.verify_now(&password, stored))
            .await
            .unwrap_or(false)
    }

    /// Verify on the current thread (see [`PasswordPolicy::verify`]).
    pub fn verify_now(self, password: &str, stored: Option<String>) -> bool {
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| dummy_hash(self));
        let ok = PasswordHash::new(&phc).ok().is_some_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        });
        known && ok
    }
}

/// Bounds concurrent password verifications and counts them.
#[derive(Debug)]
pub struct VerifyGate {
    permits: Arc<Semaphore>,
    wait: Duration,
    verified: AtomicU64,
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

/// No verifier became free within the gate's wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

/// What a [`VerifyGate`] has done, for tests and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GateStats {
    /// Verifications started.
    pub verifications: u64,
    /// Most verifications ever running at once.
    pub peak_concurrent: usize,
}

impl VerifyGate {
    /// At most `max` (at least 1) verifications at once; a caller waits up
    /// to `wait` for one to finish.
    pub fn new(max: usize, wait: Duration) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max.max(1))),
            wait,
            verified: AtomicU64::new(0),
            running: Arc::new(AtomicUsize::new(0)),
            peak: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// [`PasswordPolicy::verify`] once a verifier is free, or [`Busy`].
    pub async fn verify(
        &self,
        policy: PasswordPolicy,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, Busy> {
        let permit = tokio::time::timeout(self.wait, Arc::clone(&self.permits).acquire_owned())
            .await
            .map_err(|_| Busy)?
            .map_err(|_| Busy)?;
        self.verified.fetch_add(1, Ordering::Relaxed);
        let (running, peak) = (Arc::clone(&self.running), Arc::clone(&self.peak));
        // The permit and the running count move into the blocking task: a
        // client that hangs up does not stop the verify, so it must keep
        // its place until the verify really ends.
        tokio::task::spawn_blocking(move || {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            let ok = policy.verify_now(&password, stored);
            running.fetch_sub(1, Ordering::SeqCst);
            drop(permit);
            ok
        })
        .await
        .map_err(|_| Busy)
    }

    pub fn stats(&self) -> GateStats {
        GateStats {
            verifications: self.verified.load(Ordering::Relaxed),
            peak_concurrent: self.peak.load(Ordering::SeqCst),
        }
    }
}

/// Whether `hash` is an argon2id PHC string.
pub fn is_argon2id(hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| h.algorithm.as_str() == "argon2id")
}

/// Why a new password is refused, or `None` when it is acceptable.
pub fn weakness(password: &str, user: &str) -> Option<ApiMsg> {
    let chars = password.chars().count();
    if chars < MIN_LENGTH {
        return Some(ApiMsg::PasswordTooShort { min: MIN_LENGTH });
    }
    if password.len() > MAX_LENGTH {
        return Some(ApiMsg::PasswordTooLong { max: MAX_LENGTH });
    }
    if password.eq_ignore_ascii_case(user) {
        return Some(ApiMsg::PasswordIsUsername);
    }
    if password
        .chars()
        .all(|c| c == password.chars().next().unwrap_or(' '))
    {
        return Some(ApiMsg::PasswordOneChar);
    }
    None
}

/// A random password for the first admin: 20 characters from an alphabet
/// without look-alikes (~115 bits).
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let policy = PasswordPolicy::for_tests();
        let hash = policy.hash("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
        assert!(is_argon2id(&hash));
        assert!(
            policy
                .verify("correct horse".into(), Some(hash.clone()))
                .await
        );
        assert!(
            !policy
                .verify("wrong horse".into(), Some(hash.clone()))
                .await
        );
        assert!(!policy.verify("correct horse".into(), None).await);
        assert!(
            !policy
                .verify("x".into(), Some("not a phc string".into()))
                .await
        );
        // The production default is argon2id with the recommended cost.
        let default = PasswordPolicy::default().hash_now("p").unwrap();
        assert!(
            default.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{default}"
        );
    }

    #[test]
    fn weak_passwords_are_named() {
        assert!(weakness("short", "admin").is_some());
        assert!(weakness("aaaaaaaaaaaa", "admin").is_some());
        assert!(weakness("AdministratoR", "administrator").is_some());
        assert!(weakness(&"x".repeat(2000), "a").is_some());
        assert_eq!(weakness("a long enough phrase", "admin"), None);
        let generated = generate();
        assert_eq!(generated.len(), 20);
        assert_eq!(weakness(&generated, "admin"), None);
    }
}
