//! deploy/: the Dockerfile, the compose files, the Kustomize overlays and the
//! systemd units, checked here where no container engine or cluster runs.
//!
//! - Every overlay is rendered by `kubectl kustomize` (Debian's
//!   `kubernetes-client`) and every document parsed into its typed
//!   Kubernetes object (k8s-openapi); a field the type does not know fails
//!   (k8s-openapi itself ignores them, so the document is compared with the
//!   re-serialised object — see `misspelled_fields_are_refused`).
//! - References hold: selectors select pods, Service target ports and probe
//!   ports name container ports, the HPA targets a Deployment, Secret keys,
//!   ConfigMaps, claims and service accounts exist.
//! - Every environment variable they set is documented in
//!   docs/configuration.md, and every weir.toml they carry is a valid
//!   process configuration.
//! - Each container's command line (the image's ENTRYPOINT + CMD, the
//!   compose commands, the pods' args, the units' ExecStart) runs as a real
//!   `weir` process, with its paths moved into a temporary directory, its
//!   listeners on 127.0.0.1 port 0 and a shared database replaced by SQLite;
//!   then every probe they name (HEALTHCHECK, readiness, liveness, startup)
//!   must answer 2xx, and every port they expose must be one the process
//!   listens on.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{
    ConfigMap, Container, PersistentVolumeClaim, Probe, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use weir::ProcessConfig;

use common::process::ServingProcess;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

// ---------------------------------------------------------------------------
// Rendering and strict parsing

/// `kubectl kustomize DIR`, split into documents.
fn render(overlay: &str) -> Vec<Value> {
    let dir = repo().join(overlay);
    let out = match Command::new("kubectl").arg("kustomize").arg(&dir).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "kubectl is not installed: install Debian's `kubernetes-client` package \
             (apt-get install kubernetes-client); it renders Kustomize offline"
        ),
        Err(e) => panic!("cannot run kubectl: {e}"),
    };
    assert!(
        out.status.success(),
        "kubectl kustomize {overlay} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    yaml_documents(&String::from_utf8(out.stdout).unwrap())
}

fn yaml_documents(text: &str) -> Vec<Value> {
    use serde::Deserialize;
    serde_yaml_ng::Deserializer::from_str(text)
        .map(|d| Value::deserialize(d).unwrap())
        .filter(|v| !v.is_null())
        .collect()
}

/// Parse `doc` as `T`, refusing any field that `T` does not carry: the
/// typed object, serialised again, must hold every non-null field of the
/// document.
fn strict<T: DeserializeOwned + Serialize>(doc: &Value) -> Result<T, String> {
    let typed: T = serde_json::from_value(doc.clone()).map_err(|e| e.to_string())?;
    let back = serde_json::to_value(&typed).map_err(|e| e.to_string())?;
    let mut unknown = Vec::new();
    dropped_fields(doc, &back, "", &mut unknown);
    if unknown.is_empty() {
        Ok(typed)
    } else {
        Err(format!("unknown fields: {}", unknown.join(", ")))
    }
}

fn dropped_fields(doc: &Value, back: &Value, path: &str, out: &mut Vec<String>) {
    match (doc, back) {
        (Value::Object(d), Value::Object(b)) => {
            for (k, v) in d {
                let here = format!("{path}.{k}");
                match b.get(k) {
                    _ if v.is_null() => {}
                    None => out.push(here),
                    Some(bv) => dropped_fields(v, bv, &here, out),
                }
            }
        }
        (Value::Array(d), Value::Array(b)) => {
            for (i, (dv, bv)) in d.iter().zip(b).enumerate() {
                dropped_fields(dv, bv, &format!("{path}[{i}]"), out);
            }
            if d.len() != b.len() {
                out.push(format!("{path} (length {} became {})", d.len(), b.len()));
            }
        }
        _ => {}
    }
}

/// The rendered objects of one overlay, by kind.
#[derive(Default)]
struct Objects {
    deployments: Vec<Deployment>,
    services: Vec<Service>,
    pdbs: Vec<PodDisruptionBudget>,
    hpas: Vec<HorizontalPodAutoscaler>,
    config_maps: Vec<ConfigMap>,
    secrets: Vec<Secret>,
    claims: Vec<PersistentVolumeClaim>,
    accounts: Vec<ServiceAccount>,
}

