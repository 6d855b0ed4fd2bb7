//! The revocation feed other instances poll: revoked access tokens numbered in the order the
//! database committed them (migration 0004), so no instance clock decides what a poll sees.

use super::Store;

/// How long after `exp` a token is still accepted (the verifier's clock-skew leeway). A revoked
/// token stays in every revocation filter until `exp` plus this much (RFC 7009 §2: a revoked
/// token is never accepted again).
pub const EXPIRY_LEEWAY_SECS: i64 = 30;

/// A revoked access token as the feed returns it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RevokedToken {
    pub jti: String,
    pub expires_at: i64,
}

/// Takes the next revocation number inside a revoking transaction. The counter's row lock
/// is held until that transaction ends, so a later revoker gets a higher number only after
/// this one committed: a reader that sees number n has every revocation below n too.
pub(super) async fn next_number(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE revocation_counter SET value = value + 1 WHERE id = 1 RETURNING value",
    )
    .fetch_one(&mut **tx)
    .await
}

impl Store {
    /// The highest revocation number committed so far: where a fresh revocation set starts.
    #[tracing::instrument(name = "db.revocation_watermark", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn revocation_watermark(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT value FROM revocation_counter WHERE id = 1")
            .fetch_one(self.pool())
            .await
    }

    /// Every revoked access token still inside its lifetime plus the leeway at `now`.
    #[tracing::instrument(name = "db.revoked_access_tokens", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn revoked_access_tokens(&self, now: i64) -> Result<Vec<RevokedToken>, sqlx::Error> {
        sqlx::query_as(
            "SELECT jti, expires_at FROM access_tokens \
             WHERE revoked_at IS NOT NULL AND expires_at >= $1",
        )
        .bind(now - EXPIRY_LEEWAY_SECS)
        .fetch_all(self.pool())
        .await
    }

    /// Revocations numbered above `watermark`, with the highest number among them (or
    /// `watermark` when there are none).
    #[tracing::instrument(name = "db.revocations_after", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn revocations_after(
        &self,
        watermark: i64,
    ) -> Result<(Vec<RevokedToken>, i64), sqlx::Error> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT jti, expires_at, revocation_seq FROM access_tokens \
             WHERE revocation_seq > $1",
        )
        .bind(watermark)
        .fetch_all(self.pool())
        .await?;
        let highest = rows.iter().map(|r| r.2).max().unwrap_or(watermark);
        let tokens = rows
            .into_iter()
            .map(|(jti, expires_at, _)| RevokedToken { jti, expires_at })
            .collect();
        Ok((tokens, highest))
    }
}
