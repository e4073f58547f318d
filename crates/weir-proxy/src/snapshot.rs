//! The snapshot every request reads, its replacement on reload, and the
//! options and shared state of the data plane.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use jiff::tz::TimeZone;
use weir_core::compile::{IpSet, Rate};
use weir_core::{CompiledConfig, ConfigDocument, ValidationErrors, compile};

use crate::access_log::AccessLog;
use crate::clock::WallClock;
use crate::conn::{ConnGate, ConnLimits};
use crate::discovery::{DnsResolver, Resolver};
use crate::policy::limit::{
    DEFAULT_CAPACITY, DEFAULT_IPV6_CLIENT_PREFIX, KeyedLimiter, LimitBackend, LocalLimits,
    ServiceLimiters, TenantLimiters,
};
use crate::stats::{Scope, ScopeStats, StatsRegistry};
use crate::upstream::{ConnRegistry, NodeReport, Registration, UpstreamRuntime};

/// One immutable configuration with the runtime state bound to it.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Store revision this snapshot was compiled from (0 = none yet).
    pub revision: i64,
    pub config: CompiledConfig,
    /// Index-aligned with `config.services`.
    pub services: Box<[ServiceRuntime]>,
    /// By app id.
    pub tenants: HashMap<Arc<str>, TenantRuntime>,
    /// Bearer tokens verified under this configuration.
    pub tokens: crate::policy::VerifiedTokens,
}

/// Runtime state of one service; each part is kept across reloads while
/// what it depends on is unchanged.
#[derive(Debug, Clone)]
pub struct ServiceRuntime {
    pub upstream: Arc<UpstreamRuntime>,
    pub limiters: Arc<ServiceLimiters>,
    pub stats: Arc<ScopeStats>,
}

/// Runtime state of one tenant, kept across reloads by app id.
#[derive(Debug, Clone)]
pub struct TenantRuntime {
    pub limiters: Arc<TenantLimiters>,
    pub stats: Arc<ScopeStats>,
}

/// What an install did, for logs and metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallReport {
    pub revision: i64,
    pub services: usize,
    /// Services whose upstream runtime (pools, balancer state) was kept.
    pub upstreams_kept: usize,
}

/// Settings of the data plane that come from the process configuration.
#[derive(Debug)]
pub struct DataPlaneOptions {
    /// Peers whose `X-Forwarded-For` / `Forwarded` name the client.
    pub trusted_proxies: IpSet,
    /// Calendar days for quotas.
    pub time_zone: TimeZone,
    /// Lifetime of tokens from the token endpoint.
    pub token_ttl: Duration,
    /// Per-client-IP limit on the token endpoint (slows brute force).
    pub token_endpoint_rate: Rate,
    /// Client addresses tracked per limiter.
    pub client_ip_capacity: usize,
    /// Per-IP limits count an IPv6 client by its network of this many bits.
    pub ipv6_client_prefix: u8,
    pub wall_clock: WallClock,
    pub limits: Arc<dyn LimitBackend>,
    pub access_log: Option<AccessLog>,
    /// Resolves nodes given by DNS name (`None`: the system resolver).
    pub resolver: Option<Arc<dyn Resolver>>,
    /// Caps on open client connections of the HTTP listeners.
    pub connection_limits: ConnLimits,
    /// Longest wait for the next piece of a client's request body; past it
    /// the upstream request is aborted and the client answered 408.
    pub body_read_timeout: Duration,
    /// Accept go-gateway's tokens (`[compat] go_gateway_token_secret`).
    pub go_gateway_compat: Option<crate::policy::GoGatewayCompat>,
}

impl Default for DataPlaneOptions {
    fn default() -> Self {
        Self {
            trusted_proxies: IpSet::default(),
            time_zone: TimeZone::UTC,
            token_ttl: Duration::from_secs(3600),
            token_endpoint_rate: Rate {
                per_second: 5,
                burst: 10,
            },
            client_ip_capacity: DEFAULT_CAPACITY,
            ipv6_client_prefix: DEFAULT_IPV6_CLIENT_PREFIX,
            wall_clock: WallClock::System,
            limits: Arc::new(LocalLimits),
            access_log: None,
            resolver: None,
            connection_limits: ConnLimits::default(),
            body_read_timeout: Duration::from_secs(60),
            go_gateway_compat: None,
        }
    }
}

