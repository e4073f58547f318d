//! Compiled per-service policies: IP allow/deny sets, the authentication
//! bypass list, and rate limits.

use std::collections::HashSet;
use std::net::IpAddr;

use super::ipset::IpSet;
use super::trie::PrefixTrie;
use crate::error::ValidationErrors;
use crate::model::{Access, IpList, Limits};
use crate::msg::Msg;

/// A steady rate with a burst allowance (GCRA / token bucket).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rate {
    pub per_second: u32,
    /// Requests that may arrive at once; at least 1.
    pub burst: u32,
}

impl Rate {
    /// `qps` requests per second, or `None` for 0 (unlimited).
    pub fn new(qps: u32, burst: Option<u32>) -> Option<Rate> {
        (qps > 0).then(|| Rate {
            per_second: qps,
            burst: burst.unwrap_or(qps / 10).max(1),
        })
    }
}

/// Why an address was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpRefusal {
    /// The allow list is on and the address is not on it.
    NotAllowed,
    /// The address is on the deny list (and not on an enabled allow list).
    Denied,
}

#[derive(Debug, Clone, Default)]
pub struct CompiledAccess {
    pub ip_allow: Option<IpSet>,
    pub ip_deny: Option<IpSet>,
    pub auth: Option<CompiledAuth>,
}

impl CompiledAccess {
    /// Seed semantics: with the allow list on, only listed addresses pass and
    /// a listed address is never denied; otherwise the deny list refuses.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), IpRefusal> {
        if let Some(allow) = &self.ip_allow {
            return if allow.contains(ip) {
                Ok(())
            } else {
                Err(IpRefusal::NotAllowed)
            };
        }
        match &self.ip_deny {
            Some(deny) if deny.contains(ip) => Err(IpRefusal::Denied),
            _ => Ok(()),
        }
    }

    pub fn has_ip_rules(&self) -> bool {
        self.ip_allow.is_some() || self.ip_deny.is_some()
    }
}

/// Tenant authentication with its bypass list and the tenants it admits.
#[derive(Debug, Clone, Default)]
pub struct CompiledAuth {
    exact: HashSet<String>,
    prefixes: PrefixTrie<()>,
    /// `None` = every tenant.
    tenants: Option<HashSet<String>>,
}

impl CompiledAuth {
    /// Whether `path` (normalised, see `crate::path`) needs no token.
    pub fn bypasses(&self, path: &str) -> bool {
        self.exact.contains(path) || self.prefixes.longest_prefix(path.as_bytes()).is_some()
    }

    /// Whether the tenant `app_id` may call the service.
    pub fn admits(&self, app_id: &str) -> bool {
        self.tenants.as_ref().is_none_or(|t| t.contains(app_id))
    }

