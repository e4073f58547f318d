//! The request phases the data plane's paths share. The HTTP handler (and
//! gRPC through it), TCP connections and explain call these same functions,
//! so that a decision is made in one place and explain cannot disagree with
//! the data plane by construction:
//!
//! | phase | where | HTTP | TCP | explain |
//! | --- | --- | --- | --- | --- |
//! | host | [`host`] | ✓ | – | ✓ |
//! | route | [`route`] | ✓ | ✓ (by name) | ✓ |
//! | cors | [`cors`] | ✓ | – | ✓ |
//! | admit | [`crate::policy::admit`], [`crate::policy::admit_connection`] | ✓ | ✓ | ✓ (a [`crate::policy::Trace`] and a dry-run limit backend) |
//! | split | [`split`] | ✓ | – | ✓ (peek: the sequence does not move) |
//! | rewrite | [`rewrite`] | ✓ | – | ✓ |
//! | pick | [`pick`] | ✓ | ✓ | ✓ (peek: nothing moves) |
//! | forward, record | `http::handler`, `tcp` | ✓ | ✓ | – |
//!
//! Forwarding and recording stay with each transport: they are what differs
//! between an HTTP exchange and a byte stream.

pub(crate) mod cors;
pub(crate) mod host;
pub(crate) mod pick;
pub(crate) mod rewrite;
pub(crate) mod route;
pub(crate) mod split;
