//! Serialisation leaves defaults out and loses nothing: for every document
//! the repository ships (examples, YAML in the docs) and a generated mix of
//! resources, parse(serialise(x)) == x, nothing equal to a default is
//! written, and [`defaults::table`] agrees with what parsing fills in.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::defaults::{self, fill};
use super::*;
use crate::yaml::{parse_document, to_yaml};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every configuration document the repository ships: example files and
/// the YAML blocks of the English docs.
fn shipped_documents() -> Vec<(String, ConfigDocument)> {
    let mut texts = Vec::new();
    for dir in ["examples", "docs"] {
        let Ok(entries) = std::fs::read_dir(repo().join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            match path.extension().and_then(|e| e.to_str()) {
                Some("yaml") => texts.push((path.display().to_string(), text)),
                Some("md") => {
                    for (i, block) in yaml_blocks(&text).into_iter().enumerate() {
                        texts.push((format!("{} block {i}", path.display()), block));
                    }
                }
                _ => {}
            }
        }
    }
    texts
        .into_iter()
        // Blocks that show a fragment or a shape are not whole documents.
        .filter_map(|(name, text)| parse_document(&text).ok().map(|doc| (name, doc)))
        .collect()
}

fn yaml_blocks(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match &mut current {
            None if line.trim_start() == "```yaml" => current = Some(String::new()),
            Some(block) if line.trim_start().starts_with("```") => {
                out.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    out
}

/// The checks every resource passes: JSON round trip, YAML round trip of
/// its document, no default written, and the defaults table filling in
/// exactly what parsing assumes.
fn check<T>(kind: ResourceKind, what: &str, item: &T)
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let sparse = serde_json::to_value(item).unwrap();
    let back: T = serde_json::from_value(sparse.clone()).unwrap();
    assert_eq!(&back, item, "{what}: JSON round trip of {sparse}");

    // Every default written out: the same resource, and serialising it
    // leaves them out again.
    let filled = fill(kind, &sparse);
    let parsed: T = serde_json::from_value(filled.clone())
        .unwrap_or_else(|e| panic!("{what}: {e} in {filled}"));
    assert_eq!(&parsed, item, "{what}: defaults filled in: {filled}");
    assert_eq!(
        serde_json::to_value(&parsed).unwrap(),
        sparse,
        "{what}: a default written out is serialised"
    );
    for (path, value) in defaults::table(kind) {
        if let Some(found) = lookup(&sparse, path)
            && found.contains(&&value)
        {
            panic!("{what}: {path} = {value} is a default but was serialised: {sparse}");
        }
    }
}

/// The values at `path` (`a.b[].c`) in `v`.
fn lookup<'a>(v: &'a Value, path: &str) -> Option<Vec<&'a Value>> {
    let mut nodes = vec![v];
    for seg in path.split('.') {
        let (key, each) = match seg.strip_suffix("[]") {
            Some(k) => (k, true),
            None => (seg, false),
        };
        let mut next = Vec::new();
        for n in nodes {
            match (n.get(key), each) {
                (Some(Value::Array(items)), true) => next.extend(items.iter()),
                (Some(child), false) => next.push(child),
                _ => {}
            }
        }
        nodes = next;
    }
    (!nodes.is_empty()).then_some(nodes)
}

fn check_document(what: &str, doc: &ConfigDocument) {
    for s in doc.services.iter().flatten() {
        check(ResourceKind::Service, &format!("{what}: {}", s.name), s);
    }
    for t in doc.tenants.iter().flatten() {
        check(ResourceKind::Tenant, &format!("{what}: {}", t.app_id), t);
    }
    for k in doc.signing_keys.iter().flatten() {
        check(ResourceKind::SigningKey, &format!("{what}: {}", k.name), k);
    }
    for c in doc.certificates.iter().flatten() {
        check(ResourceKind::Certificate, &format!("{what}: {}", c.name), c);
    }
    let yaml = to_yaml(doc);
    let mut sorted = doc.clone();
    sorted.sort();
    assert_eq!(parse_document(&yaml).unwrap(), sorted, "{what}:\n{yaml}");
}

#[test]
fn shipped_documents_round_trip_without_defaults() {
    let docs = shipped_documents();
    assert!(docs.len() >= 3, "only {} documents found", docs.len());
    for (what, doc) in &docs {
        check_document(what, doc);
    }
}

