//! The failed-login rows the login throttle counts (migration 0005): one row per failure and
//! key, so every instance on the database sees the same counts.

use super::Store;
use crate::crypto;

impl Store {
    /// Failures since `since` (exclusive) under each of `keys`, in the order given.
    #[tracing::instrument(name = "db.count_login_failures", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn count_login_failures(
        &self,
        keys: [&str; 2],
        since: i64,
    ) -> Result<[i64; 2], sqlx::Error> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT throttle_key, COUNT(*) FROM login_failures \
             WHERE throttle_key IN ($1, $2) AND failed_at > $3 GROUP BY throttle_key",
        )
        .bind(keys[0])
        .bind(keys[1])
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        let count = |key: &str| rows.iter().find(|(k, _)| k == key).map_or(0, |(_, n)| *n);
        Ok([count(keys[0]), count(keys[1])])
    }

    /// One failure at `at` under each of `keys`, in one statement.
    #[tracing::instrument(name = "db.record_login_failure", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn record_login_failure(&self, keys: [&str; 2], at: i64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO login_failures (id, throttle_key, failed_at) \
             VALUES ($1, $2, $3), ($4, $5, $3)",
        )
        .bind(crypto::random_token(16))
        .bind(keys[0])
        .bind(at)
        .bind(crypto::random_token(16))
        .bind(keys[1])
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Forgets every failure under `key` (a successful login clears its account).
    #[tracing::instrument(name = "db.clear_login_failures", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn clear_login_failures(&self, key: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM login_failures WHERE throttle_key = $1")
            .bind(key)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
