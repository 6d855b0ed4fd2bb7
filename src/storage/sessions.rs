//! Browser sessions: only the SHA-256 of a session id is stored, never the id itself.

use sqlx::FromRow;

use super::Store;

#[derive(Clone, FromRow)]
pub struct SessionRecord {
    pub id_hash: String,
    /// `None` before login: the session then only carries the CSRF token and pending request.
    pub user_id: Option<String>,
    pub csrf_token: String,
    /// The authorization request waiting for login or consent, as JSON.
    pub pending: Option<String>,
    pub created_at: i64,
    pub last_seen_at: i64,
    /// The absolute end of the session, whatever its activity.
    pub expires_at: i64,
}

impl std::fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRecord")
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

impl Store {
    #[tracing::instrument(name = "db.insert_session", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn insert_session(&self, s: &SessionRecord) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, pending, created_at, \
             last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&s.id_hash)
        .bind(&s.user_id)
        .bind(&s.csrf_token)
        .bind(&s.pending)
        .bind(s.created_at)
        .bind(s.last_seen_at)
        .bind(s.expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    #[tracing::instrument(name = "db.get_session", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn get_session(&self, id_hash: &str) -> Result<Option<SessionRecord>, sqlx::Error> {
        sqlx::query_as(
            "SELECT id_hash, user_id, csrf_token, pending, created_at, last_seen_at, expires_at \
             FROM sessions WHERE id_hash = $1",
        )
        .bind(id_hash)
        .fetch_optional(self.pool())
        .await
    }

    #[tracing::instrument(name = "db.touch_session", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn touch_session(&self, id_hash: &str, now: i64) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(now)
            .bind(id_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    #[tracing::instrument(name = "db.set_session_pending", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn set_session_pending(
        &self,
        id_hash: &str,
        pending: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE sessions SET pending = $1 WHERE id_hash = $2")
            .bind(pending)
            .bind(id_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Clears the pending request only if it is still `expected`; of two racing or
    /// replayed consent submissions exactly one gets `true`.
    #[tracing::instrument(name = "db.take_session_pending", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn take_session_pending(
        &self,
        id_hash: &str,
        expected: &str,
    ) -> Result<bool, sqlx::Error> {
        let taken =
            sqlx::query("UPDATE sessions SET pending = NULL WHERE id_hash = $1 AND pending = $2")
                .bind(id_hash)
                .bind(expected)
                .execute(self.pool())
                .await?
                .rows_affected();
        Ok(taken == 1)
    }

    #[tracing::instrument(name = "db.delete_session", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn delete_session(&self, id_hash: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Removes sessions past their absolute or idle end.
    #[tracing::instrument(name = "db.delete_stale_sessions", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn delete_stale_sessions(
        &self,
        now: i64,
        idle_cutoff: i64,
    ) -> Result<u64, sqlx::Error> {
        let deleted =
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2")
                .bind(now)
                .bind(idle_cutoff)
                .execute(self.pool())
                .await?
                .rows_affected();
        Ok(deleted)
    }
}