    /// The tenants named by `access.auth.tenants`, sorted; `None` = every
    /// tenant.
    pub fn tenant_names(&self) -> Option<Vec<&str>> {
        let mut names: Vec<&str> = self.tenants.as_ref()?.iter().map(String::as_str).collect();
        names.sort_unstable();
        Some(names)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CompiledLimits {
    pub service: Option<Rate>,
    pub client_ip: Option<Rate>,
}

pub(crate) fn compile_access(
    access: &Access,
    path: &str,
    errors: &mut ValidationErrors,
) -> CompiledAccess {
    let ip_allow = compile_list(&access.ip_allow, &format!("{path}.access.ip_allow"), errors);
    let ip_deny = compile_list(&access.ip_deny, &format!("{path}.access.ip_deny"), errors);
    let auth = access.auth.enabled.then(|| {
        let mut auth = CompiledAuth::default();
        for (i, p) in access.auth.allow_paths.iter().enumerate() {
            let field = format!("{path}.access.auth.allow_paths[{i}]");
            if !p.starts_with('/') {
                errors.push(field, Msg::MustStartWithSlash { value: p.clone() });
            } else if let Some(prefix) = p.strip_suffix('*') {
                if prefix.contains('*') {
                    errors.push(field, Msg::OnlyTrailingStar);
                } else {
                    auth.prefixes.insert(prefix.as_bytes(), ());
                }
            } else if p.contains('*') {
                errors.push(field, Msg::OnlyTrailingStar);
            } else {
                auth.exact.insert(p.clone());
            }
        }
        auth.tenants = compile_tenant_names(&access.auth.tenants, path, errors);
        auth
    });
    CompiledAccess {
        ip_allow,
        ip_deny,
        auth,
    }
}

/// `access.auth.tenants`: names are checked for shape only. Whether a
/// tenant exists is not checked: tenants come and go independently of the
/// services that name them, and a deleted tenant must not make every
/// service that named it invalid — an unknown name simply admits nobody.
fn compile_tenant_names(
    names: &[String],
    path: &str,
    errors: &mut ValidationErrors,
) -> Option<HashSet<String>> {
    if names.is_empty() {
        return None;
    }
    for (i, name) in names.iter().enumerate() {
        super::service::validate_name(name, &format!("{path}.access.auth.tenants[{i}]"), errors);
    }
    Some(names.iter().cloned().collect())
}

fn compile_list(list: &IpList, path: &str, errors: &mut ValidationErrors) -> Option<IpSet> {
    let set = match IpSet::parse(&list.ips) {
        Ok(s) => s,
        Err((i, why)) => {
            errors.push(format!("{path}.ips[{i}]"), why);
            return None;
        }
    };
    if !list.enabled {
        return None;
    }
    if set.is_empty() {
        errors.push(format!("{path}.ips"), Msg::IpListEmptyEnabled);
        return None;
    }
    Some(set)
}

pub(crate) fn compile_limits(
    limits: &Limits,
    path: &str,
    errors: &mut ValidationErrors,
) -> CompiledLimits {
    if limits.burst == Some(0) {
        errors.push(format!("{path}.limits.burst"), Msg::AtLeast { min: 1 });
    }
    CompiledLimits {
        service: Rate::new(limits.service_qps, limits.burst),
        client_ip: Rate::new(limits.client_ip_qps, limits.burst),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AuthPolicy;

    fn list(enabled: bool, ips: &[&str]) -> IpList {
        IpList {
            enabled,
            ips: ips.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    fn access(allow: IpList, deny: IpList) -> CompiledAccess {
        let mut errors = ValidationErrors::default();
        let a = compile_access(
            &Access {
                ip_allow: allow,
                ip_deny: deny,
                auth: AuthPolicy::default(),
            },
            "s",
            &mut errors,
        );
        assert!(errors.is_empty(), "{errors}");
        a
    }

    #[test]
    fn allow_deny_precedence_matrix() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let allow = || list(true, &["10.0.0.0/8", "2001:db8::/32"]);
        let deny = || list(true, &["10.1.0.0/16", "192.168.0.0/16", "2001:db8:1::/48"]);
        let off = || list(false, &["0.0.0.0/0"]);
        // (allow, deny, address, expected)
        let both = access(allow(), deny());
        assert_eq!(
            both.check_ip(ip("10.1.2.3")),
            Ok(()),
            "allow list wins over deny"
        );
        assert_eq!(both.check_ip(ip("2001:db8:1::5")), Ok(()));
        assert_eq!(both.check_ip(ip("192.168.1.1")), Err(IpRefusal::NotAllowed));
        assert_eq!(both.check_ip(ip("8.8.8.8")), Err(IpRefusal::NotAllowed));
        let allow_only = access(allow(), off());
        assert_eq!(allow_only.check_ip(ip("10.9.9.9")), Ok(()));
        assert_eq!(allow_only.check_ip(ip("::1")), Err(IpRefusal::NotAllowed));
        let deny_only = access(off(), deny());
        assert_eq!(
            deny_only.check_ip(ip("192.168.5.5")),
            Err(IpRefusal::Denied)
        );
        assert_eq!(
            deny_only.check_ip(ip("::ffff:192.168.5.5")),
            Err(IpRefusal::Denied)
        );
        assert_eq!(
            deny_only.check_ip(ip("2001:db8:1::9")),
            Err(IpRefusal::Denied)
        );
        assert_eq!(deny_only.check_ip(ip("8.8.8.8")), Ok(()));
        let none = access(off(), off());
        assert_eq!(none.check_ip(ip("8.8.8.8")), Ok(()));
        assert!(!none.has_ip_rules());
    }

    #[test]
    fn auth_bypass_exact_and_prefix() {
        let mut errors = ValidationErrors::default();
        let a = compile_access(
            &Access {
                auth: AuthPolicy {
                    enabled: true,
                    allow_paths: vec!["/health".into(), "/public/*".into()],
                    tenants: Vec::new(),
                },
                ..Access::default()
            },
            "s",
            &mut errors,
        );
        let auth = a.auth.unwrap();
        assert!(auth.bypasses("/health"));
        assert!(!auth.bypasses("/health/x"));
        assert!(auth.bypasses("/public/a/b"));
        assert!(auth.bypasses("/public/"));
        assert!(!auth.bypasses("/publicx"));
        assert!(!auth.bypasses("/private"));
    }

    #[test]
    fn auth_tenants_admit_only_the_named() {
        let compile = |tenants: &[&str]| {
            let mut errors = ValidationErrors::default();
            let a = compile_access(
                &Access {
                    auth: AuthPolicy {
                        enabled: true,
                        allow_paths: Vec::new(),
                        tenants: tenants.iter().map(|s| (*s).to_owned()).collect(),
                    },
                    ..Access::default()
                },
                "services[0]",
                &mut errors,
            );
            (a.auth, errors)
        };
        // Absent: every tenant.
        let (auth, errors) = compile(&[]);
        assert!(errors.is_empty());
        let auth = auth.unwrap();
        assert!(auth.admits("app-a") && auth.admits("anyone"));
        assert_eq!(auth.tenant_names(), None);
        // Named: those only; an unknown name is no error and admits no one else.
        let (auth, errors) = compile(&["app-b", "app-a", "deleted-later"]);
        assert!(errors.is_empty(), "{errors}");
        let auth = auth.unwrap();
        assert!(auth.admits("app-a") && auth.admits("app-b"));
        assert!(!auth.admits("app-c") && !auth.admits("") && !auth.admits("APP-A"));
        assert_eq!(
            auth.tenant_names(),
            Some(vec!["app-a", "app-b", "deleted-later"])
        );
        // Malformed names are refused, naming the entry.
        let (_, errors) = compile(&["ok", "not a name!"]);
        assert_eq!(errors.errors.len(), 1, "{errors}");
        assert_eq!(errors.errors[0].path, "services[0].access.auth.tenants[1]");
    }

    #[test]
    fn default_burst_is_a_tenth() {
        assert_eq!(
            Rate::new(100, None),
            Some(Rate {
                per_second: 100,
                burst: 10
            })
        );
        assert_eq!(
            Rate::new(5, None),
            Some(Rate {
                per_second: 5,
                burst: 1
            })
        );
        assert_eq!(
            Rate::new(5, Some(3)),
            Some(Rate {
                per_second: 5,
                burst: 3
            })
        );
        assert_eq!(Rate::new(0, Some(3)), None);
    }
}
