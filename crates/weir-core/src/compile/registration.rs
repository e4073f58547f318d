//! Validation of a service's self-registration settings, and the check the
//! admin API runs on every registered address.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

use super::IpSet;
use crate::error::ValidationErrors;
use crate::model::{MAX_MAX_INSTANCES, SelfRegistration};
use crate::msg::Msg;

const MAX_CIDRS: usize = 1_000;

/// Why an address may not register. Data only: the admin API words it (its
/// audit details and 403 answers share one message type for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Self-registration is off for the service.
    NotEnabled,
    /// A loopback address, and no `allowed_cidrs` entry names loopback.
    Loopback(IpAddr),
    /// Outside every `allowed_cidrs` entry.
    OutsideCidrs(IpAddr),
}

/// A service's registration settings, parsed: which addresses may register.
#[derive(Debug, Clone, Default)]
pub struct RegistrationPolicy {
    pub enabled: bool,
    pub max_instances: u32,
    allowed: IpSet,
    /// The entries that lie inside loopback: only these admit a loopback
    /// address (`0.0.0.0/0` contains 127.0.0.1 but does not name it).
    loopback: IpSet,
}

impl RegistrationPolicy {
    /// Parse `settings`; errors are reported under `path`.
    pub fn compile(
        settings: &SelfRegistration,
        path: &str,
        errors: &mut ValidationErrors,
    ) -> Option<Self> {
        let before = errors.errors.len();
        if settings.max_instances == 0 || settings.max_instances > MAX_MAX_INSTANCES {
            errors.push(
                format!("{path}.max_instances"),
                Msg::Between {
                    min: 1,
                    max: u64::from(MAX_MAX_INSTANCES),
                },
            );
        }
        let cidrs = &settings.allowed_cidrs;
        if cidrs.len() > MAX_CIDRS {
            errors.push(
                format!("{path}.allowed_cidrs"),
                Msg::AtMostEntries { max: MAX_CIDRS },
            );
        } else if settings.enabled && cidrs.is_empty() {
            errors.push(format!("{path}.allowed_cidrs"), Msg::CidrsRequired);
        }
        let allowed = match IpSet::parse(cidrs) {
            Ok(set) => set,
            Err((i, why)) => {
                errors.push(format!("{path}.allowed_cidrs[{i}]"), why);
                IpSet::default()
            }
        };
        let inside_loopback: Vec<&String> = cidrs
            .iter()
            .filter(|c| {
                parse_net(c)
                    .is_some_and(|n| n.network().is_loopback() && n.broadcast().is_loopback())
            })
            .collect();
        let loopback = IpSet::parse(&inside_loopback).unwrap_or_default();
        (errors.errors.len() == before).then_some(Self {
            enabled: settings.enabled,
            max_instances: settings.max_instances,
            allowed,
            loopback,
        })
    }

    /// Why `ip` may not register, or `None` when it may.
    pub fn refusal(&self, ip: IpAddr) -> Option<Refusal> {
        let ip = ip.to_canonical();
        if !self.enabled {
            return Some(Refusal::NotEnabled);
        }
        if ip.is_loopback() && !self.loopback.contains(ip) {
            return Some(Refusal::Loopback(ip));
        }
        if !self.allowed.contains(ip) {
            return Some(Refusal::OutsideCidrs(ip));
        }
        None
    }
}

fn parse_net(raw: &str) -> Option<IpNet> {
    let s = raw.trim();
    IpNet::from_str(s).ok().or_else(|| {
        IpAddr::from_str(s)
            .ok()
            .map(|ip| IpNet::from(ip.to_canonical()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(enabled: bool, cidrs: &[&str]) -> Result<RegistrationPolicy, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let settings = SelfRegistration {
            enabled,
            allowed_cidrs: cidrs.iter().map(|s| (*s).to_owned()).collect(),
            ..SelfRegistration::default()
        };
        RegistrationPolicy::compile(&settings, "services[0].registration", &mut errors)
            .ok_or(errors)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn off_by_default_and_needs_networks_when_on() {
        let off = policy(false, &[]).unwrap();
        assert_eq!(off.refusal(ip("10.0.0.1")), Some(Refusal::NotEnabled));
        let e = policy(true, &[]).unwrap_err();
        assert_eq!(e.errors[0].path, "services[0].registration.allowed_cidrs");
        let e = policy(true, &["10.0.0.0/8", "10.0.0.1/8"]).unwrap_err();
        assert_eq!(
            e.errors[0].path,
            "services[0].registration.allowed_cidrs[1]"
        );
        let mut errors = ValidationErrors::default();
        let zero = SelfRegistration {
            max_instances: 0,
            ..SelfRegistration::default()
        };
        assert!(RegistrationPolicy::compile(&zero, "r", &mut errors).is_none());
        assert_eq!(errors.errors[0].path, "r.max_instances");
    }

    #[test]
    fn addresses_must_be_inside_and_loopback_named() {
        let p = policy(true, &["10.0.0.0/8", "2001:db8::/32"]).unwrap();
        assert_eq!(p.refusal(ip("10.1.2.3")), None);
        assert_eq!(p.refusal(ip("2001:db8::5")), None);
        assert_eq!(p.refusal(ip("::ffff:10.1.2.3")), None);
        assert_eq!(
            p.refusal(ip("192.168.1.1")),
            Some(Refusal::OutsideCidrs(ip("192.168.1.1")))
        );
        assert!(p.refusal(ip("127.0.0.1")).is_some());
        // A wide network does not admit loopback; naming it does.
        let wide = policy(true, &["0.0.0.0/0", "::/0"]).unwrap();
        assert_eq!(wide.refusal(ip("192.168.1.1")), None);
        assert_eq!(
            wide.refusal(ip("127.0.0.1")),
            Some(Refusal::Loopback(ip("127.0.0.1")))
        );
        assert_eq!(wide.refusal(ip("::1")), Some(Refusal::Loopback(ip("::1"))));
        let lo = policy(true, &["127.0.0.0/8", "::1"]).unwrap();
        assert_eq!(lo.refusal(ip("127.0.0.1")), None);
        assert_eq!(lo.refusal(ip("::1")), None);
        assert!(lo.refusal(ip("10.0.0.1")).is_some());
    }
}
