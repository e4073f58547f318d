//! Sets of IP addresses and networks with lookups in O(log n): CIDRs are
//! turned into sorted, merged ranges per family and searched by bisection,
//! so a list of thousands costs a dozen comparisons per request.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

use crate::msg::Msg;

/// An immutable set of IPv4 and IPv6 ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpSet {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

impl IpSet {
    /// Parse every entry; errors name the index and the reason.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, (usize, Msg)> {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for (i, raw) in entries.iter().enumerate() {
            match parse_entry(raw.as_ref()).map_err(|e| (i, e))? {
                IpNet::V4(n) => v4.push((u32::from(n.network()), u32::from(n.broadcast()))),
                IpNet::V6(n) => v6.push((u128::from(n.network()), u128::from(n.broadcast()))),
            }
        }
        Ok(Self {
            v4: merge(v4),
            v6: merge(v6),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// Whether `ip` is in the set. IPv4-mapped IPv6 addresses
    /// (`::ffff:10.0.0.1`) are looked up as IPv4.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match ip.to_canonical() {
            IpAddr::V4(a) => find(&self.v4, u32::from(a)),
            IpAddr::V6(a) => find(&self.v6, u128::from(a)),
        }
    }
}

fn find<T: Ord + Copy>(ranges: &[(T, T)], x: T) -> bool {
    // The last range starting at or before x is the only candidate.
    let i = ranges.partition_point(|&(start, _)| start <= x);
    i > 0 && ranges[i - 1].1 >= x
}

fn merge<T: Ord + Copy + num_like::Successor>(mut ranges: Vec<(T, T)>) -> Vec<(T, T)> {
    ranges.sort_unstable();
    let mut out: Vec<(T, T)> = Vec::with_capacity(ranges.len());
    for (start, end) in ranges {
        match out.last_mut() {
            Some(last) if start <= last.1.saturating_next() => {
                if end > last.1 {
                    last.1 = end;
                }
            }
            _ => out.push((start, end)),
        }
    }
    out
}

mod num_like {
    pub(super) trait Successor {
        fn saturating_next(self) -> Self;
    }
    impl Successor for u32 {
        fn saturating_next(self) -> Self {
            self.saturating_add(1)
        }
    }
    impl Successor for u128 {
        fn saturating_next(self) -> Self {
            self.saturating_add(1)
        }
    }
}

/// `10.0.0.1`, `10.0.0.0/8`, `2001:db8::/32`, or the seed's prefix form
/// `192.168.1.*` / `10.*`.
fn parse_entry(raw: &str) -> Result<IpNet, Msg> {
    let s = raw.trim();
    let value = || raw.to_owned();
    if s.is_empty() {
        return Err(Msg::IpEmpty);
    }
    if let Some(prefix) = s.strip_suffix(".*") {
        let mut octets: Vec<&str> = prefix.split('.').collect();
        while octets.last() == Some(&"*") {
            octets.pop();
        }
        if octets.is_empty() || octets.len() > 3 {
            return Err(Msg::IpPatternInvalid { value: value() });
        }
        let len = octets.len() as u8 * 8;
        let mut parts: Vec<&str> = octets;
        while parts.len() < 4 {
            parts.push("0");
        }
        return IpNet::from_str(&format!("{}/{len}", parts.join(".")))
            .map_err(|_| Msg::IpPatternInvalid { value: value() });
    }
    if s.contains('/') {
        let net = IpNet::from_str(s).map_err(|_| Msg::CidrInvalid { value: value() })?;
        // 10.0.0.1/8 most likely means a typo; reject rather than guess.
        if net.addr() != net.network() {
            return Err(Msg::CidrHostBits {
                value: value(),
                network: net.trunc().to_string(),
            });
        }
        return Ok(canonical(net));
    }
    IpAddr::from_str(s)
        .map(|ip| IpNet::from(ip.to_canonical()))
        .map_err(|_| Msg::IpInvalid { value: value() })
}

