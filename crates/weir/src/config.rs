//! The process configuration (`weir.toml`): where to listen, which store to
//! use, time zone, logging, proxy tuning, the token service and statistics.
//!
//! Precedence, lowest first: built-in defaults, the TOML file, `WEIR_*`
//! environment variables, command-line flags. Every key has an environment
//! variable named after its path: `store.url` is `WEIR_STORE_URL`,
//! `listen.http` is `WEIR_LISTEN_HTTP`, `time_zone` is `WEIR_TIME_ZONE`.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use weir_core::HumanDuration;

/// Everything `weir serve` needs to start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProcessConfig {
    pub listen: ListenConfig,
    pub store: StoreConfig,
    /// IANA time zone for calendar days (daily quotas, statistics).
    pub time_zone: String,
    pub log: LogConfig,
    pub proxy: ProxyConfig,
    pub token: TokenConfig,
    pub stats: StatsConfig,
    pub admin: AdminConfig,
    pub compat: CompatConfig,
    pub cluster: ClusterConfig,
}

/// A fleet's shared state besides the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    /// Redis for limits and quotas counted once for the whole fleet:
    /// `redis://[user:password@]host:port/db`, `rediss://…` (TLS) or
    /// `redis+unix:///path/redis.sock`. Empty = each process counts its
    /// own. Prefer `WEIR_CLUSTER_REDIS` when it holds a password.
    pub redis: String,
    /// Prefix of every Redis key Weir writes (several fleets can share one
    /// Redis under different prefixes).
    pub key_prefix: String,
    /// A Redis call slower than this counts as Redis being away; each node
    /// then counts its share of every limit until Redis answers again.
    pub redis_timeout: HumanDuration,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            redis: String::new(),
            key_prefix: "weir".into(),
            redis_timeout: HumanDuration::from_millis(250),
        }
    }
}

impl ClusterConfig {
    fn validate(&self) -> anyhow::Result<()> {
        if !self.redis.is_empty() {
            let scheme = self.redis.split("://").next().unwrap_or_default();
            if !["redis", "rediss", "redis+unix", "unix"].contains(&scheme)
                || !self.redis.contains("://")
            {
                bail!(
                    "cluster.redis: must start with redis://, rediss:// or redis+unix:// (e.g. redis://10.0.0.5:6379/0)"
                );
            }
            if redis_url_is_unusable(&self.redis) {
                bail!(
                    "cluster.redis: not a usable Redis URL (e.g. redis://:PASSWORD@10.0.0.5:6379/0)"
                );
            }
        }
        let p = &self.key_prefix;
        if p.is_empty()
            || p.len() > 64
            || !p
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
        {
            bail!("cluster.key_prefix: 1 to 64 letters, digits, '-', '_', '.' or ':'");
        }
        let t = self.redis_timeout.get();
        if t < Duration::from_millis(10) || t > Duration::from_secs(10) {
            bail!("cluster.redis_timeout: must be between 10ms and 10s");
        }
        Ok(())
    }
}

/// Whether the Redis client refuses `url` (checked without connecting;
/// nothing of the URL is quoted back, it may hold a password).
fn redis_url_is_unusable(url: &str) -> bool {
    !weir_proxy::redis_url_is_usable(url)
}