fn typed(docs: &[Value]) -> Result<Objects, String> {
    let mut o = Objects::default();
    for doc in docs {
        let api = doc["apiVersion"].as_str().unwrap_or("");
        let kind = doc["kind"].as_str().unwrap_or("");
        let name = doc["metadata"]["name"].as_str().unwrap_or("");
        let at = |e: String| format!("{kind} {name}: {e}");
        match (api, kind) {
            ("apps/v1", "Deployment") => o.deployments.push(strict(doc).map_err(at)?),
            ("v1", "Service") => o.services.push(strict(doc).map_err(at)?),
            ("policy/v1", "PodDisruptionBudget") => o.pdbs.push(strict(doc).map_err(at)?),
            ("autoscaling/v2", "HorizontalPodAutoscaler") => o.hpas.push(strict(doc).map_err(at)?),
            ("v1", "ConfigMap") => o.config_maps.push(strict(doc).map_err(at)?),
            ("v1", "Secret") => o.secrets.push(strict(doc).map_err(at)?),
            ("v1", "PersistentVolumeClaim") => o.claims.push(strict(doc).map_err(at)?),
            ("v1", "ServiceAccount") => o.accounts.push(strict(doc).map_err(at)?),
            _ => return Err(format!("unexpected object {api} {kind} {name}")),
        }
    }
    Ok(o)
}

