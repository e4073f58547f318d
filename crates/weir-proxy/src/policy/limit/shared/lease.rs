//! One key's share of a fleet-wide limit on this node: the tokens leased
//! from Redis, the requests admitted ahead of a lease (debt, charged at the
//! next sync), and what Redis last said. Pure bookkeeping: no I/O, no
//! clock of its own; [`super::SharedLimits`] calls it under a shard lock.
//!
//! The rules, and why:
//! - A request takes a leased token when there is one. When the lease runs
//!   below half of the next one, a refill is queued, so that under steady
//!   demand the answer arrives before the lease is empty.
//! - Without tokens, Redis's last "empty until" refuses (that is the fleet's
//!   answer). Otherwise (no lease yet, or a refill in flight) the request is
//!   decided at once against this node's share of the limit and charged to
//!   the shared bucket at the next sync: no request waits for Redis.
//! - Tokens not used within [`RATE_LEASE_TTL`] / [`QUOTA_LEASE_TTL`] go back
//!   to the shared bucket (refund), so a node that goes quiet does not keep
//!   a share the others need.

use weir_core::compile::Rate;

/// How much of its own demand a node leases at once: its expected requests
/// over this long (at least one token).
pub(crate) const LEASE_HORIZON_NANOS: u64 = 50_000_000;
/// Leased rate tokens unused for this long are refunded.
pub(crate) const RATE_LEASE_TTL_NANOS: u64 = 200_000_000;
/// Leased quota units unused for this long are refunded.
pub(crate) const QUOTA_LEASE_TTL_NANOS: u64 = 1_000_000_000;
/// How long a fleet-wide count read from Redis is trusted for sizing what
/// may be admitted ahead of a lease.
pub(crate) const FRESH_NANOS: u64 = 1_000_000_000;
/// A quota refused fleet-wide is asked again after this long (another
/// node's refund may free a few units).
pub(crate) const QUOTA_RECHECK_NANOS: u64 = 1_000_000_000;

/// What a lease is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LeaseKind {
    /// A token bucket (GCRA in Redis).
    Rate(Rate),
    /// A daily counter; `day_start_ms` names the day's key.
    Quota {
        limit: u64,
        day_start_ms: i64,
        day_end_ms: i64,
    },
}

/// The outcome of taking one request from a lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Take {
    /// A leased token was used; `left` remain on this node.
    Leased { left: u32 },
    /// The fleet's bucket is empty until `until` (monotonic ns).
    Refused { until: u64 },
    /// No lease: decide against this node's share (and, if admitted, call
    /// [`Lease::owe`]).
    Unleased,
}

/// What one sync sends for a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ask {
    pub kind: LeaseKind,
    /// Tokens wanted.
    pub want: u32,
    /// Requests admitted without a lease, to charge.
    pub debt: u32,
    /// Leased tokens given back unused.
    pub refund: u32,
}

/// What Redis answered for a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Grant {
    pub granted: u32,
    /// Rate: time until the next token (when fewer than wanted were
    /// granted). Quota: unused.
    pub wait_nanos: u64,
    /// Rate: tokens left in the fleet's bucket. Quota: units used today
    /// by the whole fleet.
    pub level: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct Lease {
    pub kind: LeaseKind,
    tokens: u32,
    /// When the leased tokens must be given back (monotonic ns).
    expires: u64,
    debt: u32,
    /// Sent and not answered yet: debt and refund travel with the ask.
    in_flight: Option<Ask>,
    /// Quota: requests admitted against the tokens the ask in flight will
    /// bring (see [`Lease::borrow`]).
    advance: u32,
    /// The last answer granted all that was asked (the fleet was not short).
    last_full: bool,
    /// Waiting in the sync queue.
    pub queued: bool,
    refused_until: u64,
    /// Requests since the last ask, and since when (for the lease size).
    demand: u32,
    demand_since: u64,
    /// Rate: tokens in the fleet's bucket; quota: fleet-wide use today;
    /// as of `level_at` (0 = never heard).
    level: u64,
    level_at: u64,
    pub last_seen: u64,
}

