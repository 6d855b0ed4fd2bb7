//! Remembered consents and the per-user view of grants ("connected apps").

use sqlx::FromRow;

use super::Store;

/// One live grant as the connected-apps page shows it.
#[derive(Debug, Clone, FromRow)]
pub struct UserGrant {
    pub id: String,
    pub client_id: String,
    pub client_name: String,
    pub scope: String,
    pub created_at: i64,
    pub last_used_at: i64,
}

/// What a user approved for a client, and for which redirect URI.
#[derive(Debug, Clone, FromRow)]
pub struct ConsentRecord {
    pub scope: String,
    pub redirect_uri: Option<String>,
}

impl Store {
    /// The scope string a user has approved for a client, if any.
    pub async fn get_consent(
        &self,
        user_id: &str,
        client_id: &str,
    ) -> Result<Option<String>, sqlx::Error> {
        Ok(self
            .get_consent_record(user_id, client_id)
            .await?
            .map(|c| c.scope))
    }

    /// A remembered consent with the redirect URI it was last given for.
    #[tracing::instrument(name = "db.get_consent", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn get_consent_record(
        &self,
        user_id: &str,
        client_id: &str,
    ) -> Result<Option<ConsentRecord>, sqlx::Error> {
        sqlx::query_as(
            "SELECT scope, redirect_uri FROM consents WHERE user_id = $1 AND client_id = $2",
        )
        .bind(user_id)
        .bind(client_id)
        .fetch_optional(self.pool())
        .await
    }

    #[tracing::instrument(name = "db.upsert_consent", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn upsert_consent(
        &self,
        user_id: &str,
        client_id: &str,
        scope: &str,
        redirect_uri: &str,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO consents (user_id, client_id, scope, created_at, updated_at, redirect_uri) \
             VALUES ($1, $2, $3, $4, $4, $5) ON CONFLICT (user_id, client_id) \
             DO UPDATE SET scope = $3, updated_at = $4, redirect_uri = $5",
        )
        .bind(user_id)
        .bind(client_id)
        .bind(scope)
        .bind(now)
        .bind(redirect_uri)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    #[tracing::instrument(name = "db.delete_consent", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn delete_consent(&self, user_id: &str, client_id: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM consents WHERE user_id = $1 AND client_id = $2")
            .bind(user_id)
            .bind(client_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// A user's unrevoked grants, newest first.
    #[tracing::instrument(name = "db.list_user_grants", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn list_user_grants(&self, user_id: &str) -> Result<Vec<UserGrant>, sqlx::Error> {
        sqlx::query_as(
            "SELECT g.id, g.client_id, c.name AS client_name, g.scope, g.created_at, \
             g.last_used_at FROM grants g JOIN clients c ON c.id = g.client_id \
             WHERE g.user_id = $1 AND g.revoked_at IS NULL \
             ORDER BY g.created_at DESC, g.id",
        )
        .bind(user_id)
        .fetch_all(self.pool())
        .await
    }
}
