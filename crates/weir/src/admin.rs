//! The admin listener's wiring: first-start admin account, the admin
//! options from the process configuration, the accept loop (connection cap,
//! head deadline, idle timeout — the data plane's rules), and [`Runtime`] —
//! the binary's implementation of `weir_admin::GatewayRuntime` over the data
//! plane.
//!
//! In `weir admin` (no proxy role) the process still follows the store into
//! its own (unserved) data plane, so that explain answers against the
//! current configuration there too; statistics and health then are not
//! available in that process.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use axum::extract::ConnectInfo;
use http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tower::ServiceExt as _;
use weir_admin::auth::bootstrap::{Bootstrap, ensure_first_admin};
use weir_admin::auth::throttle::ThrottleOptions;
use weir_admin::runtime::{
    ExplainError, ExplainRequest, Explanation, HealthSummary, HourPoint, HourlySeries,
    ListenerInfo, NodeHealth, NodeStatus, RejectionClasses, ServiceHealth, StatsScope, TokenTryout,
    Traffic,
};
use weir_admin::{AdminOptions, AdminState, CookieSecure, GatewayRuntime, RuntimeStatus};
use weir_core::compile::IpSet;
use weir_proxy::{
    AcceptOptions, Activity, ConnGate, ConnLimits, DataPlane, Ending, ExplainInput,
    NodeStatus as ProxyNodeStatus, Scope, TrackedBody, accept_loop, drive,
};
use weir_store::Store;

use crate::config::{CookieSecurity, ProcessConfig};
use crate::stats::StatsView;

/// The environment variable that sets the first admin's password.
pub const ADMIN_PASSWORD_ENV: &str = "WEIR_ADMIN_PASSWORD";

/// The running gateway as the admin API sees it.
pub struct Runtime {
    pub plane: Arc<DataPlane>,
    /// Whether this process serves traffic (proxy role).
    pub data_plane: bool,
    pub time_zone: String,
    /// Statistics: the store's rollups plus this process's unflushed counts.
    pub stats: Arc<StatsView>,
    /// Per-service listeners (proxy role only).
    pub listeners: Option<Arc<weir_proxy::ServiceListeners>>,
    /// The bound HTTP listener (proxy role only), for the token try-out.
    pub http_addr: Option<SocketAddr>,
}

impl Runtime {
    fn traffic(&self, scope: Scope, name: &str) -> Traffic {
        let (today_requests, qps) = self.stats.traffic(scope, name);
        Traffic {
            today_requests,
            qps,
            recent: self.stats.recent(scope, name),
        }
    }
}

fn point(h: &weir_store::HourStats) -> HourPoint {
    HourPoint {
        hour: h.hour,
        requests: h.requests,
        status_1xx: h.status[0],
        status_2xx: h.status[1],
        status_3xx: h.status[2],
        status_4xx: h.status[3],
        status_5xx: h.status[4],
        rejected: h.rejected,
        p50_ms: h.p50_ms,
        p99_ms: h.p99_ms,
        bytes_in: h.bytes_in,
        bytes_out: h.bytes_out,
        failed_grpc: h.failed_grpc,
    }
}

fn classes(reasons: &std::collections::BTreeMap<String, u64>) -> RejectionClasses {
    let mut out = RejectionClasses::default();
    for (class, counts) in weir_proxy::rejections_by_class(reasons) {
        let slot = match class {
            "policy" => &mut out.policy,
            "upstream" => &mut out.upstream,
            "client" => &mut out.client,
            _ => &mut out.routing,
        };
        slot.extend(counts);
    }
    out
}

#[async_trait]
impl GatewayRuntime for Runtime {
    fn status(&self) -> RuntimeStatus {
        let snap = self.plane.snapshot();
        let (installs, install_failures) = self.plane.install_counts();
        RuntimeStatus {
            snapshot_revision: snap.revision,
            services: snap.config.services.len(),
            installs,
            install_failures,
            data_plane: self.data_plane,
        }
    }

    fn explain(&self, request: &ExplainRequest) -> Result<Explanation, ExplainError> {
        let input = ExplainInput {
            method: request.method.clone(),
            host: request.host.clone(),
            path: request.path.clone(),
            headers: request
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            client_ip: request.client_ip.clone(),
            https: request.scheme == weir_admin::runtime::Scheme::Https,
        };
        // The answer and the error are weir_core::report's on both sides.
        weir_proxy::explain(&self.plane, &input)
    }

    fn metrics(&self) -> Option<String> {
        self.data_plane
            .then(|| weir_proxy::render_metrics(&self.plane))
    }

    fn stats_available(&self) -> bool {
        true
    }

    async fn listeners(&self) -> Option<Vec<ListenerInfo>> {
        // weir_core::report's type on both sides.
        Some(self.listeners.as_ref()?.status().await)
    }

    fn gateway_traffic(&self) -> Traffic {
        self.traffic(Scope::Gateway, "")
    }

    fn service_traffic(&self, service: &str) -> Traffic {
        self.traffic(Scope::Service, service)
    }

