//! The task that talks to Redis for [`SharedLimits`]: it wakes when a
//! lease asks for a refill (and every [`TICK`] to give back expired
//! tokens), sends the queued asks in batches through one Lua script
//! (`lease.lua`), and hands the answers back to the leases.
//!
//! A call that fails or takes longer than the timeout makes the backend
//! degraded; while degraded the task pings Redis every [`TICK`] and, once
//! it answers, sends the quota use counted meanwhile before anything else.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::SharedLimits;
use super::key::LeaseKey;
use super::lease::{Ask, Grant, LeaseKind};
use crate::clock::mono_nanos;

/// Housekeeping period: refunds of expired leases, pings while degraded.
const TICK: Duration = Duration::from_millis(100);
/// With no traffic, Redis is still pinged this often, so that the
/// degraded state shows without a request having to find it.
const IDLE_PING: Duration = Duration::from_secs(1);
/// How often leases nothing depends on are dropped (a pass over every
/// key: with per-IP limits, up to the table's capacity).
const SWEEP: Duration = Duration::from_secs(5);
/// Keys per script call.
const BATCH: usize = 256;
/// How long a day's counter outlives its last write.
const QUOTA_TTL_SECS: u64 = 2 * 86_400;

/// `[cluster]` settings.
#[derive(Debug, Clone)]
pub struct RedisSettings {
    /// `redis://[user:password@]host:port/db` or `rediss://…` (TLS).
    pub url: String,
    /// Prefix of every key Weir writes.
    pub key_prefix: String,
    /// A call slower than this counts as Redis being away.
    pub timeout: Duration,
}

/// The running task; [`SyncTask::stop`] gives the leases back first.
pub struct SyncTask {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl SyncTask {
    /// Start syncing `limits` with Redis. Fails only on an unusable URL;
    /// an unreachable Redis makes the backend degraded, not the start fail.
    pub fn spawn(limits: Arc<SharedLimits>, settings: RedisSettings) -> Result<Self, String> {
        let client = redis::Client::open(settings.url.as_str()).map_err(|e| {
            // The error may quote the URL, password included.
            format!("not a Redis URL ({})", e.category())
        })?;
        let syncer = Syncer {
            limits,
            client,
            conn: None,
            script: redis::Script::new(include_str!("lease.lua")),
            prefix: settings.key_prefix,
            timeout: settings.timeout,
        };
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(syncer.run(stopped));
        Ok(SyncTask { stop, task })
    }

    /// Give every leased token back and charge every debt, then stop
    /// (bounded by the timeout; a Redis that is away loses nothing but
    /// this node's unused tokens until they expire).
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

struct Syncer {
    limits: Arc<SharedLimits>,
    client: redis::Client,
    conn: Option<MultiplexedConnection>,
    script: redis::Script,
    prefix: String,
    timeout: Duration,
}

impl Syncer {
    async fn run(mut self, mut stopped: oneshot::Receiver<()>) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_answer = tokio::time::Instant::now();
        let mut last_sweep = tokio::time::Instant::now();
        loop {
            tokio::select! {
                _ = self.limits.wake.notified() => {}
                _ = tick.tick() => {
                    self.queue_expired();
                    if last_sweep.elapsed() >= SWEEP {
                        self.limits.table.sweep(mono_nanos());
                        last_sweep = tokio::time::Instant::now();
                    }
                }
                _ = &mut stopped => {
                    self.release_all().await;
                    return;
                }
            }
            if self.limits.is_degraded() {
                if self.ping().await {
                    self.recovered();
                    last_answer = tokio::time::Instant::now();
                }
                continue;
            }
            let mut answered = false;
            loop {
                let batch = self.take_batch();
                if batch.is_empty() {
                    break;
                }
                if !self.send(batch).await {
                    break;
                }
                answered = true;
            }
            if answered
                || (last_answer.elapsed() >= IDLE_PING
                    && !self.limits.is_degraded()
                    && self.ping().await)
            {
                last_answer = tokio::time::Instant::now();
            }
        }
    }

    /// Queue the leases that hold expired tokens or uncharged debt (the
    /// latter after an outage, when no request asked).
    fn queue_expired(&self) {
        if self.limits.is_degraded() {
            return;
        }
        let now = mono_nanos();
        let keys = self.limits.table.keys_where(|l| {
            !l.queued && l.needs_sync(now) && {
                l.queued = true;
                true
            }
        });
        if !keys.is_empty() {
            super::lock(&self.limits.queue).extend(keys);
        }
    }

    /// Up to [`BATCH`] keys' asks, taken from the queue.
    fn take_batch(&self) -> Vec<(LeaseKey, Ask)> {
        let keys: Vec<LeaseKey> = {
            let mut q = super::lock(&self.limits.queue);
            let n = q.len().min(BATCH);
            q.drain(..n).collect()
        };
        let now = mono_nanos();
        keys.into_iter()
            .filter_map(|k| {
                let ask = self.limits.table.get(&k, |l| l.ask(now)).flatten()?;
                Some((k, ask))
            })
            .collect()
    }

