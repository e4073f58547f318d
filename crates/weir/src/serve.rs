//! Running the gateway: `weir serve` (data plane and admin listener in one
//! process), `weir proxy` and `weir admin` (one role each, for a cluster
//! sharing one store). The data plane follows the store's revisions and
//! installs each new configuration; `weir proxy` also keeps the last one in
//! a local file ([`crate::cache`]) and starts from it when the store is
//! unreachable.

use std::net::SocketAddr;
use std::os::fd::OwnedFd;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use weir_core::ConfigDocument;
use weir_core::compile::{IpSet, Rate};
use weir_proxy::{
    AccessLog, AccessLogTarget, ConnLimits, DataPlane, DataPlaneOptions, DnsResolver,
    GoGatewayCompat, HttpListenerOptions, InheritedSockets, LimitBackend, LocalLimits,
    RedisSettings, Registration, ServiceListeners, SharedLimits, SyncTask, WallClock,
    handover_copy, listen, serve_http, serve_https,
};
use weir_store::{RevisionFollower, Store};

use crate::cache::ConfigCache;
use crate::config::ProcessConfig;
use crate::handover::{Incoming, UpgradeServer};
use crate::stats::StatsFlusher;

/// Which parts of the gateway a process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roles {
    pub proxy: bool,
    pub admin: bool,
}

impl Roles {
    pub const ALL: Roles = Roles {
        proxy: true,
        admin: true,
    };
}

/// A running gateway. Dropping it does not stop it; call [`Gateway::shutdown`].
pub struct Gateway {
    /// Bound data-plane address (`None` when the proxy role is off).
    pub http_addr: Option<SocketAddr>,
    /// Bound HTTPS address (`None` when off or the proxy role is off).
    pub https_addr: Option<SocketAddr>,
    /// Per-service listeners (TCP and gRPC ports).
    pub listeners: Option<Arc<ServiceListeners>>,
    /// Bound admin address (`None` when the admin role is off).
    pub admin_addr: Option<SocketAddr>,
    /// Bound health-listener address (`None` when `listen.health` is off).
    pub health_addr: Option<SocketAddr>,
    pub plane: Arc<DataPlane>,
    store: Store,
    stop: watch::Sender<bool>,
    /// Tasks that drain on shutdown (listeners), awaited in order.
    draining: Vec<JoinHandle<()>>,
    /// Tasks that are simply stopped on shutdown.
    background: Vec<JoinHandle<()>>,
    /// How long in-flight work may finish on shutdown.
    shutdown_grace: Duration,
    /// What the statistics flusher has written (shared with the reader).
    flushed: crate::stats::Flushed,
    /// The statistics flusher, flushed once more on shutdown.
    flusher: Option<crate::stats::FlusherHandle>,
    /// Sockets handed over by the previous process, until claimed.
    inherited: Arc<InheritedSockets>,
    /// Copies of the main listening sockets (http, https, admin) for the
    /// next upgrade; dropped first on shutdown so the ports close.
    main_sockets: Arc<std::sync::Mutex<Vec<(String, OwnedFd)>>>,
    /// Turns true once a new process has taken over the sockets.
    upgraded: watch::Receiver<bool>,
    /// This process in the fleet (data-plane processes only).
    membership: Option<crate::fleet::Membership>,
    /// Fleet-wide limits' exchange with Redis (`[cluster] redis`).
    shared_limits: Option<SyncTask>,
}

impl Gateway {
    /// Both roles in one process.
    pub async fn start(cfg: &ProcessConfig) -> anyhow::Result<Self> {
        Self::start_roles(cfg, Roles::ALL).await
    }

    /// Open the store, then start the data plane (install the current
    /// configuration, bind, follow revisions) and/or the admin listener.
    /// Port 0 picks a free port.
    pub async fn start_roles(cfg: &ProcessConfig, roles: Roles) -> anyhow::Result<Self> {
        Self::start_upgradable(cfg, roles, None).await
    }

