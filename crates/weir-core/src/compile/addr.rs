//! Upstream node addresses: `ip:port`, `[ipv6]:port`, `hostname:port`, or
//! an SRV name.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use crate::msg::Msg;

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
    pub fn parse(s: &str) -> Result<Self, Msg> {
        let addr = || s.to_owned();
        if s.is_empty() {
            return Err(Msg::AddrEmpty);
        }
        if let Ok(sa) = s.parse::<SocketAddr>() {
            if sa.port() == 0 {
                return Err(Msg::AddrPortZero { addr: addr() });
            }
            return Ok(NodeAddr::Ip(sa));
        }
        if s.starts_with('_') && !s.contains(':') {
            validate_hostname(s).map_err(|why| Msg::SrvInvalid {
                addr: addr(),
                why: why.into(),
            })?;
            if s.split('.').take(2).any(|l| !l.starts_with('_')) {
                return Err(Msg::SrvNotSrv { addr: addr() });
            }
            return Ok(NodeAddr::Srv {
                name: s.trim_end_matches('.').to_ascii_lowercase(),
            });
        }
        if s.parse::<IpAddr>().is_ok() || (s.starts_with('[') && s.ends_with(']')) {
            return Err(Msg::AddrNoPort { addr: addr() });
        }
        let Some((host, port)) = s.rsplit_once(':') else {
            return Err(Msg::AddrNoPort { addr: addr() });
        };
        if host.contains(':') || host.starts_with('[') {
            return Err(Msg::AddrIpv6Brackets { addr: addr() });
        }
        let port: u16 = port.parse().map_err(|_| Msg::AddrBadPort {
            addr: addr(),
            port: port.to_owned(),
        })?;
        if port == 0 {
            return Err(Msg::AddrPortZero { addr: addr() });
        }
        if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err(Msg::Ipv4Invalid {
                host: host.to_owned(),
            });
        }
        validate_hostname(host).map_err(|why| Msg::HostNameInvalid {
            host: host.to_owned(),
            why: why.into(),
        })?;
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
pub(crate) fn validate_hostname(host: &str) -> Result<(), Msg> {
    const MAX_HOST: usize = 253;
    const MAX_LABEL: usize = 63;
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.is_empty() {
        return Err(Msg::HostEmpty);
    }
    if host.len() > MAX_HOST {
        return Err(Msg::HostTooLong { max: MAX_HOST });
    }
    for label in host.split('.') {
        if label.is_empty() {
            return Err(Msg::HostEmptyLabel);
        }
        if label.len() > MAX_LABEL {
            return Err(Msg::HostLabelTooLong { max: MAX_LABEL });
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(Msg::HostBadChars);
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(Msg::HostLabelHyphen);
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
        assert_eq!(
            NodeAddr::parse("_http.api.internal").unwrap_err().code(),
            "srv_not_srv"
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
            let e = NodeAddr::parse(input).unwrap_err().to_string();
            assert!(e.contains(reason), "{input:?}: {e}");
        }
    }
}
