//! The authorization server's "now", in unix seconds. Tests move it forward instead of
//! sleeping through a grace window; the server itself never moves it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// The system clock plus an offset that every clone shares.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> i64 {
        crate::storage::unix_now() + self.offset_secs.load(Ordering::Relaxed)
    }

    /// Moves this clock (and every clone of it) forward; for tests.
    pub fn advance(&self, secs: i64) {
        self.offset_secs.fetch_add(secs, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::Clock;

    #[test]
    fn clones_share_the_offset() {
        let clock = Clock::default();
        let clone = clock.clone();
        let before = clock.now();
        clone.advance(1200);
        assert!(clock.now() >= before + 1200);
    }
}
