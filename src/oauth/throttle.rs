//! Failed-login throttling per account and per client address, counted in the database so
//! every instance shares one budget: after `MAX_FAILURES` failures within `WINDOW_SECS`, an
//! address is refused for any account. An account with that many failures is refused only to
//! addresses that have failed recently themselves, so someone guessing from elsewhere cannot
//! lock its owner out (issue 14, item 9): a correct password from an address with a clean
//! record still gets in, and is audited.

use crate::clock::Clock;
use crate::storage::Store;

pub const MAX_FAILURES: i64 = 5;
pub const WINDOW_SECS: i64 = 15 * 60;
/// Longest username kept in a key: longer ones cannot exist (usernames are at most 64).
const MAX_KEY_NAME: usize = 64;

/// What the throttle says about one attempt, before the password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Open,
    /// The account is locked, but this address has no recent failure: let it try.
    AccountLockedCleanAddress,
    Refused,
}

/// The throttle over the shared `login_failures` table.
#[derive(Clone)]
pub struct LoginThrottle {
    store: Store,
    clock: Clock,
}

fn account_key(username: &str) -> String {
    let name: String = username.chars().take(MAX_KEY_NAME).collect();
    format!("user:{}", name.to_lowercase())
}

fn address_key(ip: &str) -> String {
    format!("ip:{ip}")
}

impl LoginThrottle {
    pub fn new(store: Store, clock: Clock) -> Self {
        Self { store, clock }
    }

    /// `[account, address]` failures inside the window.
    async fn recent(&self, username: &str, ip: &str) -> Result<[i64; 2], sqlx::Error> {
        let since = self.clock.now() - WINDOW_SECS;
        let keys = [account_key(username), address_key(ip)];
        self.store
            .count_login_failures([&keys[0], &keys[1]], since)
            .await
    }

    pub async fn gate(&self, username: &str, ip: &str) -> Result<Gate, sqlx::Error> {
        let [by_account, by_address] = self.recent(username, ip).await?;
        Ok(if by_address >= MAX_FAILURES {
            Gate::Refused
        } else if by_account < MAX_FAILURES {
            Gate::Open
        } else if by_address == 0 {
            Gate::AccountLockedCleanAddress
        } else {
            Gate::Refused
        })
    }

    /// Counts a failure; true when it is the one that locks the account.
    pub async fn record_failure(&self, username: &str, ip: &str) -> Result<bool, sqlx::Error> {
        let keys = [account_key(username), address_key(ip)];
        self.store
            .record_login_failure([&keys[0], &keys[1]], self.clock.now())
            .await?;
        let [by_account, _] = self.recent(username, ip).await?;
        Ok(by_account == MAX_FAILURES)
    }

    /// A successful login clears the account's count (not the address's).
    pub async fn record_success(&self, username: &str) -> Result<(), sqlx::Error> {
        self.store
            .clear_login_failures(&account_key(username))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_keys_ignore_case_and_stay_short() {
        assert_eq!(account_key("Admin"), account_key("admin"));
        assert_eq!(
            account_key(&"x".repeat(10_000)).len(),
            "user:".len() + MAX_KEY_NAME
        );
        assert_ne!(account_key("admin"), address_key("admin"));
    }
}