impl Lease {
    pub(crate) fn new(kind: LeaseKind, now: u64) -> Self {
        Lease {
            kind,
            tokens: 0,
            expires: 0,
            debt: 0,
            in_flight: None,
            advance: 0,
            last_full: false,
            queued: false,
            refused_until: 0,
            demand: 0,
            demand_since: now,
            level: 0,
            level_at: 0,
            last_seen: now,
        }
    }

    /// Take one request at `now`.
    pub(crate) fn take(&mut self, now: u64) -> Take {
        self.last_seen = now;
        self.demand = self.demand.saturating_add(1);
        if self.tokens > 0 && now < self.expires {
            self.tokens -= 1;
            return Take::Leased { left: self.tokens };
        }
        if now < self.refused_until {
            return Take::Refused {
                until: self.refused_until,
            };
        }
        Take::Unleased
    }

    /// Whether a refill should be queued now.
    pub(crate) fn wants_refill(&self, now: u64) -> bool {
        if self.queued || self.in_flight.is_some() || now < self.refused_until {
            return false;
        }
        self.debt > 0 || self.tokens == 0 || now >= self.expires || {
            let want = self.want(now);
            self.tokens <= want / 2
        }
    }

    /// Count a request admitted without a lease.
    pub(crate) fn owe(&mut self) {
        self.debt = self.debt.saturating_add(1);
    }

    /// Admit one request against the tokens of the refill in flight, when
    /// the last answer granted in full and the fleet had at least four
    /// refills of this size per node left: a busy node whose lease runs dry
    /// just before its refill lands does not refuse what the fleet has. At
    /// most the refill's size; if the fleet grants less, the rest is owed.
    /// Near the end of a quota nobody borrows, so the count stays exact.
    pub(crate) fn borrow(&mut self, nodes: u64) -> bool {
        let left = match (self.kind, self.level()) {
            (LeaseKind::Quota { limit, .. }, Some(level)) => limit.saturating_sub(level),
            _ => 0,
        };
        match self.in_flight {
            Some(ask)
                if self.last_full
                    && self.advance < ask.want
                    && left >= 4 * nodes * u64::from(ask.want) =>
            {
                self.advance += 1;
                true
            }
            _ => false,
        }
    }

    /// Requests admitted without a lease and not yet charged.
    pub(crate) fn debt(&self) -> u32 {
        self.debt + self.advance + self.in_flight.map_or(0, |a| a.debt)
    }

    /// The fleet-wide count last heard, if recent.
    pub(crate) fn fresh_level(&self, now: u64) -> Option<u64> {
        (self.level_at > 0 && now.saturating_sub(self.level_at) < FRESH_NANOS).then_some(self.level)
    }

    /// The fleet-wide count last heard, however old.
    pub(crate) fn level(&self) -> Option<u64> {
        (self.level_at > 0).then_some(self.level)
    }

    /// Tokens to ask for: this node's demand over [`LEASE_HORIZON_NANOS`],
    /// at least one, at most what the limit could grant at once.
    fn want(&self, now: u64) -> u32 {
        let elapsed = now.saturating_sub(self.demand_since).max(1_000_000);
        let expected =
            (u64::from(self.demand) * LEASE_HORIZON_NANOS).div_ceil(elapsed.max(1)) as u32;
        let cap = match self.kind {
            LeaseKind::Rate(rate) => rate.burst.max(1),
            LeaseKind::Quota { limit, .. } => {
                // Near the end of a quota, small leases: what a quiet node
                // holds is missing for the others until it is refunded.
                let left = limit.saturating_sub(self.level);
                u32::try_from(left / 8).unwrap_or(u32::MAX).max(1)
            }
        };
        expected.clamp(1, cap)
    }

    /// Build this key's ask for a sync at `now`, or `None` when there is
    /// nothing to say. Expired tokens become the refund.
    pub(crate) fn ask(&mut self, now: u64) -> Option<Ask> {
        self.queued = false;
        if self.in_flight.is_some() {
            return None;
        }
        let refund = if now >= self.expires {
            std::mem::take(&mut self.tokens)
        } else {
            0
        };
        let idle = now.saturating_sub(self.last_seen) >= self.ttl();
        let want = if idle { 0 } else { self.want(now) };
        if want == 0 && self.debt == 0 && refund == 0 {
            return None;
        }
        let ask = Ask {
            kind: self.kind,
            want,
            debt: std::mem::take(&mut self.debt),
            refund,
        };
        self.demand = 0;
        self.demand_since = now;
        self.in_flight = Some(ask);
        Some(ask)
    }

