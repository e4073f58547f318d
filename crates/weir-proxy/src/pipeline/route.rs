//! The route phase: which service a request (or a connection on a
//! service's own port) is for, and the checks that need the service but no
//! caller identity: encoded slashes and the HTTPS redirect.

use weir_core::compile::{CompiledService, RouteRequest};
use weir_core::path;

use crate::http::ProxyError;
use crate::snapshot::{ServiceRuntime, Snapshot};

/// A service a request was routed to, with its runtime state.
#[derive(Clone, Copy)]
pub(crate) struct Routed<'s> {
    pub svc: &'s CompiledService,
    pub rt: &'s ServiceRuntime,
}

/// Route a request by host, path and the routes' conditions (method,
/// headers, query), or, on a listener of one service (`fixed`: a gRPC
/// service's own port), to that service while it is enabled.
pub(crate) fn route<'s>(
    snap: &'s Snapshot,
    fixed: Option<&str>,
    req: &RouteRequest<'_>,
) -> Result<Routed<'s>, ProxyError> {
    let index = match fixed {
        Some(name) => return by_name(snap, name),
        None => snap.config.router.lookup(req).map(|i| i as usize),
    };
    at(snap, index)
}

/// The enabled service `name`: a connection on a service's own port.
pub(crate) fn by_name<'s>(snap: &'s Snapshot, name: &str) -> Result<Routed<'s>, ProxyError> {
    let services = &snap.config.services;
    let index = services
        .binary_search_by(|s| (*s.name).cmp(name))
        .ok()
        .filter(|&i| services[i].spec.enabled);
    at(snap, index)
}

fn at(snap: &Snapshot, index: Option<usize>) -> Result<Routed<'_>, ProxyError> {
    match index.map(|i| (snap.config.services.get(i), snap.services.get(i))) {
        Some((Some(svc), Some(rt))) => Ok(Routed { svc, rt }),
        _ => Err(ProxyError::NoRoute),
    }
}

impl Routed<'_> {
    /// A path with an encoded slash (`%2F`) reaches only services that
    /// allow it: a router and an upstream may split it differently.
    pub(crate) fn check_path(&self, path: &str) -> Result<(), ProxyError> {
        if !self.svc.allow_encoded_slashes && path::has_encoded_slash(path) {
            return Err(ProxyError::BadRequest(
                path::PathError::EncodedSlash.reason(),
            ));
        }
        Ok(())
    }

    /// A plain-HTTP request to a service with `https_redirect` is sent to
    /// the same host and target over HTTPS.
    pub(crate) fn check_https(
        &self,
        https: bool,
        host: Option<&str>,
        target: &str,
        https_port: Option<u16>,
    ) -> Result<(), ProxyError> {
        if self.svc.https_redirect && !https {
            return Err(ProxyError::HttpsRequired {
                location: https_location(host, target, https_port),
            });
        }
        Ok(())
    }
}

/// `https://host[:port]/path?query` for an HTTPS redirect of `target`
/// (path and query).
fn https_location(host: Option<&str>, target: &str, https_port: Option<u16>) -> String {
    let host = host.unwrap_or("localhost");
    // Drop any port the client used for plain HTTP.
    let bare = match host.strip_prefix('[') {
        Some(v6) => v6
            .split(']')
            .next()
            .map_or(host.to_owned(), |h| format!("[{h}]")),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h).to_owned(),
    };
    let port = match https_port {
        Some(443) | None => String::new(),
        Some(p) => format!(":{p}"),
    };
    format!("https://{bare}{port}{target}")
}

#[cfg(test)]
mod tests {
    use super::https_location;

    #[test]
    fn https_location_drops_the_plain_port_and_keeps_the_target() {
        assert_eq!(
            https_location(Some("a.test:8080"), "/x?y=1", Some(8443)),
            "https://a.test:8443/x?y=1"
        );
        assert_eq!(
            https_location(Some("[::1]:80"), "/", Some(443)),
            "https://[::1]/"
        );
        assert_eq!(https_location(None, "/p", None), "https://localhost/p");
    }
}
