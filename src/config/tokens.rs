//! Lifetimes of what the server issues: access and refresh tokens, codes, signing keys.

use anyhow::bail;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSettings {
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
    pub code_ttl_secs: i64,
    /// A rotated refresh token presented again within this window gets the same successor.
    pub refresh_reuse_grace_secs: i64,
    pub allow_plain_pkce: bool,
    pub secret_cache_ttl_secs: u64,
    /// How long a signing key signs before `keys rotate` is due (informational).
    pub signing_key_lifetime_secs: i64,
}

impl TokenSettings {
    pub(super) fn validate(&self) -> anyhow::Result<()> {
        for (key, value) in [
            ("tokens.access_ttl_secs", self.access_ttl_secs),
            ("tokens.refresh_ttl_secs", self.refresh_ttl_secs),
            ("tokens.code_ttl_secs", self.code_ttl_secs),
        ] {
            if value <= 0 {
                bail!("{key} must be positive, got {value}");
            }
        }
        if self.code_ttl_secs > 600 {
            bail!(
                "tokens.code_ttl_secs must be at most 600 (RFC 6749 §4.1.2), got {}",
                self.code_ttl_secs
            );
        }
        if self.refresh_reuse_grace_secs < 0 {
            bail!("tokens.refresh_reuse_grace_secs must not be negative");
        }
        Ok(())
    }
}