    /// Like [`Gateway::start_roles`]; with an upgrade socket, first take
    /// the listening sockets over from the process answering there (if
    /// any), then answer there for the next upgrade (see [`crate::handover`]).
    pub async fn start_upgradable(
        cfg: &ProcessConfig,
        roles: Roles,
        upgrade_socket: Option<&Path>,
    ) -> anyhow::Result<Self> {
        let mut incoming = match upgrade_socket {
            Some(path) => crate::handover::take_over(path).await?,
            None => None,
        };
        let inherited = Arc::new(inherited_sockets(incoming.as_mut())?);
        let upgrade_fd = incoming
            .as_mut()
            .and_then(|i| i.take(crate::handover::UPGRADE));
        let (upgraded_tx, upgraded) = watch::channel(false);
        let mut gateway = Self::start_inner(cfg, roles, Arc::clone(&inherited), upgraded).await?;
        // Last, so that its `/readyz` answers only once everything above
        // has started: store open, configuration installed, ports bound.
        gateway.start_health(cfg).await?;
        if roles.proxy {
            gateway.join_fleet(cfg, roles);
        }
        for addr in inherited.close_unclaimed() {
            tracing::info!(%addr, "closing a handed-over socket the configuration no longer uses");
        }
        if let Some(path) = upgrade_socket {
            if incoming.is_some() && upgrade_fd.is_none() {
                // The old process could not hand its upgrade socket over:
                // its file is in the way of a fresh one.
                let _ = std::fs::remove_file(path);
            }
            let server = UpgradeServer::listen(path, upgrade_fd)?;
            let main = Arc::clone(&gateway.main_sockets);
            let listeners = gateway.listeners.clone();
            gateway.background.push(tokio::spawn(async move {
                server
                    .serve(|| handover_sockets(&main, listeners.as_deref()))
                    .await;
                let _ = upgraded_tx.send(true);
                // Keep the sender alive: a dropped one would read as stop.
                std::future::pending::<()>().await;
            }));
        }
        // Only now: the upgrade socket answers too, for whoever waits for
        // this line to upgrade or stop this process.
        tracing::info!(
            http_addr = gateway.http_addr.map(|a| a.to_string()),
            https_addr = gateway.https_addr.map(|a| a.to_string()),
            admin_addr = gateway.admin_addr.map(|a| a.to_string()),
            health_addr = gateway.health_addr.map(|a| a.to_string()),
            store = %weir_store::redact_url(&cfg.store.url),
            revision = gateway.plane.snapshot().revision,
            from_cache = gateway.plane.store.from_cache.load(Ordering::Relaxed),
            "weir is serving"
        );
        // systemd first: it must know the new main process before the old
        // one, told to go, exits.
        crate::handover::notify_systemd();
        if let Some(incoming) = incoming {
            // Serving already: if the old process is gone, so much the better.
            match incoming.ready().await {
                Ok(()) => {
                    tracing::info!("took over the listening sockets; the previous process drains")
                }
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "serving; the previous process did not hear that")
                }
            }
        }
        Ok(gateway)
    }

    /// Resolves once a new process has taken over this one's sockets (it
    /// is then time to [`Gateway::shutdown`]); never without an upgrade
    /// socket.
    pub async fn upgraded(&self) {
        let mut upgraded = self.upgraded.clone();
        if upgraded.wait_for(|u| *u).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    async fn start_inner(
        cfg: &ProcessConfig,
        roles: Roles,
        inherited: Arc<InheritedSockets>,
        upgraded: watch::Receiver<bool>,
    ) -> anyhow::Result<Self> {
        // Only `weir proxy` may start without the store (from its cache):
        // the admin side has nothing to serve without it.
        let cache = match roles {
            Roles {
                proxy: true,
                admin: false,
            } => cfg
                .cache_path()?
                .map(|path| ConfigCache::new(path, &cfg.store.url)),
            _ => None,
        };
        let (store, cached) = crate::cache::open_store(&cfg.store.url, cache.as_ref()).await?;
        if cached.is_none() {
            crate::bootstrap::ensure_signing_key(&store, cfg.token.algorithm)
                .await
                .context("cannot create the token signing key")?;
        }
        let (options, shared_limits) = data_plane_options(cfg, roles.proxy).await?;
        let plane = Arc::new(DataPlane::with_options(options));
        let (stop, stopped) = watch::channel(false);
        let mut gateway = Self {
            http_addr: None,
            https_addr: None,
            listeners: None,
            admin_addr: None,
            health_addr: None,
            plane,
            store,
            stop,
            draining: Vec::new(),
            background: Vec::new(),
            flusher: None,
            shutdown_grace: cfg.proxy.shutdown_grace.get(),
            flushed: Default::default(),
            inherited,
            main_sockets: Default::default(),
            upgraded,
            membership: None,
            shared_limits,
        };
        if roles.proxy {
            gateway.start_proxy(cfg, &stopped, cache, cached).await?;
        }
        if roles.admin {
            gateway.start_admin(cfg, &stopped, roles.proxy).await?;
        }
        Ok(gateway)
    }

    async fn start_proxy(
        &mut self,
        cfg: &ProcessConfig,
        stopped: &watch::Receiver<bool>,
        cache: Option<ConfigCache>,
        cached: Option<(i64, ConfigDocument)>,
    ) -> anyhow::Result<()> {
        if let Some(warning) = cfg.open_file_limit_warning() {
            tracing::warn!("{warning}");
        }
        let spill = cache.as_ref().map(ConfigCache::stats_spill);
        let mut follower = RevisionFollower::new(self.store.clone(), cfg.store.poll_interval.get())
            .reachable(Arc::clone(&self.plane.store.reachable));
        match cached {
            Some((revision, doc)) => {
                self.plane.store.reachable.store(false, Ordering::Relaxed);
                if !install(&self.plane, revision, &doc) {
                    anyhow::bail!(
                        "the store is unreachable and the cached configuration was refused"
                    );
                }
                self.plane.store.from_cache.store(true, Ordering::Relaxed);
            }
            None => {
                let (revision, doc) = follower.next().await;
                install_from_store(&self.plane, cache.as_ref(), revision, doc).await;
            }
        }

        let http = self.listen("http", cfg.listen.http, "listen.http").await?;
        self.http_addr = Some(http.local_addr()?);
        let opts = HttpListenerOptions {
            header_read_timeout: cfg.proxy.header_read_timeout.get(),
            idle_timeout: cfg.proxy.idle_timeout.get(),
            max_header_bytes: cfg.proxy.max_header_bytes,
            max_headers: cfg.proxy.max_headers,
            shutdown_grace: cfg.proxy.shutdown_grace.get(),
            ..HttpListenerOptions::default()
        };
        if let Some(addr) = cfg.https_addr()? {
            let https = self.listen("https", addr, "listen.https").await?;
            let bound = https.local_addr()?;
            self.https_addr = Some(bound);
            self.plane.set_https_port(bound.port());
            self.draining.push(tokio::spawn(serve_https(
                https,
                Arc::clone(&self.plane),
                opts.clone(),
                wait_for(stopped.clone()),
            )));
        }
        self.draining.push(tokio::spawn(serve_http(
            http,
            Arc::clone(&self.plane),
            opts.clone(),
            wait_for(stopped.clone()),
        )));

        // Per-service ports (TCP, gRPC): opened now, then kept in step with
        // every new revision; failed binds are retried every few seconds.
        let listeners = Arc::new(ServiceListeners::with_inherited(
            Arc::clone(&self.plane),
            cfg.listen.service_address,
            opts,
            cfg.proxy.listener_drain_grace.get(),
            Arc::clone(&self.inherited),
        ));
        listeners.reconcile().await;
        self.listeners = Some(Arc::clone(&listeners));

        let plane = Arc::clone(&self.plane);
        self.background.push(tokio::spawn(async move {
            let mut retry = tokio::time::interval(Duration::from_secs(5));
            retry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    (revision, doc) = follower.next() => {
                        install_from_store(&plane, cache.as_ref(), revision, doc).await;
                    }
                    _ = retry.tick() => {}
                }
                listeners.reconcile().await;
            }
        }));
        self.background
            .push(self.plane.spawn_maintenance(Duration::from_secs(5)));
        self.background.push(follow_registrations(
            self.store.clone(),
            Arc::clone(&self.plane),
            cfg.store.poll_interval.get(),
        ));
        let mut flusher = StatsFlusher::new(
            Arc::clone(&self.plane),
            self.store.clone(),
            self.plane.options.time_zone.clone(),
            Arc::clone(&self.flushed),
        );
        if let Some(spill) = spill {
            flusher = flusher.spill_to(spill);
        }
        self.flusher =
            Some(flusher.spawn_handle(cfg.stats.flush_interval.get(), cfg.stats.retention.get()));
        Ok(())
    }

    async fn start_admin(
        &mut self,
        cfg: &ProcessConfig,
        stopped: &watch::Receiver<bool>,
        data_plane: bool,
    ) -> anyhow::Result<()> {
        if !data_plane {
            // No proxy role: follow the store anyway, into a data plane that
            // serves nothing, so that explain sees the current configuration.
            let mut follower =
                RevisionFollower::new(self.store.clone(), cfg.store.poll_interval.get())
                    .reachable(Arc::clone(&self.plane.store.reachable));
            let plane = Arc::clone(&self.plane);
            self.background.push(tokio::spawn(async move {
                loop {
                    let (revision, doc) = follower.next().await;
                    install(&plane, revision, &doc);
                }
            }));
        }
        let stats = Arc::new(crate::stats::StatsView::new(
            Arc::clone(&self.plane),
            self.store.clone(),
            self.plane.options.time_zone.clone(),
            Arc::clone(&self.flushed),
        ));
        if let Err(e) = stats.refresh().await {
            tracing::warn!(error = %e, "cannot read statistics yet");
        }
        self.background.push(stats.spawn_refresh());
        let runtime = crate::admin::Runtime {
            plane: Arc::clone(&self.plane),
            data_plane,
            time_zone: cfg.time_zone.clone(),
            stats,
            listeners: self.listeners.clone(),
            http_addr: self.http_addr,
        };
        let listener = self
            .listen("admin", cfg.listen.admin, "listen.admin")
            .await?;
        let (addr, task) = crate::admin::start(
            cfg,
            self.store.clone(),
            runtime,
            listener,
            wait_for(stopped.clone()),
        )
        .await?;
        self.admin_addr = Some(addr);
        self.draining.push(task);
        Ok(())
    }

    /// The health listener (`listen.health`, see [`weir_proxy::serve_health`]):
    /// `/readyz` turns 503 when shutdown starts; it keeps answering during
    /// the drain, and stops accepting only when a new process has taken its
    /// socket over (which then answers for both).
    async fn start_health(&mut self, cfg: &ProcessConfig) -> anyhow::Result<()> {
        let Some(addr) = cfg.health_addr()? else {
            return Ok(());
        };
        let listener = self.listen("health", addr, "listen.health").await?;
        self.health_addr = Some(listener.local_addr()?);
        let mut upgraded = self.upgraded.clone();
        let taken_over = async move {
            if upgraded.wait_for(|u| *u).await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        self.background.push(tokio::spawn(weir_proxy::serve_health(
            listener,
            self.stop.subscribe(),
            Arc::clone(&self.plane.store),
            taken_over,
            self.http_addr.map(|_| Arc::clone(&self.plane)),
        )));
        Ok(())
    }

    /// Register this data-plane process in the store and heartbeat (see
    /// [`crate::fleet`]).
    fn join_fleet(&mut self, cfg: &ProcessConfig, roles: Roles) {
        let addresses = [
            self.http_addr,
            self.https_addr,
            self.admin_addr,
            self.health_addr,
        ]
        .into_iter()
        .flatten()
        .collect();
        let info = crate::fleet::NodeInfo {
            role: if roles.admin { "serve" } else { "proxy" },
            addresses,
            heartbeat: cfg.store.heartbeat_interval.get(),
            poll: cfg.store.poll_interval.get(),
        };
        self.membership = Some(crate::fleet::Membership::start(
            self.store.clone(),
            Arc::clone(&self.plane),
            info,
        ));
    }

    /// Adopt the handed-over socket listening on `addr`, or bind it; keep a
    /// copy of it for the next upgrade.
    async fn listen(
        &self,
        name: &str,
        addr: SocketAddr,
        setting: &str,
    ) -> anyhow::Result<TcpListener> {
        let listener = listen(addr, &self.inherited)
            .await
            .with_context(|| format!("cannot listen on {addr} ({setting})"))?;
        match handover_copy(&listener) {
            Ok(fd) => lock(&self.main_sockets).push((name.to_owned(), fd)),
            Err(e) => {
                tracing::warn!(%addr, error = %e, "cannot keep a copy of the listening socket; an upgrade will bind it anew")
            }
        }
        Ok(listener)
    }

    /// Stop accepting, let in-flight requests, WebSocket tunnels and TCP
    /// connections finish (up to the configured grace period), then stop
    /// everything else.
    pub async fn shutdown(self) {
        // The copies kept for an upgrade would hold the ports open.
        lock(&self.main_sockets).clear();
        let _ = self.stop.send(true);
        // First, so that nobody waits for a draining node to take a revision.
        if let Some(membership) = self.membership {
            let now = self.plane.options.wall_clock.now_ms();
            membership.leave(&self.store, now).await;
        }
        let grace = self.shutdown_grace;
        let services = async {
            if let Some(l) = &self.listeners {
                l.shutdown(grace).await;
            }
        };
        let main = async {
            for task in self.draining {
                let _ = task.await;
            }
        };
        let tunnels = async {
            self.plane.tunnels.close();
            if tokio::time::timeout(grace, self.plane.tunnels.wait())
                .await
                .is_err()
            {
                tracing::warn!(
                    open = self.plane.tunnels.len(),
                    "WebSocket tunnels still open after the shutdown grace period; closing them"
                );
            }
        };
        tokio::join!(services, main, tunnels);
        for task in self.background {
            task.abort();
        }
        if let Some(flusher) = self.flusher {
            flusher.stop_and_flush().await;
        }
        // Unused leased tokens back to the fleet's buckets.
        if let Some(sync) = self.shared_limits {
            sync.stop().await;
        }
        self.store.close().await;
    }

    /// The store this gateway uses.
    pub fn store(&self) -> &Store {
        &self.store
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The TCP listeners among the handed-over sockets, by local address.
fn inherited_sockets(incoming: Option<&mut Incoming>) -> anyhow::Result<InheritedSockets> {
    let Some(incoming) = incoming else {
        return Ok(InheritedSockets::default());
    };
    let mut sockets = Vec::new();
    for (name, fd) in std::mem::take(&mut incoming.sockets) {
        if name == crate::handover::UPGRADE {
            incoming.sockets.push((name, fd));
            continue;
        }
        sockets.push(crate::handover::tcp_listener(&name, fd)?);
    }
    Ok(InheritedSockets::new(sockets))
}

/// Copies of every listening socket of this process, for a new process.
async fn handover_sockets(
    main: &std::sync::Mutex<Vec<(String, OwnedFd)>>,
    listeners: Option<&ServiceListeners>,
) -> Vec<(String, OwnedFd)> {
    let mut out: Vec<(String, OwnedFd)> = lock(main)
        .iter()
        .filter_map(|(name, fd)| Some((name.clone(), fd.try_clone().ok()?)))
        .collect();
    if let Some(l) = listeners {
        out.extend(
            l.handover_sockets()
                .await
                .into_iter()
                .map(|(name, fd)| (format!("service:{name}"), fd)),
        );
    }
    out
}

/// Make `doc` current; false when it does not compile (the previous
/// configuration keeps serving).
fn install(plane: &DataPlane, revision: i64, doc: &ConfigDocument) -> bool {
    match plane.install(revision, doc) {
        Ok(report) => {
            tracing::info!(
                revision = report.revision,
                services = report.services,
                upstreams_kept = report.upstreams_kept,
                "configuration installed"
            );
            true
        }
        Err(errors) => {
            tracing::error!(
                revision,
                "configuration revision refused; the previous one keeps serving: {errors}"
            );
            false
        }
    }
}

/// Install a revision the store delivered; once installed, the proxy no
/// longer serves its cached configuration, and the cache file (if any)
/// holds this one for the next start without the store.
async fn install_from_store(
    plane: &DataPlane,
    cache: Option<&ConfigCache>,
    revision: i64,
    doc: ConfigDocument,
) {
    if !install(plane, revision, &doc) {
        return;
    }
    if plane.store.from_cache.swap(false, Ordering::Relaxed) {
        tracing::info!(revision, "following the store again");
    }
    let Some(cache) = cache.cloned() else { return };
    let written = tokio::task::spawn_blocking(move || {
        cache
            .write(revision, &doc)
            .with_context(|| format!("cannot write {}", cache.path().display()))
    })
    .await;
    match written {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(
            error = %format!("{e:#}"),
            "cannot cache the configuration (store.cache); a start without the store will fail"
        ),
        Err(e) => tracing::warn!(error = %e, "caching the configuration failed"),
    }
}

/// Keep the data plane's registered instances in step with the store.
/// Registrations are runtime state with their own sequence number: every
/// poll drops expired ones (which moves the sequence) and reloads when the
/// sequence moved. Heartbeats only extend an expiry, so cached entries are
/// never expired locally — the store decides.
fn follow_registrations(store: Store, plane: Arc<DataPlane>, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut seen: Option<i64> = None;
        loop {
            tick.tick().await;
            let now = jiff::Timestamp::now().as_millisecond();
            let step = async {
                store.prune_registrations(now).await?;
                let seq = store.registration_seq().await?;
                if seen == Some(seq) {
                    return Ok::<_, weir_store::StoreError>(None);
                }
                let regs = store.registrations(now).await?;
                Ok(Some((seq, regs)))
            };
            match step.await {
                Ok(None) => {}
                Ok(Some((seq, regs))) => {
                    let mut by_service: std::collections::HashMap<String, Vec<Registration>> =
                        std::collections::HashMap::new();
                    for r in regs {
                        let Ok(addr) = r.addr.parse() else {
                            tracing::warn!(id = %r.id, addr = %r.addr, "ignoring a registration with an unreadable address");
                            continue;
                        };
                        by_service.entry(r.service).or_default().push(Registration {
                            id: r.id,
                            addr,
                            weight: r.weight,
                            expires_at_ms: i64::MAX,
                        });
                    }
                    let count: usize = by_service.values().map(Vec::len).sum();
                    tracing::info!(registered = count, "registered instances updated");
                    plane.set_registrations(by_service);
                    seen = Some(seq);
                }
                Err(e) => tracing::debug!(error = %e, "reading registrations failed; will retry"),
            }
        }
    })
}