    fn tenant_traffic(&self, tenant: &str) -> Traffic {
        self.traffic(Scope::Tenant, tenant)
    }

    async fn hourly(&self, scope: &StatsScope) -> HourlySeries {
        let (s, name) = match scope {
            StatsScope::Gateway => (Scope::Gateway, ""),
            StatsScope::Service(n) => (Scope::Service, n.as_str()),
            StatsScope::Tenant(n) => (Scope::Tenant, n.as_str()),
        };
        match self.stats.series(s, name).await {
            Ok(series) => HourlySeries {
                available: true,
                time_zone: self.time_zone.clone(),
                today: series.today.iter().map(point).collect(),
                yesterday: series.yesterday.iter().map(point).collect(),
                day: point(&series.day),
                rejections_by_class: classes(&series.rejections_today),
                rejections_today: series.rejections_today,
                grpc_status_today: series.grpc_today,
                current: self.traffic(s, name),
            },
            Err(e) => {
                tracing::warn!(error = %e, "statistics unavailable");
                HourlySeries::unavailable(&self.time_zone)
            }
        }
    }

    fn node_health(&self, service: &str) -> Option<ServiceHealth> {
        let snap = self.plane.snapshot();
        let svc = snap.config.service(service)?;
        // Passive health (request outcomes) runs wherever traffic is
        // served; without active checks a node nobody has used is unknown.
        let active = svc.upstream.health_check.is_some();
        let reports = self.plane.node_health(service)?;
        let nodes: Vec<NodeHealth> = reports
            .into_iter()
            .map(|r| NodeHealth {
                addr: r.addr,
                weight: r.weight,
                enabled: r.enabled,
                status: match r.status {
                    _ if !r.enabled => NodeStatus::Disabled,
                    _ if !self.data_plane => NodeStatus::Unknown,
                    ProxyNodeStatus::Healthy if active || r.seen_traffic => NodeStatus::Healthy,
                    ProxyNodeStatus::Healthy => NodeStatus::Unknown,
                    ProxyNodeStatus::Unhealthy => NodeStatus::Unhealthy,
                    ProxyNodeStatus::Ejected => NodeStatus::Ejected,
                    ProxyNodeStatus::Failing => NodeStatus::Failing,
                    ProxyNodeStatus::Disabled => NodeStatus::Disabled,
                },
                last_check_ms: r.last_check_ms,
                last_error: r.last_error.as_ref().map(ToString::to_string),
                last_error_code: r.last_error.as_ref().map(|e| e.code().to_owned()),
                last_error_params: r.last_error.as_ref().map(|e| {
                    e.params()
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect()
                }),
                last_failure_ms: r.last_failure_ms,
                failed_in_a_row: r.failed_in_a_row,
                since_ms: Some(r.since_ms),
                in_flight: None,
            })
            .collect();
        Some(ServiceHealth {
            service: service.to_owned(),
            checks_available: self.data_plane,
            summary: if svc.spec.enabled {
                HealthSummary::of(&nodes)
            } else {
                HealthSummary::off(u32::try_from(nodes.len()).unwrap_or(u32::MAX))
            },
            nodes,
        })
    }

    async fn token_exchange(&self, app_id: &str, secret: &str) -> Option<TokenTryout> {
        let addr = self.http_addr.filter(|_| self.data_plane)?;
        Some(token_exchange(addr, app_id, secret).await)
    }
}

/// `POST /oauth/tokens` on this process's own HTTP listener, as a client
/// would send it (the dashboard's token try-out).
async fn token_exchange(mut addr: SocketAddr, app_id: &str, secret: &str) -> TokenTryout {
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let endpoint = format!("http://{addr}/oauth/tokens");
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(10))
        .build();
    let sent = match client {
        Ok(c) => {
            c.post(&endpoint)
                .basic_auth(app_id, Some(secret))
                .send()
                .await
        }
        Err(e) => Err(e),
    };
    let (status, body) = match sent {
        Ok(res) => {
            let status = res.status().as_u16();
            let text = res.text().await.unwrap_or_default();
            let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
            (status, body)
        }
        Err(e) => (
            502,
            serde_json::json!({ "error": "unreachable", "error_description": e.to_string() }),
        ),
    };
    TokenTryout {
        endpoint,
        status,
        body,
    }
}

/// Admin options from the process configuration.
pub fn options(cfg: &ProcessConfig) -> AdminOptions {
    AdminOptions {
        session_idle_timeout: cfg.admin.session_idle_timeout.get(),
        session_absolute_timeout: cfg.admin.session_absolute_timeout.get(),
        cookie_secure: match cfg.admin.cookie_secure {
            CookieSecurity::Auto => CookieSecure::Auto,
            CookieSecurity::Always => CookieSecure::Always,
            CookieSecurity::Never => CookieSecure::Never,
        },
        time_zone: cfg.time_zone.clone(),
        throttle: ThrottleOptions {
            ipv6_prefix: cfg.proxy.ipv6_client_prefix,
            ..ThrottleOptions::default()
        },
        ..AdminOptions::default()
    }
}