    /// One script call; false (and degraded) when Redis did not answer.
    async fn send(&mut self, batch: Vec<(LeaseKey, Ask)>) -> bool {
        let mut inv = self.script.prepare_invoke();
        for (key, ask) in &batch {
            inv.key(key.redis_key(&self.prefix, &ask.kind));
            match ask.kind {
                LeaseKind::Rate(rate) => {
                    let t = (1_000_000 / u64::from(rate.per_second.max(1))).max(1);
                    inv.arg("r").arg(t).arg(t * u64::from(rate.burst.max(1)));
                }
                LeaseKind::Quota { limit, .. } => {
                    inv.arg("q").arg(limit).arg(QUOTA_TTL_SECS);
                }
            }
            inv.arg(ask.want).arg(ask.debt).arg(ask.refund);
        }
        let timeout = self.timeout;
        let result: Result<Vec<(u64, u64, u64)>, String> = async {
            let conn = connect(&self.client, &mut self.conn, timeout).await?;
            match tokio::time::timeout(timeout, inv.invoke_async(conn)).await {
                Ok(Ok(v)) => Ok(v),
                Ok(Err(e)) => Err(describe(&e)),
                Err(_) => Err(TIMEOUT.to_owned()),
            }
        }
        .await;
        let now = mono_nanos();
        match result {
            Ok(answers) if answers.len() == batch.len() => {
                for ((key, _), (granted, wait_us, level)) in batch.iter().zip(answers) {
                    let grant = Grant {
                        granted: u32::try_from(granted).unwrap_or(u32::MAX),
                        wait_nanos: wait_us.saturating_mul(1000),
                        level,
                    };
                    self.limits.table.get(key, |l| l.granted(grant, now));
                }
                true
            }
            other => {
                let why = match other {
                    Err(why) => why,
                    Ok(v) => {
                        tracing::debug!(
                            answers = v.len(),
                            keys = batch.len(),
                            "Redis answered a batch wrongly"
                        );
                        "bad_answer".to_owned()
                    }
                };
                for (key, _) in &batch {
                    self.limits.table.get(key, |l| l.failed());
                }
                self.fail(why);
                false
            }
        }
    }

    async fn ping(&mut self) -> bool {
        let timeout = self.timeout;
        let result = async {
            let conn = connect(&self.client, &mut self.conn, timeout).await?;
            match tokio::time::timeout(timeout, redis::cmd("PING").query_async::<String>(conn))
                .await
            {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(describe(&e)),
                Err(_) => Err(TIMEOUT.to_owned()),
            }
        }
        .await;
        match result {
            Ok(()) => true,
            Err(why) => {
                self.fail(why);
                false
            }
        }
    }

    fn fail(&mut self, why: String) {
        self.conn = None;
        self.limits
            .errors
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if !self.limits.is_degraded() {
            tracing::warn!(
                reason = %why,
                "Redis is not answering: limits are counted on each node at its share until it does"
            );
        }
        self.limits.degrade(why, now_ms());
    }

    fn recovered(&self) {
        if self.limits.recover() {
            tracing::info!("Redis answers again: limits are counted for the whole fleet");
            // Quota use counted meanwhile goes first.
            self.queue_expired();
            self.limits.wake.notify_one();
        }
    }

    /// On shutdown: every lease's tokens back, every debt charged.
    async fn release_all(&mut self) {
        if self.limits.is_degraded() {
            return;
        }
        let keys = self.limits.table.keys_where(|l| {
            l.release();
            true
        });
        *super::lock(&self.limits.queue) = keys;
        let deadline = tokio::time::Instant::now() + self.timeout * 4;
        while tokio::time::Instant::now() < deadline {
            let batch = self.take_batch();
            if batch.is_empty() || !self.send(batch).await {
                break;
            }
        }
    }
}

/// The connection in `slot`, made first when there is none.
async fn connect<'a>(
    client: &redis::Client,
    slot: &'a mut Option<MultiplexedConnection>,
    timeout: Duration,
) -> Result<&'a mut MultiplexedConnection, String> {
    if slot.is_none() {
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout));
        let conn = tokio::time::timeout(
            timeout,
            client.get_multiplexed_async_connection_with_config(&config),
        )
        .await
        .map_err(|_| TIMEOUT.to_owned())?
        .map_err(|e| describe(&e))?;
        *slot = Some(conn);
    }
    slot.as_mut().ok_or_else(|| "connection_lost".to_owned())
}

/// Whether the Redis client accepts `url` (without connecting).
pub fn url_is_usable(url: &str) -> bool {
    redis::Client::open(url).is_ok()
}

/// Why Redis is away, as a code the status API and the dashboard name:
/// `timeout` (no answer within `redis_timeout`), `refused` (nothing listens),
/// `connection_lost`, `redis_error` (Redis answered with an error, e.g. auth
/// or a read-only replica) or `bad_answer`.
const TIMEOUT: &str = "timeout";

/// A Redis error as a reason code; never anything from the URL (it may
/// hold a password).
fn describe(e: &redis::RedisError) -> String {
    let code = if e.is_timeout() {
        TIMEOUT
    } else if e.is_connection_refusal() {
        "refused"
    } else if e.is_connection_dropped() || e.is_io_error() {
        "connection_lost"
    } else {
        tracing::debug!(category = e.category(), "Redis error");
        "redis_error"
    };
    code.to_owned()
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}
