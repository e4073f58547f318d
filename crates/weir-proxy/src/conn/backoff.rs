//! Accept errors. When the process runs out of file descriptors (EMFILE,
//! ENFILE) or the kernel out of buffers (ENOBUFS, ENOMEM), `accept` fails at
//! once every time it is called: retrying straight away spins a core and
//! floods the log. The loop sleeps instead, 5 ms after the first failure and
//! twice as long after each further one up to 1 s, and logs at most once
//! every 10 s with the number of failures it did not log. Errors that
//! concern one connection only (the client reset it before it was accepted)
//! are retried at once.

use std::io;
use std::time::Duration;

use tokio::time::Instant;

const FIRST_DELAY: Duration = Duration::from_millis(5);
const MAX_DELAY: Duration = Duration::from_secs(1);
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Lets a message through at most once per period and counts the rest.
#[derive(Debug)]
pub(crate) struct LogLimiter {
    every: Duration,
    last: Option<Instant>,
    suppressed: u64,
}

impl LogLimiter {
    pub(crate) fn new(every: Duration) -> Self {
        Self {
            every,
            last: None,
            suppressed: 0,
        }
    }

    /// `Some(n)` when the message should be logged now, `n` being how many
    /// were suppressed since the last one logged; `None` to stay quiet.
    pub(crate) fn allow(&mut self, now: Instant) -> Option<u64> {
        match self.last {
            Some(t) if now.saturating_duration_since(t) < self.every => {
                self.suppressed += 1;
                None
            }
            _ => {
                self.last = Some(now);
                Some(std::mem::take(&mut self.suppressed))
            }
        }
    }
}

/// The back-off state of one accept loop.
#[derive(Debug)]
pub(crate) struct AcceptBackoff {
    delay: Duration,
    log: LogLimiter,
}

impl Default for AcceptBackoff {
    fn default() -> Self {
        Self {
            delay: FIRST_DELAY,
            log: LogLimiter::new(LOG_EVERY),
        }
    }
}

impl AcceptBackoff {
    /// An accept succeeded: the next failure starts from the shortest delay.
    pub(crate) fn succeeded(&mut self) {
        self.delay = FIRST_DELAY;
    }

    /// An accept on `listener` failed with `e`: log it if due, and return
    /// how long to wait before accepting again.
    pub(crate) fn failed(&mut self, e: &io::Error, listener: &str) -> Duration {
        if concerns_one_connection(e) {
            tracing::debug!(listener, error = %e, "a connection was lost before it was accepted");
            return Duration::ZERO;
        }
        let pause = self.delay;
        self.delay = (self.delay * 2).min(MAX_DELAY);
        if let Some(suppressed) = self.log.allow(Instant::now()) {
            tracing::warn!(
                listener,
                error = %e,
                suppressed,
                retry_in = ?pause,
                "accept failed (out of file descriptors? see proxy.max_connections and the process's open-file limit); backing off"
            );
        }
        pause
    }
}

fn concerns_one_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emfile() -> io::Error {
        io::Error::from_raw_os_error(24)
    }

    #[tokio::test(start_paused = true)]
    async fn delays_double_up_to_a_second_and_reset_on_success() {
        let mut b = AcceptBackoff::default();
        let delays: Vec<u64> = (0..10)
            .map(|_| b.failed(&emfile(), "test").as_millis() as u64)
            .collect();
        assert_eq!(delays, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        b.succeeded();
        assert_eq!(b.failed(&emfile(), "test"), FIRST_DELAY);
        let reset = io::Error::from(io::ErrorKind::ConnectionAborted);
        assert_eq!(b.failed(&reset, "test"), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn logs_once_per_period_with_the_suppressed_count() {
        let mut l = LogLimiter::new(Duration::from_secs(10));
        assert_eq!(l.allow(Instant::now()), Some(0));
        for _ in 0..199 {
            assert_eq!(l.allow(Instant::now()), None);
            tokio::time::advance(Duration::from_millis(50)).await;
        }
        // 199 × 50 ms = 9.95 s: still quiet; past 10 s one line with the count.
        assert_eq!(l.allow(Instant::now()), None);
        tokio::time::advance(Duration::from_millis(50)).await;
        assert_eq!(l.allow(Instant::now()), Some(200));
        assert_eq!(l.allow(Instant::now()), None);
    }
}