#[test]
fn a_minimal_service_serialises_as_written() {
    let written = json!({
        "name": "a",
        "match": {"prefix": "/a/"},
        "upstream": {"nodes": [{"addr": "127.0.0.1:1"}]}
    });
    let s: Service = serde_json::from_value(written.clone()).unwrap();
    assert_eq!(serde_json::to_value(&s).unwrap(), written);
    // The same service with its defaults spelled out is the same service.
    let spelled: Service = serde_json::from_value(fill(ResourceKind::Service, &written)).unwrap();
    assert_eq!(spelled, s);
    assert_eq!(
        to_yaml(&ConfigDocument {
            services: Some(vec![s]),
            ..ConfigDocument::default()
        }),
        "services:\n- name: a\n  match:\n    prefix: /a/\n  upstream:\n    nodes:\n    - addr: 127.0.0.1:1\n"
    );
}

#[test]
fn settings_away_from_their_default_are_kept() {
    let written = json!({
        "name": "a", "kind": "grpc", "port": 9000,
        "access": {"ip_allow": {"enabled": false, "ips": ["10.0.0.0/8"]}, "ip_deny": {}},
        "upstream": {
            "balance": "least_request",
            "nodes": [{"addr": "127.0.0.1:1", "weight": 0}, {"addr": "127.0.0.1:2", "weight": 2}],
            // Switched off with its options kept, to switch back on later.
            "tls": {"enabled": false, "server_name": "api.internal"},
            "timeouts": {"idle": "0s"},
            "max_idle_per_node": 0,
            "health_check": {},
            "outlier": {"failure_statuses": []}
        },
        "registration": {"max_instances": 1}
    });
    let s: Service = serde_json::from_value(written.clone()).unwrap();
    assert_eq!(serde_json::to_value(&s).unwrap(), written);
}

#[test]
fn route_timeouts_keep_only_what_is_set() {
    let written = json!({
        "name": "a", "match": {"prefix": "/a/"},
        "timeouts": {"response_header": "500ms", "stream_idle": "30s"},
        "upstream": {"nodes": [{"addr": "127.0.0.1:1"}]}
    });
    let s: Service = serde_json::from_value(written.clone()).unwrap();
    assert_eq!(s.timeouts.connect, None);
    assert_eq!(
        s.timeouts.response_header,
        Some(HumanDuration::from_millis(500))
    );
    assert_eq!(serde_json::to_value(&s).unwrap(), written);
    // `idle` belongs to the upstream's pooled connections, not to a route.
    let idle = json!({
        "name": "a", "timeouts": {"idle": "1s"},
        "upstream": {"nodes": [{"addr": "127.0.0.1:1"}]}
    });
    let e = serde_json::from_value::<Service>(idle).unwrap_err();
    assert!(e.to_string().contains("idle"), "{e}");
}

/// A small deterministic generator (xorshift), so a failure reproduces.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// One of `choices`, the first (the default) about half the time.
    fn pick<T: Clone>(&mut self, choices: &[T]) -> T {
        let n = self.next();
        let i = if n.is_multiple_of(2) {
            0
        } else {
            (n / 2) as usize % choices.len()
        };
        choices[i].clone()
    }
    fn flip(&mut self) -> bool {
        self.next().is_multiple_of(2)
    }
    fn maybe<T>(&mut self, v: T) -> Option<T> {
        self.flip().then_some(v)
    }
}

fn duration(g: &mut Gen, default_secs: u64) -> HumanDuration {
    g.pick(&[
        HumanDuration::from_secs(default_secs),
        HumanDuration::from_millis(0),
        HumanDuration::from_millis(1_500),
        HumanDuration::from_secs(default_secs + 1),
    ])
}

fn strings(g: &mut Gen, items: &[&str]) -> Vec<String> {
    let n = g.pick(&[0, 1, items.len()]);
    items[..n].iter().map(|s| (*s).to_owned()).collect()
}

