//! Registered OAuth clients.

use sqlx::FromRow;

use super::{Store, split_list};

/// A client as stored; `secret_hash` is an argon2id PHC string, never the secret.
#[derive(Clone, FromRow)]
pub struct ClientRecord {
    pub id: String,
    pub secret_hash: Option<String>,
    pub name: String,
    pub redirect_uris: String,
    pub scopes: String,
    pub grant_types: String,
    pub token_endpoint_auth_method: String,
    /// `seed`, `cli` or `dynamic`: who registered it.
    pub origin: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub disabled_at: Option<i64>,
    /// RFC 7591 `application_type` (`web` or `native`) when the client registered one.
    pub application_type: Option<String>,
}

impl std::fmt::Debug for ClientRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRecord")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl ClientRecord {
    pub fn redirect_uri_list(&self) -> Vec<String> {
        split_list(&self.redirect_uris)
    }
    pub fn scope_list(&self) -> Vec<String> {
        split_list(&self.scopes)
    }
    pub fn grant_type_list(&self) -> Vec<String> {
        split_list(&self.grant_types)
    }
    pub fn is_confidential(&self) -> bool {
        self.secret_hash.is_some()
    }
    /// Whether the client's scopes are a ceiling. Only clients an operator created (the
    /// seeded ones, the CLI's) have one; for a dynamically registered or metadata-document
    /// client the registered scope is a default and the person's consent is the gate.
    pub fn scope_is_ceiling(&self) -> bool {
        matches!(self.origin.as_str(), "seed" | "cli")
    }
}

/// The column list, as a macro so queries stay `&'static str` (no dynamic SQL).
macro_rules! client_columns {
    () => {
        "id, secret_hash, name, redirect_uris, scopes, grant_types, \
     token_endpoint_auth_method, origin, created_at, updated_at, disabled_at, application_type"
    };
}

impl Store {
    /// Inserts a client; a duplicate id is reported as a unique violation.
    #[tracing::instrument(name = "db.insert_client", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn insert_client(&self, client: &ClientRecord) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO clients (id, secret_hash, name, redirect_uris, scopes, grant_types, \
             token_endpoint_auth_method, origin, created_at, updated_at, disabled_at, \
             application_type) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&client.id)
        .bind(&client.secret_hash)
        .bind(&client.name)
        .bind(&client.redirect_uris)
        .bind(&client.scopes)
        .bind(&client.grant_types)
        .bind(&client.token_endpoint_auth_method)
        .bind(&client.origin)
        .bind(client.created_at)
        .bind(client.updated_at)
        .bind(client.disabled_at)
        .bind(&client.application_type)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    #[tracing::instrument(name = "db.get_client", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn get_client(&self, id: &str) -> Result<Option<ClientRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            client_columns!(),
            " FROM clients WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await
    }

    #[tracing::instrument(name = "db.list_clients", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn list_clients(&self) -> Result<Vec<ClientRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            client_columns!(),
            " FROM clients ORDER BY created_at, id"
        ))
        .fetch_all(self.pool())
        .await
    }

    /// Deletes a client; its grants, codes and consents go with it (ON DELETE CASCADE),
    /// and its access tokens still accepted (leeway included) are marked revoked in the same
    /// transaction.
    #[tracing::instrument(name = "db.delete_client", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn delete_client(&self, id: &str, now: i64) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let number = super::revocations::next_number(&mut tx).await?;
        sqlx::query(
            "UPDATE access_tokens SET revoked_at = $1, revocation_seq = $2 \
             WHERE client_id = $3 AND revoked_at IS NULL AND expires_at >= $4",
        )
        .bind(now)
        .bind(number)
        .bind(id)
        .bind(now - super::revocations::EXPIRY_LEEWAY_SECS)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM refresh_tokens WHERE client_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let deleted = sqlx::query("DELETE FROM clients WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(deleted == 1)
    }

    #[tracing::instrument(name = "db.set_client_secret_hash", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn set_client_secret_hash(
        &self,
        id: &str,
        secret_hash: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let updated = sqlx::query(
            "UPDATE clients SET secret_hash = $1, updated_at = $2 \
             WHERE id = $3 AND secret_hash IS NOT NULL",
        )
        .bind(secret_hash)
        .bind(now)
        .bind(id)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(updated == 1)
    }
}

impl Store {
    /// Inserts or refreshes a client described by a metadata document. Only rows that came
    /// from a document are updated, so a URL can never overwrite a registered client.
    #[tracing::instrument(name = "db.upsert_metadata_client", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn upsert_metadata_client(&self, client: &ClientRecord) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO clients (id, secret_hash, name, redirect_uris, scopes, grant_types, \
             token_endpoint_auth_method, origin, created_at, updated_at, disabled_at, \
             application_type) \
             VALUES ($1, NULL, $2, $3, $4, $5, $6, 'metadata', $7, $7, NULL, $8) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
             redirect_uris = excluded.redirect_uris, scopes = excluded.scopes, \
             application_type = excluded.application_type, \
             updated_at = excluded.updated_at WHERE clients.origin = 'metadata'",
        )
        .bind(&client.id)
        .bind(&client.name)
        .bind(&client.redirect_uris)
        .bind(&client.scopes)
        .bind(&client.grant_types)
        .bind(&client.token_endpoint_auth_method)
        .bind(client.created_at)
        .bind(&client.application_type)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
