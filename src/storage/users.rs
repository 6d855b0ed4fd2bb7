//! People who log in to approve clients.

use sqlx::FromRow;

use super::Store;

#[derive(Clone, FromRow)]
pub struct UserRecord {
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The column list, as a macro so queries stay `&'static str` (no dynamic SQL).
macro_rules! user_columns {
    () => {
        "id, username, password_hash, created_at, updated_at"
    };
}

impl Store {
    #[tracing::instrument(name = "db.insert_user", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn insert_user(&self, user: &UserRecord) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO users (id, username, password_hash, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&user.id)
        .bind(&user.username)
        .bind(&user.password_hash)
        .bind(user.created_at)
        .bind(user.updated_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    #[tracing::instrument(name = "db.count_users", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn count_users(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(self.pool())
            .await
    }

    #[tracing::instrument(name = "db.get_user_by_username", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn get_user_by_username(
        &self,
        username: &str,
    ) -> Result<Option<UserRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE username = $1"
        ))
        .bind(username)
        .fetch_optional(self.pool())
        .await
    }

    #[tracing::instrument(name = "db.list_users", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn list_users(&self) -> Result<Vec<UserRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users ORDER BY username"
        ))
        .fetch_all(self.pool())
        .await
    }

    /// Deletes a user; grants, codes, sessions and consents cascade, and their
    /// access tokens still accepted (leeway included) are revoked in the same transaction.
    #[tracing::instrument(name = "db.delete_user", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn delete_user(&self, username: &str, now: i64) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let number = super::revocations::next_number(&mut tx).await?;
        sqlx::query(
            "UPDATE access_tokens SET revoked_at = $1, revocation_seq = $2 WHERE revoked_at IS NULL \
             AND expires_at >= $3 AND subject IN (SELECT id FROM users WHERE username = $4)",
        )
        .bind(now)
        .bind(number)
        .bind(now - super::revocations::EXPIRY_LEEWAY_SECS)
        .bind(username)
        .execute(&mut *tx)
        .await?;
        let deleted = sqlx::query("DELETE FROM users WHERE username = $1")
            .bind(username)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(deleted == 1)
    }

    #[tracing::instrument(name = "db.set_user_password_hash", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn set_user_password_hash(
        &self,
        username: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let updated =
            sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE username = $3")
                .bind(password_hash)
                .bind(now)
                .bind(username)
                .execute(self.pool())
                .await?
                .rows_affected();
        Ok(updated == 1)
    }
}

impl Store {
    #[tracing::instrument(name = "db.get_user_by_id", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn get_user_by_id(&self, id: &str) -> Result<Option<UserRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await
    }
}