/// Holder of the current snapshot; shared by every listener.
#[derive(Debug)]
pub struct DataPlane {
    current: ArcSwap<Snapshot>,
    pub options: DataPlaneOptions,
    pub stats: StatsRegistry,
    /// Per-IP limiter of the token endpoint.
    pub(crate) token_limiter: KeyedLimiter<IpAddr>,
    /// Client connections of the HTTP listeners: admission and counts.
    pub connections: Arc<ConnGate>,
    /// Upgraded connections (WebSocket tunnels), which hyper no longer
    /// tracks once upgraded: shutdown and an upgrade wait for them.
    pub tunnels: tokio_util::task::TaskTracker,
    /// Port of the HTTPS listener for redirects (0 = none, use 443).
    https_port: std::sync::atomic::AtomicU16,
    resolver: Arc<dyn Resolver>,
    /// Upstream connections shared by services that use the same node.
    pub conns: Arc<ConnRegistry>,
    /// Registered instances per service (runtime state, not configuration).
    registrations: Mutex<HashMap<String, Vec<Registration>>>,
    /// Serialises installs so two reloads never race on carry-over.
    install_lock: Mutex<()>,
    installs: AtomicU64,
    install_failures: AtomicU64,
    /// The revision of the snapshot in use, for whoever reports it as soon
    /// as it changes (the fleet heartbeat).
    revision: tokio::sync::watch::Sender<i64>,
    /// Whether the store answers and where the configuration came from.
    pub store: Arc<StoreState>,
}

/// What the data plane knows about the configuration store, for
/// `/metrics`: the data plane itself never waits on the store.
#[derive(Debug)]
pub struct StoreState {
    /// The revision follower's last poll reached the store (it sets this;
    /// true until it says otherwise).
    pub reachable: Arc<AtomicBool>,
    /// The configuration serving traffic was read from the local cache
    /// file at start, and the store has not delivered one since.
    pub from_cache: AtomicBool,
}

impl StoreState {
    /// What `/readyz` adds to `ready` (see [`crate::probe`]); `None` while
    /// the store answers.
    pub fn readiness_note(&self) -> Option<&'static str> {
        if self.from_cache.load(Ordering::Relaxed) {
            Some("the store is unreachable; serving the cached configuration")
        } else if !self.reachable.load(Ordering::Relaxed) {
            Some("the store is unreachable; serving the configuration in use")
        } else {
            None
        }
    }
}

impl Default for StoreState {
    fn default() -> Self {
        Self {
            reachable: Arc::new(AtomicBool::new(true)),
            from_cache: AtomicBool::new(false),
        }
    }
}

impl Default for DataPlane {
    fn default() -> Self {
        Self::new()
    }
}

impl DataPlane {
    pub fn new() -> Self {
        Self::with_options(DataPlaneOptions::default())
    }

    pub fn with_options(options: DataPlaneOptions) -> Self {
        let resolver = options.resolver.clone().unwrap_or_else(|| match DnsResolver::new(&[]) {
            Ok(r) => Arc::new(r),
            Err(e) => {
                tracing::warn!(error = %e, "no system DNS configuration; names resolve at connect time only");
                Arc::new(NoResolver)
            }
        });
        Self {
            resolver,
            conns: Arc::new(ConnRegistry::default()),
            registrations: Mutex::new(HashMap::new()),
            current: ArcSwap::from_pointee(Snapshot::default()),
            token_limiter: KeyedLimiter::new(options.client_ip_capacity),
            connections: Arc::new(ConnGate::new(options.connection_limits)),
            tunnels: tokio_util::task::TaskTracker::new(),
            https_port: std::sync::atomic::AtomicU16::new(0),
            options,
            stats: StatsRegistry::default(),
            install_lock: Mutex::new(()),
            installs: AtomicU64::new(0),
            install_failures: AtomicU64::new(0),
            // The empty snapshot above is revision 0.
            revision: tokio::sync::watch::Sender::new(0),
            store: Arc::new(StoreState::default()),
        }
    }

    /// The revision of the snapshot in use, changed by every install.
    pub fn watch_revision(&self) -> tokio::sync::watch::Receiver<i64> {
        self.revision.subscribe()
    }

