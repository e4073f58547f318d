//! A closed-loop load of HTTP clients for fault and upgrade tests: each
//! client sends GETs one after another until told to stop, counting
//! answers, failures and refused connections. Progress is an event (a watch
//! on the success count), so a test waits for "n more answers" without
//! polling.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How the clients connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connections {
    /// Keep-alive: each client reuses its connection.
    Reuse,
    /// A new connection for every request (exercises accept and handover).
    Fresh,
}

/// Counts of a finished load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub ok: u64,
    pub failed: u64,
    /// Failures that were refused or reset connections (part of `failed`).
    pub refused: u64,
}

pub struct Load {
    stop: Arc<AtomicBool>,
    ok: watch::Receiver<u64>,
    failed: Arc<AtomicU64>,
    refused: Arc<AtomicU64>,
    tasks: Vec<JoinHandle<()>>,
}

impl Load {
    /// Start `clients` clients sending `GET url`; a 200 with its whole body
    /// counts as ok, anything else as failed (printed, for the test log).
    pub fn start(url: String, clients: usize, connections: Connections) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (ok_tx, ok) = watch::channel(0u64);
        let ok_tx = Arc::new(ok_tx);
        let failed = Arc::new(AtomicU64::new(0));
        let refused = Arc::new(AtomicU64::new(0));
        let tasks = (0..clients)
            .map(|_| {
                let (stop, ok_tx) = (stop.clone(), ok_tx.clone());
                let (failed, refused) = (failed.clone(), refused.clone());
                let url = url.clone();
                tokio::spawn(async move {
                    let mut http = reqwest::Client::builder().timeout(Duration::from_secs(10));
                    if connections == Connections::Fresh {
                        http = http.pool_max_idle_per_host(0);
                    }
                    let http = http.build().unwrap();
                    // Bounded by the stop flag; the cap only guards a test
                    // that forgets to stop.
                    for _ in 0..1_000_000 {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let outcome = match http.get(&url).send().await {
                            Ok(r) if r.status() == 200 => {
                                r.bytes().await.map(drop).map_err(|e| format!("body {e:?}"))
                            }
                            Ok(r) => Err(format!("status {}", r.status())),
                            Err(e) => {
                                if e.is_connect() {
                                    refused.fetch_add(1, Ordering::Relaxed);
                                }
                                Err(format!("{e:?}"))
                            }
                        };
                        match outcome {
                            Ok(()) => ok_tx.send_modify(|n| *n += 1),
                            Err(e) => {
                                eprintln!("load: failed: {e}");
                                failed.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                })
            })
            .collect();
        Self {
            stop,
            ok,
            failed,
            refused,
            tasks,
        }
    }

    pub fn ok(&self) -> u64 {
        *self.ok.borrow()
    }

    pub fn failed(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }

    /// Wait until `n` more requests succeeded; fails the test when the load
    /// stalls for `within`.
    pub async fn progress_within(&self, n: u64, within: Duration) {
        let target = self.ok() + n;
        let mut ok = self.ok.clone();
        let reached = tokio::time::timeout(within, ok.wait_for(|v| *v >= target)).await;
        assert!(
            matches!(reached, Ok(Ok(_))),
            "load stalled at {} ok, {} failed (waited for {target})",
            self.ok(),
            self.failed()
        );
    }

    /// [`Load::progress_within`] with 20 s.
    pub async fn progress(&self, n: u64) {
        self.progress_within(n, Duration::from_secs(20)).await;
    }

    /// Stop the clients, wait for them, and return the counts.
    pub async fn finish(self) -> Totals {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.tasks {
            t.await.unwrap();
        }
        Totals {
            ok: *self.ok.borrow(),
            failed: self.failed.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
        }
    }
}
