//! Upstream side of the proxy: per-service runtime state — the live member
//! set (configured, DNS-discovered and registered nodes) with its balancer,
//! each member's health and connections (an HTTP/1.1 pool or one shared
//! HTTP/2 connection), the TLS client — plus connecting, and the body
//! wrappers that return a connection to its pool once an exchange has fully
//! completed and hold the client's body to its limits.
//!
//! Dependencies between the rooms go one way, from the bytes up:
//! `client_body` (the client's body held to its limits) ← `body` (the
//! request body sent to a node) ← `connect` (handshakes carrying that body
//! type; with `io`, `tls`, `resilience`) ← `pool` / `h2pool` (connections
//! kept per node) ← `response_body` (returns a connection to its pool when
//! the exchange ends) and `members` / `registry` (who holds the pools). A
//! lower room never names a higher one: what both sides of an exchange
//! share (the request's [`Completion`]) lives on the lower side.

mod body;
mod client_body;
mod connect;
mod h2pool;
mod io;
mod members;
mod node_error;
mod pool;
mod registry;
mod resilience;
mod response_body;
mod state;
mod tls;

pub(crate) use body::{Completion, Kept, RequestBody};
pub(crate) use client_body::{BodyFault, BodyLimits};
pub(crate) use connect::ConnectError;
pub(crate) use connect::{connect_http1, connect_http2, connect_io};
pub(crate) use h2pool::{H2Node, H2Sender, Opening};
pub(crate) use io::UpstreamIo;
pub use members::Registration;
pub(crate) use members::{Link, Member, MemberSource, Members};
pub(crate) use node_error::NodeError;
pub(crate) use pool::{NodePool, PoolSettings, PooledSender};
pub(crate) use registry::ConnRegistry;
pub(crate) use resilience::{BreakerLimit, InFlight, Resilience};
pub(crate) use response_body::Release;
pub(crate) use response_body::ResponseBody;
pub use state::NodeStatus;
pub(crate) use state::{NodeState, Transition};
pub(crate) use tls::UpstreamTlsClient;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use weir_core::compile::{CompiledUpstream, NodeAddr, UpstreamProtocol};

/// An address found for a configured DNS or SRV name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub addr: SocketAddr,
    pub weight: u32,
    /// The host name the address belongs to (TLS SNI).
    pub host: Arc<str>,
}

/// Failed requests in a row that report a node failing when the service
/// has no outlier settings: the default of `outlier.consecutive_failures`.
const PASSIVE_REPORT_AFTER: u32 = 5;

/// What a member's health report says, for the admin API and dashboard.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NodeReport {
    pub addr: String,
    pub source: MemberSource,
    pub weight: u32,
    pub enabled: bool,
    pub status: NodeStatus,
    /// Milliseconds left of a passive ejection.
    pub ejected_for_ms: Option<u64>,
    /// Unix ms of the last active check.
    pub last_check_ms: Option<i64>,
    /// The last failed check's or request's error.
    pub last_error: Option<NodeError>,
    /// Unix ms of the last failed request.
    pub last_failure_ms: Option<i64>,
    /// Requests failed in a row right now.
    pub failed_in_a_row: u32,
    /// Whether any request to the node has finished (a passive verdict
    /// exists).
    pub seen_traffic: bool,
    /// Unix ms of the last status change.
    pub since_ms: i64,
}

/// A member to be, before its state and connections are attached.
struct Wanted {
    addr: NodeAddr,
    sni: Option<Arc<str>>,
    weight: u32,
    enabled: bool,
    source: MemberSource,
}

#[derive(Debug, Default)]
struct Sources {
    /// Addresses per configured node index (DNS and SRV names).
    resolved: HashMap<usize, Vec<Resolved>>,
    registered: Vec<Registration>,
}

/// Runtime state of one service's upstream. Kept across reloads while the
/// service's upstream configuration is unchanged; when it changes, member
/// health, pools and resolved addresses are carried over by address.
#[derive(Debug)]
pub struct UpstreamRuntime {
    pub spec: CompiledUpstream,
    pub service: Arc<str>,
    /// TLS client when the upstream speaks TLS.
    pub tls: Option<UpstreamTlsClient>,
    members: ArcSwap<Members>,
    sources: Mutex<Sources>,
    states: Mutex<HashMap<String, Arc<NodeState>>>,
    pools: Mutex<HashMap<String, Arc<NodePool>>>,
    h2: Mutex<HashMap<String, Arc<H2Node>>>,
    /// Node status changes (health and ejection), for metrics.
    pub transitions: AtomicU64,
    /// Retry budget and circuit breaker counts (carried over on change).
    pub resilience: Arc<Resilience>,
    /// Where pools and HTTP/2 connections are shared with other services.
    conns: Arc<ConnRegistry>,
    tasks: Mutex<Vec<tokio::task::AbortHandle>>,
}

