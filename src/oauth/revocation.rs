//! Token revocation (RFC 7009): `impl AuthServer` here is a client revoking its own access or
//! refresh tokens, and the server revoking a whole grant family (code replay, refresh reuse).

use serde_json::json;

use super::AuthServer;
use super::client_auth::Presented;
use super::error::OAuthError;
use super::token::Params;
use crate::audit;
use crate::crypto;
use crate::storage::{self, ClientRecord};
use crate::telemetry::metrics;
use crate::tokens::jwt;

impl AuthServer {
    /// Authenticates, then revokes the token if it belongs to the caller. Unknown, foreign
    /// and already-revoked tokens answer the same 200 (RFC 7009 §2.2).
    pub async fn revoke(&self, params: &Params, presented: &Presented) -> Result<(), OAuthError> {
        let client = self.authenticate_client(presented, "revoke").await?;
        let Some(token) = params.get("token").filter(|t| !t.is_empty()) else {
            return Err(OAuthError::invalid_request("missing token"));
        };
        if params.get("token_type_hint").map(String::as_str) == Some("refresh_token") {
            if !self.revoke_refresh(&client, token).await? {
                self.revoke_access(&client, token).await?;
            }
        } else if !self.revoke_access(&client, token).await? {
            self.revoke_refresh(&client, token).await?;
        }
        Ok(())
    }

    /// Returns whether `token` was one of our access tokens (revoked or not).
    async fn revoke_access(&self, client: &ClientRecord, token: &str) -> Result<bool, OAuthError> {
        if token.matches('.').count() != 2 {
            return Ok(false);
        }
        let Ok(claims) = jwt::verify_signature_only(&self.keys, token, self.issuer()) else {
            return Ok(false);
        };
        if claims.client_id != client.id {
            return Ok(true);
        }
        if self
            .store
            .revoke_access_token(&claims.jti, storage::unix_now())
            .await?
        {
            self.revocations.insert(claims.jti.clone(), claims.exp);
            metrics::revocation();
            audit::record(
                &self.store,
                "token_revoked",
                Some(&client.id),
                Some(&claims.sub),
                json!({ "kind": "access_token", "jti": claims.jti }),
            );
        }
        Ok(true)
    }

    /// Revoking a refresh token revokes its grant: every refresh and access token in it.
    async fn revoke_refresh(&self, client: &ClientRecord, token: &str) -> Result<bool, OAuthError> {
        let Some(row) = self
            .store
            .get_refresh_token(&crypto::sha256_hex(token))
            .await?
        else {
            return Ok(false);
        };
        if row.client_id == client.id {
            let revoked = self.revoke_grant(&row.grant_id).await?;
            metrics::revocation();
            audit::record(
                &self.store,
                "token_revoked",
                Some(&client.id),
                None,
                json!({ "kind": "refresh_token", "grant_id": row.grant_id, "access_tokens_revoked": revoked }),
            );
        }
        Ok(true)
    }

    /// Revokes a grant family and pushes its access tokens into the in-memory set.
    pub async fn revoke_grant(&self, grant_id: &str) -> Result<usize, sqlx::Error> {
        let revoked = self
            .store
            .revoke_grant(grant_id, storage::unix_now())
            .await?;
        let count = revoked.len();
        for (jti, exp) in revoked {
            self.revocations.insert(jti, exp);
        }
        Ok(count)
    }
}