    /// Redis answered the ask in flight.
    pub(crate) fn granted(&mut self, grant: Grant, now: u64) {
        let Some(ask) = self.in_flight.take() else {
            return;
        };
        self.tokens = self.tokens.saturating_add(grant.granted);
        // What was borrowed against this answer comes out of it first; what
        // it did not cover is owed.
        let covered = self.advance.min(self.tokens);
        self.tokens -= covered;
        self.debt = self.debt.saturating_add(self.advance - covered);
        self.advance = 0;
        self.last_full = grant.granted >= ask.want;
        if grant.granted > 0 {
            self.expires = now + self.ttl();
        }
        self.level = grant.level;
        self.level_at = now;
        self.refused_until = 0;
        if grant.granted == 0 && ask.want > 0 {
            self.refused_until = match self.kind {
                LeaseKind::Rate(_) => now + grant.wait_nanos.max(1),
                LeaseKind::Quota { .. } => now + QUOTA_RECHECK_NANOS,
            };
        }
    }

    /// The ask in flight failed: the tokens it asked for never came; a
    /// quota's debt and refund are kept to be sent again (they are counts
    /// the fleet must learn), a rate's are dropped (a second's bucket is
    /// of no use later).
    pub(crate) fn failed(&mut self) {
        let Some(ask) = self.in_flight.take() else {
            return;
        };
        self.last_full = false;
        if let LeaseKind::Quota { .. } = self.kind {
            self.debt = self
                .debt
                .saturating_add(ask.debt + std::mem::take(&mut self.advance));
            self.tokens = self.tokens.saturating_add(ask.refund);
        }
        self.advance = 0;
    }

    /// Expired tokens to give back, or debt to charge, with no ask in
    /// flight (for the periodic sweep).
    pub(crate) fn needs_sync(&self, now: u64) -> bool {
        self.in_flight.is_none() && (self.debt > 0 || (self.tokens > 0 && now >= self.expires))
    }

    /// Shutting down: the next ask gives every token back and asks for none.
    pub(crate) fn release(&mut self) {
        self.expires = 0;
        self.last_seen = 0;
        self.refused_until = 0;
    }

    /// Nothing on this node depends on the entry any more.
    pub(crate) fn is_idle(&self, now: u64) -> bool {
        self.in_flight.is_none()
            && self.debt == 0
            && (self.tokens == 0 || now >= self.expires)
            && now.saturating_sub(self.last_seen) >= 10 * QUOTA_LEASE_TTL_NANOS
    }

    /// Tokens leased and unused.
    #[cfg(test)]
    pub(crate) fn tokens(&self) -> u32 {
        self.tokens
    }

    /// Move a quota lease to a new day: the old day's tokens and debt are
    /// of no use any more.
    pub(crate) fn new_day(&mut self, kind: LeaseKind, now: u64) {
        *self = Lease::new(kind, now);
    }

