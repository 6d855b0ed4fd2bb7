//! The in-memory set of revoked, unexpired access-token ids that the MCP endpoints consult.
//!
//! The database is the truth; this set is loaded at start, updated on local revocations,
//! and polled for revocations made by other instances or the CLI.

use std::collections::HashMap;
use std::sync::RwLock;

use crate::storage::{self, Store};

#[derive(Debug, Default)]
pub struct RevocationList {
    /// jti → expiry (unix seconds); entries leave once the token would be expired anyway.
    revoked: RwLock<HashMap<String, i64>>,
    /// Revocation timestamp up to which the database has been read.
    watermark: RwLock<i64>,
}

/// How far back each poll re-reads, so a revocation committed during a poll is not missed.
const POLL_OVERLAP_SECS: i64 = 5;

impl RevocationList {
    pub async fn load(store: &Store) -> anyhow::Result<Self> {
        let list = Self::default();
        let now = storage::unix_now();
        for (jti, exp) in store.revoked_access_tokens_since(0, now).await? {
            list.insert(jti, exp);
        }
        *list.watermark.write().unwrap_or_else(|e| e.into_inner()) = now;
        Ok(list)
    }

    pub fn insert(&self, jti: String, expires_at: i64) {
        self.revoked
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(jti, expires_at);
    }

    pub fn contains(&self, jti: &str) -> bool {
        self.revoked
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(jti)
    }

    pub fn len(&self) -> usize {
        self.revoked.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads revocations recorded since the last poll and drops expired entries.
    pub async fn poll(&self, store: &Store) -> anyhow::Result<()> {
        let now = storage::unix_now();
        let since = *self.watermark.read().unwrap_or_else(|e| e.into_inner()) - POLL_OVERLAP_SECS;
        let fresh = store.revoked_access_tokens_since(since, now).await?;
        let mut revoked = self.revoked.write().unwrap_or_else(|e| e.into_inner());
        for (jti, exp) in fresh {
            revoked.insert(jti, exp);
        }
        revoked.retain(|_, exp| *exp > now);
        drop(revoked);
        *self.watermark.write().unwrap_or_else(|e| e.into_inner()) = now;
        Ok(())
    }
}
