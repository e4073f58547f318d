//! The admin listener's shared state and its options: the store, the
//! runtime view of the gateway, session and cookie policy, password hashing
//! cost, login throttling, and the clock everything time-based reads (so
//! tests can move time instead of sleeping).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use weir_store::Store;

use crate::auth::password::{GateStats, PasswordPolicy, VerifyGate};
use crate::auth::throttle::{LoginThrottle, ThrottleOptions};
use crate::runtime::GatewayRuntime;

/// When session cookies carry the `Secure` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CookieSecure {
    /// When the admin listener serves TLS, or the request says it arrived
    /// over HTTPS (`X-Forwarded-Proto: https`, i.e. behind a TLS-terminating
    /// proxy). Adding `Secure` can only restrict where the browser sends the
    /// cookie, so trusting the header here cannot weaken anything.
    #[default]
    Auto,
    Always,
    Never,
}

/// Tunables of the admin listener.
#[derive(Debug, Clone)]
pub struct AdminOptions {
    /// A session unused this long ends.
    pub session_idle_timeout: Duration,
    /// A session ends this long after login, however active.
    pub session_absolute_timeout: Duration,
    pub cookie_secure: CookieSecure,
    /// Whether the admin listener itself serves TLS (not yet: always false).
    pub tls: bool,
    pub password: PasswordPolicy,
    pub throttle: ThrottleOptions,
    /// Time zone of calendar days (statistics).
    pub time_zone: String,
    /// The gateway's own listening sockets (admin, HTTP, HTTPS): no
    /// instance may register one of them as a node.
    pub gateway_addrs: Vec<std::net::SocketAddr>,
}

impl Default for AdminOptions {
    fn default() -> Self {
        Self {
            session_idle_timeout: Duration::from_secs(30 * 60),
            session_absolute_timeout: Duration::from_secs(12 * 3600),
            cookie_secure: CookieSecure::Auto,
            tls: false,
            password: PasswordPolicy::default(),
            throttle: ThrottleOptions::default(),
            time_zone: "UTC".into(),
            gateway_addrs: Vec::new(),
        }
    }
}

/// Milliseconds since the Unix epoch, from the system clock or, in tests,
/// from a value the test sets.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    fixed: Option<Arc<AtomicI64>>,
}

impl Clock {
    pub fn system() -> Self {
        Self { fixed: None }
    }

    /// A clock that stands still at `ms` until moved with [`Clock::advance`].
    pub fn manual(ms: i64) -> Self {
        Self {
            fixed: Some(Arc::new(AtomicI64::new(ms))),
        }
    }

    pub fn now_ms(&self) -> i64 {
        match &self.fixed {
            Some(t) => t.load(Ordering::Relaxed),
            None => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        }
    }

    /// Move a manual clock forward (no effect on the system clock).
    pub fn advance(&self, by: Duration) {
        if let Some(t) = &self.fixed {
            t.fetch_add(
                i64::try_from(by.as_millis()).unwrap_or(i64::MAX),
                Ordering::Relaxed,
            );
        }
    }
}

/// Shared by every request; cheap to clone.
#[derive(Clone)]
pub struct AdminState {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) store: Store,
    pub(crate) runtime: Arc<dyn GatewayRuntime>,
    pub(crate) options: AdminOptions,
    pub(crate) clock: Clock,
    pub(crate) throttle: LoginThrottle,
    pub(crate) verify_gate: VerifyGate,
}

impl AdminState {
    pub fn new(store: Store, runtime: Arc<dyn GatewayRuntime>, options: AdminOptions) -> Self {
        Self::with_clock(store, runtime, options, Clock::system())
    }

    pub fn with_clock(
        store: Store,
        runtime: Arc<dyn GatewayRuntime>,
        options: AdminOptions,
        clock: Clock,
    ) -> Self {
        let throttle = LoginThrottle::new(options.throttle.clone(), store.clone());
        let verify_gate = VerifyGate::new(
            options.throttle.verifiers(),
            options.throttle.verification_wait,
        );
        Self {
            inner: Arc::new(Inner {
                store,
                runtime,
                options,
                clock,
                throttle,
                verify_gate,
            }),
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub(crate) fn runtime(&self) -> &dyn GatewayRuntime {
        &*self.inner.runtime
    }

    pub(crate) fn options(&self) -> &AdminOptions {
        &self.inner.options
    }

    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    pub(crate) fn throttle(&self) -> &LoginThrottle {
        &self.inner.throttle
    }

    pub(crate) fn verify_gate(&self) -> &VerifyGate {
        &self.inner.verify_gate
    }

    /// Password verifications done and the most run at once (tests,
    /// metrics).
    pub fn password_verifications(&self) -> GateStats {
        self.inner.verify_gate.stats()
    }
}
