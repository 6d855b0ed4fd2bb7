//! Running the server over time: rate limits per endpoint group and the purge schedule.

use anyhow::bail;
use serde::{Deserialize, Serialize};

/// Token buckets per group: `burst` requests at once, one more every `period_ms`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    pub enabled: bool,
    /// Per client address on the token endpoint.
    pub token: RateLimit,
    /// Per authenticated `client_id` on the token endpoint, whatever the address.
    pub token_client: RateLimit,
    /// Per address, failed client authentications at the token endpoint.
    pub token_failures: RateLimit,
    pub authorize: RateLimit,
    pub login: RateLimit,
    pub register: RateLimit,
    pub introspect: RateLimit,
    pub revoke: RateLimit,
    /// Per token subject on `/mcp` and `/mcp/protected/*`.
    pub mcp: RateLimit,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    pub burst: u32,
    pub period_ms: u64,
}

impl RateLimitSettings {
    pub(super) fn validate(&self) -> anyhow::Result<()> {
        for (group, limit) in [
            ("token", self.token),
            ("token_client", self.token_client),
            ("token_failures", self.token_failures),
            ("authorize", self.authorize),
            ("login", self.login),
            ("register", self.register),
            ("introspect", self.introspect),
            ("revoke", self.revoke),
            ("mcp", self.mcp),
        ] {
            if limit.burst == 0 || limit.period_ms == 0 {
                bail!("rate_limits.{group}: burst and period_ms must be at least 1");
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceSettings {
    /// How often expired rows are purged; the first run is one interval after start.
    pub interval_secs: u64,
    /// Rows deleted per statement, so a large backlog never holds long locks.
    pub batch_size: u32,
    /// Expired access-token rows are kept this long for investigation before purging.
    pub access_token_grace_secs: i64,
    /// Audit events older than this are purged.
    pub audit_retention_secs: i64,
    /// Registered and metadata-document clients that never got a grant or a token in this
    /// long after registering are removed.
    pub unused_client_ttl_secs: i64,
}

impl MaintenanceSettings {
    pub(super) fn validate(&self) -> anyhow::Result<()> {
        if self.interval_secs == 0 || self.batch_size == 0 || self.access_token_grace_secs < 0 {
            bail!(
                "maintenance: interval_secs and batch_size must be at least 1, access_token_grace_secs not negative"
            );
        }
        if self.audit_retention_secs <= 0 || self.unused_client_ttl_secs <= 0 {
            bail!("maintenance: audit_retention_secs and unused_client_ttl_secs must be positive");
        }
        Ok(())
    }
}