fn generated_service(g: &mut Gen, i: usize) -> Service {
    let ip_list = |g: &mut Gen| IpList {
        enabled: g.flip(),
        ips: strings(g, &["10.0.0.0/8", "192.0.2.1"]),
    };
    let nodes = (0..g.pick(&[1, 2, 3]))
        .map(|n| Node {
            addr: format!("127.0.0.1:{}", 9000 + n),
            weight: g.pick(&[1, 0, 5]),
            enabled: g.pick(&[true, false]),
        })
        .collect();
    let mut upstream = Upstream::new(nodes);
    upstream.balance = g.pick(&[
        Balance::RoundRobin,
        Balance::Random,
        Balance::WeightedRoundRobin,
        Balance::ConsistentHash,
        Balance::LeastRequest,
    ]);
    upstream.hash_key = g.pick(&[
        None,
        Some(HashKey::ClientIp),
        Some(HashKey::Uri),
        Some(HashKey::Header("x-user".into())),
    ]);
    upstream.tls = UpstreamTls {
        enabled: g.flip(),
        ca: g.maybe("-----BEGIN CERTIFICATE-----".into()),
        server_name: g.maybe("api.internal".into()),
        insecure_skip_verify: g.pick(&[false, true]),
    };
    upstream.timeouts = Timeouts {
        connect: duration(g, 5),
        response_header: duration(g, 60),
        idle: duration(g, 90),
        stream_idle: duration(g, 600),
    };
    upstream.max_idle_per_node = g.pick(&[64, 0, 8]);
    let check = HealthCheck {
        kind: g.pick(&[CheckKind::Tcp, CheckKind::Http, CheckKind::Grpc]),
        interval: duration(g, 5),
        timeout: duration(g, 2),
        healthy: g.pick(&[2, 1]),
        unhealthy: g.pick(&[3, 7]),
        path: g.pick(&["/".to_owned(), "/healthz".to_owned()]),
        expect_status: g.pick(&["200-399".to_owned(), "200".to_owned()]),
        host: g.maybe("h.internal".into()),
        grpc_service: g.pick(&[String::new(), "pkg.Svc".into()]),
    };
    upstream.health_check = g.maybe(check);
    let outlier = Outlier {
        consecutive_failures: g.pick(&[5, 1]),
        base_ejection: duration(g, 30),
        max_ejection: duration(g, 300),
        max_ejected_percent: g.pick(&[50, 0, 100]),
        failure_statuses: g.pick(&[vec![502, 503, 504], vec![], vec![500]]),
    };
    upstream.outlier = g.maybe(outlier);
    upstream.fail_open = g.pick(&[false, true]);
    let per_try = duration(g, 2);
    let retry = RetryPolicy {
        attempts: g.pick(&[2, 1, 5]),
        retry_on: g.pick(&[
            vec![RetryOn::ConnectFailure, RetryOn::Reset, RetryOn::Timeout],
            vec![],
            vec![RetryOn::ServerError, RetryOn::GatewayError],
        ]),
        statuses: g.pick(&[vec![], vec![409, 429]]),
        grpc_statuses: g.pick(&[
            vec![],
            vec![GrpcStatus::Name("unavailable".into()), GrpcStatus::Code(8)],
        ]),
        per_try_timeout: g.maybe(per_try),
        backoff: Backoff {
            base: g.pick(&[
                HumanDuration::from_millis(25),
                HumanDuration::from_millis(0),
            ]),
            max: g.pick(&[HumanDuration::from_millis(250), HumanDuration::from_secs(2)]),
        },
        budget: RetryBudget {
            percent: g.pick(&[20, 0, 100]),
            min_per_second: g.pick(&[10, 0, 3]),
        },
    };
    upstream.retry = g.maybe(retry);
    let breaker = CircuitBreaker {
        max_connections: g.pick(&[None, Some(100)]),
        max_pending: g.pick(&[None, Some(10)]),
        max_requests: g.pick(&[None, Some(1000)]),
    };
    upstream.circuit_breaker = g.maybe(breaker);
    upstream.dns = DnsSettings {
        min_ttl: duration(g, 1),
        max_ttl: duration(g, 300),
    };
    let (allow, deny) = (ip_list(g), ip_list(g));
    let (connect, response_header, stream_idle) =
        (duration(g, 2), duration(g, 30), duration(g, 60));
    let timeouts = RouteTimeouts {
        connect: g.maybe(connect),
        response_header: g.maybe(response_header),
        stream_idle: g.maybe(stream_idle),
    };
    Service {
        kind: g.pick(&[ServiceKind::Http, ServiceKind::Tcp, ServiceKind::Grpc]),
        description: g.pick(&[String::new(), "d".into()]),
        enabled: g.pick(&[true, false]),
        port: g.maybe(8000),
        route: Match {
            prefix: g.maybe("/a/".into()),
            host: g.maybe("a.example.com".into()),
            path: g.maybe("/b".into()),
            path_regex: g.maybe("/c/[0-9]+".into()),
            methods: g.pick(&[Vec::new(), vec!["GET".into(), "HEAD".into()]]),
            headers: g.pick(&[
                Vec::new(),
                vec![FieldMatch {
                    name: "X-Canary".into(),
                    exact: Some("1".into()),
                    ..FieldMatch::default()
                }],
            ]),
            query: g.pick(&[
                Vec::new(),
                vec![FieldMatch {
                    name: "beta".into(),
                    present: Some(false),
                    ..FieldMatch::default()
                }],
            ]),
        },
        https_redirect: g.pick(&[false, true]),
        allow_encoded_slashes: g.pick(&[false, true]),
        strip_prefix: g.pick(&[false, true]),
        rewrite: g.pick(&[
            vec![],
            vec![RewriteRule {
                pattern: "^/x".into(),
                replacement: "/y".into(),
            }],
        ]),
        request_headers: g.pick(&[
            vec![],
            vec![HeaderOp {
                op: HeaderOpKind::Remove,
                name: "x-a".into(),
                value: None,
            }],
        ]),
        response_headers: g.pick(&[
            vec![],
            vec![HeaderOp {
                op: HeaderOpKind::Set,
                name: "x-frame-options".into(),
                value: Some("DENY".into()),
            }],
        ]),
        cors: g.flip().then(|| Cors {
            allow_origins: strings(g, &["https://app.example.com", "https://*.example.com"]),
            allow_methods: g.pick(&[
                vec!["GET".into(), "HEAD".into(), "POST".into()],
                vec!["PUT".into()],
                vec![],
            ]),
            allow_headers: strings(g, &["content-type", "x-a"]),
            expose_headers: strings(g, &["x-b"]),
            allow_credentials: g.flip(),
            max_age: g.flip().then(|| duration(g, 600)),
        }),
        websocket: g.pick(&[false, true]),
        max_body_bytes: g.pick(&[None, Some(0), Some(1024)]),
        compression: g.pick(&[
            None,
            Some(Compression::default()),
            Some(Compression {
                algorithms: vec![Encoding::Gzip],
                min_size: 0,
                content_types: vec!["application/json".into()],
                level: CompressionLevels {
                    gzip: 6,
                    ..CompressionLevels::default()
                },
            }),
        ]),
        access: Access {
            ip_allow: g.pick(&[IpList::default(), allow]),
            ip_deny: g.pick(&[IpList::default(), deny]),
            auth: AuthPolicy {
                enabled: g.flip(),
                allow_paths: strings(g, &["/health", "/public/*"]),
                tenants: strings(g, &["app-a"]),
            },
        },
        limits: Limits {
            service_qps: g.pick(&[0, 10]),
            client_ip_qps: g.pick(&[0, 3]),
            burst: g.pick(&[None, Some(1)]),
            max_connections: g.pick(&[0, 9]),
        },
        timeouts,
        split: g.flip().then(|| Split {
            targets: vec![SplitTarget {
                service: "canary".into(),
                percent: 5.5,
            }],
            sticky: g.maybe("cookie:session".into()),
            force: vec![SplitForce {
                header: Some("X-Canary".into()),
                cookie: None,
                value: g.maybe("1".into()),
                service: "canary".into(),
            }],
        }),
        mirror: g.flip().then(|| Mirror {
            service: "shadow".into(),
            percent: 12.5,
        }),
        registration: SelfRegistration {
            enabled: g.flip(),
            allowed_cidrs: strings(g, &["10.0.0.0/8"]),
            max_instances: g.pick(&[DEFAULT_MAX_INSTANCES, 1]),
        },
        ..Service::new(format!("svc-{i}"), upstream)
    }
}

