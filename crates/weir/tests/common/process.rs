//! A gateway run as a separate process (the built `weir` binary), for tests
//! that watch its memory, send it signals or need its exit status.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use super::prebound::Prebound;

pub struct GatewayProcess {
    pub child: Child,
    pub http: SocketAddr,
    /// `None` when HTTPS is off.
    pub https: Option<SocketAddr>,
    pub admin: SocketAddr,
    pub dir: Arc<tempfile::TempDir>,
    /// `--upgrade-socket`, when started with one.
    pub upgrade_socket: Option<PathBuf>,
}

/// The message a process logs once it took the sockets over.
pub const TOOK_OVER: &str = "took over the listening sockets; the previous process drains";

impl GatewayProcess {
    /// Apply `yaml` to a new store and start `weir serve` on port 0 with the
    /// given extra environment; returns once it is serving.
    pub fn start(yaml: &str, env: &[(&str, &str)]) -> Self {
        Self::start_with(yaml, env, None)
    }

    /// Like [`GatewayProcess::start`], handing the process the `ports` that
    /// `yaml` names (see [`super::prebound`]): it runs with
    /// `--upgrade-socket` in the store's directory, where the test plays the
    /// previous process. Returns once it serves and has taken them; it can
    /// then be replaced with [`GatewayProcess::upgrade`].
    pub fn start_prebound(yaml: &str, env: &[(&str, &str)], ports: Prebound) -> Self {
        Self::start_with(yaml, env, Some(ports))
    }

    fn start_with(yaml: &str, env: &[(&str, &str)], ports: Option<Prebound>) -> Self {
        let dir = Arc::new(tempfile::tempdir().unwrap());
        std::fs::write(dir.path().join("s.yaml"), yaml).unwrap();
        let applied = Command::new(env!("CARGO_BIN_EXE_weir"))
            .args(["apply", "--store", &store_url(&dir), "-f"])
            .arg(dir.path().join("s.yaml"))
            .output()
            .unwrap();
        assert!(applied.status.success(), "{applied:?}");
        let socket = ports.as_ref().map(|_| dir.path().join("upgrade.sock"));
        let handover = ports.zip(socket.as_deref()).map(|(p, path)| p.serve(path));
        let addrs = ["127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"];
        let process = spawn(dir, addrs, socket, env, "weir is serving");
        if let Some(handover) = handover {
            handover.wait();
        }
        process
    }

    /// Start a second `weir serve` on the same store, addresses and upgrade
    /// socket, which takes the sockets over from this one; returns once it
    /// has (this one then drains and exits).
    pub fn upgrade(&self, env: &[(&str, &str)]) -> Self {
        self.again(env, TOOK_OVER)
    }

    /// Start `weir serve` again on this one's store, addresses and upgrade
    /// socket, once this one is gone; returns once it is serving.
    pub fn restart(&self, env: &[(&str, &str)]) -> Self {
        self.again(env, "weir is serving")
    }

    /// Run a second `weir serve` on this one's addresses and upgrade socket
    /// with a store that cannot be opened; returns its output once it
    /// has failed.
    pub fn failed_upgrade(&self) -> std::process::Output {
        let socket = self.upgrade_socket.clone().expect("started prebound");
        Command::new(env!("CARGO_BIN_EXE_weir"))
            .args(["serve", "--store", "postgres://weir@127.0.0.1:1/none"])
            .args(["--http", &self.http.to_string()])
            .args(["--admin", &self.admin.to_string()])
            .arg("--upgrade-socket")
            .arg(socket)
            .env("WEIR_LOG_ACCESS", "off")
            .env("WEIR_LISTEN_HTTPS", "off")
            .output()
            .unwrap()
    }

    fn again(&self, env: &[(&str, &str)], ready: &str) -> Self {
        let socket = self.upgrade_socket.clone().expect("started prebound");
        let (http, https, admin) = (
            self.http.to_string(),
            self.https
                .map_or_else(|| "off".to_owned(), |a| a.to_string()),
            self.admin.to_string(),
        );
        spawn(
            Arc::clone(&self.dir),
            [&http, &https, &admin],
            Some(socket),
            env,
            ready,
        )
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

fn store_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}/weir.db", dir.path().display())
}

/// `weir serve` on `[http, https, admin]`; returns once `ready` is logged.
fn spawn(
    dir: Arc<tempfile::TempDir>,
    [http, https, admin]: [&str; 3],
    upgrade_socket: Option<PathBuf>,
    env: &[(&str, &str)],
    ready: &str,
) -> GatewayProcess {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_weir"));
    cmd.args([
        "serve",
        "--store",
        &store_url(&dir),
        "--http",
        http,
        "--admin",
        admin,
    ]);
    if let Some(path) = &upgrade_socket {
        cmd.arg("--upgrade-socket").arg(path);
    }
    let mut child = cmd
        .env("WEIR_LOG_FORMAT", "json")
        .env("WEIR_LOG_ACCESS", "off")
        .env("WEIR_LISTEN_HTTPS", https)
        .env("WEIR_LISTEN_SERVICE_ADDRESS", "127.0.0.1")
        .envs(env.iter().copied())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let v = wait_until_logged(&mut child, ready);
    let addr = |k: &str| -> Option<SocketAddr> { v[k].as_str()?.parse().ok() };
    let (http, https, admin) = (
        addr("http_addr").unwrap(),
        addr("https_addr"),
        addr("admin_addr").unwrap(),
    );
    GatewayProcess {
        child,
        http,
        https,
        admin,
        dir,
        upgrade_socket,
    }
}

/// Read a JSON-logging child's stderr until `ready` is logged; returns the
/// `weir is serving` line (which carries the bound addresses) and keeps
/// draining the log so the pipe never blocks the process (shown with
/// WEIR_TEST_LOGS=1, for debugging a test).
fn wait_until_logged(child: &mut Child, ready: &str) -> serde_json::Value {
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let mut serving = None;
    loop {
        let line = lines
            .next()
            .expect("gateway exited before serving")
            .unwrap();
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
            panic!("not a JSON log line: {line}");
        };
        let is_ready = v["message"] == ready;
        if v["message"] == "weir is serving" {
            serving = Some(v);
        }
        if is_ready {
            break;
        }
    }
    let show = std::env::var_os("WEIR_TEST_LOGS").is_some();
    let pid = child.id();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if show {
                eprintln!("[weir {pid}] {line}");
            }
        }
    });
    serving.expect("a serving line before the ready line")
}

/// Any `weir` command line (`serve`, `proxy`, `admin`, with whatever flags
/// and environment the caller set) run until it serves; killed on drop.
pub struct ServingProcess {
    pub child: Child,
    /// The `weir is serving` log line.
    pub serving: serde_json::Value,
}

impl ServingProcess {
    /// Spawn `cmd` with JSON logs on stderr; returns once it is serving.
    pub fn start(mut cmd: Command) -> Self {
        let mut child = cmd
            .env("WEIR_LOG_FORMAT", "json")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let serving = wait_until_logged(&mut child, "weir is serving");
        Self { child, serving }
    }

    /// A bound address from the serving line: `http_addr`, `https_addr`,
    /// `admin_addr`, `health_addr`.
    pub fn addr(&self, key: &str) -> Option<SocketAddr> {
        self.serving[key].as_str()?.parse().ok()
    }
}

impl Drop for ServingProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