fn name_of(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> &str {
    meta.name.as_deref().unwrap_or("")
}

// ---------------------------------------------------------------------------
// Documentation and the process configuration

/// Every variable is a documented one (a `WEIR_*` variable weir ignored
/// silently would be a setting that never took effect).
fn assert_documented(vars: &BTreeSet<String>, source: &str) {
    let docs = read("docs/configuration.md");
    for var in vars {
        assert!(
            docs.contains(&format!("`{var}`")),
            "{source} sets {var}, which docs/configuration.md does not document"
        );
    }
}

fn duration(text: &str) -> std::time::Duration {
    text.parse::<weir_core::HumanDuration>()
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
        .get()
}

// ---------------------------------------------------------------------------
// Running a container's command line as a process

/// One container (or unit) to run: its command line after the `weir`
/// binary, environment, files, working directory, the probes it names
/// (container port, path) and the ports it exposes.
#[derive(Debug, Default, Clone)]
struct Launch {
    what: String,
    args: Vec<String>,
    env: BTreeMap<String, String>,
    files: BTreeMap<String, String>,
    workdir: Option<String>,
    probes: Vec<(u16, String)>,
    ports: Vec<u16>,
}

/// Directories of the image and units that move into the test's temporary
/// directory.
const MAPPED: [&str; 3] = ["/var/lib/weir", "/etc/weir", "/run/"];

fn map_paths(text: &str, root: &Path) -> String {
    let mut out = text.to_owned();
    for prefix in MAPPED {
        out = out.replace(prefix, &format!("{}{prefix}", root.display()));
    }
    out
}

/// Start `launch` as a process of the built binary; probe what it names.
fn run(launch: &Launch) {
    let what = &launch.what;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for d in [
        "var/lib/weir",
        "etc/weir",
        "run/weir",
        "run/weir-proxy",
        "run/weir-admin",
    ] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    for (path, text) in &launch.files {
        std::fs::write(map_paths(path, root), text).unwrap();
    }
    let mut args: Vec<String> = launch.args.iter().map(|a| map_paths(a, root)).collect();
    let role = args.first().cloned().unwrap_or_default();
    assert!(
        ["serve", "proxy", "admin"].contains(&role.as_str()),
        "{what}: runs `weir {role}`, not serve, proxy or admin"
    );
    let mut env: BTreeMap<String, String> = launch
        .env
        .iter()
        .map(|(k, v)| (k.clone(), map_paths(v, root)))
        .collect();

    // What the container is configured to listen on, before the test moves
    // the listeners to port 0.
    let config_text = args
        .iter()
        .position(|a| a == "--config" || a == "-c")
        .map(|i| std::fs::read_to_string(&args[i + 1]).unwrap())
        .unwrap_or_default();
    let mut cfg = ProcessConfig::from_sources(&config_text, "weir.toml", env.clone())
        .unwrap_or_else(|e| panic!("{what}: {e:#}"));
    for (flag, slot) in [("--http", 0), ("--admin", 1)] {
        if let Some(i) = args.iter().position(|a| a == flag) {
            let addr = args[i + 1].parse().unwrap();
            if slot == 0 {
                cfg.listen.http = addr;
            } else {
                cfg.listen.admin = addr;
            }
            args[i + 1] = "127.0.0.1:0".into();
        }
    }
    let proxy = role != "admin";
    let admin = role != "proxy";
    let mut listeners: BTreeMap<u16, &str> = BTreeMap::new();
    if proxy {
        listeners.insert(cfg.listen.http.port(), "http_addr");
        if let Some(a) = cfg.https_addr().unwrap() {
            listeners.insert(a.port(), "https_addr");
        }
    }
    if admin {
        listeners.insert(cfg.listen.admin.port(), "admin_addr");
    }
    let health = cfg.health_addr().unwrap();
    if let Some(a) = health {
        listeners.insert(a.port(), "health_addr");
    }
    for port in &launch.ports {
        assert!(
            listeners.contains_key(port),
            "{what}: exposes port {port}, which `weir {role}` does not listen on (it listens on {listeners:?})"
        );
    }

    env.insert("WEIR_LISTEN_HTTP".into(), "127.0.0.1:0".into());
    env.insert("WEIR_LISTEN_ADMIN".into(), "127.0.0.1:0".into());
    env.insert("WEIR_LISTEN_SERVICE_ADDRESS".into(), "127.0.0.1".into());
    let https = if cfg.https_addr().unwrap().is_some() {
        "127.0.0.1:0"
    } else {
        "off"
    };
    env.insert("WEIR_LISTEN_HTTPS".into(), https.into());
    if health.is_some() {
        env.insert("WEIR_LISTEN_HEALTH".into(), "127.0.0.1:0".into());
    }
    // No database server here: a shared store becomes a SQLite file.
    if !cfg.store.url.starts_with("sqlite:") {
        env.insert(
            "WEIR_STORE_URL".into(),
            format!("sqlite://{}/var/lib/weir/weir.db", root.display()),
        );
    }

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_weir"));
    for (k, _) in std::env::vars() {
        if k.starts_with("WEIR_") || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    cmd.args(&args).envs(&env).current_dir(
        launch
            .workdir
            .as_deref()
            .map_or_else(|| root.to_path_buf(), |w| PathBuf::from(map_paths(w, root))),
    );
    let process = ServingProcess::start(cmd);

    for (port, path) in &launch.probes {
        let Some(key) = listeners.get(port) else {
            panic!(
                "{what}: probes port {port}, which `weir {role}` does not listen on ({listeners:?})"
            );
        };
        let addr = process
            .addr(key)
            .unwrap_or_else(|| panic!("{what}: no {key} in {}", process.serving));
        let url = format!("http://{addr}{path}");
        let out = Command::new(env!("CARGO_BIN_EXE_weir"))
            .args(["probe", "--timeout", "5s", &url])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{what}: probe {path} on port {port} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

// ---------------------------------------------------------------------------
// The Dockerfile

/// The final stage of the Dockerfile.
#[derive(Debug, Default)]
struct Image {
    env: BTreeMap<String, String>,
    workdir: Option<String>,
    user: Option<String>,
    volumes: Vec<String>,
    expose: Vec<u16>,
    entrypoint: Vec<String>,
    cmd: Vec<String>,
    healthcheck: Vec<String>,
    stages: Vec<String>,
}

fn dockerfile() -> Image {
    let text = read("deploy/docker/Dockerfile");
    // Join continuation lines; drop comments.
    let mut instructions = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        if let Some(head) = trimmed.strip_suffix('\\') {
            current.push_str(head);
            current.push(' ');
        } else {
            current.push_str(trimmed);
            instructions.push(std::mem::take(&mut current));
        }
    }
    let mut image = Image::default();
    for ins in instructions {
        let (word, rest) = ins.split_once(char::is_whitespace).unwrap_or((&ins, ""));
        let rest = rest.trim();
        let json = |s: &str| -> Vec<String> {
            serde_json::from_str(s).unwrap_or_else(|e| panic!("{word} {s}: not a JSON array ({e})"))
        };
        match word.to_ascii_uppercase().as_str() {
            "FROM" => {
                image = Image {
                    stages: std::mem::take(&mut image.stages),
                    ..Image::default()
                };
                image.stages.push(rest.to_owned());
            }
            "ENV" => {
                for pair in rest.split_whitespace() {
                    let (k, v) = pair.split_once('=').expect("ENV KEY=value");
                    image.env.insert(k.into(), v.into());
                }
            }
            "WORKDIR" => image.workdir = Some(rest.into()),
            "USER" => image.user = Some(rest.into()),
            "VOLUME" => image.volumes = json(rest),
            "EXPOSE" => {
                image.expose = rest
                    .split_whitespace()
                    .map(|p| p.parse().unwrap())
                    .collect()
            }
            "ENTRYPOINT" => image.entrypoint = json(rest),
            "CMD" => image.cmd = json(rest),
            "HEALTHCHECK" => {
                let (_, command) = rest.split_once("CMD ").expect("HEALTHCHECK ... CMD [..]");
                image.healthcheck = json(command.trim());
            }
            _ => {}
        }
    }
    image
}

/// A `weir probe URL` command line as (port, path), checking that it runs
/// the image's binary.
fn probe_of(command: &[String], binary: &str, what: &str) -> (u16, String) {
    assert_eq!(
        command.first().map(String::as_str),
        Some(binary),
        "{what}: {command:?}"
    );
    assert_eq!(
        command.get(1).map(String::as_str),
        Some("probe"),
        "{what}: {command:?}"
    );
    let url = command.last().unwrap();
    let uri: http::Uri = url.parse().unwrap();
    (uri.port_u16().unwrap(), uri.path().to_owned())
}

#[test]
fn dockerfile_builds_the_dashboard_in_runs_as_a_user_and_its_health_check_passes() {
    let text = read("deploy/docker/Dockerfile");
    // The dashboard is built and put where crates/weir-admin/build.rs embeds
    // it before the release build.
    let dashboard = text
        .find("scripts/dashboard.sh build")
        .expect("builds the dashboard");
    let copy = text
        .find("web/dist web/dist")
        .expect("copies web/dist into the builder");
    let build = text.find("cargo build --release").expect("a release build");
    assert!(dashboard < copy && copy < build);
    assert!(text.contains("-p weir"));
    assert!(read(".dockerignore").lines().any(|l| l.trim() == "target"));

    let image = dockerfile();
    assert!(image.stages.len() >= 2, "multi-stage: {:?}", image.stages);
    let user = image.user.clone().expect("a USER in the runtime image");
    assert!(
        !user.starts_with("root") && !user.starts_with("0"),
        "USER {user}"
    );
    let binary = image.entrypoint.first().cloned().expect("an ENTRYPOINT");
    assert!(!image.healthcheck.is_empty(), "a HEALTHCHECK");
    let store = image
        .env
        .get("WEIR_STORE_URL")
        .expect("the store in the volume");
    assert!(
        image.volumes.iter().any(|v| store.contains(v.as_str())),
        "{store} is not in a VOLUME {:?}",
        image.volumes
    );
    assert_documented(&image.env.keys().cloned().collect(), "the Dockerfile");

    let mut args = image.entrypoint[1..].to_vec();
    args.extend(image.cmd.clone());
    run(&Launch {
        what: "Dockerfile ENTRYPOINT + CMD".into(),
        args,
        env: image.env.clone(),
        workdir: image.workdir.clone(),
        probes: vec![probe_of(&image.healthcheck, &binary, "HEALTHCHECK")],
        ports: image.expose.clone(),
        ..Launch::default()
    });
}

// ---------------------------------------------------------------------------
// Compose

/// `${NAME}`, `${NAME:?message}`, `${NAME:-default}` replaced by test values.
fn interpolate(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("closing brace") + start;
        let name = rest[start + 2..end].split([':', '-', '?']).next().unwrap();
        out.push_str(match name {
            "WEIR_ADMIN_PASSWORD" => "a-test-admin-password",
            _ => "test-value",
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

fn compose_launches(file: &str, image: &Image) -> Vec<Launch> {
    let compose: Value = serde_yaml_ng::from_str(&read(file)).unwrap();
    let services = compose["services"].as_object().expect("services");
    let binary = image.entrypoint[0].clone();
    let mut launches = Vec::new();
    let mut weir_services = BTreeSet::new();
    for (name, svc) in services {
        let ours = svc["image"].as_str().is_some_and(|i| i.starts_with("weir"))
            || svc.get("build").is_some();
        for dep in svc["depends_on"].as_object().into_iter().flatten() {
            assert!(
                services.contains_key(dep.0),
                "{file}: {name} depends on {}",
                dep.0
            );
        }
        if !ours {
            continue;
        }
        weir_services.insert(name.clone());
        let what = format!("{file} service {name}");
        let mut env = image.env.clone();
        for (k, v) in svc["environment"]
            .as_object()
            .expect("environment as a map")
        {
            env.insert(k.clone(), interpolate(v.as_str().expect("string values")));
        }
        assert_documented(&env.keys().cloned().collect(), &what);
        let grace = svc["stop_grace_period"]
            .as_str()
            .expect("stop_grace_period");
        assert!(
            duration(grace) > std::time::Duration::from_secs(30),
            "{what}: {grace}"
        );
        let ports = svc["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                p.as_str()
                    .unwrap()
                    .rsplit(':')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        let args = svc["command"]
            .as_array()
            .expect("command as a list")
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect();
        launches.push(Launch {
            what,
            args,
            env,
            workdir: image.workdir.clone(),
            // No healthcheck of its own: the image's.
            probes: if svc.get("healthcheck").is_some() {
                panic!("{file}: {name} replaces the image's health check")
            } else {
                vec![probe_of(&image.healthcheck, &binary, "HEALTHCHECK")]
            },
            ports,
            ..Launch::default()
        });
    }
    assert!(!weir_services.is_empty(), "{file}: no weir service");
    launches
}

#[test]
fn compose_one_node_runs_and_is_healthy() {
    let image = dockerfile();
    let launches = compose_launches("deploy/compose/docker-compose.yml", &image);
    assert_eq!(launches.len(), 1);
    assert_eq!(launches[0].args, ["serve"]);
    launches.iter().for_each(run);
}

#[test]
fn compose_fleet_runs_admin_and_two_proxies() {
    let file = "deploy/compose/docker-compose.fleet.yml";
    let text = read(file);
    // A Redis for the limits the fleet shares, and every proxy pointed at it.
    let compose: Value = serde_yaml_ng::from_str(&text).unwrap();
    let redis = &compose["services"]["redis"];
    assert!(
        redis["image"]
            .as_str()
            .is_some_and(|i| i.starts_with("redis:")),
        "no Redis service: {redis:?}"
    );
    let image = dockerfile();
    let launches = compose_launches(file, &image);
    let roles: Vec<&str> = launches.iter().map(|l| l.args[0].as_str()).collect();
    assert_eq!(
        roles.iter().filter(|r| **r == "admin").count(),
        1,
        "{roles:?}"
    );
    assert_eq!(
        roles.iter().filter(|r| **r == "proxy").count(),
        2,
        "{roles:?}"
    );
    for l in &launches {
        assert!(
            l.env["WEIR_STORE_URL"].starts_with("postgres://"),
            "{}",
            l.what
        );
        if l.args[0] == "proxy" {
            assert_eq!(
                l.env.get("WEIR_CLUSTER_REDIS").map(String::as_str),
                Some("redis://redis:6379/0"),
                "{}",
                l.what
            );
        }
    }
    launches.iter().for_each(run);
}

// ---------------------------------------------------------------------------
// Kubernetes

fn labels_match(selector: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

fn pod_labels(d: &Deployment) -> BTreeMap<String, String> {
    d.spec
        .as_ref()
        .and_then(|s| s.template.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .unwrap_or_default()
}

fn containers(d: &Deployment) -> &[Container] {
    &d.spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap()
        .containers
}

fn port_number(c: &Container, port: &IntOrString) -> Option<u16> {
    let ports = c.ports.as_deref().unwrap_or_default();
    let found = match port {
        IntOrString::Int(n) => ports.iter().find(|p| p.container_port == *n),
        IntOrString::String(name) => ports.iter().find(|p| p.name.as_deref() == Some(name)),
    };
    found.map(|p| u16::try_from(p.container_port).unwrap())
}

/// Every reference in one rendered overlay resolves; returns how to run
/// each container.
fn check_overlay(overlay: &str) -> (Objects, Vec<Launch>) {
    let docs = render(overlay);
    let o = typed(&docs).unwrap_or_else(|e| panic!("{overlay}: {e}"));
    assert!(!o.deployments.is_empty(), "{overlay}: no Deployment");

    // The process configuration, from the ConfigMap that carries weir.toml.
    let mut tomls = BTreeMap::new();
    for cm in &o.config_maps {
        for (key, text) in cm.data.iter().flatten() {
            if key.ends_with(".toml") {
                let cfg = ProcessConfig::from_sources(text, key, Vec::new()).unwrap_or_else(|e| {
                    panic!("{overlay}: ConfigMap {}: {e:#}", name_of(&cm.metadata))
                });
                tomls.insert(
                    name_of(&cm.metadata).to_owned(),
                    (key.clone(), text.clone(), cfg),
                );
            }
        }
    }
    let secret_keys = |name: &str, key: &str| {
        o.secrets.iter().any(|s| {
            name_of(&s.metadata) == name
                && (s.string_data.as_ref().is_some_and(|d| d.contains_key(key))
                    || s.data.as_ref().is_some_and(|d| d.contains_key(key)))
        })
    };

    let mut launches = Vec::new();
    for d in &o.deployments {
        let dname = name_of(&d.metadata);
        let spec = d.spec.as_ref().unwrap();
        let selector = spec.selector.match_labels.clone().unwrap_or_default();
        assert!(spec.selector.match_expressions.is_none());
        assert!(
            labels_match(&selector, &pod_labels(d)),
            "{overlay}: Deployment {dname}: selector {selector:?} does not select its pods"
        );
        let pod = spec.template.spec.as_ref().unwrap();
        let psc = pod.security_context.as_ref().expect("pod securityContext");
        assert_eq!(psc.run_as_non_root, Some(true), "{dname}: runAsNonRoot");
        if let Some(sa) = &pod.service_account_name {
            assert!(
                o.accounts.iter().any(|a| name_of(&a.metadata) == sa),
                "{dname}: {sa}"
            );
        }
        // Volumes: ConfigMaps and claims exist.
        let mut config_mounts = BTreeMap::new();
        for v in pod.volumes.iter().flatten() {
            if let Some(cm) = &v.config_map {
                assert!(
                    o.config_maps
                        .iter()
                        .any(|c| name_of(&c.metadata) == cm.name),
                    "{overlay}: {dname}: no ConfigMap {}",
                    cm.name
                );
                config_mounts.insert(v.name.clone(), cm.name.clone());
            }
            if let Some(claim) = &v.persistent_volume_claim {
                assert!(
                    o.claims
                        .iter()
                        .any(|c| name_of(&c.metadata) == claim.claim_name),
                    "{overlay}: {dname}: no claim {}",
                    claim.claim_name
                );
            }
            if let Some(s) = &v.secret {
                let name = s.secret_name.as_deref().unwrap_or("");
                assert!(
                    o.secrets.iter().any(|x| name_of(&x.metadata) == name),
                    "{dname}: {name}"
                );
            }
        }

        for c in &pod.containers {
            let what = format!("{overlay}: Deployment {dname} container {}", c.name);
            let sc = c
                .security_context
                .as_ref()
                .expect("container securityContext");
            assert_eq!(sc.allow_privilege_escalation, Some(false), "{what}");
            assert_eq!(sc.read_only_root_filesystem, Some(true), "{what}");
            let res = c.resources.as_ref().expect("resources");
            for key in ["cpu", "memory"] {
                assert!(
                    res.requests.as_ref().is_some_and(|r| r.contains_key(key)),
                    "{what}: requests.{key}"
                );
                assert!(
                    res.limits.as_ref().is_some_and(|r| r.contains_key(key)),
                    "{what}: limits.{key}"
                );
            }

            // Environment: documented; Secret and ConfigMap keys exist.
            let mut env = BTreeMap::new();
            for e in c.env.iter().flatten() {
                let value = if let Some(v) = &e.value {
                    v.clone()
                } else {
                    let from = e.value_from.as_ref().expect("value or valueFrom");
                    if let Some(s) = &from.secret_key_ref {
                        assert!(
                            secret_keys(&s.name, &s.key),
                            "{what}: {} -> Secret {} key {}",
                            e.name,
                            s.name,
                            s.key
                        );
                        let secret = o
                            .secrets
                            .iter()
                            .find(|x| name_of(&x.metadata) == s.name)
                            .unwrap();
                        secret
                            .string_data
                            .as_ref()
                            .and_then(|d| d.get(&s.key))
                            .cloned()
                            .unwrap_or_default()
                    } else if let Some(m) = &from.config_map_key_ref {
                        let cm = o
                            .config_maps
                            .iter()
                            .find(|x| name_of(&x.metadata) == m.name);
                        cm.and_then(|cm| cm.data.as_ref()?.get(&m.key).cloned())
                            .unwrap_or_else(|| {
                                panic!("{what}: {} -> ConfigMap {} key {}", e.name, m.name, m.key)
                            })
                    } else {
                        panic!("{what}: {}: an unexpected valueFrom", e.name)
                    }
                };
                env.insert(e.name.clone(), value);
            }
            assert!(
                c.env_from.is_none(),
                "{what}: envFrom hides which variables are set"
            );
            assert_documented(&env.keys().cloned().collect(), &what);

            // Files: the ConfigMap mounts.
            let mut files = BTreeMap::new();
            for m in c.volume_mounts.iter().flatten() {
                if let Some(cm) = config_mounts.get(&m.name) {
                    let (key, text, _) = tomls
                        .get(cm)
                        .unwrap_or_else(|| panic!("{what}: ConfigMap {cm} has no weir.toml"));
                    files.insert(format!("{}/{key}", m.mount_path), text.clone());
                }
            }

            // Graceful termination: longer than the preStop pause and the drain.
            let config_path = c
                .args
                .iter()
                .flatten()
                .skip_while(|a| *a != "--config")
                .nth(1)
                .cloned();
            let drain = match config_path.as_ref().and_then(|p| files.get(p)) {
                Some(text) => ProcessConfig::from_sources(text, "weir.toml", env.clone())
                    .unwrap()
                    .proxy
                    .shutdown_grace
                    .get()
                    .as_secs(),
                None => ProcessConfig::default()
                    .proxy
                    .shutdown_grace
                    .get()
                    .as_secs(),
            };
            let pause = c
                .lifecycle
                .as_ref()
                .and_then(|l| l.pre_stop.as_ref())
                .and_then(|p| p.sleep.as_ref())
                .map_or(0, |s| s.seconds.unsigned_abs());
            let grace = pod
                .termination_grace_period_seconds
                .expect("terminationGracePeriodSeconds");
            assert!(
                grace.unsigned_abs() > drain + pause,
                "{what}: terminationGracePeriodSeconds {grace} <= drain {drain}s + preStop {pause}s"
            );

            // Probes: on a container port, with a path.
            let mut probes = Vec::new();
            let all: [(&str, &Option<Probe>); 3] = [
                ("readiness", &c.readiness_probe),
                ("liveness", &c.liveness_probe),
                ("startup", &c.startup_probe),
            ];
            for (kind, probe) in all {
                let Some(probe) = probe else {
                    assert!(kind == "startup", "{what}: no {kind} probe");
                    continue;
                };
                let get = probe.http_get.as_ref().expect("httpGet probes");
                let port = port_number(c, &get.port).unwrap_or_else(|| {
                    panic!(
                        "{what}: {kind} probe port {:?} is no container port",
                        get.port
                    )
                });
                probes.push((port, get.path.clone().expect("a probe path")));
            }
            let ports = c
                .ports
                .iter()
                .flatten()
                .map(|p| u16::try_from(p.container_port).unwrap())
                .collect();
            launches.push(Launch {
                what,
                args: c.args.clone().unwrap_or_default(),
                env,
                files,
                probes,
                ports,
                ..Launch::default()
            });
        }
    }

    // Services and budgets select some Deployment's pods; target ports
    // name or number a container port of every pod they select.
    for s in &o.services {
        let sname = name_of(&s.metadata);
        let spec = s.spec.as_ref().unwrap();
        let selector = spec.selector.clone().unwrap_or_default();
        let selected: Vec<&Deployment> = o
            .deployments
            .iter()
            .filter(|d| labels_match(&selector, &pod_labels(d)))
            .collect();
        assert!(
            !selected.is_empty(),
            "{overlay}: Service {sname} selects no pods"
        );
        for p in spec.ports.iter().flatten() {
            let target = p.target_port.clone().unwrap_or(IntOrString::Int(p.port));
            for d in &selected {
                assert!(
                    containers(d)
                        .iter()
                        .any(|c| port_number(c, &target).is_some()),
                    "{overlay}: Service {sname} port {:?}: Deployment {} has no container port {target:?}",
                    p.name,
                    name_of(&d.metadata)
                );
            }
        }
    }
    for b in &o.pdbs {
        let selector = b
            .spec
            .as_ref()
            .and_then(|s| s.selector.as_ref())
            .and_then(|s| s.match_labels.clone())
            .unwrap_or_default();
        assert!(
            o.deployments
                .iter()
                .any(|d| labels_match(&selector, &pod_labels(d))),
            "{overlay}: PodDisruptionBudget {} selects no pods",
            name_of(&b.metadata)
        );
    }
    for h in &o.hpas {
        let target = &h.spec.as_ref().unwrap().scale_target_ref;
        assert_eq!(target.kind, "Deployment");
        assert_eq!(target.api_version.as_deref(), Some("apps/v1"));
        assert!(
            o.deployments
                .iter()
                .any(|d| name_of(&d.metadata) == target.name),
            "{overlay}: HPA {} targets no Deployment {}",
            name_of(&h.metadata),
            target.name
        );
    }
    (o, launches)
}

#[test]
fn single_overlay_is_one_gateway_on_sqlite_with_a_claim() {
    let (o, launches) = check_overlay("deploy/k8s/overlays/single");
    assert_eq!(o.deployments.len(), 1);
    assert_eq!(o.deployments[0].spec.as_ref().unwrap().replicas, Some(1));
    assert_eq!(o.claims.len(), 1);
    let store = o.secrets[0].string_data.as_ref().unwrap()["store-url"].clone();
    assert!(store.starts_with("sqlite:///var/lib/weir/"), "{store}");
    assert_eq!(launches.len(), 1);
    assert_eq!(launches[0].args[0], "serve");
    launches.iter().for_each(run);
}

#[test]
fn fleet_overlay_is_proxies_with_budget_and_autoscaler_and_an_admin() {
    let (o, launches) = check_overlay("deploy/k8s/overlays/fleet");
    let by_name = |n: &str| {
        o.deployments
            .iter()
            .find(|d| name_of(&d.metadata) == n)
            .unwrap()
    };
    assert_eq!(
        by_name("weir-proxy").spec.as_ref().unwrap().replicas,
        Some(3)
    );
    assert_eq!(
        by_name("weir-admin").spec.as_ref().unwrap().replicas,
        Some(1)
    );
    assert_eq!(o.pdbs.len(), 1);
    assert_eq!(o.hpas.len(), 1);
    assert!(o.hpas[0].spec.as_ref().unwrap().min_replicas >= Some(3));
    let store = o.secrets[0].string_data.as_ref().unwrap()["store-url"].clone();
    assert!(
        store.starts_with("postgres://") && store.contains("REPLACE"),
        "{store}"
    );
    let mut roles: Vec<&str> = launches.iter().map(|l| l.args[0].as_str()).collect();
    roles.sort_unstable();
    assert_eq!(roles, ["admin", "proxy"]);
    launches.iter().for_each(run);
}

/// k8s-openapi ignores fields it does not know; `strict` must not.
#[test]
fn misspelled_fields_are_refused() {
    let docs = render("deploy/k8s/overlays/fleet");
    assert!(typed(&docs).is_ok());
    let deployment = docs.iter().find(|d| d["kind"] == "Deployment").unwrap();
    for (pointer, field) in [
        ("/spec/template/spec/containers/0", "readinessProb"),
        ("/spec/template/spec/securityContext", "runAsNonroot"),
        ("/spec", "replica"),
    ] {
        let mut bad = deployment.clone();
        bad.pointer_mut(pointer)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .insert(field.into(), Value::Bool(true));
        let err = strict::<Deployment>(&bad)
            .err()
            .unwrap_or_else(|| panic!("{field} accepted"));
        assert!(err.contains(field), "{err}");
        let mut all = docs.clone();
        let i = all.iter().position(|d| d == deployment).unwrap();
        all[i] = bad;
        assert!(typed(&all).is_err());
    }
    // A wrong type fails in the typed parse itself.
    let mut bad = deployment.clone();
    bad["spec"]["replicas"] = Value::String("three".into());
    assert!(strict::<Deployment>(&bad).is_err());
}

// ---------------------------------------------------------------------------
// systemd

#[test]
fn systemd_units_start_and_outlast_the_drain() {
    for unit in ["weir", "weir-proxy", "weir-admin"] {
        let file = format!("deploy/systemd/{unit}.service");
        let text = read(&file);
        let mut env = BTreeMap::new();
        let mut exec = None;
        let mut reload = None;
        let mut stop = None;
        for line in text.lines().map(str::trim) {
            if let Some(rest) = line.strip_prefix("Environment=") {
                let (k, v) = rest.split_once('=').unwrap();
                env.insert(k.to_owned(), v.to_owned());
            } else if let Some(rest) = line.strip_prefix("ExecStart=") {
                exec = Some(rest.to_owned());
            } else if let Some(rest) = line.strip_prefix("ExecReload=") {
                reload = Some(rest.to_owned());
            } else if let Some(rest) = line.strip_prefix("TimeoutStopSec=") {
                stop = Some(duration(rest));
            }
        }
        assert_documented(&env.keys().cloned().collect(), &file);
        let exec = exec.expect("ExecStart");
        // The upgrade starts the same command line next to the running one.
        assert!(reload.expect("ExecReload").contains(&exec), "{file}");
        assert!(
            stop.expect("TimeoutStopSec") > ProcessConfig::default().proxy.shutdown_grace.get()
        );
        let mut words = exec.split_whitespace().map(str::to_owned);
        assert_eq!(
            words.next().as_deref(),
            Some("/usr/local/bin/weir"),
            "{file}"
        );
        let args: Vec<String> = words.collect();
        let role = if unit == "weir" { "serve" } else { &unit[5..] };
        assert_eq!(args[0], role, "{file}");
        run(&Launch {
            what: file.clone(),
            args,
            env,
            // An empty weir.toml: every default (the operator's file).
            files: BTreeMap::from([("/etc/weir/weir.toml".to_owned(), String::new())]),
            workdir: Some("/var/lib/weir".into()),
            ..Launch::default()
        });
    }
}
