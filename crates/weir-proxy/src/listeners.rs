//! Per-service listeners (TCP services, gRPC services with their own port)
//! opened, re-bound and closed at run time to match the current snapshot.
//!
//! [`ServiceListeners::reconcile`] compares the snapshot's services with the
//! listeners running: a listener whose service, port and kind are unchanged
//! is never touched (its connections carry on, and it reads the current
//! snapshot per connection, so upstream changes apply without rebinding); a
//! removed or moved one stops accepting and drains its connections for the
//! drain grace; a new one is bound. A port that cannot be bound is logged
//! and reported in [`ServiceListeners::status`], and retried on the next
//! reconcile — never a crash.
//!
//! Where a listening socket comes from: [`listen`] adopts a socket that a
//! previous process handed over ([`InheritedSockets`], see the binary's
//! `handover` module) when one listens on the same address, and binds a
//! fresh one otherwise. Each running listener keeps a duplicate of its
//! socket so that it can be handed to the next process in turn.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{Mutex, oneshot, watch};
use tokio::task::JoinHandle;
use weir_core::ServiceKind;

use crate::DataPlane;
use crate::http::{HttpListenerOptions, serve_service};

/// The state of one service's listener, as the admin API serves it
/// (defined once in `weir_core::report`).
pub(crate) use weir_core::report::{ListenerInfo, ListenerState};

/// Listening sockets handed over by the previous process, by local
/// address, until the listener for that address claims one.
#[derive(Debug, Default)]
pub struct InheritedSockets(std::sync::Mutex<HashMap<SocketAddr, std::net::TcpListener>>);

impl InheritedSockets {
    /// Key each socket by its local address (one whose address cannot be
    /// read is closed).
    pub fn new(sockets: impl IntoIterator<Item = std::net::TcpListener>) -> Self {
        let map = sockets
            .into_iter()
            .filter_map(|l| Some((l.local_addr().ok()?, l)))
            .collect();
        Self(std::sync::Mutex::new(map))
    }

    /// The inherited socket listening on exactly `addr`, if any.
    pub fn take(&self, addr: SocketAddr) -> Option<std::net::TcpListener> {
        self.lock().remove(&addr)
    }