/// Create the first admin if there is none, printing a generated password
/// once.
pub async fn bootstrap(store: &Store, options: &AdminOptions) -> anyhow::Result<()> {
    let configured = std::env::var(ADMIN_PASSWORD_ENV)
        .ok()
        .filter(|p| !p.is_empty());
    let now = weir_admin::Clock::system().now_ms();
    match ensure_first_admin(store, options.password, configured, now)
        .await
        .context("cannot create the first admin user")?
    {
        Bootstrap::Existing => {}
        Bootstrap::Created {
            generated_password: Some(password),
        } => tracing::warn!(
            user = "admin",
            password = %password,
            "created the first admin user with this generated password, shown only now; \
             it must be changed at first login (set {ADMIN_PASSWORD_ENV} to choose it)"
        ),
        Bootstrap::Created {
            generated_password: None,
        } => tracing::info!(
            user = "admin",
            "created the first admin user with the password from {ADMIN_PASSWORD_ENV}; \
             it must be changed at first login"
        ),
    }
    Ok(())
}

/// Serve the admin API on `listener` until `stopped` resolves.
pub async fn start(
    cfg: &ProcessConfig,
    store: Store,
    runtime: Runtime,
    listener: TcpListener,
    stopped: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<(SocketAddr, JoinHandle<()>)> {
    let mut options = options(cfg);
    bootstrap(&store, &options).await?;
    let addr = listener.local_addr()?;
    // No instance may register the gateway's own sockets as a node.
    options.gateway_addrs = [
        Some(addr),
        Some(runtime.http_addr.unwrap_or(cfg.listen.http)),
        cfg.https_addr().ok().flatten(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let state = AdminState::new(store, Arc::new(runtime), options);
    let limits = ListenerLimits::from_config(cfg);
    // Validated with the configuration; an empty set trusts no one.
    let trusted = Arc::new(IpSet::parse(&cfg.admin.trusted_proxies).unwrap_or_default());
    let router = weir_admin::router(state);
    let task = tokio::spawn(serve(listener, router, limits, trusted, stopped));
    Ok((addr, task))
}

/// The admin listener's connection limits: the data plane's head deadline
/// and idle timeout, and its own cap on open connections.
#[derive(Debug, Clone, Copy)]
struct ListenerLimits {
    header_read_timeout: Duration,
    idle_timeout: Duration,
    max_connections: usize,
    shutdown_grace: Duration,
}

impl ListenerLimits {
    fn from_config(cfg: &ProcessConfig) -> Self {
        Self {
            header_read_timeout: cfg.proxy.header_read_timeout.get(),
            idle_timeout: cfg.proxy.idle_timeout.get(),
            max_connections: cfg.admin.max_connections,
            shutdown_grace: cfg.proxy.shutdown_grace.get(),
        }
    }
}

/// Serve the admin router until `shutdown` resolves, on the data plane's
/// accept loop: connections over `admin.max_connections` are closed at once,
/// each one lives under the head deadline and idle timeout of
/// [`weir_proxy::drive`], and each request carries the client address
/// (`ConnectInfo`, for the audit log and login throttling): the TCP peer,
/// or, when the peer is in `admin.trusted_proxies` (the load balancer in
/// front of several admin processes), the client it names in
/// `X-Forwarded-For` — the data plane's rule, so that the login throttle
/// counts clients, not the balancer.
async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: ListenerLimits,
    trusted: Arc<IpSet>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let gate = Arc::new(ConnGate::new(ConnLimits {
        max_total: limits.max_connections,
        max_per_ip: limits.max_connections,
        ..ConnLimits::default()
    }));
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    let accept = AcceptOptions {
        name: "admin",
        header_read_timeout: limits.header_read_timeout,
        shutdown_grace: limits.shutdown_grace,
    };
    // One cap for everyone: the admin listener has no per-address share.
    accept_loop(listener, accept, &gate, |_| false, shutdown, |a| {
        let (builder, router, peer) = (Arc::clone(&builder), router.clone(), a.peer);
        let trusted = Arc::clone(&trusted);
        tokio::spawn(async move {
            let activity = Activity::new();
            let tracked = Arc::clone(&activity);
            let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
                let client = weir_proxy::client_ip(peer.ip(), req.headers(), &trusted);
                req.extensions_mut()
                    .insert(ConnectInfo(SocketAddr::new(client, peer.port())));
                let guard = tracked.start_request();
                let call = router.clone().oneshot(req);
                async move {
                    let res = call.await?;
                    Ok::<_, Infallible>(res.map(|body| TrackedBody::new(body, guard)))
                }
            });
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(a.stream), service);
            match drive(conn, &activity, a.deadline, limits.idle_timeout, a.stop).await {
                Ending::HeadTimeout => {
                    tracing::debug!(%peer, "admin: no request within header_read_timeout; connection closed");
                }
                Ending::Closed { result: Err(e), .. } => {
                    tracing::debug!(%peer, error = %e, "admin connection ended with an error");
                }
                Ending::Closed { .. } => {}
            }
        });
    })
    .await;
}
