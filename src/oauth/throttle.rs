//! Failed-login throttling per account and per client address, in memory: after
//! `MAX_FAILURES` failures within `WINDOW`, an address is refused for any account. An account
//! with that many failures is refused only to addresses that have failed recently themselves,
//! so someone guessing from elsewhere cannot lock its owner out (issue 14, item 9): a correct
//! password from an address with a clean record still gets in, and is audited. Per-process,
//! which is enough to stop online guessing.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: usize = 5;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Bounds memory under a flood of distinct usernames or addresses.
const MAX_KEYS: usize = 50_000;

/// What the throttle says about one attempt, before the password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Open,
    /// The account is locked, but this address has no recent failure: let it try.
    AccountLockedCleanAddress,
    Refused,
}

#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

fn account_key(username: &str) -> String {
    format!("user:{}", username.to_ascii_lowercase())
}

fn address_key(ip: &str) -> String {
    format!("ip:{ip}")
}

impl LoginThrottle {
    /// Recent failures under `key`, dropping the ones that left the window.
    fn recent(failures: &mut HashMap<String, VecDeque<Instant>>, key: &str, now: Instant) -> usize {
        failures.get_mut(key).map_or(0, |times| {
            times.retain(|t| now.duration_since(*t) < WINDOW);
            times.len()
        })
    }

    pub fn gate(&self, username: &str, ip: &str) -> Gate {
        let now = Instant::now();
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let by_address = Self::recent(&mut failures, &address_key(ip), now);
        if by_address >= MAX_FAILURES {
            return Gate::Refused;
        }
        if Self::recent(&mut failures, &account_key(username), now) < MAX_FAILURES {
            return Gate::Open;
        }
        if by_address == 0 {
            Gate::AccountLockedCleanAddress
        } else {
            Gate::Refused
        }
    }

    /// Counts a failure; true when it is the one that locks the account.
    pub fn record_failure(&self, username: &str, ip: &str) -> bool {
        let now = Instant::now();
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if failures.len() >= MAX_KEYS {
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < WINDOW)
            });
        }
        let account = account_key(username);
        let was_locked = Self::recent(&mut failures, &account, now) >= MAX_FAILURES;
        for key in [account, address_key(ip)] {
            let times = failures.entry(key).or_default();
            times.push_back(now);
            while times.len() > MAX_FAILURES {
                times.pop_front();
            }
        }
        !was_locked && Self::recent(&mut failures, &account_key(username), now) >= MAX_FAILURES
    }

    /// A successful login clears the account's count (not the address's).
    pub fn record_success(&self, username: &str) {
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&account_key(username));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_the_account_for_failing_addresses_and_the_address_for_any_account() {
        let throttle = LoginThrottle::default();
        for i in 0..MAX_FAILURES {
            assert_eq!(throttle.gate("admin", "1.1.1.1"), Gate::Open);
            assert_eq!(
                throttle.record_failure("admin", "1.1.1.1"),
                i + 1 == MAX_FAILURES
            );
        }
        assert_eq!(throttle.gate("someone", "1.1.1.1"), Gate::Refused);
        assert_eq!(throttle.gate("someone", "2.2.2.2"), Gate::Open);
        // Another address may still try the locked account, case-insensitively.
        assert_eq!(
            throttle.gate("ADMIN", "2.2.2.2"),
            Gate::AccountLockedCleanAddress
        );
        assert!(!throttle.record_failure("admin", "2.2.2.2"));
        assert_eq!(throttle.gate("admin", "2.2.2.2"), Gate::Refused);
    }
}