/// An IPv4-mapped IPv6 network (`::ffff:10.0.0.0/104`) as the IPv4 network
/// it stands for (`10.0.0.0/8`). Clients are looked up by their canonical
/// address (a mapped client is an IPv4 client), so a mapped entry kept in
/// its IPv6 form would never match anyone. Networks shorter than /96 are
/// left alone: they are IPv6 networks that merely contain the mapped block.
fn canonical(net: IpNet) -> IpNet {
    match net {
        IpNet::V6(n) if n.prefix_len() >= 96 => match n.addr().to_ipv4_mapped() {
            Some(v4) => ipnet::Ipv4Net::new(v4, n.prefix_len() - 96)
                .map(IpNet::V4)
                .unwrap_or(net),
            None => net,
        },
        _ => net,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn membership_v4_v6_and_mapped() {
        let set = IpSet::parse(&[
            "10.0.0.0/8",
            "192.168.1.7",
            "2001:db8::/32",
            "172.16.*",
            "::1",
        ])
        .unwrap();
        for yes in [
            "10.1.2.3",
            "10.255.255.255",
            "192.168.1.7",
            "2001:db8:ffff::1",
            "::ffff:10.9.9.9",
            "172.16.200.1",
            "::1",
        ] {
            assert!(set.contains(ip(yes)), "{yes}");
        }
        for no in [
            "11.0.0.0",
            "192.168.1.8",
            "2001:db9::1",
            "172.17.0.1",
            "::2",
        ] {
            assert!(!set.contains(ip(no)), "{no}");
        }
    }

    #[test]
    fn ipv4_mapped_networks_match_ipv4_clients() {
        let set = IpSet::parse(&[
            "::ffff:10.0.0.0/104",
            "::ffff:192.168.1.7/128",
            "::ffff:172.16.0.0/108",
            "::ffff:0:0/96",
        ])
        .unwrap();
        assert_eq!(set, IpSet::parse(&["0.0.0.0/0"]).unwrap());
        let set = IpSet::parse(&["::ffff:10.0.0.0/104", "::FFFF:192.168.1.7/128"]).unwrap();
        assert_eq!(
            set,
            IpSet::parse(&["10.0.0.0/8", "192.168.1.7"]).unwrap(),
            "stored in the IPv4 form"
        );
        for yes in [
            "10.1.2.3",
            "::ffff:10.1.2.3",
            "192.168.1.7",
            "::ffff:192.168.1.7",
        ] {
            assert!(set.contains(ip(yes)), "{yes}");
        }
        for no in [
            "11.0.0.1",
            "192.168.1.8",
            "::ffff:11.0.0.1",
            "::a00:1",
            "2001:db8::1",
        ] {
            assert!(!set.contains(ip(no)), "{no}");
        }
        // Host bits are still refused, named in the form the user wrote.
        let e = IpSet::parse(&["::ffff:10.0.0.1/104"]).unwrap_err();
        assert!(e.1.to_string().contains("::ffff:10.0.0.0/104"), "{}", e.1);
        // A wider IPv6 network that merely contains the mapped block stays IPv6.
        let wide = IpSet::parse(&["::/64"]).unwrap();
        assert!(!wide.contains(ip("10.0.0.1")));
        assert!(wide.contains(ip("::5")));
    }

    #[test]
    fn overlapping_and_adjacent_ranges_merge() {
        let set = IpSet::parse(&["10.0.0.0/24", "10.0.1.0/24", "10.0.0.128/25"]).unwrap();
        assert_eq!(set.v4.len(), 1);
        assert!(set.contains(ip("10.0.1.255")));
        assert!(!set.contains(ip("10.0.2.0")));
    }

    #[test]
    fn errors_name_the_entry() {
        assert_eq!(IpSet::parse(&["10.0.0.1", "nope"]).unwrap_err().0, 1);
        assert!(
            IpSet::parse(&["10.0.0.1/8"])
                .unwrap_err()
                .1
                .to_string()
                .contains("10.0.0.0/8")
        );
        assert!(IpSet::parse(&["300.1.1.1"]).is_err());
        assert!(IpSet::parse(&[""]).is_err());
    }

    #[test]
    fn thousands_of_entries_agree_with_a_scan() {
        let entries: Vec<String> = (0..5000u32)
            .map(|i| {
                let a = i.wrapping_mul(2_654_435_761);
                format!(
                    "{}.{}.{}.0/24",
                    (a >> 24) % 223 + 1,
                    (a >> 16) & 255,
                    (a >> 8) & 255
                )
            })
            .collect();
        let set = IpSet::parse(&entries).unwrap();
        let nets: Vec<IpNet> = entries.iter().map(|e| e.parse().unwrap()).collect();
        for i in 0..20_000u32 {
            let a = i.wrapping_mul(2_246_822_519);
            let probe = IpAddr::from(std::net::Ipv4Addr::from(a));
            let scan = nets.iter().any(|n| n.contains(&probe));
            assert_eq!(set.contains(probe), scan, "{probe}");
        }
    }
}