    /// Close every socket nobody claimed (a service the new configuration
    /// no longer has); returns their addresses.
    pub fn close_unclaimed(&self) -> Vec<SocketAddr> {
        self.lock().drain().map(|(addr, _)| addr).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SocketAddr, std::net::TcpListener>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Adopt the inherited socket listening on `addr`, or bind a new one.
pub async fn listen(
    addr: SocketAddr,
    inherited: &InheritedSockets,
) -> std::io::Result<TcpListener> {
    if let Some(socket) = inherited.take(addr) {
        socket.set_nonblocking(true)?;
        tracing::debug!(%addr, "adopting a listening socket handed over by the previous process");
        return TcpListener::from_std(socket);
    }
    TcpListener::bind(addr).await
}

/// A duplicate of a listener's socket, for handing it to the next process.
/// It keeps the socket open: drop it when the listener stops.
pub fn handover_copy(listener: &TcpListener) -> std::io::Result<OwnedFd> {
    listener.as_fd().try_clone_to_owned()
}

struct Running {
    port: u16,
    kind: ServiceKind,
    /// A duplicate of the listening socket for a handover; dropped before
    /// waiting for `closed`, or the port would stay bound.
    handover: Option<OwnedFd>,
    stop: watch::Sender<bool>,
    /// Resolves once the listening socket is closed (before draining).
    closed: Option<oneshot::Receiver<()>>,
    task: JoinHandle<()>,
    since: i64,
}

pub struct ServiceListeners {
    plane: Arc<DataPlane>,
    bind_ip: IpAddr,
    /// Options of gRPC listeners (their shutdown grace is the drain grace).
    http: HttpListenerOptions,
    drain: Duration,
    running: Mutex<HashMap<Arc<str>, Running>>,
    inherited: Arc<InheritedSockets>,
    failed: std::sync::Mutex<HashMap<Arc<str>, ListenerInfo>>,
    draining: Mutex<Vec<JoinHandle<()>>>,
}

impl ServiceListeners {
    pub fn new(
        plane: Arc<DataPlane>,
        bind_ip: IpAddr,
        http: HttpListenerOptions,
        drain: Duration,
    ) -> Self {
        Self::with_inherited(plane, bind_ip, http, drain, Arc::default())
    }

    /// Like [`ServiceListeners::new`], adopting `inherited` sockets for the
    /// ports that they listen on.
    pub fn with_inherited(
        plane: Arc<DataPlane>,
        bind_ip: IpAddr,
        http: HttpListenerOptions,
        drain: Duration,
        inherited: Arc<InheritedSockets>,
    ) -> Self {
        Self {
            plane,
            bind_ip,
            http: HttpListenerOptions {
                shutdown_grace: drain,
                ..http
            },
            drain,
            running: Mutex::new(HashMap::new()),
            inherited,
            failed: std::sync::Mutex::new(HashMap::new()),
            draining: Mutex::new(Vec::new()),
        }
    }

    /// Make the running listeners match the current snapshot.
    pub async fn reconcile(&self) {
        let snap = self.plane.snapshot();
        let desired: HashMap<Arc<str>, (u16, ServiceKind)> = snap
            .config
            .services
            .iter()
            .filter(|s| s.spec.enabled)
            .filter_map(|s| s.port.map(|p| (Arc::clone(&s.name), (p, s.kind))))
            .collect();
        let mut running = self.running.lock().await;

        // Stop what is gone or changed, and wait until their sockets are
        // closed so a moved port can be bound again right away.
        let stale: Vec<Arc<str>> = running
            .iter()
            .filter(|(name, r)| desired.get(*name) != Some(&(r.port, r.kind)))
            .map(|(name, _)| Arc::clone(name))
            .collect();
        for name in stale {
            if let Some(mut r) = running.remove(&name) {
                tracing::info!(service = %name, port = r.port, "closing service listener");
                r.handover = None;
                let _ = r.stop.send(true);
                if let Some(closed) = r.closed.take() {
                    let _ = closed.await;
                }
                self.draining.lock().await.push(r.task);
            }
        }
        self.lock_failed()
            .retain(|name, st| desired.get(name).is_some_and(|d| d.0 == st.port));

        for (name, (port, kind)) in desired {
            if running.contains_key(&name) {
                continue;
            }
            let addr = SocketAddr::new(self.bind_ip, port);
            match listen(addr, &self.inherited).await {
                Ok(listener) => {
                    tracing::info!(service = %name, %addr, kind = kind.as_str(), "service listener open");
                    self.lock_failed().remove(&name);
                    let r = self.spawn(Arc::clone(&name), kind, port, listener);
                    running.insert(name, r);
                }
                Err(e) => {
                    let mut failed = self.lock_failed();
                    let already = failed
                        .get(&name)
                        .is_some_and(|s| s.error.as_deref() == Some(&e.to_string()));
                    if !already {
                        tracing::error!(
                            service = %name,
                            %addr,
                            error = %e,
                            "cannot listen on the service's port; the service is unreachable until the port is free"
                        );
                        failed.insert(
                            Arc::clone(&name),
                            ListenerInfo {
                                service: name.to_string(),
                                kind: kind.as_str().to_owned(),
                                port,
                                state: ListenerState::Failed,
                                error: Some(e.to_string()),
                                since: now(),
                            },
                        );
                    }
                }
            }
        }
        // Forget drains that finished.
        self.draining.lock().await.retain(|t| !t.is_finished());
    }

    fn spawn(
        &self,
        name: Arc<str>,
        kind: ServiceKind,
        port: u16,
        listener: TcpListener,
    ) -> Running {
        let (stop, stopped) = watch::channel(false);
        let (closed_tx, closed_rx) = oneshot::channel();
        let handover = handover_copy(&listener)
            .inspect_err(|e| tracing::warn!(service = %name, error = %e, "cannot keep a copy of the listening socket; an upgrade will bind this port anew"))
            .ok();
        let plane = Arc::clone(&self.plane);
        let task = match kind {
            ServiceKind::Tcp => tokio::spawn(crate::tcp::serve_tcp(
                listener, plane, name, stopped, closed_tx, self.drain,
            )),
            _ => {
                let opts = self.http.clone();
                tokio::spawn(async move {
                    let mut stopped = stopped;
                    let shutdown = async move {
                        let _ = stopped.wait_for(|s| *s).await;
                        let _ = closed_tx.send(());
                    };
                    serve_service(listener, plane, name, opts, shutdown).await;
                })
            }
        };
        Running {
            port,
            kind,
            handover,
            stop,
            closed: Some(closed_rx),
            task,
            since: now(),
        }
    }

    /// Every service listener, open or failed.
    pub async fn status(&self) -> Vec<ListenerInfo> {
        let running = self.running.lock().await;
        let mut out: Vec<ListenerInfo> = running
            .iter()
            .map(|(name, r)| ListenerInfo {
                service: name.to_string(),
                kind: r.kind.as_str().to_owned(),
                port: r.port,
                state: ListenerState::Listening,
                error: None,
                since: r.since,
            })
            .collect();
        out.extend(self.lock_failed().values().cloned());
        out.sort_by(|a, b| a.service.cmp(&b.service));
        out
    }

    /// Duplicates of every open service listener's socket, for a handover
    /// to a new process.
    pub async fn handover_sockets(&self) -> Vec<(String, OwnedFd)> {
        let running = self.running.lock().await;
        running
            .iter()
            .filter_map(|(name, r)| {
                let fd = r.handover.as_ref()?.try_clone().ok()?;
                Some((name.to_string(), fd))
            })
            .collect()
    }

    /// Stop every listener and let open connections finish for up to
    /// `grace` (the process shutdown grace), then close what is left.
    pub async fn shutdown(&self, grace: Duration) {
        let mut running = self.running.lock().await;
        let mut tasks = Vec::new();
        for (_, mut r) in running.drain() {
            r.handover = None;
            let _ = r.stop.send(true);
            tasks.push(r.task);
        }
        tasks.append(&mut *self.draining.lock().await);
        let aborts: Vec<_> = tasks.iter().map(JoinHandle::abort_handle).collect();
        let all = async {
            for t in tasks {
                let _ = t.await;
            }
        };
        if tokio::time::timeout(grace, all).await.is_err() {
            // Aborting a listener task drops its connections.
            for a in aborts {
                a.abort();
            }
        }
    }

    fn lock_failed(&self) -> std::sync::MutexGuard<'_, HashMap<Arc<str>, ListenerInfo>> {
        self.failed.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
