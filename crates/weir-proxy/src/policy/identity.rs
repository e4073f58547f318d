//! Who the client is: the TCP peer, unless the peer is a trusted proxy, in
//! which case the right-most address of `X-Forwarded-For` (or `Forwarded`)
//! that is not itself a trusted proxy. A client that is not a trusted proxy
//! cannot choose its address by sending a header.
//!
//! The address returned is canonical: an IPv4-mapped IPv6 address
//! (`::ffff:192.0.2.1`, what a dual-stack socket reports for an IPv4 peer)
//! is the IPv4 address, so IP lists and per-IP limits see one client once.

use std::net::{IpAddr, SocketAddr};

use http::HeaderMap;
use weir_core::compile::IpSet;

/// Resolve the client address of a request that arrived from `peer`.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &IpSet) -> IpAddr {
    let peer = peer.to_canonical();
    if trusted.is_empty() || !trusted.contains(peer) {
        return peer;
    }
    let xff: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let hops: Vec<&str> = if xff.is_empty() {
        forwarded_for(headers)
    } else {
        xff
    };
    let mut client = peer;
    for hop in hops.iter().rev() {
        match parse_hop(hop) {
            // An unreadable hop ends the chain we can vouch for.
            None => break,
            Some(ip) => {
                client = ip;
                if !trusted.contains(ip) {
                    break;
                }
            }
        }
    }
    client
}

/// The `for=` values of RFC 7239 `Forwarded` headers, in order.
fn forwarded_for(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get_all("forwarded")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                k.trim().eq_ignore_ascii_case("for").then(|| v.trim())
            })
        })
        .collect()
}

/// `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]:80`, `"[…]"`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let s = hop.trim().trim_matches('"');
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(sa.ip().to_canonical());
    }
    let inner = s.strip_prefix('[')?.split(']').next()?;
    inner.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn untrusted_peer_cannot_spoof() {
        let trusted = IpSet::parse(&["10.0.0.0/8"]).unwrap();
        let h = headers(&[("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(
            client_ip(ip("203.0.113.5"), &h, &trusted),
            ip("203.0.113.5")
        );
        assert_eq!(
            client_ip(ip("203.0.113.5"), &h, &IpSet::default()),
            ip("203.0.113.5")
        );
    }

    #[test]
    fn rightmost_untrusted_hop_from_trusted_peer() {
        let trusted = IpSet::parse(&["10.0.0.0/8", "2001:db8::/32"]).unwrap();
        // client, attacker-supplied junk, then two trusted proxies.
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6, 198.51.100.7"),
            ("x-forwarded-for", "10.1.1.1"),
        ]);
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &trusted), ip("198.51.100.7"));
        // Only trusted hops: the left-most one is the best we know.
        let h = headers(&[("x-forwarded-for", "10.9.9.9, 10.1.1.1")]);
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &trusted), ip("10.9.9.9"));
        // An unreadable hop stops the walk.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, garbage, 10.1.1.1")]);
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &trusted), ip("10.1.1.1"));
        // IPv6 peer and mapped addresses.
        let h = headers(&[("x-forwarded-for", "[2001:db9::5]:443")]);
        assert_eq!(
            client_ip(ip("2001:db8::1"), &h, &trusted),
            ip("2001:db9::5")
        );
        let h = headers(&[("x-forwarded-for", "192.0.2.1")]);
        assert_eq!(
            client_ip(ip("::ffff:10.0.0.2"), &h, &trusted),
            ip("192.0.2.1")
        );
    }

    #[test]
    fn mapped_addresses_come_out_as_ipv4() {
        let trusted = IpSet::parse(&["10.0.0.0/8"]).unwrap();
        let none = IpSet::default();
        assert_eq!(
            client_ip(ip("::ffff:203.0.113.5"), &HeaderMap::new(), &none),
            ip("203.0.113.5")
        );
        for hop in [
            "::ffff:192.0.2.1",
            "[::ffff:192.0.2.1]:443",
            "\"[::ffff:192.0.2.1]\"",
        ] {
            let h = headers(&[("x-forwarded-for", hop)]);
            assert_eq!(
                client_ip(ip("10.0.0.2"), &h, &trusted),
                ip("192.0.2.1"),
                "{hop}"
            );
        }
        let h = headers(&[("forwarded", "for=\"[::ffff:192.0.2.1]\"")]);
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &trusted), ip("192.0.2.1"));
    }

    #[test]
    fn forwarded_header_when_no_xff() {
        let trusted = IpSet::parse(&["10.0.0.0/8"]).unwrap();
        let h = headers(&[(
            "forwarded",
            "for=192.0.2.60;proto=http;by=203.0.113.43, for=\"[2001:db8:cafe::17]:4711\"",
        )]);
        assert_eq!(
            client_ip(ip("10.0.0.2"), &h, &trusted),
            ip("2001:db8:cafe::17")
        );
    }
}