fn generated_tenant(g: &mut Gen, i: usize) -> Tenant {
    Tenant {
        app_id: format!("app-{i}"),
        name: g.pick(&[String::new(), "App".into()]),
        description: g.pick(&[String::new(), "d".into()]),
        secret: g.maybe("s".repeat(32)),
        enabled: g.pick(&[true, false]),
        ip_allow: strings(g, &["10.0.0.0/8"]),
        qps: g.pick(&[0, 5]),
        qpd: g.pick(&[0, 1000]),
    }
}

#[test]
fn generated_resources_round_trip_without_defaults() {
    let mut g = Gen(0x2545_f491_4f6c_dd1d);
    let mut doc = ConfigDocument {
        services: Some((0..400).map(|i| generated_service(&mut g, i)).collect()),
        tenants: Some((0..100).map(|i| generated_tenant(&mut g, i)).collect()),
        signing_keys: Some(
            (0..4)
                .map(|i| SigningKey {
                    name: format!("k{i}"),
                    algorithm: g.pick(&[SigningAlgorithm::HS256, SigningAlgorithm::EdDSA]),
                    status: g.pick(&[KeyStatus::Active, KeyStatus::VerifyOnly]),
                    key: g.maybe("secret".into()),
                    created_at: g.maybe(1_700_000_000),
                })
                .collect(),
        ),
        certificates: Some(
            (0..4)
                .map(|i| Certificate {
                    name: format!("c{i}"),
                    cert: "-----BEGIN CERTIFICATE-----".into(),
                    key: g.maybe("-----BEGIN PRIVATE KEY-----".into()),
                    default: g.pick(&[false, true]),
                })
                .collect(),
        ),
    };
    doc.sort();
    check_document("generated", &doc);
}

