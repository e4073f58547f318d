//! Weir's data plane: accepts client connections, routes each request with
//! the current [`Snapshot`], applies the service's rewrites and header
//! operations, balances over its nodes and streams the exchange through a
//! pooled upstream connection.
//!
//! Besides the main HTTP/HTTPS listeners, services with their own port (TCP,
//! gRPC) get listeners opened and closed at run time ([`listeners`]).
//!
//! The data plane never touches the store or the admin API: the control
//! plane hands it configuration documents through [`DataPlane::install`],
//! which compiles them into a new immutable snapshot and swaps it in with one
//! atomic store. Runtime state (connection pools, balancer cursors) of
//! services whose upstream did not change is carried into the new snapshot.

pub mod access_log;
pub mod balance;
pub mod clock;
pub mod conn;
pub mod discovery;
pub mod explain;
mod health;
pub mod http;
pub mod listeners;
pub mod metrics;
mod pipeline;
pub mod policy;
pub mod probe;
mod snapshot;
pub mod stats;
mod tcp;
pub mod text;
pub mod tunnel;
pub mod upstream;

pub use http::{HttpListenerOptions, serve_http, serve_https, serve_service};
pub use snapshot::{
    DataPlane, DataPlaneOptions, InstallReport, ServiceRuntime, Snapshot, StoreState, TenantRuntime,
};
