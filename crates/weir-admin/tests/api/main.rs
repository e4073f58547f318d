//! Router tests without sockets (`tower::ServiceExt::oneshot`): every
//! endpoint's success, validation errors with field paths, 401, 403 for
//! viewers, 404, 409 for stale versions — plus sessions, CSRF, expiry and
//! throttling on a manual clock.
#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

mod auth;
mod bodies;
mod certificates;
mod common;
mod gateways;
mod history;
mod login_throttle;
mod registration_scope;
mod registrations;
mod secrets;
mod services;
mod signing_keys;
mod tenants;
