//! The life of one client connection on the listeners that speak HTTP (the
//! data plane's HTTP, HTTPS and gRPC ports, and the admin listener):
//!
//! - [`accept`]: the accept loop every such listener runs (admission,
//!   back-off, drain at shutdown);
//! - [`gate`]: admission against the connection caps, refused right after
//!   accept (no TLS or HTTP work), with counts for `/metrics`;
//! - [`backoff`]: what an accept loop does when `accept` fails for want of
//!   file descriptors or buffers (sleep with back-off, log now and then);
//! - [`life`]: the deadlines a connection lives under once admitted — one
//!   deadline from accept to the first complete request head (protocol
//!   detection, TLS handshake, HTTP/2 preface and SETTINGS included), then an
//!   idle timeout whenever no request is open.

pub mod accept;
pub mod backoff;
pub mod gate;
pub mod life;

pub use accept::{AcceptOptions, Accepted, accept_loop};
pub use backoff::{AcceptBackoff, LogLimiter};
pub use gate::{Admitted, ConnGate, ConnLimits, ConnPermit, ConnRefusal, ConnTimeout};
pub use life::{Activity, Ending, GracefulConnection, RequestGuard, TrackedBody, drive};
