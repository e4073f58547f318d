//! Upstream node addresses: `ip:port`, `[ipv6]:port`, `hostname:port`, or
//! an SRV name.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

/// A parsed node address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NodeAddr {
    Ip(SocketAddr),
    /// A DNS name: every A/AAAA address becomes a node (re-resolved on TTL).
    Host {
        host: String,
        port: u16,
    },
    /// An SRV name (`_service._proto.name`): targets, ports and weights come
    /// from its records.
    Srv {
        name: String,
    },
}

impl NodeAddr {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("is empty (write host:port)".into());
        }
        if let Ok(sa) = s.parse::<SocketAddr>() {
            if sa.port() == 0 {
                return Err(format!("{s:?} has port 0"));
            }
            return Ok(NodeAddr::Ip(sa));
        }
        if s.starts_with('_') && !s.contains(':') {
            validate_hostname(s).map_err(|why| format!("{s:?} is not a valid SRV name: {why}"))?;
            if s.split('.').take(2).any(|l| !l.starts_with('_')) {
                return Err(format!(
                    "{s:?} is not an SRV name (write _service._proto.domain, e.g. _http._tcp.api.internal)"
                ));
            }
            return Ok(NodeAddr::Srv {
                name: s.trim_end_matches('.').to_ascii_lowercase(),
            });
        }
        if s.parse::<IpAddr>().is_ok() || (s.starts_with('[') && s.ends_with(']')) {
            return Err(format!("{s:?} has no port (write {s}:PORT)"));
        }
        let Some((host, port)) = s.rsplit_once(':') else {
            return Err(format!("{s:?} has no port (write {s}:PORT)"));
        };
        if host.contains(':') || host.starts_with('[') {
            return Err(format!(
                "{s:?} is not a valid address (IPv6 addresses go in brackets: [::1]:80)"
            ));
        }
        let port: u16 = port
            .parse()
            .map_err(|_| format!("{s:?} has an invalid port {port:?} (1-65535)"))?;
        if port == 0 {
            return Err(format!("{s:?} has port 0"));
        }
        if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err(format!("{host:?} is not a valid IPv4 address"));
        }
        validate_hostname(host)
            .map_err(|why| format!("{host:?} is not a valid host name: {why}"))?;
        Ok(NodeAddr::Host {
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// The port, or 0 for an SRV name (ports come from its records).
    pub fn port(&self) -> u16 {
        match self {
            NodeAddr::Ip(sa) => sa.port(),
            NodeAddr::Host { port, .. } => *port,
            NodeAddr::Srv { .. } => 0,
        }
    }
}

impl fmt::Display for NodeAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeAddr::Ip(sa) => write!(f, "{sa}"),
            NodeAddr::Host { host, port } => write!(f, "{host}:{port}"),
            NodeAddr::Srv { name } => f.write_str(name),
        }
    }
}

/// RFC 1123 host name: dot-separated labels of letters, digits and inner
/// hyphens, each 1–63 bytes, at most 253 bytes in all.
pub(crate) fn validate_hostname(host: &str) -> Result<(), &'static str> {
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.is_empty() {
        return Err("it is empty");
    }
    if host.len() > 253 {
        return Err("it is longer than 253 characters");
    }
    for label in host.split('.') {
        if label.is_empty() {
            return Err("it has an empty label");
        }
        if label.len() > 63 {
            return Err("a label is longer than 63 characters");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err("only letters, digits, '-' and '_' are allowed");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a label starts or ends with '-'");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_good_addresses() {
        assert_eq!(
            NodeAddr::parse("127.0.0.1:9001").unwrap(),
            NodeAddr::Ip("127.0.0.1:9001".parse().unwrap())
        );
        assert_eq!(
            NodeAddr::parse("[::1]:80").unwrap(),
            NodeAddr::Ip("[::1]:80".parse().unwrap())
        );
        assert_eq!(
            NodeAddr::parse("Svc.Internal:8080").unwrap(),
            NodeAddr::Host {
                host: "svc.internal".into(),
                port: 8080
            }
        );
    }

    #[test]
    fn srv_names() {
        assert_eq!(
            NodeAddr::parse("_http._tcp.Api.Internal").unwrap(),
            NodeAddr::Srv {
                name: "_http._tcp.api.internal".into()
            }
        );
        assert!(
            NodeAddr::parse("_http.api.internal")
                .unwrap_err()
                .contains("not an SRV name")
        );
    }

    #[test]
    fn rejects_bad_addresses_with_reason() {
        for (input, reason) in [
            ("", "empty"),
            ("127.0.0.1", "no port"),
            ("::1", "no port"),
            ("[::1]", "no port"),
            ("example.com", "no port"),
            ("300.1.1.1:80", "not a valid IPv4"),
            ("host:99999", "invalid port"),
            ("host:0", "port 0"),
            ("127.0.0.1:0", "port 0"),
            ("::1:80", "no port"),
            ("fe80::1:zz", "brackets"),
            ("bad host:80", "not a valid host name"),
            ("-a.com:80", "starts or ends"),
        ] {
            let e = NodeAddr::parse(input).unwrap_err();
            assert!(e.contains(reason), "{input:?}: {e}");
        }
    }
}
