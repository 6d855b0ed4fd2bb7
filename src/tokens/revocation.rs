//! The in-memory set of revoked access-token ids that the MCP endpoints consult, kept until
//! each token's `exp` plus the verifier's leeway (until then a signature check alone would
//! still accept it).
//!
//! The database is the truth; this set is loaded at start, updated on local revocations,
//! and polled for revocations made by other instances or the CLI. The poll follows the
//! database's revocation numbers (see `storage::revocations`), not timestamps, so a skewed
//! clock or a slow commit elsewhere cannot hide a revocation.

use std::collections::HashMap;
use std::sync::RwLock;

use crate::storage::{self, EXPIRY_LEEWAY_SECS, Store};

#[derive(Debug, Default)]
pub struct RevocationList {
    /// jti → expiry (unix seconds); entries leave once the token is past `exp` + leeway.
    revoked: RwLock<HashMap<String, i64>>,
    /// The highest revocation number read from the database.
    watermark: RwLock<i64>,
}

impl RevocationList {
    pub async fn load(store: &Store) -> anyhow::Result<Self> {
        let list = Self::default();
        // Read the number first: everything numbered up to it has committed, so the load
        // below sees it, and anything later is picked up by the next poll.
        let watermark = store.revocation_watermark().await?;
        for token in store.revoked_access_tokens(storage::unix_now()).await? {
            list.insert(token.jti, token.expires_at);
        }
        *list
            .watermark
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = watermark;
        Ok(list)
    }

    pub fn insert(&self, jti: String, expires_at: i64) {
        self.revoked
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(jti, expires_at);
    }

    pub fn contains(&self, jti: &str) -> bool {
        self.revoked
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains_key(jti)
    }

    pub fn len(&self) -> usize {
        self.revoked
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads revocations numbered after the last poll and drops entries no verifier would
    /// accept any more (past `exp` + leeway).
    pub async fn poll(&self, store: &Store) -> anyhow::Result<()> {
        let since = *self
            .watermark
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (fresh, highest) = store.revocations_after(since).await?;
        let now = storage::unix_now();
        let mut revoked = self
            .revoked
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for token in fresh {
            revoked.insert(token.jti, token.expires_at);
        }
        revoked.retain(|_, exp| still_accepted(*exp, now));
        drop(revoked);
        let mut watermark = self
            .watermark
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *watermark = (*watermark).max(highest);
        Ok(())
    }
}

/// Whether a token expiring at `exp` would still pass verification at `now`.
fn still_accepted(exp: i64, now: i64) -> bool {
    exp >= now - EXPIRY_LEEWAY_SECS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_kept_exactly_as_long_as_the_leeway_accepts_the_token() {
        let exp = 1_000;
        assert!(still_accepted(exp, exp + EXPIRY_LEEWAY_SECS));
        assert!(!still_accepted(exp, exp + EXPIRY_LEEWAY_SECS + 1));
    }
}
