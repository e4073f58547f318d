//! DNS discovery: nodes given by name are resolved — A/AAAA for
//! `host:port` (each address becomes a node with the configured weight),
//! SRV for `_service._proto.name` (targets resolved in turn, with the
//! records' ports and weights; only the lowest-priority group is used) —
//! and re-resolved when their records' TTL ends, clamped to the service's
//! `dns.min_ttl` / `dns.max_ttl`. A failed resolution keeps the last known
//! addresses and is retried after `min_ttl`.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::xfer::Protocol;
use weir_core::compile::NodeAddr;

use crate::upstream::{Resolved, UpstreamRuntime};

/// One SRV record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvTarget {
    pub host: String,
    pub port: u16,
    pub weight: u16,
    pub priority: u16,
}

/// Name resolution as discovery needs it: addresses or SRV records, with
/// how long the answer is valid.
pub trait Resolver: Send + Sync + std::fmt::Debug {
    fn lookup_ip(&self, host: &str) -> BoxFuture<'static, Result<(Vec<IpAddr>, Duration), String>>;
    fn lookup_srv(
        &self,
        name: &str,
    ) -> BoxFuture<'static, Result<(Vec<SrvTarget>, Duration), String>>;
}

/// The system's resolver (`/etc/resolv.conf`), or given name servers.
#[derive(Debug, Clone)]
pub struct DnsResolver {
    inner: TokioResolver,
}

impl DnsResolver {
    /// `servers` empty: the system configuration. Caching is off: the
    /// discovery loop already asks again when a TTL ends.
    pub fn new(servers: &[SocketAddr]) -> Result<Self, String> {
        let mut opts = ResolverOpts::default();
        opts.cache_size = 0;
        let builder = if servers.is_empty() {
            TokioResolver::builder_tokio().map_err(|e| e.to_string())?
        } else {
            let mut config = ResolverConfig::new();
            for s in servers {
                config.add_name_server(NameServerConfig::new(*s, Protocol::Udp));
                config.add_name_server(NameServerConfig::new(*s, Protocol::Tcp));
            }
            TokioResolver::builder_with_config(config, TokioConnectionProvider::default())
        };
        Ok(Self {
            inner: builder.with_options(opts).build(),
        })
    }
}

fn ttl_of(valid_until: Instant) -> Duration {
    valid_until.saturating_duration_since(Instant::now())
}

impl Resolver for DnsResolver {
    fn lookup_ip(&self, host: &str) -> BoxFuture<'static, Result<(Vec<IpAddr>, Duration), String>> {
        let r = self.inner.clone();
        // A trailing dot makes the name absolute (no search domains).
        let name = format!("{}.", host.trim_end_matches('.'));
        Box::pin(async move {
            let found = r.lookup_ip(name).await.map_err(|e| e.to_string())?;
            let ttl = ttl_of(found.valid_until());
            Ok((found.iter().collect(), ttl))
        })
    }

    fn lookup_srv(
        &self,
        name: &str,
    ) -> BoxFuture<'static, Result<(Vec<SrvTarget>, Duration), String>> {
        let r = self.inner.clone();
        let name = format!("{}.", name.trim_end_matches('.'));
        Box::pin(async move {
            let found = r.srv_lookup(name).await.map_err(|e| e.to_string())?;
            let ttl = ttl_of(found.as_lookup().valid_until());
            let targets = found
                .iter()
                .map(|s| SrvTarget {
                    host: s.target().to_utf8().trim_end_matches('.').to_owned(),
                    port: s.port(),
                    weight: s.weight(),
                    priority: s.priority(),
                })
                .collect();
            Ok((targets, ttl))
        })
    }
}

/// Start resolving the runtime's named nodes, if it has any.
pub(crate) fn spawn(rt: &Arc<UpstreamRuntime>, resolver: Arc<dyn Resolver>) {
    let named: Vec<(usize, NodeAddr)> = rt
        .spec
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| !matches!(n.addr, NodeAddr::Ip(_)))
        .map(|(i, n)| (i, n.addr.clone()))
        .collect();
    if named.is_empty() {
        return;
    }
    let weak = Arc::downgrade(rt);
    let task = tokio::spawn(run(weak, named, resolver));
    rt.own_task(task.abort_handle());
}

async fn run(
    rt: Weak<UpstreamRuntime>,
    named: Vec<(usize, NodeAddr)>,
    resolver: Arc<dyn Resolver>,
) {
    // When each name is due for resolution.
    let mut due: Vec<tokio::time::Instant> = vec![tokio::time::Instant::now(); named.len()];
    loop {
        let Some(up) = rt.upgrade() else { return };
        let (min, max) = up.spec.dns_ttl;
        let now = tokio::time::Instant::now();
        for (k, (index, addr)) in named.iter().enumerate() {
            if due[k] > now {
                continue;
            }
            let weight = up.spec.nodes[*index].weight;
            let next = match resolve(&*resolver, addr, weight).await {
                Ok((found, ttl)) => {
                    tracing::debug!(service = %up.service, name = %addr, addresses = found.len(), ?ttl, "resolved");
                    up.set_resolved(*index, found);
                    ttl.clamp(min, max)
                }
                Err(e) => {
                    tracing::warn!(service = %up.service, name = %addr, error = %e, "resolution failed; keeping the last known addresses");
                    min
                }
            };
            due[k] = tokio::time::Instant::now() + next;
        }
        let wake = due.iter().min().copied().unwrap_or(now + max);
        drop(up);
        tokio::time::sleep_until(wake).await;
    }
}

/// The addresses of one named node and the shortest TTL involved.
async fn resolve(
    resolver: &dyn Resolver,
    addr: &NodeAddr,
    weight: u32,
) -> Result<(Vec<Resolved>, Duration), String> {
    match addr {
        NodeAddr::Ip(sa) => Ok((
            vec![Resolved {
                addr: *sa,
                weight,
                host: sa.ip().to_string().into(),
            }],
            Duration::MAX,
        )),
        NodeAddr::Host { host, port } => {
            let (ips, ttl) = resolver.lookup_ip(host).await?;
            if ips.is_empty() {
                return Err(format!("{host} has no addresses"));
            }
            let host: Arc<str> = host.as_str().into();
            Ok((
                ips.into_iter()
                    .map(|ip| Resolved {
                        addr: SocketAddr::new(ip, *port),
                        weight,
                        host: Arc::clone(&host),
                    })
                    .collect(),
                ttl,
            ))
        }
        NodeAddr::Srv { name } => {
            let (records, mut ttl) = resolver.lookup_srv(name).await?;
            let Some(best) = records.iter().map(|r| r.priority).min() else {
                return Err(format!("{name} has no SRV records"));
            };
            let mut out = Vec::new();
            for r in records.iter().filter(|r| r.priority == best) {
                let (ips, t) = resolver.lookup_ip(&r.host).await?;
                ttl = ttl.min(t);
                let host: Arc<str> = r.host.as_str().into();
                for ip in ips {
                    out.push(Resolved {
                        addr: SocketAddr::new(ip, r.port),
                        // SRV weight 0 means "rarely"; keep such targets.
                        weight: u32::from(r.weight.max(1)),
                        host: Arc::clone(&host),
                    });
                }
            }
            if out.is_empty() {
                return Err(format!("{name}'s targets have no addresses"));
            }
            Ok((out, ttl))
        }
    }
}
