//! Address lists (`ip_allow`, `ip_deny`, a tenant's list, trusted proxies).

use std::net::IpAddr;

use ipnet::IpNet;
use weir_core::compile::IpSet;

/// One entry per line. Invariants for a list that parses: every address
/// written on its own is in the set, and so are the first and last address
/// of every CIDR (in its canonical form: an IPv4-mapped network is IPv4).
pub fn ip_list(data: &[u8]) {
    let Some(lines) = super::lines(data) else {
        return;
    };
    let entries: Vec<&str> = lines.collect();
    let Ok(set) = IpSet::parse(&entries) else {
        return;
    };
    for entry in entries.iter().map(|e| e.trim()) {
        if let Ok(ip) = entry.parse::<IpAddr>() {
            assert!(set.contains(ip), "{entry} parsed but is not in the set");
        } else if let Ok(net) = entry.parse::<IpNet>() {
            for probe in [net.network(), net.broadcast()] {
                // A wide IPv6 network (shorter than /96) that reaches into
                // the mapped block matches IPv6 clients only; a mapped probe
                // is an IPv4 client (docs/policies.md).
                let mapped_probe = probe.to_canonical() != probe;
                if mapped_probe && net.prefix_len() < 96 {
                    continue;
                }
                assert!(set.contains(probe), "{probe} of {entry} is not in the set");
            }
        }
    }
    // Lookups of arbitrary addresses never panic.
    for chunk in data.chunks(16) {
        let mut v6 = [0u8; 16];
        v6[..chunk.len()].copy_from_slice(chunk);
        let _ = set.contains(IpAddr::from(v6));
        let v4: [u8; 4] = [v6[0], v6[1], v6[2], v6[3]];
        let _ = set.contains(IpAddr::from(v4));
    }
}
