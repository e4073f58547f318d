//! First-start set-up of the shared configuration: a token signing key when
//! the store has none, generated per installation (never a constant).

use weir_core::compile::generate_signing_key;
use weir_core::{ResourceKind, SigningAlgorithm};
use weir_store::{Expect, RevisionMeta, RevisionSummary, Store, StoreError};

/// Name of the key created on first start.
pub(crate) const FIRST_KEY: &str = "default";

/// Create the first signing key unless some key exists. Safe when several
/// gateways start at once on a new store: the create only succeeds if the
/// name is free, and a loser finds the winner's key.
pub(crate) async fn ensure_signing_key(
    store: &Store,
    algorithm: SigningAlgorithm,
) -> anyhow::Result<()> {
    let (_, keys) = store.resources(ResourceKind::SigningKey).await?;
    if !keys.is_empty() {
        return Ok(());
    }
    let now = jiff::Timestamp::now().as_second();
    let key = generate_signing_key(FIRST_KEY, algorithm, now).map_err(anyhow::Error::msg)?;
    let spec = serde_json::to_value(&key)?;
    let meta = RevisionMeta {
        author: "weir".into(),
        source: "bootstrap".into(),
        summary: Some(
            RevisionSummary::SigningKeyGenerated {
                algorithm: algorithm.as_str().to_owned(),
            }
            .into(),
        ),
    };
    match store
        .write_resource(
            ResourceKind::SigningKey,
            FIRST_KEY,
            Some(spec),
            Expect::Absent,
            meta,
        )
        .await
    {
        Ok(_) => {
            tracing::info!(
                algorithm = algorithm.as_str(),
                "generated the token signing key"
            );
            Ok(())
        }
        Err(StoreError::AlreadyExists(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
