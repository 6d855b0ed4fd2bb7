//! Token introspection (RFC 7662), read from the database: the revocation truth. `impl
//! AuthServer` here answers an introspection request.

use serde_json::{Value, json};

use super::AuthServer;
use super::client_auth::Presented;
use super::error::OAuthError;
use super::token::Params;
use crate::crypto;
use crate::storage::{self, ClientRecord};
use crate::tokens::jwt;

fn inactive() -> Value {
    json!({ "active": false })
}

impl AuthServer {
    /// Authenticates the caller, then describes the token if it is active and the caller
    /// may see it (its own tokens, or any token for clients listed in `introspect_any`).
    pub async fn introspect(
        &self,
        params: &Params,
        presented: &Presented,
    ) -> Result<Value, OAuthError> {
        let caller = self.authenticate_client(presented, "introspect").await?;
        let Some(token) = params.get("token").filter(|t| !t.is_empty()) else {
            return Err(OAuthError::invalid_request("missing token"));
        };
        let hint = params.get("token_type_hint").map(String::as_str);
        // The hint only orders the look-ups; both kinds are always tried.
        let result = if hint == Some("refresh_token") {
            match self.introspect_refresh(&caller, token).await? {
                Some(v) => Some(v),
                None => self.introspect_access(&caller, token).await?,
            }
        } else {
            match self.introspect_access(&caller, token).await? {
                Some(v) => Some(v),
                None => self.introspect_refresh(&caller, token).await?,
            }
        };
        Ok(result.unwrap_or_else(inactive))
    }

    fn may_see(&self, caller: &ClientRecord, owner: &str) -> bool {
        caller.id == owner
            || self
                .settings
                .clients
                .introspect_any
                .iter()
                .any(|c| c == &caller.id)
    }

    async fn introspect_access(
        &self,
        caller: &ClientRecord,
        token: &str,
    ) -> Result<Option<Value>, OAuthError> {
        if token.matches('.').count() != 2 {
            return Ok(None);
        }
        // Signature and issuer must hold; audience and times are judged from the row.
        let Ok(claims) = jwt::verify_signature_only(&self.keys, token, self.issuer()) else {
            return Ok(Some(inactive()));
        };
        let Some(row) = self.store.get_access_token(&claims.jti).await? else {
            return Ok(Some(inactive()));
        };
        let now = storage::unix_now();
        if row.revoked_at.is_some()
            || row.expires_at <= now
            || !self.may_see(caller, &row.client_id)
        {
            return Ok(Some(inactive()));
        }
        if let Some(grant_id) = &row.grant_id
            && self
                .store
                .get_grant(grant_id)
                .await?
                .is_none_or(|g| g.revoked_at.is_some())
        {
            return Ok(Some(inactive()));
        }
        let mut body = json!({
            "active": true,
            "scope": row.scope,
            "client_id": row.client_id,
            "token_type": "Bearer",
            "exp": row.expires_at,
            "iat": row.issued_at,
            "nbf": claims.nbf,
            "sub": row.subject,
            "aud": row.audience,
            "iss": self.issuer(),
            "jti": row.jti,
        });
        if let Some(username) = row.username {
            body["username"] = json!(username);
        }
        Ok(Some(body))
    }

    async fn introspect_refresh(
        &self,
        caller: &ClientRecord,
        token: &str,
    ) -> Result<Option<Value>, OAuthError> {
        let Some(row) = self
            .store
            .get_refresh_token(&crypto::sha256_hex(token))
            .await?
        else {
            return Ok(None);
        };
        let now = storage::unix_now();
        let grant = self.store.get_grant(&row.grant_id).await?;
        let live = row.revoked_at.is_none()
            && row.rotated_at.is_none()
            && row.expires_at > now
            && grant.as_ref().is_some_and(|g| g.revoked_at.is_none());
        if !live || !self.may_see(caller, &row.client_id) {
            return Ok(Some(inactive()));
        }
        let grant = grant.expect("checked above");
        let subject = grant
            .user_id
            .clone()
            .unwrap_or_else(|| row.client_id.clone());
        let username = match &grant.user_id {
            Some(id) => self.store.get_user_by_id(id).await?.map(|u| u.username),
            None => None,
        };
        let mut body = json!({
            "active": true,
            "scope": row.scope,
            "client_id": row.client_id,
            "token_type": "refresh_token",
            "exp": row.expires_at,
            "iat": row.created_at,
            "nbf": row.created_at,
            "sub": subject,
            "aud": grant.resource,
            "iss": self.issuer(),
        });
        if let Some(username) = username {
            body["username"] = json!(username);
        }
        Ok(Some(body))
    }
}
