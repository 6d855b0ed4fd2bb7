//! Issuing authorization codes: `impl AuthServer` here creates a new grant plus a single-use,
//! short-lived code bound to client, redirect URI, PKCE challenge, scope, resource and user.

use super::AuthServer;
use crate::crypto;
use crate::storage::{CodeRecord, GrantRecord};

/// What an approved authorization request binds into its code.
#[derive(Debug, Clone)]
pub struct CodeRequest {
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub resource: String,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
}

impl AuthServer {
    /// Stores a grant and its code; returns the code (shown to the client once).
    pub async fn issue_code(&self, request: CodeRequest) -> anyhow::Result<String> {
        let now = self.clock.now();
        let code = crypto::random_token(32);
        let grant = GrantRecord {
            id: crypto::random_token(16),
            client_id: request.client_id.clone(),
            user_id: Some(request.user_id.clone()),
            scope: request.scope.clone(),
            resource: request.resource.clone(),
            created_at: now,
            last_used_at: now,
            revoked_at: None,
        };
        let record = CodeRecord {
            code_hash: crypto::sha256_hex(&code),
            grant_id: grant.id.clone(),
            client_id: request.client_id,
            user_id: request.user_id,
            redirect_uri: request.redirect_uri,
            scope: request.scope,
            resource: request.resource,
            code_challenge: request.code_challenge,
            code_challenge_method: request.code_challenge_method,
            created_at: now,
            expires_at: now + self.settings.tokens.code_ttl_secs,
            used_at: None,
        };
        self.store.insert_grant_with_code(&grant, &record).await?;
        Ok(code)
    }
}
