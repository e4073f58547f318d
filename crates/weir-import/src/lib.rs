//! Moving from go-gateway: read its MySQL tables ([`read`]), map every row
//! to Weir's configuration model ([`map`]) and say what could not be carried
//! over ([`report`]). The result is a [`weir_core::ConfigDocument`] that
//! `weir import go-gateway` writes through the same path as `weir apply`.
//!
//! docs/migrating-from-go-gateway.md lists every column and where it goes.

pub mod map;
pub mod read;
pub mod report;
pub mod rows;

pub use map::{Import, Options, go_gateway_health_check, map_seed, split_list};
pub use read::{ReadError, read_database};
pub use report::{Action, Issue, Report};
pub use rows::SeedData;

/// Read the database at `url` and map it.
pub async fn import_from(url: &str, opts: &Options) -> Result<Import, ReadError> {
    let seed = read_database(url).await?;
    Ok(map_seed(&seed, opts))
}
