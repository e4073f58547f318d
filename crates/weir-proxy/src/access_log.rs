//! The JSON access log: one line per request, written by a background task
//! so that a slow disk never stalls requests. When the queue is full, lines
//! are dropped and counted rather than blocking the data plane.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

/// Lines queued before new ones are dropped.
const QUEUE: usize = 16 * 1024;

/// Where access log lines go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessLogTarget {
    Stdout,
    Stderr,
    File(PathBuf),
}

impl AccessLogTarget {
    /// `off` → None, `stdout`, `stderr`, or a file path.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "off" | "" => None,
            "stdout" => Some(AccessLogTarget::Stdout),
            "stderr" => Some(AccessLogTarget::Stderr),
            path => Some(AccessLogTarget::File(PathBuf::from(path))),
        }
    }
}

/// One access log line.
#[derive(Debug, Serialize)]
pub struct AccessRecord<'a> {
    pub ts: String,
    pub request_id: &'a str,
    pub client_ip: String,
    pub method: &'a str,
    pub host: &'a str,
    pub path: &'a str,
    pub protocol: &'static str,
    pub status: u16,
    pub service: Option<&'a str>,
    pub tenant: Option<&'a str>,
    pub node: Option<String>,
    pub bytes: u64,
    pub duration_ms: f64,
    pub rejection: Option<&'static str>,
}

/// Handle to the writer task; cheap to clone.
#[derive(Debug, Clone)]
pub struct AccessLog {
    tx: mpsc::Sender<Vec<u8>>,
    dropped: Arc<AtomicU64>,
}

impl AccessLog {
    /// Open the target and start the writer (needs a tokio runtime).
    pub async fn start(target: AccessLogTarget) -> std::io::Result<Self> {
        let mut out: Box<dyn tokio::io::AsyncWrite + Send + Unpin> = match &target {
            AccessLogTarget::Stdout => Box::new(tokio::io::stdout()),
            AccessLogTarget::Stderr => Box::new(tokio::io::stderr()),
            AccessLogTarget::File(p) => Box::new(
                tokio::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .await?,
            ),
        };
        let (tx, mut rx) = mpsc::channel::<Vec<u8>>(QUEUE);
        tokio::spawn(async move {
            let mut buf = Vec::with_capacity(64 * 1024);
            while let Some(line) = rx.recv().await {
                buf.extend_from_slice(&line);
                // Batch whatever else is already queued into one write.
                while buf.len() < 256 * 1024 {
                    match rx.try_recv() {
                        Ok(more) => buf.extend_from_slice(&more),
                        Err(_) => break,
                    }
                }
                if out.write_all(&buf).await.is_err() || out.flush().await.is_err() {
                    tracing::warn!(?target, "access log write failed");
                }
                buf.clear();
            }
        });
        Ok(Self {
            tx,
            dropped: Arc::new(AtomicU64::new(0)),
        })
    }

    pub fn write(&self, record: &AccessRecord<'_>) {
        let mut line = Vec::with_capacity(256);
        if serde_json::to_writer(&mut line, record).is_err() {
            return;
        }
        line.push(b'\n');
        if self.tx.try_send(line).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Lines dropped because the writer could not keep up.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}
