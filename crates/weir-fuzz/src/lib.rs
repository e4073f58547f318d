//! The bodies of Weir's fuzz targets. Each function takes the fuzzer's
//! bytes, feeds them to one parser or transformation the gateway applies to
//! hostile input, and panics only when an invariant is broken — a panic is a
//! bug found, whether it comes from here or from the code under test.
//!
//! The cargo-fuzz crate in `fuzz/` (outside the workspace, built with
//! `make fuzz`) has one target per function here, each a one-line call. The
//! functions live in this workspace crate so they compile on stable and so
//! `tests/replay.rs` runs every saved input of `fuzz/corpus/<target>/`
//! through them on every `cargo test`: a crash, once saved, stays fixed.
//!
//! Inputs are cut into parts by [`lines`] (text) or a leading selector byte,
//! so a fuzzer mutating bytes reaches every part of a target.

mod admin;
mod config;
mod ipset;
mod jwt;
mod path;

pub use admin::admin_body;
pub use config::{header_ops, rewrite, yaml_compile};
pub use ipset::ip_list;
pub use jwt::{jwks, jwt};
pub use path::path_route;

/// A fuzz target's body.
pub type Target = fn(&[u8]);

/// Every target by its `fuzz/fuzz_targets/<name>.rs` and corpus name.
pub const TARGETS: &[(&str, Target)] = &[
    ("rewrite", rewrite),
    ("header_ops", header_ops),
    ("yaml_compile", yaml_compile),
    ("jwt", jwt),
    ("jwks", jwks),
    ("ip_list", ip_list),
    ("admin_body", admin_body),
    ("path_route", path_route),
];

/// The input as text split into lines; `None` when it is not UTF-8 (the
/// gateway refuses such input before any of these parsers see it).
fn lines(data: &[u8]) -> Option<std::str::Lines<'_>> {
    std::str::from_utf8(data).ok().map(str::lines)
}