/// Migration aids, all off by default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CompatConfig {
    /// go-gateway's token signing secret (its `JWTSignKey`): tokens it issued
    /// (HS256, no `kid`, issuer = app id) keep working while clients move
    /// over. Empty = off. Prefer `WEIR_COMPAT_GO_GATEWAY_TOKEN_SECRET`.
    pub go_gateway_token_secret: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ListenConfig {
    /// Plain HTTP (HTTP/1.1 and h2c) data-plane listener.
    pub http: SocketAddr,
    /// HTTPS data-plane listener (`off` to disable).
    pub https: String,
    /// Admin API listener; keep it on loopback unless it is protected.
    pub admin: SocketAddr,
    /// Address the per-service ports (TCP and gRPC services) bind on.
    pub service_address: std::net::IpAddr,
    /// Health listener (`/healthz`, `/readyz`) for orchestrators' probes,
    /// in every role (`off` to disable).
    pub health: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// `sqlite://PATH` (created on first start), later `postgres://…`, `mysql://…`.
    pub url: String,
    /// How often the revision is polled for changes.
    pub poll_interval: HumanDuration,
    /// How often each data-plane process records in the store that it is
    /// alive and which revision it serves (the fleet, `/api/v1/gateways`).
    /// A node silent for 3 intervals shows as down.
    pub heartbeat_interval: HumanDuration,
    /// Where `weir proxy` keeps a copy of the last configuration it
    /// installed, to serve it when it starts while the store is
    /// unreachable: a file path, `off`, or `auto` (`weir-config-cache.json`
    /// in `$STATE_DIRECTORY` when systemd sets it, else in the working
    /// directory; off for a SQLite store, which is a local file anyway).
    pub cache: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `error`, `warn`, `info`, `debug`, `trace`, or a tracing filter such as
    /// `info,weir_proxy=debug`.
    pub level: String,
    /// `text` or `json`.
    pub format: LogFormat,
    /// Access log: `off`, `stdout`, `stderr` or a file path. One JSON object
    /// per request.
    pub access: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProxyConfig {
    /// Worker threads of the runtime; 0 = one per CPU.
    pub worker_threads: usize,
    /// Time from accept to a complete first request head (TLS handshake,
    /// protocol detection and HTTP/2 preface included); also the time for
    /// each later HTTP/1.1 request head.
    pub header_read_timeout: HumanDuration,
    /// A client connection with no request open for this long is closed.
    pub idle_timeout: HumanDuration,
    /// Largest request head accepted, in bytes.
    pub max_header_bytes: usize,
    /// Most header fields in one request.
    pub max_headers: usize,
    /// Client connections open at once on the HTTP, HTTPS and gRPC
    /// listeners together.
    pub max_connections: usize,
    /// Client connections open at once from one address (IPv6: one /64);
    /// trusted proxies are exempt.
    pub max_connections_per_ip: usize,
    /// Longest pause between two pieces of a client's request body; past
    /// it the request is aborted upstream and answered 408.
    pub body_read_timeout: HumanDuration,
    /// How long in-flight requests may finish after SIGTERM/SIGINT.
    pub shutdown_grace: HumanDuration,
    /// Proxies (addresses or CIDRs) whose `X-Forwarded-For` / `Forwarded`
    /// headers are believed; everyone else's are ignored for client identity.
    pub trusted_proxies: Vec<String>,
    /// Client addresses tracked per per-IP limiter (bounds its memory).
    pub client_ip_capacity: usize,
    /// Per-IP limits count an IPv6 client by its network of this many bits
    /// (32–128; 128 = by address).
    pub ipv6_client_prefix: u8,
    /// When a service's own listener is removed or moved, how long its open
    /// connections may finish.
    pub listener_drain_grace: HumanDuration,
    /// DNS servers (`ip` or `ip:port`) for nodes given by name; empty = the
    /// system's resolver configuration.
    pub dns_servers: Vec<String>,
}

/// The token service on the data plane (`POST /oauth/tokens`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokenConfig {
    /// Lifetime of issued tokens.
    pub ttl: HumanDuration,
    /// Algorithm of the signing key generated on first start when the store
    /// has none: `HS256`, `RS256` or `EdDSA`.
    pub algorithm: weir_core::SigningAlgorithm,
    /// Token requests per second per client address (brute-force brake).
    pub requests_per_second: u32,
    /// Token requests a client address may make at once.
    pub burst: u32,
}

