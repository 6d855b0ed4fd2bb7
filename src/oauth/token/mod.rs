//! The token endpoint (RFC 6749 §3.2, §5): `impl AuthServer` here dispatches a
//! [`TokenRequest`] (request.rs) to its grant (code.rs, refresh.rs, client_credentials.rs) and
//! holds what the grants share: access and refresh records, audience, scope, the response.

mod client_credentials;
mod code;
mod refresh;
mod request;

use std::collections::HashMap;

use serde::Serialize;
use serde_json::json;

pub use request::{Grant, GrantType, TokenRequest, parse_request};

use super::AuthServer;
use super::client_auth::Presented;
use super::error::{ErrorCode, OAuthError};
use super::resource;
use super::scope::{Requested, ScopeSet};
use crate::audit;
use crate::crypto;
use crate::storage::{AccessTokenRecord, ClientRecord, RefreshTokenRecord};
use crate::telemetry::metrics;
use crate::tokens::{AccessClaims, jwt};

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub scope: String,
}

/// A parsed form body (revocation and introspection read it as it is).
pub type Params = HashMap<String, String>;

fn ensure_grant_type(client: &ClientRecord, grant: GrantType) -> Result<(), OAuthError> {
    let grant = grant.as_str();
    if client.grant_type_list().iter().any(|g| g == grant) {
        Ok(())
    } else {
        Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            format!("client {} may not use the {grant} grant", client.id),
        ))
    }
}

/// An access token about to be issued: its row and its claims come from the same values.
struct NewAccess {
    record: AccessTokenRecord,
    jwt: String,
}

impl AuthServer {
    /// The token endpoint's first step: the client authenticated. Cheap for cached and
    /// unknown clients; only this step may run argon2.
    pub async fn token_client(&self, presented: &Presented) -> Result<ClientRecord, OAuthError> {
        self.authenticate_client(presented, "token")
            .await
            .inspect_err(|error| metrics::token_error(error.code.as_str()))
    }

    /// Runs the requested grant for an authenticated client, counting tokens and errors.
    pub async fn grant_for(
        &self,
        request: &TokenRequest,
        client: &ClientRecord,
    ) -> Result<TokenResponse, OAuthError> {
        tracing::Span::current().record("client_id", client.id.as_str());
        let result = self.grant(request, client).await;
        match &result {
            Ok(_) => metrics::token_issued(request.grant_type()),
            Err(error) => metrics::token_error(error.code.as_str()),
        }
        result
    }

    async fn grant(
        &self,
        request: &TokenRequest,
        client: &ClientRecord,
    ) -> Result<TokenResponse, OAuthError> {
        match &request.grant {
            Grant::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
            } => {
                self.exchange_code(
                    client,
                    code,
                    redirect_uri,
                    code_verifier.as_deref(),
                    request,
                )
                .await
            }
            Grant::RefreshToken { refresh_token } => {
                self.refresh(client, refresh_token, request).await
            }
            Grant::ClientCredentials => self.client_credentials(client, request).await,
            Grant::Incomplete { grant, missing } => {
                ensure_grant_type(client, *grant)?;
                Err(OAuthError::invalid_request(format!("missing {missing}")))
            }
            Grant::Unsupported(other) => Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                format!(
                    "grant_type {:?} is not supported; use authorization_code, refresh_token or client_credentials",
                    audit::bounded(other)
                ),
            )),
        }
    }

    /// The one place a token response is put together.
    fn token_response(
        &self,
        access: NewAccess,
        refresh_token: Option<String>,
        scope: String,
    ) -> TokenResponse {
        TokenResponse {
            access_token: access.jwt,
            token_type: "Bearer",
            expires_in: self.settings.tokens.access_ttl_secs,
            refresh_token,
            scope,
        }
    }

    fn new_access(
        &self,
        client_id: &str,
        subject: &str,
        username: Option<String>,
        scope: &str,
        audience: &str,
        grant_id: Option<&str>,
    ) -> Result<NewAccess, OAuthError> {
        let now = self.clock.now();
        let record = AccessTokenRecord {
            jti: crypto::random_token(16),
            grant_id: grant_id.map(str::to_string),
            client_id: client_id.to_string(),
            subject: subject.to_string(),
            username,
            scope: scope.to_string(),
            audience: audience.to_string(),
            issued_at: now,
            expires_at: now + self.settings.tokens.access_ttl_secs,
            revoked_at: None,
        };
        let claims = AccessClaims {
            iss: self.issuer().to_string(),
            sub: record.subject.clone(),
            aud: record.audience.clone(),
            exp: record.expires_at,
            iat: now,
            nbf: now,
            jti: record.jti.clone(),
            client_id: record.client_id.clone(),
            scope: record.scope.clone(),
        };
        let jwt = jwt::sign(&self.keys, &claims).map_err(OAuthError::internal)?;
        Ok(NewAccess { record, jwt })
    }

    fn new_refresh(
        &self,
        token: &str,
        grant_id: &str,
        client_id: &str,
        scope: &str,
    ) -> RefreshTokenRecord {
        let now = self.clock.now();
        RefreshTokenRecord {
            token_hash: crypto::sha256_hex(token),
            grant_id: grant_id.to_string(),
            client_id: client_id.to_string(),
            scope: scope.to_string(),
            created_at: now,
            expires_at: now + self.settings.tokens.refresh_ttl_secs,
            rotated_at: None,
            successor_hash: None,
            revoked_at: None,
        }
    }

    fn audience_for(
        &self,
        request: &TokenRequest,
        bound: Option<&str>,
    ) -> Result<String, OAuthError> {
        let audience = resource::resolve(
            request.resource.as_deref(),
            &self.settings.mcp_resource(),
            &self.settings.server.public_url,
        )
        .map_err(|e| OAuthError::new(ErrorCode::InvalidTarget, e.to_string()))?;
        match bound {
            Some(bound) if bound != audience => Err(OAuthError::new(
                ErrorCode::InvalidTarget,
                "resource differs from the one this grant was issued for",
            )),
            _ => Ok(audience),
        }
    }

    /// The request's known scopes (empty: none asked for, or none we know). Unknown names
    /// are dropped and audited, never an error (RFC 6749 §3.3); malformed ones still are.
    fn requested_scope(
        &self,
        request: &TokenRequest,
        client_id: &str,
    ) -> Result<ScopeSet, OAuthError> {
        let requested = Requested::parse(request.scope.as_deref(), self.known_scopes())
            .map_err(|e| OAuthError::new(ErrorCode::InvalidScope, e.to_string()))?;
        if !requested.dropped.is_empty() {
            audit::record(
                &self.store,
                "unknown_scopes_dropped",
                Some(client_id),
                None,
                json!({ "endpoint": "token", "dropped": requested.dropped }),
            );
        }
        Ok(requested.known)
    }
}
