//! Failed-login throttling per account and per client IP, in memory: after
//! `MAX_FAILURES` failures within `WINDOW`, further attempts are refused until the
//! oldest failure leaves the window. Per-process, which is enough to stop online guessing.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: usize = 5;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Bounds memory under a flood of distinct usernames or addresses.
const MAX_KEYS: usize = 50_000;

#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginThrottle {
    fn keys(username: &str, ip: &str) -> [String; 2] {
        [
            format!("user:{}", username.to_ascii_lowercase()),
            format!("ip:{ip}"),
        ]
    }

    /// Whether either the account or the address is cooling down.
    pub fn is_locked(&self, username: &str, ip: &str) -> bool {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        Self::keys(username, ip).iter().any(|key| {
            failures.get_mut(key).is_some_and(|times| {
                times.retain(|t| now.duration_since(*t) < WINDOW);
                times.len() >= MAX_FAILURES
            })
        })
    }

    pub fn record_failure(&self, username: &str, ip: &str) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() >= MAX_KEYS {
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < WINDOW)
            });
        }
        for key in Self::keys(username, ip) {
            let times = failures.entry(key).or_default();
            times.push_back(now);
            while times.len() > MAX_FAILURES {
                times.pop_front();
            }
        }
    }

    /// A successful login clears the account's count (not the address's).
    pub fn record_success(&self, username: &str) {
        let key = format!("user:{}", username.to_ascii_lowercase());
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_the_account_from_any_address_and_the_address_for_any_account() {
        let throttle = LoginThrottle::default();
        for _ in 0..MAX_FAILURES {
            assert!(!throttle.is_locked("admin", "1.1.1.1"));
            throttle.record_failure("admin", "1.1.1.1");
        }
        assert!(throttle.is_locked("ADMIN", "2.2.2.2"));
        assert!(throttle.is_locked("someone", "1.1.1.1"));
        assert!(!throttle.is_locked("someone", "2.2.2.2"));
    }
}