#[test]
fn the_defaults_table_names_fields_the_model_has() {
    // A path the model does not have would be refused as an unknown field
    // when filled into a resource that has every parent block.
    let service = json!({
        "name": "a",
        "access": {"ip_allow": {}, "ip_deny": {}, "auth": {}},
        "cors": {"allow_origins": ["*"]},
        "limits": {}, "timeouts": {},
        "upstream": {"nodes": [{"addr": "127.0.0.1:1"}], "tls": {"ca": "x"},
                     "timeouts": {}, "health_check": {}, "outlier": {}, "dns": {},
                     "retry": {"backoff": {}, "budget": {}}},
        "registration": {},
        "compression": {"level": {}},
        "split": {"targets": [{"service": "b", "percent": 1}]},
        "mirror": {"service": "b"}
    });
    let filled = fill(ResourceKind::Service, &service);
    let s: Service = serde_json::from_value(filled.clone()).unwrap();
    assert_eq!(serde_json::from_value::<Service>(service).unwrap(), s);
    for (path, _) in defaults::table(ResourceKind::Service) {
        assert!(lookup(&filled, path).is_some(), "{path} not filled");
    }
    let tenant = fill(ResourceKind::Tenant, &json!({"app_id": "a"}));
    assert_eq!(tenant.as_object().unwrap().len(), 7, "{tenant}");
    serde_json::from_value::<Tenant>(tenant).unwrap();
    let key = fill(
        ResourceKind::SigningKey,
        &json!({"name": "k", "algorithm": "HS256"}),
    );
    serde_json::from_value::<SigningKey>(key).unwrap();
    let cert = fill(
        ResourceKind::Certificate,
        &json!({"name": "c", "cert": "x"}),
    );
    serde_json::from_value::<Certificate>(cert).unwrap();
}

#[test]
fn implicit_blocks_are_their_defaults_when_absent() {
    let base = json!({"name": "a", "upstream": {"nodes": [{"addr": "127.0.0.1:1"}]}});
    for block in defaults::implicit_blocks(ResourceKind::Service) {
        // The block written as `{}` under its parents (which an optional
        // block such as `compression` needs to be there) against the same
        // parents without it.
        fn open<'a>(mut node: &'a mut Value, path: &[&str]) -> &'a mut Value {
            for key in path {
                node = node
                    .as_object_mut()
                    .unwrap()
                    .entry(*key)
                    .or_insert_with(|| json!({}));
            }
            node
        }
        let path: Vec<&str> = block.split('.').collect();
        let mut spec = base.clone();
        open(&mut spec, &path[..path.len() - 1]);
        let want: Service = serde_json::from_value(spec.clone()).unwrap();
        open(&mut spec, &path);
        let got: Service = serde_json::from_value(spec.clone()).unwrap();
        assert_eq!(got, want, "{block}: {spec}");
    }
    // Blocks that are off when absent are not implicit.
    for block in [
        "access.ip_allow",
        "cors",
        "upstream.health_check",
        "upstream.outlier",
    ] {
        assert!(!defaults::implicit_blocks(ResourceKind::Service).contains(&block));
    }
    assert_eq!(
        defaults::at(ResourceKind::Service, "upstream.nodes[12].weight"),
        Some(json!(1))
    );
    assert_eq!(
        defaults::at(ResourceKind::Service, "upstream.hash_key"),
        None
    );
}