/// The admin API's sessions. The first admin's password comes from
/// `WEIR_ADMIN_PASSWORD` (not a configuration key: it is a secret, and only
/// used once).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    /// A login session unused this long ends.
    pub session_idle_timeout: HumanDuration,
    /// A login session ends this long after login, however active.
    pub session_absolute_timeout: HumanDuration,
    /// When session cookies get `Secure`: `auto` (TLS or
    /// `X-Forwarded-Proto: https`), `always`, `never`.
    pub cookie_secure: CookieSecurity,
    /// Connections open at once on the admin listener.
    pub max_connections: usize,
    /// Addresses/CIDRs of the load balancers in front of the admin
    /// listener, whose `X-Forwarded-For` names the client the audit log
    /// records and the login throttle counts. Not `proxy.trusted_proxies`:
    /// a network trusted to name clients of the data plane (an ingress's
    /// pod network) must not be able to choose its address, and so escape
    /// the login throttle, on the admin listener.
    pub trusted_proxies: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CookieSecurity {
    Auto,
    Always,
    Never,
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self {
            session_idle_timeout: HumanDuration::from_secs(30 * 60),
            session_absolute_timeout: HumanDuration::from_secs(12 * 3600),
            cookie_secure: CookieSecurity::Auto,
            max_connections: 256,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Traffic statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StatsConfig {
    /// How often in-memory counters are written to the store as hourly
    /// rollups.
    pub flush_interval: HumanDuration,
    /// Hourly rollups older than this are deleted.
    pub retention: HumanDuration,
}

impl Default for ProcessConfig {
    fn default() -> Self {
        Self {
            listen: ListenConfig::default(),
            store: StoreConfig::default(),
            time_zone: "UTC".into(),
            log: LogConfig::default(),
            proxy: ProxyConfig::default(),
            token: TokenConfig::default(),
            stats: StatsConfig::default(),
            admin: AdminConfig::default(),
            compat: CompatConfig::default(),
            cluster: ClusterConfig::default(),
        }
    }
}

impl Default for TokenConfig {
    fn default() -> Self {
        Self {
            ttl: HumanDuration::from_secs(3600),
            algorithm: weir_core::SigningAlgorithm::HS256,
            requests_per_second: 5,
            burst: 10,
        }
    }
}

impl Default for StatsConfig {
    fn default() -> Self {
        Self {
            flush_interval: HumanDuration::from_secs(5),
            retention: HumanDuration::from_secs(35 * 86_400),
        }
    }
}

impl Default for ListenConfig {
    fn default() -> Self {
        Self {
            http: SocketAddr::from(([0, 0, 0, 0], 8080)),
            https: "0.0.0.0:8443".into(),
            admin: SocketAddr::from(([127, 0, 0, 1], 9080)),
            service_address: std::net::IpAddr::from([0, 0, 0, 0]),
            health: "off".into(),
        }
    }
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://weir.db".into(),
            poll_interval: HumanDuration::from_millis(250),
            heartbeat_interval: HumanDuration::from_secs(2),
            cache: "auto".into(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: LogFormat::Text,
            access: "stdout".into(),
        }
    }
}

impl Default for ProxyConfig {
    fn default() -> Self {
        Self {
            worker_threads: 0,
            header_read_timeout: HumanDuration::from_secs(30),
            idle_timeout: HumanDuration::from_secs(60),
            max_header_bytes: 64 * 1024,
            max_headers: 100,
            max_connections: 10_000,
            max_connections_per_ip: 1_000,
            body_read_timeout: HumanDuration::from_secs(60),
            shutdown_grace: HumanDuration::from_secs(30),
            trusted_proxies: Vec::new(),
            client_ip_capacity: 100_000,
            ipv6_client_prefix: 64,
            listener_drain_grace: HumanDuration::from_secs(30),
            dns_servers: Vec::new(),
        }
    }
}

/// The default file looked for when `--config` is not given.
pub const DEFAULT_CONFIG_FILE: &str = "weir.toml";

impl ProcessConfig {
    /// Load from `path` (an explicitly named file must exist; the default
    /// `weir.toml` may be absent), then apply `WEIR_*` variables from `env`.
    pub fn load(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Self> {
        let text = match path {
            Some(p) => std::fs::read_to_string(p)
                .with_context(|| format!("cannot read config file {}", p.display()))?,
            None => match std::fs::read_to_string(DEFAULT_CONFIG_FILE) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
                Err(e) => {
                    return Err(e).context(format!("cannot read {DEFAULT_CONFIG_FILE}"));
                }
            },
        };
        let name = path.map_or(DEFAULT_CONFIG_FILE.into(), |p| p.display().to_string());
        Self::from_sources(&text, &name, env)
    }

    /// Merge a TOML text and environment variables over the defaults.
    pub fn from_sources(
        toml_text: &str,
        file_name: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Self> {
        let mut table: toml::Table =
            toml::from_str(toml_text).with_context(|| format!("{file_name} is not valid"))?;
        let defaults = toml::Table::try_from(Self::default())?;
        let mut known = Vec::new();
        collect_keys(&defaults, "", &mut known);
        for (var, value) in env {
            let Some(rest) = var.strip_prefix("WEIR_") else {
                continue;
            };
            let Some((path, default)) = known.iter().find(|(path, _)| env_name(path) == rest)
            else {
                continue;
            };
            let parsed = parse_env_value(&value, default)
                .with_context(|| format!("environment variable {var}={value:?}"))?;
            set_path(&mut table, path, parsed);
        }
        let config: Self = toml::Value::Table(table)
            .try_into()
            .with_context(|| format!("{file_name} (or a WEIR_* variable) is not valid"))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if jiff::tz::TimeZone::get(&self.time_zone).is_err() {
            bail!(
                "time_zone: {:?} is not a known IANA time zone (e.g. UTC, Asia/Shanghai, Europe/Berlin)",
                self.time_zone
            );
        }
        if self.store.poll_interval.get() < Duration::from_millis(10) {
            bail!("store.poll_interval: must be at least 10ms");
        }
        let beat = self.store.heartbeat_interval.get();
        if beat < Duration::from_millis(100) || beat > Duration::from_secs(60) {
            bail!("store.heartbeat_interval: must be between 100ms and 60s");
        }
        self.validate_connections()?;
        self.cluster.validate()?;
        self.cache_path()?;
        if self.proxy.body_read_timeout.get() < Duration::from_millis(10) {
            bail!("proxy.body_read_timeout: must be at least 10ms");
        }
        self.https_addr()?;
        self.health_addr()?;
        if let Err((i, why)) = weir_core::compile::IpSet::parse(&self.proxy.trusted_proxies) {
            bail!("proxy.trusted_proxies[{i}]: {why}");
        }
        if let Err((i, why)) = weir_core::compile::IpSet::parse(&self.admin.trusted_proxies) {
            bail!("admin.trusted_proxies[{i}]: {why}");
        }
        self.dns_servers()?;
        if self.proxy.client_ip_capacity < 16 {
            bail!("proxy.client_ip_capacity: must be at least 16");
        }
        if !(32..=128).contains(&self.proxy.ipv6_client_prefix) {
            bail!("proxy.ipv6_client_prefix: must be 32 to 128 (64 counts each /64 as one client)");
        }
        if self.token.ttl.get() < Duration::from_secs(1) {
            bail!("token.ttl: must be at least 1s");
        }
        if self.token.requests_per_second == 0 || self.token.burst == 0 {
            bail!("token.requests_per_second and token.burst: must be at least 1");
        }
        if self.stats.flush_interval.get() < Duration::from_millis(100) {
            bail!("stats.flush_interval: must be at least 100ms");
        }
        if self.admin.session_idle_timeout.get() < Duration::from_secs(60)
            || self.admin.session_absolute_timeout.get() < self.admin.session_idle_timeout.get()
        {
            bail!(
                "admin.session_idle_timeout must be at least 1m and admin.session_absolute_timeout at least as long"
            );
        }
        // Port 0 twice is two different ephemeral ports.
        if self.listen.http == self.listen.admin && self.listen.http.port() != 0 {
            bail!(
                "listen.http and listen.admin are both {}; they need different ports",
                self.listen.http
            );
        }
        Ok(())
    }

    /// Head and connection limits: bounds that keep each one meaningful.
    fn validate_connections(&self) -> anyhow::Result<()> {
        let p = &self.proxy;
        for (key, d) in [
            ("proxy.header_read_timeout", p.header_read_timeout.get()),
            ("proxy.idle_timeout", p.idle_timeout.get()),
        ] {
            if d < Duration::from_millis(100) {
                bail!("{key}: must be at least 100ms");
            }
        }
        if !(1024..=1 << 20).contains(&p.max_header_bytes) {
            bail!(
                "proxy.max_header_bytes: {} is out of range; it must be between 1024 and 1048576",
                p.max_header_bytes
            );
        }
        if !(16..=1000).contains(&p.max_headers) {
            bail!(
                "proxy.max_headers: {} is out of range; it must be between 16 and 1000",
                p.max_headers
            );
        }
        for (key, n) in [
            ("proxy.max_connections", p.max_connections),
            ("proxy.max_connections_per_ip", p.max_connections_per_ip),
            ("admin.max_connections", self.admin.max_connections),
        ] {
            if n == 0 {
                bail!("{key}: must be at least 1");
            }
        }
        Ok(())
    }

    /// A warning when `proxy.max_connections` cannot be reached because the
    /// process may open fewer files (Linux: `/proc/self/limits`): clients
    /// would then meet failing accepts instead of the cap.
    pub fn open_file_limit_warning(&self) -> Option<String> {
        let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
        let soft: u64 = limits
            .lines()
            .find(|l| l.starts_with("Max open files"))?
            .split_whitespace()
            .nth(3)?
            .parse()
            .ok()?;
        let wanted =
            (self.proxy.max_connections as u64).saturating_add(self.admin.max_connections as u64);
        (wanted > soft).then(|| {
            format!(
                "proxy.max_connections ({}) and admin.max_connections ({}) exceed the open-file limit ({soft}); \
                 raise it (LimitNOFILE= in the systemd unit, ulimit -n) or lower the caps",
                self.proxy.max_connections, self.admin.max_connections
            )
        })
    }

    /// `store.cache` resolved: the file `weir proxy` caches its
    /// configuration in, or `None` when off (see [`StoreConfig::cache`]).
    pub fn cache_path(&self) -> anyhow::Result<Option<std::path::PathBuf>> {
        self.cache_path_in(std::env::var_os("STATE_DIRECTORY"))
    }

    fn cache_path_in(
        &self,
        state_directory: Option<std::ffi::OsString>,
    ) -> anyhow::Result<Option<std::path::PathBuf>> {
        const FILE: &str = "weir-config-cache.json";
        let value = self.store.cache.trim();
        match value {
            "off" => Ok(None),
            "auto" if self.store.url.to_ascii_lowercase().starts_with("sqlite:") => Ok(None),
            "auto" => {
                // systemd may list several directories, separated by ':'.
                let dir = state_directory
                    .and_then(|d| {
                        d.to_string_lossy()
                            .split(':')
                            .next()
                            .filter(|d| !d.is_empty())
                            .map(std::path::PathBuf::from)
                    })
                    .unwrap_or_default();
                Ok(Some(dir.join(FILE)))
            }
            "" => bail!("store.cache: empty; give a file path, `auto` or `off`"),
            path if path.ends_with('/') => {
                bail!("store.cache: {path:?} names a directory; give a file path, `auto` or `off`")
            }
            path => Ok(Some(path.into())),
        }
    }

    /// `proxy.dns_servers` as socket addresses (port 53 when omitted).
    pub fn dns_servers(&self) -> anyhow::Result<Vec<SocketAddr>> {
        self.proxy
            .dns_servers
            .iter()
            .enumerate()
            .map(|(i, s)| {
                s.parse::<SocketAddr>()
                    .or_else(|_| {
                        s.parse::<std::net::IpAddr>()
                            .map(|ip| SocketAddr::new(ip, 53))
                    })
                    .map_err(|_| anyhow::anyhow!("proxy.dns_servers[{i}]: {s:?} is not an address"))
            })
            .collect()
    }

    /// The HTTPS listen address, or `None` when `listen.https` is `off`.
    pub fn https_addr(&self) -> anyhow::Result<Option<SocketAddr>> {
        match self.listen.https.trim() {
            "off" | "" => Ok(None),
            a => a.parse().map(Some).map_err(|_| {
                anyhow::anyhow!("listen.https: {a:?} is not an address (e.g. 0.0.0.0:8443) or off")
            }),
        }
    }

    /// The health listen address, or `None` when `listen.health` is `off`.
    pub fn health_addr(&self) -> anyhow::Result<Option<SocketAddr>> {
        match self.listen.health.trim() {
            "off" | "" => Ok(None),
            a => a.parse().map(Some).map_err(|_| {
                anyhow::anyhow!("listen.health: {a:?} is not an address (e.g. 0.0.0.0:9081) or off")
            }),
        }
    }

    /// Every key with its environment variable and current value, for
    /// `weir config` style output and the documentation test.
    pub fn keys(&self) -> Vec<(String, String, String)> {
        let table = toml::Table::try_from(self).unwrap_or_default();
        let mut keys = Vec::new();
        collect_keys(&table, "", &mut keys);
        keys.into_iter()
            .map(|(path, v)| {
                let var = format!("WEIR_{}", env_name(&path));
                (path, var, v.to_string())
            })
            .collect()
    }
}

fn env_name(path: &str) -> String {
    path.replace('.', "_").to_ascii_uppercase()
}

fn collect_keys(table: &toml::Table, prefix: &str, out: &mut Vec<(String, toml::Value)>) {
    for (k, v) in table {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => collect_keys(t, &path, out),
            other => out.push((path, other.clone())),
        }
    }
}

/// Read an environment value as the type of the key's default.
fn parse_env_value(value: &str, default: &toml::Value) -> anyhow::Result<toml::Value> {
    Ok(match default {
        toml::Value::Integer(_) => {
            toml::Value::Integer(value.trim().parse().context("expected a whole number")?)
        }
        toml::Value::Boolean(_) => toml::Value::Boolean(match value.trim() {
            "true" | "1" | "yes" | "on" => true,
            "false" | "0" | "no" | "off" => false,
            _ => bail!("expected true or false"),
        }),
        toml::Value::Float(_) => {
            toml::Value::Float(value.trim().parse().context("expected a number")?)
        }
        // Lists are written comma-separated: WEIR_PROXY_TRUSTED_PROXIES=10.0.0.0/8,::1
        toml::Value::Array(_) => toml::Value::Array(
            value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| toml::Value::String(s.to_owned()))
                .collect(),
        ),
        _ => toml::Value::String(value.to_owned()),
    })
}

