//! Current requests per second: a tiny ring of per-second counters, each
//! slot tagged with the second it counts, updated with atomics.

use std::sync::atomic::{AtomicU64, Ordering};

const SLOTS: u64 = 4;

#[derive(Debug, Default)]
pub(crate) struct QpsMeter {
    /// (second << 32) | count, for the second `second % SLOTS`.
    slots: [AtomicU64; SLOTS as usize],
}

impl QpsMeter {
    #[inline]
    pub(crate) fn tick(&self) {
        self.tick_at(now_secs());
    }

    pub(crate) fn tick_at(&self, sec: u64) {
        let slot = &self.slots[(sec % SLOTS) as usize];
        let tag = (sec & 0xffff_ffff) << 32;
        let mut cur = slot.load(Ordering::Relaxed);
        loop {
            let next = if cur & !0xffff_ffff == tag {
                cur + 1
            } else {
                tag | 1
            };
            match slot.compare_exchange_weak(cur, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Requests counted in the previous whole second.
    pub(crate) fn last_second(&self) -> u64 {
        self.count_at(now_secs().saturating_sub(1))
    }

    pub(crate) fn count_at(&self, sec: u64) -> u64 {
        let v = self.slots[(sec % SLOTS) as usize].load(Ordering::Relaxed);
        if v >> 32 == sec & 0xffff_ffff {
            v & 0xffff_ffff
        } else {
            0
        }
    }
}

fn now_secs() -> u64 {
    crate::clock::mono_nanos() / 1_000_000_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_second_and_forgets_old_seconds() {
        let m = QpsMeter::default();
        for _ in 0..5 {
            m.tick_at(100);
        }
        m.tick_at(101);
        assert_eq!(m.count_at(100), 5);
        assert_eq!(m.count_at(101), 1);
        // Slot reuse four seconds later starts from zero.
        m.tick_at(104);
        assert_eq!(m.count_at(104), 1);
        assert_eq!(m.count_at(100), 0);
    }
}
