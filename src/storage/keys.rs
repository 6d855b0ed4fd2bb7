//! Signing keys and other server-generated secrets.

use sqlx::FromRow;

use super::{Backend, Store};

/// A signing key row. `private_key` is base64 PKCS#8 DER and must never be logged.
#[derive(Clone, FromRow)]
pub struct SigningKeyRecord {
    pub kid: String,
    pub algorithm: String,
    pub private_key: String,
    pub public_jwk: String,
    pub created_at: i64,
    pub activated_at: Option<i64>,
    pub retired_at: Option<i64>,
    pub publish_until: Option<i64>,
}

impl std::fmt::Debug for SigningKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyRecord")
            .field("kid", &self.kid)
            .field("activated_at", &self.activated_at)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

/// The column list, as a macro so queries stay `&'static str` (no dynamic SQL).
macro_rules! key_columns {
    () => {
        "kid, algorithm, private_key, public_jwk, created_at, activated_at, retired_at, publish_until"
    };
}

impl Store {
    /// Every key still published in the JWKS (active, pending, or retired but in use).
    #[tracing::instrument(name = "db.published_signing_keys", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn published_signing_keys(
        &self,
        now: i64,
    ) -> Result<Vec<SigningKeyRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            key_columns!(),
            " FROM signing_keys \
             WHERE publish_until IS NULL OR publish_until > $1 ORDER BY created_at, kid"
        ))
        .bind(now)
        .fetch_all(self.pool())
        .await
    }

    #[tracing::instrument(name = "db.all_signing_keys", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn all_signing_keys(&self) -> Result<Vec<SigningKeyRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            key_columns!(),
            " FROM signing_keys ORDER BY created_at, kid"
        ))
        .fetch_all(self.pool())
        .await
    }

    #[tracing::instrument(name = "db.insert_signing_key", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn insert_signing_key(&self, key: &SigningKeyRecord) -> Result<(), sqlx::Error> {
        sqlx::query(concat!(
            "INSERT INTO signing_keys (",
            key_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(&key.kid)
        .bind(&key.algorithm)
        .bind(&key.private_key)
        .bind(&key.public_jwk)
        .bind(key.created_at)
        .bind(key.activated_at)
        .bind(key.retired_at)
        .bind(key.publish_until)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Makes `kid` the signing key: the previous active key retires and stays
    /// published until `publish_until`. One transaction, so exactly one key signs.
    #[tracing::instrument(name = "db.activate_signing_key", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn activate_signing_key(
        &self,
        kid: &str,
        now: i64,
        publish_until: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        // Postgres runs concurrent rotations side by side: each would retire only the key its
        // statement saw, leaving two active. The lock makes the second wait and read the
        // first one's result. SQLite already serialises writers.
        if self.backend() == Backend::Postgres {
            sqlx::query("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "UPDATE signing_keys SET retired_at = $1, publish_until = $2 \
             WHERE activated_at IS NOT NULL AND retired_at IS NULL AND kid <> $3",
        )
        .bind(now)
        .bind(publish_until)
        .bind(kid)
        .execute(&mut *tx)
        .await?;
        let updated = sqlx::query(
            "UPDATE signing_keys SET activated_at = $1 \
             WHERE kid = $2 AND activated_at IS NULL AND retired_at IS NULL",
        )
        .bind(now)
        .bind(kid)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 1 {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(updated == 1)
    }

    /// Returns the named secret, creating it from `generate` if absent. Concurrent
    /// first starts agree because the insert is conflict-free and re-read.
    #[tracing::instrument(name = "db.server_secret", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn server_secret(
        &self,
        name: &str,
        generate: impl FnOnce() -> String,
        now: i64,
    ) -> Result<String, sqlx::Error> {
        sqlx::query(
            "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(generate())
        .bind(now)
        .execute(self.pool())
        .await?;
        sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(self.pool())
            .await
    }
}