    /// The snapshot to use for one request or connection.
    #[inline]
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Compile `doc` and make it current. On error nothing changes: the old
    /// snapshot keeps serving.
    pub fn install(
        &self,
        revision: i64,
        doc: &ConfigDocument,
    ) -> Result<InstallReport, ValidationErrors> {
        let config = match compile(doc) {
            Ok(c) => c,
            Err(e) => {
                self.install_failures.fetch_add(1, Ordering::Relaxed);
                return Err(e);
            }
        };
        let _guard = self
            .install_lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let old = self.current.load();
        let previous: HashMap<&str, &ServiceRuntime> = old
            .config
            .services
            .iter()
            .zip(old.services.iter())
            .map(|(s, rt)| (&*s.name, rt))
            .collect();
        let mut kept = 0;
        let registrations = self
            .registrations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut started = Vec::new();
        let services: Box<[ServiceRuntime]> = config
            .services
            .iter()
            .map(|svc| {
                let prev = previous.get(&*svc.name);
                let upstream = match prev {
                    Some(p) if p.upstream.spec == svc.upstream => {
                        kept += 1;
                        Arc::clone(&p.upstream)
                    }
                    _ => {
                        let rt = Arc::new(UpstreamRuntime::new(
                            Arc::clone(&svc.name),
                            svc.upstream.clone(),
                            prev.map(|p| p.upstream.as_ref()),
                            registrations.get(&*svc.name).cloned().unwrap_or_default(),
                            Arc::clone(&self.conns),
                        ));
                        started.push(Arc::clone(&rt));
                        rt
                    }
                };
                // Limit state survives any change: a new rate simply
                // applies to the existing bucket.
                let limiters = prev.map_or_else(
                    || {
                        Arc::new(ServiceLimiters::new(
                            self.options.client_ip_capacity,
                            self.options.ipv6_client_prefix,
                        ))
                    },
                    |p| Arc::clone(&p.limiters),
                );
                ServiceRuntime {
                    upstream,
                    limiters,
                    stats: self.stats.scope(Scope::Service, &svc.name),
                }
            })
            .collect();
        let tenants = config
            .tenants
            .keys()
            .map(|id| {
                let limiters = old
                    .tenants
                    .get(id)
                    .map_or_else(Default::default, |t| Arc::clone(&t.limiters));
                let rt = TenantRuntime {
                    limiters,
                    stats: self.stats.scope(Scope::Tenant, id),
                };
                (Arc::clone(id), rt)
            })
            .collect();
        let report = InstallReport {
            revision,
            services: config.services.len(),
            upstreams_kept: kept,
        };
        self.current.store(Arc::new(Snapshot {
            revision,
            config,
            services,
            tenants,
            tokens: Default::default(),
        }));
        self.installs.fetch_add(1, Ordering::Relaxed);
        self.revision.send_replace(revision);
        // Health checks and DNS discovery of new runtimes (outside a tokio
        // runtime, e.g. in plain unit tests, there is nothing to run them).
        if tokio::runtime::Handle::try_current().is_ok() {
            for rt in started {
                if let Some(hc) = rt.spec.health_check.clone() {
                    crate::health::spawn(&rt, hc);
                }
                crate::discovery::spawn(&rt, Arc::clone(&self.resolver));
            }
        }
        Ok(report)
    }

    /// Replace the registered instances of every service (self-registration
    /// is runtime state: it does not create revisions). Services not in the
    /// map have none.
    pub fn set_registrations(&self, by_service: HashMap<String, Vec<Registration>>) {
        let snap = self.snapshot();
        for (svc, rt) in snap.config.services.iter().zip(snap.services.iter()) {
            let regs = by_service.get(&*svc.name).cloned().unwrap_or_default();
            rt.upstream.set_registrations(regs);
        }
        *self.registrations.lock().unwrap_or_else(|p| p.into_inner()) = by_service;
    }

    /// Health of every node of a service, or `None` for an unknown service.
    pub fn node_health(&self, service: &str) -> Option<Vec<NodeReport>> {
        let snap = self.snapshot();
        let i = snap
            .config
            .services
            .binary_search_by(|s| (*s.name).cmp(service))
            .ok()?;
        Some(snap.services[i].upstream.health_report())
    }

    /// Record where the HTTPS listener is, for HTTP→HTTPS redirects.
    pub fn set_https_port(&self, port: u16) {
        self.https_port.store(port, Ordering::Relaxed);
    }

    pub fn https_port(&self) -> Option<u16> {
        match self.https_port.load(Ordering::Relaxed) {
            0 => None,
            p => Some(p),
        }
    }

    /// Client connections open now.
    pub fn open_connections(&self) -> i64 {
        self.connections.open() as i64
    }

    /// Successful and refused installs since start.
    pub fn install_counts(&self) -> (u64, u64) {
        (
            self.installs.load(Ordering::Relaxed),
            self.install_failures.load(Ordering::Relaxed),
        )
    }

    /// Periodically close idle upstream connections past their idle timeout
    /// and forget expired per-client limiter entries. Runs until the
    /// returned task is aborted or the runtime stops.
    pub fn spawn_maintenance(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let plane = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(plane) = plane.upgrade() else { return };
                let now = crate::clock::mono_nanos();
                for svc in plane.snapshot().services.iter() {
                    svc.upstream.sweep_idle();
                    svc.limiters.client_ip.sweep(now);
                }
                plane.token_limiter.sweep(now);
            }
        })
    }
}

/// Used when the system has no DNS configuration: names then resolve only
/// when connecting.
#[derive(Debug)]
struct NoResolver;

impl Resolver for NoResolver {
    fn lookup_ip(
        &self,
        host: &str,
    ) -> futures_util::future::BoxFuture<'static, Result<(Vec<IpAddr>, Duration), String>> {
        let e = format!("cannot resolve {host}: no DNS configuration");
        Box::pin(async move { Err(e) })
    }

    fn lookup_srv(
        &self,
        name: &str,
    ) -> futures_util::future::BoxFuture<
        'static,
        Result<(Vec<crate::discovery::SrvTarget>, Duration), String>,
    > {
        let e = format!("cannot resolve {name}: no DNS configuration");
        Box::pin(async move { Err(e) })
    }
}
