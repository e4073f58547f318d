//! Weir's data plane: accepts client connections, routes each request with
//! the current [`Snapshot`], applies the service's rewrites and header
//! operations, balances over its nodes and streams the exchange through a
//! pooled upstream connection.
//!
//! Besides the main HTTP/HTTPS listeners, services with their own port (TCP,
//! gRPC) get listeners opened and closed at run time ([`ServiceListeners`]).
//!
//! The data plane never touches the store or the admin API: the control
//! plane hands it configuration documents through [`DataPlane::install`],
//! which compiles them into a new immutable snapshot and swaps it in with one
//! atomic store. Runtime state (connection pools, balancer cursors) of
//! services whose upstream did not change is carried into the new snapshot.
//!
//! The modules are the crate's own; what the binary, the admin side and the
//! tests use is re-exported below, grouped by what it is for. A new use from
//! outside adds an item here rather than opening a module.

pub(crate) mod access_log;
pub(crate) mod balance;
pub(crate) mod clock;
pub(crate) mod conn;
pub(crate) mod discovery;
pub(crate) mod explain;
mod health;
pub(crate) mod http;
pub(crate) mod listeners;
pub(crate) mod metrics;
mod pipeline;
pub(crate) mod policy;
pub(crate) mod probe;
mod snapshot;
pub(crate) mod stats;
mod tcp;
pub(crate) mod text;
pub(crate) mod tunnel;
pub(crate) mod upstream;

// The data plane and the snapshot it serves; configuration goes in through
// [`DataPlane::install`].
pub use snapshot::{
    DataPlane, DataPlaneOptions, InstallReport, ServiceRuntime, Snapshot, StoreState, TenantRuntime,
};

// Serving: the main listeners, per-service listeners (with the sockets a
// handover passes on), the access log, the wall clock, DNS discovery and
// the health endpoint.
pub use access_log::{AccessLog, AccessLogTarget};
pub use clock::WallClock;
pub use discovery::DnsResolver;
pub use http::{HttpListenerOptions, serve_http, serve_https, serve_service};
pub use listeners::{InheritedSockets, ServiceListeners, handover_copy, listen};
pub use probe::{ProbeError, probe, serve_health};

// Connection handling shared with the admin listener: the accept loop, the
// connection caps, and a connection's head deadline and idle timeout.
pub use conn::{
    AcceptOptions, Activity, ConnGate, ConnLimits, ConnRefusal, Ending, TrackedBody, accept_loop,
    drive,
};

// Policies the process configures or checks: the client address behind
// trusted proxies, Go-gateway compatibility, JWT authentication (fuzzed),
// and where rate limits and quotas are counted (locally or in Redis).
pub use policy::identity::client_ip;
pub use policy::limit::shared::url_is_usable as redis_url_is_usable;
pub use policy::limit::shared::{RedisSettings, SharedLimits, SyncTask};
pub use policy::limit::{LimitBackend, LimitStatus, LocalLimits, day_bounds};
pub use policy::{GoGatewayCompat, VerifiedTokens, authenticate};

// Explain: what the data plane would do with a request, and the report
// types of its answer.
pub use explain::{ExplainError, ExplainInput, explain};
pub use weir_core::report::{ExplainVerdict, Explanation, PolicyOutcome, PolicyVerdict};

// Statistics: the counters' scopes and rejection reasons, the flusher's
// bookkeeping into hourly rollups, the recent window, and the Prometheus
// exposition of the counters.
pub use metrics::render as render_metrics;
pub use stats::{
    Counters, Flushed, Ledger, MAX_SEALED_HOURS, RecentWindow, Rejection, Scope,
    rejections_by_class, to_delta, unflushed,
};

// Upstream nodes: a node's health status, and a self-registered node.
pub use upstream::{NodeStatus, Registration};
