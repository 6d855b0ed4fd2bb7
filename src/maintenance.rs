//! Background upkeep: purge expired codes, sessions and tokens, audit events past their
//! retention and dynamic clients nobody used, so tables stay small even under a flood of
//! unauthenticated requests.

use std::time::Duration;

use crate::config::MaintenanceSettings;
use crate::storage::{Purgeable, Store};
use crate::telemetry::metrics;

/// What one purge removed, per table, and how many statements it took.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeReport {
    pub authorization_codes: u64,
    pub sessions: u64,
    pub access_tokens: u64,
    pub refresh_tokens: u64,
    pub audit_events: u64,
    pub unused_clients: u64,
    pub login_failures: u64,
    /// DELETE statements run; each removes at most `batch_size` rows.
    pub batches: u64,
}

impl PurgeReport {
    pub fn total(&self) -> u64 {
        self.authorization_codes
            + self.sessions
            + self.access_tokens
            + self.refresh_tokens
            + self.audit_events
            + self.unused_clients
            + self.login_failures
    }
}

/// Purges everything expired as of `now` (unix seconds), batch by batch until a batch
/// comes back short. Access-token rows get `access_token_grace_secs` more; audit events go
/// after `audit_retention_secs`, unused dynamic clients after `unused_client_ttl_secs`.
pub async fn run_purge_once(
    store: &Store,
    now: i64,
    settings: &MaintenanceSettings,
) -> Result<PurgeReport, sqlx::Error> {
    let mut report = PurgeReport::default();
    for what in Purgeable::ALL {
        let cutoff = match what {
            // Never before the leeway has passed: instances load the revocation set from
            // these rows, and a revoked token is accepted by signature alone until then.
            Purgeable::AccessTokens => now.saturating_sub(
                settings
                    .access_token_grace_secs
                    .max(crate::storage::EXPIRY_LEEWAY_SECS),
            ),
            Purgeable::AuditEvents => now.saturating_sub(settings.audit_retention_secs),
            Purgeable::UnusedClients => now.saturating_sub(settings.unused_client_ttl_secs),
            Purgeable::LoginFailures => now.saturating_sub(crate::oauth::throttle::WINDOW_SECS),
            _ => now,
        };
        let mut purged = 0;
        loop {
            let rows = store.purge_batch(what, cutoff, settings.batch_size).await?;
            report.batches += 1;
            purged += rows;
            if rows < u64::from(settings.batch_size) {
                break;
            }
            // Let other work at the database between batches.
            tokio::task::yield_now().await;
        }
        metrics::purged(what.table(), purged);
        match what {
            Purgeable::AuthorizationCodes => report.authorization_codes = purged,
            Purgeable::Sessions => report.sessions = purged,
            Purgeable::AccessTokens => report.access_tokens = purged,
            Purgeable::RefreshTokens => report.refresh_tokens = purged,
            Purgeable::AuditEvents => report.audit_events = purged,
            Purgeable::UnusedClients => report.unused_clients = purged,
            Purgeable::LoginFailures => report.login_failures = purged,
        }
    }
    Ok(report)
}

/// Purges every `interval_secs`, first one interval after start; failures are logged and
/// retried next time.
pub async fn purge_forever(store: Store, settings: MaintenanceSettings) {
    let every = Duration::from_secs(settings.interval_secs);
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match run_purge_once(&store, crate::storage::unix_now(), &settings).await {
            Ok(report) if report.total() > 0 => {
                tracing::info!(?report, "purged expired rows");
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "purging expired rows failed"),
        }
    }
}
