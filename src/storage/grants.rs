//! Grants and the codes, refresh tokens and access tokens that descend from them.

use sqlx::FromRow;

use super::Store;
use super::bulk_insert::{chunks, insert_sql};
use super::revocations::EXPIRY_LEEWAY_SECS;

#[derive(Debug, Clone, FromRow)]
pub struct GrantRecord {
    pub id: String,
    pub client_id: String,
    pub user_id: Option<String>,
    pub scope: String,
    pub resource: String,
    pub created_at: i64,
    pub last_used_at: i64,
    pub revoked_at: Option<i64>,
}

/// An authorization code row; `code_hash` is SHA-256 of the code.
#[derive(Debug, Clone, FromRow)]
pub struct CodeRecord {
    pub code_hash: String,
    pub grant_id: String,
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub resource: String,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct RefreshTokenRecord {
    pub token_hash: String,
    pub grant_id: String,
    pub client_id: String,
    pub scope: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub rotated_at: Option<i64>,
    pub successor_hash: Option<String>,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct AccessTokenRecord {
    pub jti: String,
    pub grant_id: Option<String>,
    pub client_id: String,
    pub subject: String,
    pub username: Option<String>,
    pub scope: String,
    pub audience: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

/// What one token response writes: the access-token row and, optionally, a refresh token.
pub struct Issuance<'a> {
    pub access: &'a AccessTokenRecord,
    pub refresh: Option<&'a RefreshTokenRecord>,
}

type Tx<'t> = sqlx::Transaction<'t, sqlx::Any>;

async fn insert_issuance(tx: &mut Tx<'_>, issuance: &Issuance<'_>) -> Result<(), sqlx::Error> {
    insert_access_tokens(tx, &[issuance.access]).await?;
    if let Some(r) = issuance.refresh {
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, grant_id, client_id, scope, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&r.token_hash)
        .bind(&r.grant_id)
        .bind(&r.client_id)
        .bind(&r.scope)
        .bind(r.created_at)
        .bind(r.expires_at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Inserts access-token rows (multi-row, in chunks) and marks their grants used. Shared by the
/// writer's batches and by the single-token writes that must share a transaction with a claim
/// (code redemption, refresh rotation).
pub(super) async fn insert_access_tokens(
    tx: &mut Tx<'_>,
    tokens: &[&AccessTokenRecord],
) -> Result<(), sqlx::Error> {
    for chunk in chunks(tokens) {
        // Built only from the constant column list and numbered placeholders.
        let sql = insert_sql(
            "access_tokens (jti, grant_id, client_id, subject, username, scope, audience, \
             issued_at, expires_at)",
            9,
            chunk.len(),
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in chunk {
            query = query
                .bind(&a.jti)
                .bind(&a.grant_id)
                .bind(&a.client_id)
                .bind(&a.subject)
                .bind(&a.username)
                .bind(&a.scope)
                .bind(&a.audience)
                .bind(a.issued_at)
                .bind(a.expires_at);
        }
        query.execute(&mut **tx).await?;
    }
    for a in tokens {
        if let Some(grant_id) = &a.grant_id {
            sqlx::query("UPDATE grants SET last_used_at = $1 WHERE id = $2")
                .bind(a.issued_at)
                .bind(grant_id)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

/// Outcome of trying to claim a refresh token for rotation.
pub enum Rotation {
    /// This call rotated it; the successor was stored.
    Rotated,
    /// Someone rotated it already (possibly a racing duplicate).
    AlreadyRotated,
}

impl Store {
    /// Creates a grant and its authorization code in one transaction.
    #[tracing::instrument(name = "db.insert_grant_with_code", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn insert_grant_with_code(
        &self,
        grant: &GrantRecord,
        code: &CodeRecord,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO grants (id, client_id, user_id, scope, resource, created_at, \
             last_used_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
        )
        .bind(&grant.id)
        .bind(&grant.client_id)
        .bind(&grant.user_id)
        .bind(&grant.scope)
        .bind(&grant.resource)
        .bind(grant.created_at)
        .bind(grant.last_used_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO authorization_codes (code_hash, grant_id, client_id, user_id, \
             redirect_uri, scope, resource, code_challenge, code_challenge_method, created_at, \
             expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL)",
        )
        .bind(&code.code_hash)
        .bind(&code.grant_id)
        .bind(&code.client_id)
        .bind(&code.user_id)
        .bind(&code.redirect_uri)
        .bind(&code.scope)
        .bind(&code.resource)
        .bind(&code.code_challenge)
        .bind(&code.code_challenge_method)
        .bind(code.created_at)
        .bind(code.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    #[tracing::instrument(name = "db.get_code", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn get_code(&self, code_hash: &str) -> Result<Option<CodeRecord>, sqlx::Error> {
        sqlx::query_as(
            "SELECT code_hash, grant_id, client_id, user_id, redirect_uri, scope, resource, \
             code_challenge, code_challenge_method, created_at, expires_at, used_at \
             FROM authorization_codes WHERE code_hash = $1",
        )
        .bind(code_hash)
        .fetch_optional(self.pool())
        .await
    }

    /// Claims the code and stores the tokens in one transaction. The claim is a single
    /// conditional UPDATE, so of any number of racing redemptions exactly one wins;
    /// the losers get `false` and nothing is written.
    #[tracing::instrument(name = "db.redeem_code", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn redeem_code(
        &self,
        code_hash: &str,
        now: i64,
        issuance: &Issuance<'_>,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let claimed = sqlx::query(
            "UPDATE authorization_codes SET used_at = $1 \
             WHERE code_hash = $2 AND used_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind(code_hash)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        insert_issuance(&mut tx, issuance).await?;
        tx.commit().await?;
        Ok(true)
    }

    #[tracing::instrument(name = "db.get_grant", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn get_grant(&self, id: &str) -> Result<Option<GrantRecord>, sqlx::Error> {
        sqlx::query_as(
            "SELECT id, client_id, user_id, scope, resource, created_at, last_used_at, revoked_at \
             FROM grants WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await
    }

    #[tracing::instrument(name = "db.get_refresh_token", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn get_refresh_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<RefreshTokenRecord>, sqlx::Error> {
        sqlx::query_as(
            "SELECT token_hash, grant_id, client_id, scope, created_at, expires_at, rotated_at, \
             successor_hash, revoked_at FROM refresh_tokens WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await
    }

    /// Marks `token_hash` rotated and stores its successor plus the new access token, in
    /// one transaction; the claim is conditional so only one racing refresh rotates.
    #[tracing::instrument(name = "db.rotate_refresh_token", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn rotate_refresh_token(
        &self,
        token_hash: &str,
        now: i64,
        issuance: &Issuance<'_>,
    ) -> Result<Rotation, sqlx::Error> {
        let successor = issuance.refresh.map(|r| r.token_hash.clone());
        let mut tx = self.pool().begin().await?;
        let claimed = sqlx::query(
            "UPDATE refresh_tokens SET rotated_at = $1, successor_hash = $2 \
             WHERE token_hash = $3 AND rotated_at IS NULL AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(&successor)
        .bind(token_hash)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed != 1 {
            tx.rollback().await?;
            return Ok(Rotation::AlreadyRotated);
        }
        insert_issuance(&mut tx, issuance).await?;
        tx.commit().await?;
        Ok(Rotation::Rotated)
    }

    /// Revokes a whole grant: the grant, its refresh tokens and its access tokens (those still
    /// accepted, leeway included), in one transaction, numbered for the revocation feed.
    /// Returns the (jti, exp) of access tokens newly revoked.
    #[tracing::instrument(name = "db.revoke_grant", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn revoke_grant(
        &self,
        grant_id: &str,
        now: i64,
    ) -> Result<Vec<(String, i64)>, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("UPDATE grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(grant_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1 WHERE grant_id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(grant_id)
        .execute(&mut *tx)
        .await?;
        let number = super::revocations::next_number(&mut tx).await?;
        let revoked: Vec<(String, i64)> = sqlx::query_as(
            "UPDATE access_tokens SET revoked_at = $1, revocation_seq = $2 \
             WHERE grant_id = $3 AND revoked_at IS NULL AND expires_at >= $4 \
             RETURNING jti, expires_at",
        )
        .bind(now)
        .bind(number)
        .bind(grant_id)
        .bind(now - EXPIRY_LEEWAY_SECS)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(revoked)
    }

    #[tracing::instrument(name = "db.get_access_token", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn get_access_token(
        &self,
        jti: &str,
    ) -> Result<Option<AccessTokenRecord>, sqlx::Error> {
        sqlx::query_as(
            "SELECT jti, grant_id, client_id, subject, username, scope, audience, issued_at, \
             expires_at, revoked_at FROM access_tokens WHERE jti = $1",
        )
        .bind(jti)
        .fetch_optional(self.pool())
        .await
    }

    /// Marks one access token revoked, numbered for the revocation feed; returns whether this
    /// call revoked it.
    #[tracing::instrument(name = "db.revoke_access_token", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn revoke_access_token(&self, jti: &str, now: i64) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let number = super::revocations::next_number(&mut tx).await?;
        let updated = sqlx::query(
            "UPDATE access_tokens SET revoked_at = $1, revocation_seq = $2 \
             WHERE jti = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(number)
        .bind(jti)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated != 1 {
            // Nothing revoked: leave the counter as it was.
            tx.rollback().await?;
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }
}
