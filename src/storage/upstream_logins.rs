//! Upstream sign-ins in flight (migration 0007): the nonce and PKCE verifier the callback
//! needs, found by the SHA-256 of `state` and taken exactly once.

use sqlx::FromRow;

use super::Store;

#[derive(Clone, FromRow)]
pub struct UpstreamLoginRecord {
    pub state_hash: String,
    /// The browser session that started the sign-in; the callback must come from it.
    pub session_hash: String,
    pub provider_id: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub created_at: i64,
    pub expires_at: i64,
}

impl std::fmt::Debug for UpstreamLoginRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamLoginRecord")
            .field("provider_id", &self.provider_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Stores a sign-in in flight, first dropping the ones that expired unused.
    #[tracing::instrument(name = "db.insert_upstream_login", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn insert_upstream_login(
        &self,
        login: &UpstreamLoginRecord,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM upstream_logins WHERE expires_at <= $1")
            .bind(login.created_at)
            .execute(self.pool())
            .await?;
        sqlx::query(
            "INSERT INTO upstream_logins (state_hash, session_hash, provider_id, nonce, \
             pkce_verifier, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&login.state_hash)
        .bind(&login.session_hash)
        .bind(&login.provider_id)
        .bind(&login.nonce)
        .bind(&login.pkce_verifier)
        .bind(login.created_at)
        .bind(login.expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Deletes and returns the sign-in `state_hash` names: of two callbacks with the same
    /// `state`, only one gets it.
    #[tracing::instrument(name = "db.take_upstream_login", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn take_upstream_login(
        &self,
        state_hash: &str,
    ) -> Result<Option<UpstreamLoginRecord>, sqlx::Error> {
        sqlx::query_as(
            "DELETE FROM upstream_logins WHERE state_hash = $1 RETURNING state_hash, \
             session_hash, provider_id, nonce, pkce_verifier, created_at, expires_at",
        )
        .bind(state_hash)
        .fetch_optional(self.pool())
        .await
    }
}