impl Drop for UpstreamRuntime {
    fn drop(&mut self) {
        for t in self
            .tasks
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            t.abort();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl UpstreamRuntime {
    /// Build the runtime for `spec`, carrying over from `previous` what
    /// belongs to unchanged nodes.
    pub fn new(
        service: Arc<str>,
        spec: CompiledUpstream,
        previous: Option<&UpstreamRuntime>,
        registered: Vec<Registration>,
        conns: Arc<ConnRegistry>,
    ) -> Self {
        let tls = spec.tls.as_ref().and_then(|t| {
            UpstreamTlsClient::new(t, spec.protocol)
                .map_err(|e| tracing::error!(service = %service, error = %e, "upstream TLS settings unusable"))
                .ok()
        });
        let same_conn = previous.is_some_and(|p| {
            PoolSettings::from_upstream(&p.spec) == PoolSettings::from_upstream(&spec)
                && p.spec.protocol == spec.protocol
        });
        let mut sources = Sources {
            registered,
            ..Sources::default()
        };
        let (states, pools, h2) = match previous {
            Some(p) => {
                // Resolved addresses of names that are still configured.
                let old = lock(&p.sources);
                for (i, node) in spec.nodes.iter().enumerate() {
                    if let Some(j) = p.spec.nodes.iter().position(|n| n.addr == node.addr)
                        && let Some(r) = old.resolved.get(&j)
                    {
                        sources.resolved.insert(i, r.clone());
                    }
                }
                (
                    lock(&p.states).clone(),
                    if same_conn {
                        lock(&p.pools).clone()
                    } else {
                        HashMap::new()
                    },
                    if same_conn {
                        lock(&p.h2).clone()
                    } else {
                        HashMap::new()
                    },
                )
            }
            None => Default::default(),
        };
        let rt = Self {
            members: ArcSwap::from_pointee(Members::new(Vec::new(), spec.balance)),
            spec,
            service,
            tls,
            sources: Mutex::new(sources),
            states: Mutex::new(states),
            pools: Mutex::new(pools),
            h2: Mutex::new(h2),
            transitions: AtomicU64::new(0),
            resilience: previous.map_or_else(Default::default, |p| Arc::clone(&p.resilience)),
            conns,
            tasks: Mutex::new(Vec::new()),
        };
        rt.rebuild();
        rt
    }

    /// The members to balance over now.
    #[inline]
    pub fn members(&self) -> Arc<Members> {
        self.members.load_full()
    }

    /// Replace the addresses found for configured node `index`.
    pub fn set_resolved(&self, index: usize, found: Vec<Resolved>) {
        let changed = {
            let mut s = lock(&self.sources);
            let prev = s.resolved.insert(index, found.clone());
            prev.as_ref() != Some(&found)
        };
        if changed {
            self.rebuild();
        }
    }

    /// Replace the registered instances (expired ones are left out).
    pub fn set_registrations(&self, regs: Vec<Registration>) {
        let changed = {
            let mut s = lock(&self.sources);
            let changed = s.registered != regs;
            s.registered = regs;
            changed
        };
        if changed {
            self.rebuild();
        }
    }

    /// Recompute the members from the configuration and the discovered and
    /// registered instances, and swap them in.
    pub(crate) fn rebuild(&self) {
        let now_ms = state::now_ms();
        let sources = lock(&self.sources);
        let mut wanted: Vec<Wanted> = Vec::new();
        for (i, node) in self.spec.nodes.iter().enumerate() {
            match &node.addr {
                NodeAddr::Ip(_) => {
                    wanted.push(Wanted {
                        addr: node.addr.clone(),
                        sni: None,
                        weight: node.weight,
                        enabled: node.enabled,
                        source: MemberSource::Static,
                    });
                }
                NodeAddr::Host { host, .. } => {
                    match sources.resolved.get(&i).filter(|r| !r.is_empty()) {
                        Some(found) => {
                            for r in found {
                                let source = MemberSource::Dns { name: host.clone() };
                                wanted.push(Wanted {
                                    addr: NodeAddr::Ip(r.addr),
                                    sni: Some(Arc::clone(&r.host)),
                                    weight: node.weight,
                                    enabled: node.enabled,
                                    source,
                                });
                            }
                        }
                        // Not resolved yet: connect by name meanwhile.
                        None => wanted.push(Wanted {
                            addr: node.addr.clone(),
                            sni: None,
                            weight: node.weight,
                            enabled: node.enabled,
                            source: MemberSource::Dns { name: host.clone() },
                        }),
                    }
                }
                NodeAddr::Srv { name } => {
                    for r in sources.resolved.get(&i).into_iter().flatten() {
                        let source = MemberSource::Srv { name: name.clone() };
                        wanted.push(Wanted {
                            addr: NodeAddr::Ip(r.addr),
                            sni: Some(Arc::clone(&r.host)),
                            weight: r.weight.max(1),
                            enabled: node.enabled,
                            source,
                        });
                    }
                }
            }
        }
        for reg in sources
            .registered
            .iter()
            .filter(|r| r.expires_at_ms > now_ms)
        {
            let source = MemberSource::Registered { id: reg.id.clone() };
            wanted.push(Wanted {
                addr: NodeAddr::Ip(reg.addr),
                sni: None,
                weight: reg.weight.max(1),
                enabled: true,
                source,
            });
        }
        drop(sources);

        let mut states = lock(&self.states);
        let mut pools = lock(&self.pools);
        let mut h2 = lock(&self.h2);
        let settings = PoolSettings::from_upstream(&self.spec);
        let mut seen = std::collections::HashSet::new();
        let mut list = Vec::with_capacity(wanted.len());
        for Wanted {
            addr,
            sni,
            weight,
            enabled,
            source,
        } in wanted
        {
            let key = addr.to_string();
            if !seen.insert(key.clone()) {
                continue;
            }
            let state = Arc::clone(states.entry(key.clone()).or_default());
            let link = match self.spec.protocol {
                UpstreamProtocol::Http1 => {
                    let p = pools.entry(key.clone()).or_insert_with(|| {
                        self.conns
                            .h1(&addr, sni.as_ref(), &settings, self.tls.as_ref())
                    });
                    Link::Http1(Arc::clone(p))
                }
                UpstreamProtocol::Http2 => {
                    let c = h2.entry(key.clone()).or_insert_with(|| {
                        self.conns.h2(
                            &addr,
                            sni.as_ref(),
                            self.spec.tls.as_ref(),
                            self.tls.as_ref(),
                        )
                    });
                    Link::Http2(Arc::clone(c))
                }
                UpstreamProtocol::Tcp => Link::Tcp,
            };
            list.push(Member {
                label: key.as_str().into(),
                addr,
                sni,
                weight,
                enabled,
                source,
                state,
                link,
            });
        }
        states.retain(|k, _| seen.contains(k));
        pools.retain(|k, _| seen.contains(k));
        h2.retain(|k, _| seen.contains(k));
        self.members
            .store(Arc::new(Members::new(list, self.spec.balance)));
    }

    /// Passive health: record how a request to `member` went. The node's
    /// passive report (failing after failed requests in a row) is kept
    /// always; ejection only with `outlier` settings.
    pub fn record_outcome(&self, member: &Member, failure: Option<&NodeError>) {
        let reported = match failure {
            None => member.state.note_success(),
            Some(reason) => member.state.note_failure(self.report_after(), reason),
        };
        match reported {
            Some(Transition::StartedFailing) => {
                let reason = failure.map(ToString::to_string).unwrap_or_default();
                tracing::warn!(service = %self.service, node = %member.addr, reason, "node failing: its requests fail");
            }
            Some(Transition::StoppedFailing) => {
                tracing::info!(service = %self.service, node = %member.addr, "node answering again");
            }
            _ => {}
        }
        let Some(o) = &self.spec.outlier else { return };
        let now = crate::clock::mono_nanos();
        match failure {
            None => member.state.record_success(o, now),
            Some(reason) => {
                let members = self.members();
                let t = member.state.record_failure(o, now, reason, || {
                    members.may_eject(o.max_ejected_percent, now)
                });
                if let Some(Transition::Ejected(d)) = t {
                    self.transitions.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(service = %self.service, node = %member.addr, ejected_for = ?d, reason = %reason, "node ejected after failed requests");
                }
            }
        }
    }

    /// Failed requests in a row after which a node is reported failing:
    /// the outlier setting, or its default without one.
    fn report_after(&self) -> u32 {
        self.spec
            .outlier
            .as_ref()
            .map_or(PASSIVE_REPORT_AFTER, |o| o.consecutive_failures)
    }

    /// Is `status` a failure for passive health? The outlier setting's
    /// statuses, or its default (502, 503, 504) without one.
    pub fn is_failure_status(&self, status: u16) -> bool {
        match &self.spec.outlier {
            Some(o) => o.failure_statuses.contains(&status),
            None => matches!(status, 502..=504),
        }
    }

    /// Every member's health, for the admin API.
    pub fn health_report(&self) -> Vec<NodeReport> {
        let now = crate::clock::mono_nanos();
        self.members()
            .list
            .iter()
            .map(|m| {
                let until = m.state.ejected_until();
                NodeReport {
                    addr: m.addr.to_string(),
                    source: m.source.clone(),
                    weight: m.weight,
                    enabled: m.enabled,
                    status: m.state.status(m.enabled, now),
                    ejected_for_ms: (until > now).then(|| (until - now) / 1_000_000),
                    last_check_ms: m.state.last_check_ms(),
                    last_error: m.state.last_error(),
                    last_failure_ms: m.state.last_failure_ms(),
                    failed_in_a_row: m.state.failed_in_a_row(),
                    seen_traffic: m.state.seen_traffic(),
                    since_ms: m.state.since_ms(),
                }
            })
            .collect()
    }

    /// Keep a background task (health checks, DNS) for this runtime's life.
    pub(crate) fn own_task(&self, task: tokio::task::AbortHandle) {
        lock(&self.tasks).push(task);
    }

    /// Drop idle connections that outlived the idle timeout.
    pub fn sweep_idle(&self) {
        for m in self.members().list.iter() {
            match &m.link {
                Link::Http1(p) => p.sweep(),
                Link::Http2(h) => h.sweep(),
                Link::Tcp => {}
            }
        }
    }
}