    fn ttl(&self) -> u64 {
        match self.kind {
            LeaseKind::Rate(_) => RATE_LEASE_TTL_NANOS,
            LeaseKind::Quota { .. } => QUOTA_LEASE_TTL_NANOS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: LeaseKind = LeaseKind::Rate(Rate {
        per_second: 100,
        burst: 10,
    });
    const MS: u64 = 1_000_000;

    #[test]
    fn tokens_are_used_then_the_fleet_refusal_holds_until_its_time() {
        let now = 1_000 * MS;
        let mut l = Lease::new(RATE, now);
        assert_eq!(l.take(now), Take::Unleased);
        l.owe();
        assert!(l.wants_refill(now));
        let ask = l.ask(now).unwrap();
        assert_eq!((ask.debt, ask.refund), (1, 0));
        assert!(ask.want >= 1);
        l.granted(
            Grant {
                granted: 2,
                wait_nanos: 0,
                level: 0,
            },
            now + MS,
        );
        assert_eq!(l.take(now + MS), Take::Leased { left: 1 });
        assert_eq!(l.take(now + MS), Take::Leased { left: 0 });
        let ask = l.ask(now + 2 * MS).unwrap();
        assert_eq!(ask.debt, 0);
        l.granted(
            Grant {
                granted: 0,
                wait_nanos: 7 * MS,
                level: 0,
            },
            now + 3 * MS,
        );
        assert_eq!(
            l.take(now + 4 * MS),
            Take::Refused {
                until: now + 10 * MS
            }
        );
        assert!(!l.wants_refill(now + 4 * MS));
        assert_eq!(l.take(now + 10 * MS), Take::Unleased);
    }

    #[test]
    fn unused_tokens_are_refunded_after_the_ttl() {
        let now = 1_000 * MS;
        let mut l = Lease::new(RATE, now);
        l.take(now);
        l.ask(now).unwrap();
        l.granted(
            Grant {
                granted: 5,
                wait_nanos: 0,
                level: 5,
            },
            now,
        );
        let later = now + RATE_LEASE_TTL_NANOS;
        assert_eq!(l.take(later), Take::Unleased);
        let ask = l.ask(later).unwrap();
        assert_eq!(ask.refund, 5);
        assert_eq!(l.tokens(), 0);
    }

    #[test]
    fn a_failed_quota_ask_keeps_its_debt_and_refund() {
        let now = 1_000 * MS;
        let kind = LeaseKind::Quota {
            limit: 1000,
            day_start_ms: 0,
            day_end_ms: 86_400_000,
        };
        let mut l = Lease::new(kind, now);
        l.take(now);
        l.owe();
        l.owe();
        let ask = l.ask(now).unwrap();
        assert_eq!(ask.debt, 2);
        assert_eq!(l.debt(), 2, "in flight still counts");
        l.failed();
        assert_eq!(l.debt(), 2);
        let ask = l.ask(now).unwrap();
        assert_eq!(ask.debt, 2);
        l.granted(
            Grant {
                granted: 0,
                wait_nanos: 0,
                level: 1000,
            },
            now,
        );
        assert_eq!(l.debt(), 0);
        assert_eq!(l.fresh_level(now), Some(1000));
        assert!(matches!(l.take(now), Take::Refused { .. }));
    }

    #[test]
    fn a_dry_lease_borrows_against_its_refill_only_after_a_full_grant() {
        let now = 1_000 * MS;
        let kind = LeaseKind::Quota {
            limit: 1_000_000,
            day_start_ms: 0,
            day_end_ms: 86_400_000,
        };
        let mut l = Lease::new(kind, now);
        l.take(now);
        let ask = l.ask(now).unwrap();
        assert!(!l.borrow(3), "nothing heard yet: no borrowing");
        l.granted(
            Grant {
                granted: ask.want,
                wait_nanos: 0,
                level: 1,
            },
            now,
        );
        while let Take::Leased { .. } = l.take(now) {}
        let ask = l.ask(now).unwrap();
        assert!(
            !l.borrow(1_000_000),
            "not with so little left for so many nodes"
        );
        let borrowed = (0..ask.want + 5).filter(|_| l.borrow(3)).count() as u32;
        assert_eq!(borrowed, ask.want, "at most the refill's size");
        // The fleet grants less: the rest is owed.
        l.granted(
            Grant {
                granted: ask.want - 1,
                wait_nanos: 0,
                level: 10,
            },
            now,
        );
        assert_eq!((l.tokens(), l.debt()), (0, 1));
        assert!(!l.borrow(3), "after a short grant, no borrowing");
    }

    #[test]
    fn the_lease_follows_demand_within_the_burst() {
        let now = 1_000 * MS;
        let mut l = Lease::new(RATE, now);
        // 1,000 requests in 10 ms: 100,000/s; 50 ms of it is 5,000, capped
        // at the burst of 10.
        for _ in 0..1000 {
            l.take(now);
        }
        assert_eq!(l.ask(now + 10 * MS).unwrap().want, 10);
        // One request in a second: a lease of one.
        let mut quiet = Lease::new(RATE, now);
        quiet.take(now + 1000 * MS);
        assert_eq!(quiet.ask(now + 1000 * MS).unwrap().want, 1);
    }
}
