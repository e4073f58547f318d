//! Passwords: argon2id hashing into PHC strings, verification, the rules a
//! new password must meet, and generated first-start passwords.
//!
//! Hashing and verifying cost tens of milliseconds of CPU and ~19 MiB of
//! memory by design, so callers run them on the blocking pool
//! ([`PasswordPolicy::hash`] and [`PasswordPolicy::verify`] do).

use std::sync::Mutex;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;

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
        tokio::task::spawn_blocking(move || {
            let known = stored.is_some();
            let phc = stored.unwrap_or_else(|| dummy_hash(self));
            let ok = PasswordHash::new(&phc).ok().is_some_and(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            });
            known && ok
        })
        .await
        .unwrap_or(false)
    }
}

/// Whether `hash` is an argon2id PHC string.
pub fn is_argon2id(hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| h.algorithm.as_str() == "argon2id")
}

/// Why a new password is refused, or `None` when it is acceptable.
pub fn weakness(password: &str, user: &str) -> Option<String> {
    let chars = password.chars().count();
    if chars < MIN_LENGTH {
        return Some(format!("must be at least {MIN_LENGTH} characters long"));
    }
    if password.len() > MAX_LENGTH {
        return Some(format!("must be at most {MAX_LENGTH} bytes long"));
    }
    if password.eq_ignore_ascii_case(user) {
        return Some("must not be the user name".into());
    }
    if password
        .chars()
        .all(|c| c == password.chars().next().unwrap_or(' '))
    {
        return Some("must not repeat one character".into());
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
