//! Log output: human-readable text or one JSON object per line.

use tracing_subscriber::EnvFilter;

use crate::config::{LogConfig, LogFormat};

/// Install the global subscriber. `RUST_LOG`, when set, wins over the
/// configured level (handy for one-off debugging).
pub(crate) fn init(cfg: &LogConfig) -> anyhow::Result<()> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(f) if !f.is_empty() => EnvFilter::try_new(f)?,
        _ => EnvFilter::try_new(&cfg.level)
            .map_err(|e| anyhow::anyhow!("log.level: {:?} is not valid: {e}", cfg.level))?,
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = match cfg.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    result.map_err(|e| anyhow::anyhow!("cannot install the logger: {e}"))
}
