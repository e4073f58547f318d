//! The HTTP data plane: the listener (HTTP/1.1 and cleartext HTTP/2 on one
//! port), the per-request phases, the token service, and the responses the
//! gateway produces itself when it cannot forward.

mod body;
pub(crate) mod compress;
mod error;
mod grpc;
mod handler;
pub(crate) mod headers;
pub(crate) mod mirror;
mod oauth;
pub(crate) mod retry;
mod server;
mod upgrade;

pub(crate) use error::ProxyError;
pub(crate) use oauth::{JWKS_PATH, TOKEN_PATH};
pub use server::{HttpListenerOptions, serve_http, serve_https, serve_service};
