//! First start: when the store has no admin users, create `admin` with the
//! password from `WEIR_ADMIN_PASSWORD` or a generated one, flagged so that
//! it must be changed at first login. The generated password is returned
//! for the caller to print once; it is stored only as an argon2id hash.

use weir_store::{Store, StoreError, UserRecord};

use super::password::{self, PasswordPolicy};

/// The first user's name.
pub const FIRST_ADMIN: &str = "admin";

/// What [`ensure_first_admin`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bootstrap {
    /// Users exist; nothing was done.
    Existing,
    /// `admin` was created with the given password (`None`: the one from
    /// the environment, not repeated here).
    Created { generated_password: Option<String> },
}

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("WEIR_ADMIN_PASSWORD is not acceptable: it {0}")]
    WeakPassword(String),
    #[error("could not hash the admin password: {0}")]
    Hash(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub async fn ensure_first_admin(
    store: &Store,
    policy: PasswordPolicy,
    configured: Option<String>,
    now_ms: i64,
) -> Result<Bootstrap, BootstrapError> {
    if store.user_count().await? > 0 {
        return Ok(Bootstrap::Existing);
    }
    let (password, generated) = match configured {
        Some(p) => {
            if let Some(why) = password::weakness(&p, FIRST_ADMIN) {
                return Err(BootstrapError::WeakPassword(why.to_string()));
            }
            (p, false)
        }
        None => (password::generate(), true),
    };
    let hash = policy
        .hash(password.clone())
        .await
        .map_err(BootstrapError::Hash)?;
    let created = store
        .create_first_user(&UserRecord {
            name: FIRST_ADMIN.into(),
            password_hash: hash,
            role: "admin".into(),
            must_change: true,
            created_at_ms: now_ms,
            updated_at_ms: now_ms,
        })
        .await?;
    Ok(if !created {
        Bootstrap::Existing
    } else {
        Bootstrap::Created {
            generated_password: generated.then_some(password),
        }
    })
}
