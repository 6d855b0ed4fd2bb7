//! Purging expired rows in small batches, so a large backlog never holds a long lock.
//! `DELETE … WHERE key IN (SELECT key … LIMIT n)` runs unchanged on SQLite and Postgres.

use super::Store;

/// A table maintenance may purge, and which of its rows are dead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purgeable {
    /// Authorization codes past expiry; used or not, they can no longer be redeemed.
    AuthorizationCodes,
    /// Login sessions past expiry.
    Sessions,
    /// Access-token rows expired before the cutoff. Revoked-but-unexpired rows are kept:
    /// the revocation list is loaded from them.
    AccessTokens,
    /// Refresh tokens past expiry, whether live, rotated or revoked: an expired token is
    /// refused before reuse detection would look at it.
    RefreshTokens,
    /// Audit events that occurred before the cutoff (the retention).
    AuditEvents,
    /// Dynamically registered and metadata-document clients created before the cutoff that
    /// never got a grant or an access token: anyone can create them without logging in, so
    /// unused ones must not pile up. Clients in use, and operator-made ones, stay.
    UnusedClients,
    /// Failed logins older than the login throttle's window: they no longer count.
    LoginFailures,
}

impl Purgeable {
    pub const ALL: [Purgeable; 7] = [
        Purgeable::AuthorizationCodes,
        Purgeable::Sessions,
        Purgeable::AccessTokens,
        Purgeable::RefreshTokens,
        Purgeable::AuditEvents,
        Purgeable::UnusedClients,
        Purgeable::LoginFailures,
    ];

    pub fn table(self) -> &'static str {
        match self {
            Purgeable::AuthorizationCodes => "authorization_codes",
            Purgeable::Sessions => "sessions",
            Purgeable::AccessTokens => "access_tokens",
            Purgeable::RefreshTokens => "refresh_tokens",
            Purgeable::AuditEvents => "audit_events",
            Purgeable::UnusedClients => "clients",
            Purgeable::LoginFailures => "login_failures",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            Purgeable::AuthorizationCodes => {
                "DELETE FROM authorization_codes WHERE code_hash IN \
                 (SELECT code_hash FROM authorization_codes WHERE expires_at < $1 LIMIT $2)"
            }
            Purgeable::Sessions => {
                "DELETE FROM sessions WHERE id_hash IN \
                 (SELECT id_hash FROM sessions WHERE expires_at < $1 LIMIT $2)"
            }
            Purgeable::AccessTokens => {
                "DELETE FROM access_tokens WHERE jti IN \
                 (SELECT jti FROM access_tokens WHERE expires_at < $1 LIMIT $2)"
            }
            Purgeable::RefreshTokens => {
                "DELETE FROM refresh_tokens WHERE token_hash IN \
                 (SELECT token_hash FROM refresh_tokens WHERE expires_at < $1 LIMIT $2)"
            }
            Purgeable::AuditEvents => {
                "DELETE FROM audit_events WHERE id IN \
                 (SELECT id FROM audit_events WHERE occurred_at < $1 LIMIT $2)"
            }
            Purgeable::UnusedClients => {
                "DELETE FROM clients WHERE id IN \
                 (SELECT c.id FROM clients c WHERE c.origin IN ('dynamic', 'metadata') \
                  AND c.created_at < $1 \
                  AND NOT EXISTS (SELECT 1 FROM grants g WHERE g.client_id = c.id) \
                  AND NOT EXISTS (SELECT 1 FROM access_tokens a WHERE a.client_id = c.id) \
                  LIMIT $2)"
            }
            Purgeable::LoginFailures => {
                "DELETE FROM login_failures WHERE id IN \
                 (SELECT id FROM login_failures WHERE failed_at <= $1 LIMIT $2)"
            }
        }
    }
}

impl Store {
    /// Deletes at most `limit` rows of `what` that expired (or, for audit events and unused
    /// clients, were created) before `cutoff`; returns how many.
    #[tracing::instrument(name = "db.purge_batch", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn purge_batch(
        &self,
        what: Purgeable,
        cutoff: i64,
        limit: u32,
    ) -> Result<u64, sqlx::Error> {
        let result = sqlx::query(what.sql())
            .bind(cutoff)
            .bind(i64::from(limit))
            .execute(self.pool())
            .await?;
        Ok(result.rows_affected())
    }
}
