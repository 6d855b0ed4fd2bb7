//! Who a user is at an upstream OpenID Provider (migration 0006): issuer + subject → user.

use sqlx::FromRow;

use super::Store;

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct IdentityRecord {
    pub issuer: String,
    pub subject: String,
    pub user_id: String,
    /// The `[[login.oidc]]` id it was linked through.
    pub provider_id: String,
    pub email: Option<String>,
    /// The provider's groups claim as last seen at login, space-separated.
    pub groups: String,
    pub created_at: i64,
    pub last_login_at: i64,
}

impl IdentityRecord {
    pub fn group_list(&self) -> Vec<String> {
        self.groups.split_whitespace().map(str::to_owned).collect()
    }
}

macro_rules! identity_columns {
    () => {
        "issuer, subject, user_id, provider_id, email, groups, created_at, last_login_at"
    };
}

impl Store {
    #[tracing::instrument(name = "db.find_identity", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn find_identity(
        &self,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<IdentityRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            identity_columns!(),
            " FROM user_identities WHERE issuer = $1 AND subject = $2"
        ))
        .bind(issuer)
        .bind(subject)
        .fetch_optional(self.pool())
        .await
    }

    /// Links an identity; a unique violation when it is linked already.
    #[tracing::instrument(name = "db.insert_identity", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn insert_identity(&self, identity: &IdentityRecord) -> Result<(), sqlx::Error> {
        sqlx::query(concat!(
            "INSERT INTO user_identities (",
            identity_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(&identity.issuer)
        .bind(&identity.subject)
        .bind(&identity.user_id)
        .bind(&identity.provider_id)
        .bind(&identity.email)
        .bind(&identity.groups)
        .bind(identity.created_at)
        .bind(identity.last_login_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records a login through the identity: the e-mail and groups the provider sent now.
    #[tracing::instrument(name = "db.touch_identity", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn touch_identity(
        &self,
        issuer: &str,
        subject: &str,
        email: Option<&str>,
        groups: &str,
        at: i64,
    ) -> Result<bool, sqlx::Error> {
        let updated = sqlx::query(
            "UPDATE user_identities SET email = $1, groups = $2, last_login_at = $3 \
             WHERE issuer = $4 AND subject = $5",
        )
        .bind(email)
        .bind(groups)
        .bind(at)
        .bind(issuer)
        .bind(subject)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    /// Every identity linked to a user, oldest first.
    #[tracing::instrument(name = "db.identities_of", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn identities_of(&self, user_id: &str) -> Result<Vec<IdentityRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            identity_columns!(),
            " FROM user_identities WHERE user_id = $1 ORDER BY created_at, issuer"
        ))
        .bind(user_id)
        .fetch_all(self.pool())
        .await
    }

    /// Unlinks an identity; true when one was removed.
    #[tracing::instrument(name = "db.delete_identity", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn delete_identity(&self, issuer: &str, subject: &str) -> Result<bool, sqlx::Error> {
        let deleted = sqlx::query("DELETE FROM user_identities WHERE issuer = $1 AND subject = $2")
            .bind(issuer)
            .bind(subject)
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(deleted == 1)
    }
}