fn set_path(table: &mut toml::Table, path: &str, value: toml::Value) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let Some(last) = parts.pop() else { return };
    let mut cur = table;
    for p in parts {
        let entry = cur
            .entry(p.to_owned())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        let toml::Value::Table(t) = entry else { return };
        cur = t;
    }
    cur.insert(last.to_owned(), value);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_without_file() {
        let c = ProcessConfig::from_sources("", "weir.toml", env(&[])).unwrap();
        assert_eq!(c, ProcessConfig::default());
        assert_eq!(c.listen.http.to_string(), "0.0.0.0:8080");
        assert_eq!(c.listen.admin.to_string(), "127.0.0.1:9080");
        assert_eq!(c.store.url, "sqlite://weir.db");
    }

    #[test]
    fn body_read_timeout_from_file_or_env_with_a_floor() {
        let c = ProcessConfig::from_sources(
            "[proxy]\nbody_read_timeout = \"15s\"\n",
            "weir.toml",
            env(&[]),
        )
        .unwrap();
        assert_eq!(c.proxy.body_read_timeout, HumanDuration::from_secs(15));
        let e = ProcessConfig::from_sources(
            "",
            "weir.toml",
            env(&[("WEIR_PROXY_BODY_READ_TIMEOUT", "1ms")]),
        )
        .unwrap_err();
        assert!(
            format!("{e:#}").contains("proxy.body_read_timeout"),
            "{e:#}"
        );
    }

    #[test]
    fn store_cache_resolves_auto_off_and_paths() {
        let pg = |cache: &str| {
            ProcessConfig::from_sources(
                &format!("[store]\nurl = \"postgres://weir@db/weir\"\ncache = \"{cache}\"\n"),
                "t.toml",
                env(&[]),
            )
        };
        let auto = pg("auto").unwrap();
        assert_eq!(
            auto.cache_path_in(None).unwrap(),
            Some("weir-config-cache.json".into())
        );
        assert_eq!(
            auto.cache_path_in(Some("/var/lib/weir:/var/lib/other".into()))
                .unwrap(),
            Some("/var/lib/weir/weir-config-cache.json".into())
        );
        assert_eq!(pg("off").unwrap().cache_path_in(None).unwrap(), None);
        assert_eq!(
            pg("/srv/weir/cache.json")
                .unwrap()
                .cache_path_in(None)
                .unwrap(),
            Some("/srv/weir/cache.json".into())
        );
        // SQLite is a local file: nothing to cache it against.
        assert_eq!(ProcessConfig::default().cache_path_in(None).unwrap(), None);
        for bad in ["", "/srv/weir/"] {
            let e = format!("{:#}", pg(bad).unwrap_err());
            assert!(e.contains("store.cache"), "{bad:?}: {e}");
        }
        let from_env =
            ProcessConfig::from_sources("", "t.toml", env(&[("WEIR_STORE_CACHE", "/tmp/c.json")]))
                .unwrap();
        assert_eq!(from_env.store.cache, "/tmp/c.json");
    }

    #[test]
    fn heartbeat_interval_defaults_to_2s_within_bounds() {
        assert_eq!(
            ProcessConfig::default().store.heartbeat_interval,
            HumanDuration::from_secs(2)
        );
        let c = ProcessConfig::from_sources(
            "[store]\nheartbeat_interval = \"500ms\"\n",
            "weir.toml",
            env(&[]),
        )
        .unwrap();
        assert_eq!(c.store.heartbeat_interval, HumanDuration::from_millis(500));
        for bad in ["10ms", "2m"] {
            let e = ProcessConfig::from_sources(
                "",
                "weir.toml",
                env(&[("WEIR_STORE_HEARTBEAT_INTERVAL", bad)]),
            )
            .unwrap_err();
            assert!(
                format!("{e:#}").contains("store.heartbeat_interval"),
                "{e:#}"
            );
        }
    }

    #[test]
    fn file_then_env_override() {
        let text = r#"
time_zone = "Asia/Shanghai"
[listen]
http = "127.0.0.1:18080"
[store]
url = "sqlite:///tmp/x.db"
[proxy]
worker_threads = 2
"#;
        let c = ProcessConfig::from_sources(
            text,
            "weir.toml",
            env(&[
                ("WEIR_LISTEN_HTTP", "127.0.0.1:28080"),
                ("WEIR_PROXY_WORKER_THREADS", "4"),
                ("WEIR_STORE_POLL_INTERVAL", "100ms"),
                ("WEIR_LOG_FORMAT", "json"),
                ("OTHER", "ignored"),
            ]),
        )
        .unwrap();
        assert_eq!(c.listen.http.to_string(), "127.0.0.1:28080");
        assert_eq!(c.proxy.worker_threads, 4);
        assert_eq!(c.store.url, "sqlite:///tmp/x.db");
        assert_eq!(c.time_zone, "Asia/Shanghai");
        assert_eq!(c.store.poll_interval, HumanDuration::from_millis(100));
        assert_eq!(c.log.format, LogFormat::Json);
    }

    #[test]
    fn every_key_has_an_env_var() {
        let keys = ProcessConfig::default().keys();
        let vars: Vec<_> = keys.iter().map(|k| k.1.as_str()).collect();
        for v in [
            "WEIR_LISTEN_HTTP",
            "WEIR_LISTEN_ADMIN",
            "WEIR_STORE_URL",
            "WEIR_STORE_POLL_INTERVAL",
            "WEIR_STORE_HEARTBEAT_INTERVAL",
            "WEIR_STORE_CACHE",
            "WEIR_TIME_ZONE",
            "WEIR_LOG_LEVEL",
            "WEIR_LOG_FORMAT",
            "WEIR_PROXY_WORKER_THREADS",
            "WEIR_PROXY_HEADER_READ_TIMEOUT",
            "WEIR_PROXY_MAX_HEADER_BYTES",
            "WEIR_PROXY_MAX_HEADERS",
            "WEIR_PROXY_BODY_READ_TIMEOUT",
            "WEIR_PROXY_IDLE_TIMEOUT",
            "WEIR_PROXY_MAX_CONNECTIONS",
            "WEIR_PROXY_MAX_CONNECTIONS_PER_IP",
            "WEIR_ADMIN_MAX_CONNECTIONS",
            "WEIR_PROXY_SHUTDOWN_GRACE",
            "WEIR_PROXY_TRUSTED_PROXIES",
            "WEIR_PROXY_CLIENT_IP_CAPACITY",
            "WEIR_PROXY_IPV6_CLIENT_PREFIX",
            "WEIR_LOG_ACCESS",
            "WEIR_TOKEN_TTL",
            "WEIR_TOKEN_ALGORITHM",
            "WEIR_TOKEN_REQUESTS_PER_SECOND",
            "WEIR_TOKEN_BURST",
            "WEIR_STATS_FLUSH_INTERVAL",
            "WEIR_STATS_RETENTION",
            "WEIR_ADMIN_SESSION_IDLE_TIMEOUT",
            "WEIR_ADMIN_SESSION_ABSOLUTE_TIMEOUT",
            "WEIR_ADMIN_COOKIE_SECURE",
            "WEIR_COMPAT_GO_GATEWAY_TOKEN_SECRET",
            "WEIR_LISTEN_HEALTH",
        ] {
            assert!(vars.contains(&v), "{v} missing from {vars:?}");
        }
        assert_eq!(keys.len(), 42, "a new key needs docs/configuration.md too");
    }

    #[test]
    fn go_gateway_compat_is_off_by_default_and_set_by_file_or_env() {
        let c = ProcessConfig::from_sources("", "weir.toml", env(&[])).unwrap();
        assert_eq!(c.compat.go_gateway_token_secret, "");
        let c = ProcessConfig::from_sources(
            "[compat]\ngo_gateway_token_secret = \"from-file\"",
            "weir.toml",
            env(&[("WEIR_COMPAT_GO_GATEWAY_TOKEN_SECRET", "my_sign_key")]),
        )
        .unwrap();
        assert_eq!(c.compat.go_gateway_token_secret, "my_sign_key", "env wins");
    }

    #[test]
    fn errors_name_the_key() {
        let e = ProcessConfig::from_sources("[listen]\nhtp = \"x\"", "weir.toml", env(&[]))
            .unwrap_err();
        assert!(format!("{e:#}").contains("htp"), "{e:#}");
        let e = ProcessConfig::from_sources("time_zone = \"Mars/Base\"", "weir.toml", env(&[]))
            .unwrap_err();
        assert!(format!("{e:#}").contains("time_zone"), "{e:#}");
        let e = ProcessConfig::from_sources(
            "",
            "weir.toml",
            env(&[("WEIR_PROXY_WORKER_THREADS", "many")]),
        )
        .unwrap_err();
        assert!(
            format!("{e:#}").contains("WEIR_PROXY_WORKER_THREADS"),
            "{e:#}"
        );
        let e =
            ProcessConfig::from_sources("", "weir.toml", env(&[("WEIR_LISTEN_HTTP", "nonsense")]))
                .unwrap_err();
        assert!(format!("{e:#}").contains("WEIR_"), "{e:#}");
        let e = ProcessConfig::from_sources(
            "[proxy]\ntrusted_proxies = [\"10.0.0.0/8\", \"nope\"]",
            "weir.toml",
            env(&[]),
        )
        .unwrap_err();
        assert!(
            format!("{e:#}").contains("proxy.trusted_proxies[1]"),
            "{e:#}"
        );
        let e = ProcessConfig::from_sources(
            "",
            "weir.toml",
            env(&[("WEIR_ADMIN_TRUSTED_PROXIES", "10.0.0.5,10.0.0.0/33")]),
        )
        .unwrap_err();
        assert!(
            format!("{e:#}").contains("admin.trusted_proxies[1]"),
            "{e:#}"
        );
        for bad in ["0", "31", "129"] {
            let e = ProcessConfig::from_sources(
                "",
                "weir.toml",
                env(&[("WEIR_PROXY_IPV6_CLIENT_PREFIX", bad)]),
            )
            .unwrap_err();
            assert!(
                format!("{e:#}").contains("ipv6_client_prefix"),
                "{bad}: {e:#}"
            );
        }
        let c =
            ProcessConfig::from_sources("[proxy]\nipv6_client_prefix = 56", "weir.toml", env(&[]))
                .unwrap();
        assert_eq!(c.proxy.ipv6_client_prefix, 56);
        assert_eq!(ProcessConfig::default().proxy.ipv6_client_prefix, 64);
    }

    #[test]
    fn head_and_connection_limits_are_validated() {
        for (toml, key) in [
            ("[proxy]\nmax_header_bytes = 1023", "proxy.max_header_bytes"),
            (
                "[proxy]\nmax_header_bytes = 2000000",
                "proxy.max_header_bytes",
            ),
            ("[proxy]\nmax_headers = 5", "proxy.max_headers"),
            ("[proxy]\nmax_headers = 5000", "proxy.max_headers"),
            ("[proxy]\nmax_connections = 0", "proxy.max_connections"),
            (
                "[proxy]\nmax_connections_per_ip = 0",
                "proxy.max_connections_per_ip",
            ),
            ("[proxy]\nidle_timeout = \"10ms\"", "proxy.idle_timeout"),
            (
                "[proxy]\nheader_read_timeout = \"0s\"",
                "proxy.header_read_timeout",
            ),
            ("[admin]\nmax_connections = 0", "admin.max_connections"),
        ] {
            let e = ProcessConfig::from_sources(toml, "weir.toml", env(&[])).unwrap_err();
            assert!(format!("{e:#}").contains(key), "{toml}: {e:#}");
        }
        let c = ProcessConfig::from_sources(
            "[proxy]\nmax_header_bytes = 1024\nmax_headers = 16\nmax_connections = 1",
            "weir.toml",
            env(&[("WEIR_PROXY_MAX_CONNECTIONS_PER_IP", "1")]),
        )
        .unwrap();
        assert_eq!((c.proxy.max_header_bytes, c.proxy.max_headers), (1024, 16));
        assert_eq!(c.proxy.max_connections_per_ip, 1);
    }

    #[test]
    fn warns_when_the_caps_exceed_the_open_file_limit() {
        if !Path::new("/proc/self/limits").exists() {
            return;
        }
        let mut c = ProcessConfig::default();
        c.proxy.max_connections = usize::MAX;
        let w = c.open_file_limit_warning().expect("a warning");
        assert!(w.contains("proxy.max_connections"), "{w}");
        c.proxy.max_connections = 1;
        c.admin.max_connections = 1;
        assert_eq!(c.open_file_limit_warning(), None);
    }

    #[test]
    fn lists_from_the_environment() {
        let c = ProcessConfig::from_sources(
            "",
            "weir.toml",
            env(&[("WEIR_PROXY_TRUSTED_PROXIES", "10.0.0.0/8, ::1")]),
        )
        .unwrap();
        assert_eq!(c.proxy.trusted_proxies, ["10.0.0.0/8", "::1"]);
        let c =
            ProcessConfig::from_sources("", "weir.toml", env(&[("WEIR_TOKEN_ALGORITHM", "EdDSA")]))
                .unwrap();
        assert_eq!(c.token.algorithm, weir_core::SigningAlgorithm::EdDSA);
    }
}
