//! A gateway run as a separate process (the built `weir` binary), for tests
//! that watch its memory, send it signals or need its exit status.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

pub struct GatewayProcess {
    pub child: Child,
    pub http: SocketAddr,
    pub dir: tempfile::TempDir,
}

impl GatewayProcess {
    /// Apply `yaml` to a new store and start `weir serve` on port 0 with the
    /// given extra environment; returns once it is serving.
    pub fn start(yaml: &str, env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = format!("sqlite://{}/weir.db", dir.path().display());
        std::fs::write(dir.path().join("s.yaml"), yaml).unwrap();
        let bin = env!("CARGO_BIN_EXE_weir");
        let applied = Command::new(bin)
            .args(["apply", "--store", &store, "-f"])
            .arg(dir.path().join("s.yaml"))
            .output()
            .unwrap();
        assert!(applied.status.success(), "{applied:?}");
        let mut child = Command::new(bin)
            .args([
                "serve",
                "--store",
                &store,
                "--http",
                "127.0.0.1:0",
                "--admin",
                "127.0.0.1:0",
            ])
            .env("WEIR_LOG_FORMAT", "json")
            .env("WEIR_LOG_ACCESS", "off")
            .env("WEIR_LISTEN_HTTPS", "127.0.0.1:0")
            .env("WEIR_LISTEN_SERVICE_ADDRESS", "127.0.0.1")
            .envs(env.iter().copied())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The serving line carries the bound addresses.
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let http = loop {
            let line = lines
                .next()
                .expect("gateway exited before serving")
                .unwrap();
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            if v["message"] == "weir is serving" {
                break v["http_addr"].as_str().unwrap().parse().unwrap();
            }
        };
        // Keep draining logs so the pipe never blocks the gateway.
        std::thread::spawn(move || for _ in lines {});
        Self { child, http, dir }
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

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
