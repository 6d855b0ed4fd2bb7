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
    /// When an operator disabled the user (refused at login; every grant was revoked then).
    pub disabled_at: Option<i64>,
    /// Operator-given groups, space-separated, for the scope policy.
    pub groups: String,
}

impl UserRecord {
    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }

    pub fn group_list(&self) -> Vec<String> {
        self.groups.split_whitespace().map(str::to_owned).collect()
    }
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
        "id, username, password_hash, created_at, updated_at, disabled_at, groups"
    };
}

impl Store {
    #[tracing::instrument(name = "db.insert_user", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn insert_user(&self, user: &UserRecord) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO users (id, username, password_hash, created_at, updated_at, disabled_at, \
             groups) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&user.id)
        .bind(&user.username)
        .bind(&user.password_hash)
        .bind(user.created_at)
        .bind(user.updated_at)
        .bind(user.disabled_at)
        .bind(&user.groups)
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

    /// Deletes a user; grants, codes, sessions, consents and identities cascade, and their
    /// access tokens still accepted (leeway included) are revoked in the same transaction.
    #[tracing::instrument(name = "db.delete_user", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn delete_user(&self, username: &str, now: i64) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        revoke_access_tokens_of(&mut tx, username, now).await?;
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

/// Revokes `username`'s access tokens still accepted at `now` (leeway included), numbered for
/// the other instances' revocation feed.
async fn revoke_access_tokens_of(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    username: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let number = super::revocations::next_number(tx).await?;
    sqlx::query(
        "UPDATE access_tokens SET revoked_at = $1, revocation_seq = $2 WHERE revoked_at IS NULL \
         AND expires_at >= $3 AND subject IN (SELECT id FROM users WHERE username = $4)",
    )
    .bind(now)
    .bind(number)
    .bind(now - super::revocations::EXPIRY_LEEWAY_SECS)
    .bind(username)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Disables (or, with `disabled` false, re-enables) a user. Disabling revokes everything the
    /// user was issued, as removal does, but keeps the account and its identities: grants (with
    /// their refresh tokens), codes, sessions and consents go, live access tokens are revoked.
    #[tracing::instrument(name = "db.set_user_disabled", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn set_user_disabled(
        &self,
        username: &str,
        disabled: bool,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let updated =
            sqlx::query("UPDATE users SET disabled_at = $1, updated_at = $2 WHERE username = $3")
                .bind(disabled.then_some(now))
                .bind(now)
                .bind(username)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if updated == 1 && disabled {
            revoke_everything_in(&mut tx, username, now).await?;
        }
        tx.commit().await?;
        Ok(updated == 1)
    }

    /// Revokes everything `username` was issued, keeping the account: what disabling does, and
    /// what an upstream login that the provider or the allow-lists now refuse does.
    #[tracing::instrument(name = "db.revoke_everything_of", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn revoke_everything_of(&self, username: &str, now: i64) -> Result<(), sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        revoke_everything_in(&mut tx, username, now).await?;
        tx.commit().await
    }

    /// Replaces a user's operator-given groups.
    #[tracing::instrument(name = "db.set_user_groups", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn set_user_groups(
        &self,
        username: &str,
        groups: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let updated =
            sqlx::query("UPDATE users SET groups = $1, updated_at = $2 WHERE username = $3")
                .bind(groups)
                .bind(now)
                .bind(username)
                .execute(self.pool())
                .await?
                .rows_affected();
        Ok(updated == 1)
    }
}

async fn revoke_everything_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    username: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    revoke_access_tokens_of(tx, username, now).await?;
    // Refresh tokens go with their grants (ON DELETE CASCADE).
    for table in [
        "DELETE FROM grants WHERE user_id IN (SELECT id FROM users WHERE username = $1)",
        "DELETE FROM authorization_codes WHERE user_id IN (SELECT id FROM users WHERE username = $1)",
        "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE username = $1)",
        "DELETE FROM consents WHERE user_id IN (SELECT id FROM users WHERE username = $1)",
    ] {
        sqlx::query(table).bind(username).execute(&mut **tx).await?;
    }
    Ok(())
}
