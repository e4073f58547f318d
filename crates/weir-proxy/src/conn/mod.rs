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

pub(crate) mod accept;
pub(crate) mod backoff;
pub(crate) mod gate;
pub(crate) mod life;

pub use accept::{AcceptOptions, accept_loop};
pub(crate) use backoff::{AcceptBackoff, LogLimiter};
pub(crate) use gate::{Admitted, ConnTimeout};
pub use gate::{ConnGate, ConnLimits, ConnRefusal};
pub use life::{Activity, Ending, TrackedBody, drive};
