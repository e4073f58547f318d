//! Shared helpers for the gateway's integration tests: an in-process gateway
//! on 127.0.0.1 port 0 with its own SQLite store in a temporary directory.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

pub mod codecs;
pub mod load;
pub mod prebound;
pub mod process;
pub mod raw_http;

use std::time::Duration;

use prebound::Prebound;
use serde_json::Value;
use weir::{Gateway, ProcessConfig, Roles};
use weir_core::yaml::parse_document;
use weir_store::{RevisionMeta, Store};

pub struct TestGateway {
    pub gateway: Gateway,
    pub store: Store,
    pub url: String,
    pub dir: tempfile::TempDir,
}

impl TestGateway {
    /// Start a gateway whose store already holds `yaml`.
    pub async fn start(yaml: &str) -> Self {
        Self::start_with(yaml, |_| {}).await
    }

    /// Like [`TestGateway::start`], with changes to the process config.
    pub async fn start_with(yaml: &str, tweak: impl FnOnce(&mut ProcessConfig)) -> Self {
        Self::start_inner(yaml, None, tweak).await
    }

    /// Like [`TestGateway::start`], handing the gateway the `ports` that
    /// `yaml` names (see [`prebound`]); returns once it listens on them.
    pub async fn start_prebound(yaml: &str, ports: Prebound) -> Self {
        Self::start_inner(yaml, Some(ports), |_| {}).await
    }

    /// [`TestGateway::start_prebound`] with changes to the process config.
    pub async fn start_prebound_with(
        yaml: &str,
        ports: Prebound,
        tweak: impl FnOnce(&mut ProcessConfig),
    ) -> Self {
        Self::start_inner(yaml, Some(ports), tweak).await
    }

    async fn start_inner(
        yaml: &str,
        ports: Option<Prebound>,
        tweak: impl FnOnce(&mut ProcessConfig),
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store_url = format!("sqlite://{}/weir.db", dir.path().display());
        let store = Store::open(&store_url).await.unwrap();
        if !yaml.is_empty() {
            apply(&store, yaml).await;
        }
        let mut cfg = ProcessConfig::default();
        cfg.listen.http = "127.0.0.1:0".parse().unwrap();
        cfg.listen.admin = "127.0.0.1:0".parse().unwrap();
        cfg.listen.https = "127.0.0.1:0".into();
        cfg.listen.service_address = "127.0.0.1".parse().unwrap();
        cfg.store.url = store_url;
        cfg.proxy.shutdown_grace = weir_core::HumanDuration::from_secs(5);
        cfg.log.access = "off".into();
        tweak(&mut cfg);
        let gateway = match ports {
            None => Gateway::start(&cfg).await.unwrap(),
            Some(ports) => {
                let socket = dir.path().join("upgrade.sock");
                let handover = ports.serve(&socket);
                let gateway = Gateway::start_upgradable(&cfg, Roles::ALL, Some(&socket))
                    .await
                    .unwrap();
                handover.taken().await;
                gateway
            }
        };
        let url = format!("http://{}", gateway.http_addr.unwrap());
        Self {
            gateway,
            store,
            url,
            dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// Apply `yaml` to the store and wait until the gateway serves it.
    pub async fn reconfigure(&self, yaml: &str) -> i64 {
        let rev = apply(&self.store, yaml).await;
        self.wait_for_revision(rev, Duration::from_secs(2)).await;
        rev
    }

    pub async fn wait_for_revision(&self, rev: i64, within: Duration) -> Duration {
        let start = std::time::Instant::now();
        while self.gateway.plane.snapshot().revision < rev {
            assert!(
                start.elapsed() < within,
                "revision {rev} not installed within {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        start.elapsed()
    }

    pub async fn stop(self) {
        self.gateway.shutdown().await;
        self.store.close().await;
    }

    /// Stop the gateway but keep its store directory (for restart tests).
    pub async fn stop_keep_dir(self) -> tempfile::TempDir {
        self.gateway.shutdown().await;
        self.store.close().await;
        self.dir
    }
}

/// Apply a YAML document as a new revision; returns its number.
pub async fn apply(store: &Store, yaml: &str) -> i64 {
    let doc = parse_document(yaml).unwrap();
    let out = store
        .apply(
            &doc,
            RevisionMeta {
                author: "test".into(),
                source: "test".into(),
                summary: None,
            },
        )
        .await
        .unwrap();
    out.revision.unwrap_or(out.base_revision)
}

/// Apply a document built in code (e.g. with PEM certificates) as a new
/// revision; returns its number.
pub async fn apply_doc(store: &Store, doc: &weir_core::ConfigDocument) -> i64 {
    let out = store
        .apply(
            doc,
            RevisionMeta {
                author: "test".into(),
                source: "test".into(),
                summary: None,
            },
        )
        .await
        .unwrap();
    out.revision.unwrap_or(out.base_revision)
}

/// A plain HTTP/1.1 client without connection reuse surprises.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// GET and parse the JSON echo; panics on a non-JSON answer.
pub async fn get_json(client: &reqwest::Client, url: &str) -> (u16, Value) {
    let res = client.get(url).send().await.unwrap();
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    (status, body)
}

/// The node name of the echo answer.
pub fn node(v: &Value) -> &str {
    v["node"].as_str().unwrap_or("")
}

/// Poll `check` every 10 ms until it holds; panics after `within`. Returns
/// how long it took.
pub async fn eventually(
    what: &str,
    within: Duration,
    mut check: impl AsyncFnMut() -> bool,
) -> Duration {
    let start = std::time::Instant::now();
    loop {
        if check().await {
            return start.elapsed();
        }
        assert!(start.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The status of one node of a service, as the data plane reports it.
pub fn node_status(gw: &TestGateway, service: &str, addr: &str) -> Option<String> {
    gw.gateway
        .plane
        .node_health(service)?
        .into_iter()
        .find(|n| n.addr == addr)
        .map(|n| {
            serde_json::to_value(n.status)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
}

/// An admin API token with `role`, created directly in the store; returns
/// the bearer secret.
pub async fn api_token(store: &Store, role: &str) -> String {
    use weir_admin::auth::secret;
    let (id, token) = secret::new_api_token();
    store
        .create_token(&weir_store::ApiTokenRecord {
            id,
            name: format!("{role}-test"),
            token_hash: secret::sha256_hex(&token),
            role: role.into(),
            created_by: "test".into(),
            created_at_ms: 0,
            last_used_ms: None,
            revoked_at_ms: None,
        })
        .await
        .unwrap();
    token
}

/// How long a WebSocket stays open without traffic before the gateway ends
/// it (a close frame, an error or the end of the stream), within `within`.
pub async fn ws_idle_end<S>(ws: &mut S, within: Duration) -> Duration
where
    S: futures_util::Stream<
            Item = Result<
                weir_testkit::tokio_tungstenite::tungstenite::Message,
                weir_testkit::tokio_tungstenite::tungstenite::Error,
            >,
        > + Unpin,
{
    use futures_util::StreamExt;
    use weir_testkit::tokio_tungstenite::tungstenite::Message;
    let started = std::time::Instant::now();
    let end = tokio::time::timeout(within, ws.next()).await.unwrap();
    assert!(
        matches!(end, None | Some(Err(_)) | Some(Ok(Message::Close(_)))),
        "{end:?}"
    );
    started.elapsed()
}
