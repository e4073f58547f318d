//! The `weir` binary's library half: the CLI, the process configuration, the
//! wiring of data plane, store and admin listener, and the `echo` upstream.
//! Kept as a library so integration tests can start a gateway in-process.

pub mod admin;
mod bootstrap;
pub mod cache;
pub mod cli;
pub mod config;
pub mod echo;
pub mod fleet;
pub mod handover;
mod logging;
pub mod remote;
pub mod serve;
pub mod stats;
pub mod wait;

pub use config::ProcessConfig;
pub use serve::{Gateway, Roles};