/// Where limits are counted: in this process, or (`[cluster] redis`, data
/// plane only) for the whole fleet, with the task that talks to Redis.
fn limit_backend(
    cfg: &ProcessConfig,
    data_plane: bool,
) -> anyhow::Result<(Arc<dyn LimitBackend>, Option<SyncTask>)> {
    if cfg.cluster.redis.is_empty() || !data_plane {
        return Ok((Arc::new(LocalLimits), None));
    }
    let shared = Arc::new(SharedLimits::new());
    let task = SyncTask::spawn(
        Arc::clone(&shared),
        RedisSettings {
            url: cfg.cluster.redis.clone(),
            key_prefix: cfg.cluster.key_prefix.clone(),
            timeout: cfg.cluster.redis_timeout.get(),
        },
    )
    .map_err(|e| anyhow::anyhow!("cluster.redis: {e}"))?;
    tracing::info!(
        redis = %weir_store::redact_url(&cfg.cluster.redis),
        prefix = %cfg.cluster.key_prefix,
        "limits and quotas are counted for the whole fleet in Redis"
    );
    Ok((shared, Some(task)))
}

/// The data plane's settings from the process configuration.
async fn data_plane_options(
    cfg: &ProcessConfig,
    data_plane: bool,
) -> anyhow::Result<(DataPlaneOptions, Option<SyncTask>)> {
    let (limits, sync) = limit_backend(cfg, data_plane)?;
    let trusted_proxies = IpSet::parse(&cfg.proxy.trusted_proxies)
        .map_err(|(i, why)| anyhow::anyhow!("proxy.trusted_proxies[{i}]: {why}"))?;
    let time_zone = jiff::tz::TimeZone::get(&cfg.time_zone)
        .with_context(|| format!("time_zone: {:?}", cfg.time_zone))?;
    let access_log = match AccessLogTarget::parse(&cfg.log.access) {
        None => None,
        Some(target) => Some(
            AccessLog::start(target)
                .await
                .with_context(|| format!("log.access: cannot open {:?}", cfg.log.access))?,
        ),
    };
    Ok((
        DataPlaneOptions {
            trusted_proxies,
            time_zone,
            token_ttl: cfg.token.ttl.get(),
            token_endpoint_rate: Rate {
                per_second: cfg.token.requests_per_second,
                burst: cfg.token.burst,
            },
            client_ip_capacity: cfg.proxy.client_ip_capacity,
            ipv6_client_prefix: cfg.proxy.ipv6_client_prefix,
            wall_clock: WallClock::System,
            limits,
            access_log,
            resolver: Some(Arc::new(
                DnsResolver::new(&cfg.dns_servers()?)
                    .map_err(|e| anyhow::anyhow!("proxy.dns_servers: {e}"))?,
            )),
            connection_limits: ConnLimits {
                max_total: cfg.proxy.max_connections,
                max_per_ip: cfg.proxy.max_connections_per_ip,
                ipv6_prefix: cfg.proxy.ipv6_client_prefix,
            },
            body_read_timeout: cfg.proxy.body_read_timeout.get(),
            go_gateway_compat: Some(cfg.compat.go_gateway_token_secret.as_str())
                .filter(|s| !s.is_empty())
                .map(GoGatewayCompat::new),
        },
        sync,
    ))
}

async fn wait_for(mut stopped: watch::Receiver<bool>) {
    // An error means the sender is gone: treat as stop.
    let _ = stopped.wait_for(|s| *s).await;
}
