//! The token endpoint's grants (RFC 6749 §4.1.3, §4.4, §6; OAuth 2.1): authorization code
//! with PKCE, refresh with rotation and reuse detection, client credentials.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::json;

use super::AuthServer;
use super::client_auth::Presented;
use super::clients::{GRANT_AUTHORIZATION_CODE, GRANT_CLIENT_CREDENTIALS, GRANT_REFRESH_TOKEN};
use super::error::{ErrorCode, OAuthError};
use super::scope::{Requested, ScopeSet};
use super::{pkce, resource};
use crate::audit;
use crate::crypto;
use crate::storage::{AccessTokenRecord, ClientRecord, Issuance, RefreshTokenRecord, Rotation};
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

pub type Params = HashMap<String, String>;

fn param<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

fn required<'a>(params: &'a Params, name: &str) -> Result<&'a str, OAuthError> {
    param(params, name).ok_or_else(|| OAuthError::invalid_request(format!("missing {name}")))
}

fn ensure_grant_type(client: &ClientRecord, grant: &str) -> Result<(), OAuthError> {
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
    /// Authenticates the client and runs the grant (what the benchmarks and the CLI-free
    /// callers use); the endpoint runs the two steps itself, with its limits in between.
    pub async fn token(
        &self,
        params: &Params,
        presented: &Presented,
    ) -> Result<TokenResponse, OAuthError> {
        let client = self.token_client(params, presented).await?;
        self.grant_for(params, &client).await
    }

    /// The token endpoint's first step: a `grant_type` is there and the client authenticated.
    /// Cheap for cached and unknown clients; only this step may run argon2.
    pub async fn token_client(
        &self,
        params: &Params,
        presented: &Presented,
    ) -> Result<ClientRecord, OAuthError> {
        let result = match required(params, "grant_type") {
            Ok(_) => self.authenticate_client(presented, "token").await,
            Err(error) => Err(error),
        };
        if let Err(error) = &result {
            metrics::token_error(error.code.as_str());
        }
        result
    }

    /// Dispatches on `grant_type` for an authenticated client, counting tokens and errors.
    pub async fn grant_for(
        &self,
        params: &Params,
        client: &ClientRecord,
    ) -> Result<TokenResponse, OAuthError> {
        tracing::Span::current().record("client_id", client.id.as_str());
        let result = self.grant(params, client).await;
        match &result {
            // Only known grant types succeed, so the label's values stay bounded.
            Ok(_) => metrics::token_issued(param(params, "grant_type").unwrap_or("unknown")),
            Err(error) => metrics::token_error(error.code.as_str()),
        }
        result
    }

    async fn grant(
        &self,
        params: &Params,
        client: &ClientRecord,
    ) -> Result<TokenResponse, OAuthError> {
        let grant_type = required(params, "grant_type")?;
        match grant_type {
            GRANT_AUTHORIZATION_CODE => self.exchange_code(client, params).await,
            GRANT_REFRESH_TOKEN => self.refresh(client, params).await,
            GRANT_CLIENT_CREDENTIALS => self.client_credentials(client, params).await,
            other => Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                format!(
                    "grant_type {:?} is not supported; use authorization_code, refresh_token or client_credentials",
                    crate::audit::bounded(other)
                ),
            )),
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

    fn audience_for(&self, params: &Params, bound: Option<&str>) -> Result<String, OAuthError> {
        let audience = resource::resolve(
            param(params, "resource"),
            &self.settings.mcp_resource(),
            &self.settings.server.public_url,
        )
        .map_err(|e| OAuthError::new(ErrorCode::InvalidTarget, e))?;
        match bound {
            Some(bound) if bound != audience => Err(OAuthError::new(
                ErrorCode::InvalidTarget,
                "resource differs from the one this grant was issued for",
            )),
            _ => Ok(audience),
        }
    }

    /// RFC 6749 §4.1.3 with RFC 7636 §4.6.
    async fn exchange_code(
        &self,
        client: &ClientRecord,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        ensure_grant_type(client, GRANT_AUTHORIZATION_CODE)?;
        let code = required(params, "code")?;
        let redirect_uri = required(params, "redirect_uri")?;
        let code_hash = crypto::sha256_hex(code);
        let now = self.clock.now();
        let invalid = |d: &str| OAuthError::new(ErrorCode::InvalidGrant, d.to_string());
        let Some(record) = self.store.get_code(&code_hash).await? else {
            return Err(invalid("the authorization code is unknown or has expired"));
        };
        if record.used_at.is_some() {
            return Err(self
                .code_replayed(&record.grant_id, &record.client_id)
                .await);
        }
        if record.expires_at <= now {
            return Err(invalid("the authorization code has expired"));
        }
        if record.client_id != client.id {
            return Err(invalid(
                "the authorization code was issued to another client",
            ));
        }
        if record.redirect_uri != redirect_uri {
            return Err(invalid(
                "redirect_uri does not match the authorization request",
            ));
        }
        let verifier = param(params, "code_verifier");
        match (
            &record.code_challenge,
            &record.code_challenge_method,
            verifier,
        ) {
            (Some(challenge), Some(method), Some(verifier)) => {
                pkce::validate_verifier(verifier).map_err(|e| invalid(&e))?;
                if !pkce::verify(method, challenge, verifier) {
                    return Err(invalid("code_verifier does not match the code_challenge"));
                }
            }
            (Some(_), _, None) => {
                return Err(invalid(
                    "code_verifier is required: the authorization request used PKCE",
                ));
            }
            (None, _, Some(_)) => {
                return Err(invalid(
                    "code_verifier sent, but the authorization request had no code_challenge",
                ));
            }
            (None, _, None) if !client.is_confidential() => {
                return Err(invalid("public clients must use PKCE"));
            }
            _ => {}
        }
        let audience = self.audience_for(params, Some(&record.resource))?;
        let username = self
            .store
            .get_user_by_id(&record.user_id)
            .await?
            .map(|u| u.username);
        let access = self.new_access(
            &client.id,
            &record.user_id,
            username,
            &record.scope,
            &audience,
            Some(&record.grant_id),
        )?;
        let refresh_token = client
            .grant_type_list()
            .iter()
            .any(|g| g == GRANT_REFRESH_TOKEN)
            .then(|| crypto::random_token(32));
        let refresh = refresh_token
            .as_deref()
            .map(|t| self.new_refresh(t, &record.grant_id, &client.id, &record.scope));
        let issuance = Issuance {
            access: &access.record,
            refresh: refresh.as_ref(),
        };
        if !self.store.redeem_code(&code_hash, now, &issuance).await? {
            // Lost a race with another redemption: that is a replay too.
            return Err(self
                .code_replayed(&record.grant_id, &record.client_id)
                .await);
        }
        audit::record(
            &self.store,
            "token_issued",
            Some(&client.id),
            Some(&record.user_id),
            json!({ "grant_type": GRANT_AUTHORIZATION_CODE, "jti": access.record.jti, "scope": record.scope }),
        );
        Ok(TokenResponse {
            access_token: access.jwt,
            token_type: "Bearer",
            expires_in: self.settings.tokens.access_ttl_secs,
            refresh_token,
            scope: record.scope,
        })
    }

    /// RFC 6749 §4.1.2: a code used twice revokes everything issued from it.
    async fn code_replayed(&self, grant_id: &str, client_id: &str) -> OAuthError {
        let revoked = match self.revoke_grant(grant_id).await {
            Ok(count) => count,
            Err(error) => return OAuthError::internal(error),
        };
        metrics::replay_detected("code");
        audit::record(
            &self.store,
            "code_replay_detected",
            Some(client_id),
            None,
            json!({ "grant_id": grant_id, "access_tokens_revoked": revoked }),
        );
        OAuthError::new(
            ErrorCode::InvalidGrant,
            "the authorization code was already used; every token issued from it has been revoked",
        )
    }

    /// RFC 6749 §6 with rotation (OAuth 2.1 §4.3.1) and reuse detection.
    async fn refresh(
        &self,
        client: &ClientRecord,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        ensure_grant_type(client, GRANT_REFRESH_TOKEN)?;
        let presented = required(params, "refresh_token")?;
        let hash = crypto::sha256_hex(presented);
        let now = self.clock.now();
        let invalid = || {
            OAuthError::new(
                ErrorCode::InvalidGrant,
                "the refresh token is invalid, expired or revoked",
            )
        };
        let Some(mut record) = self.store.get_refresh_token(&hash).await? else {
            return Err(invalid());
        };
        if record.client_id != client.id || record.revoked_at.is_some() || record.expires_at <= now
        {
            return Err(invalid());
        }
        let grant = self
            .store
            .get_grant(&record.grant_id)
            .await?
            .ok_or_else(invalid)?;
        if grant.revoked_at.is_some() {
            return Err(invalid());
        }
        let granted = ScopeSet::parse(&record.scope).map_err(OAuthError::internal_msg)?;
        let requested = self.requested_scope(params, &client.id)?;
        if !requested.is_subset_of(&granted) {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                format!(
                    "scope may only narrow on refresh; not granted: {}",
                    requested.missing_from(&granted).join(" ")
                ),
            ));
        }
        let scope = if requested.is_empty() {
            record.scope.clone()
        } else {
            requested.to_string()
        };
        let audience = self.audience_for(params, Some(&grant.resource))?;
        let subject = grant.user_id.clone().unwrap_or_else(|| client.id.clone());
        let username = match &grant.user_id {
            Some(id) => self.store.get_user_by_id(id).await?.map(|u| u.username),
            None => None,
        };
        let successor = crypto::hmac_token(&self.refresh_key, presented);
        let successor_hash = crypto::sha256_hex(&successor);
        let access = self.new_access(
            &client.id,
            &subject,
            username,
            &scope,
            &audience,
            Some(&grant.id),
        )?;
        if record.rotated_at.is_none() {
            let next = self.new_refresh(&successor, &grant.id, &client.id, &record.scope);
            let issuance = Issuance {
                access: &access.record,
                refresh: Some(&next),
            };
            match self
                .store
                .rotate_refresh_token(&hash, now, &issuance)
                .await?
            {
                Rotation::Rotated => {
                    audit::record(
                        &self.store,
                        "token_refreshed",
                        Some(&client.id),
                        Some(&subject),
                        json!({ "grant_id": grant.id, "jti": access.record.jti }),
                    );
                    return Ok(self.refresh_response(access, successor, scope));
                }
                Rotation::AlreadyRotated => {
                    record = self
                        .store
                        .get_refresh_token(&hash)
                        .await?
                        .ok_or_else(invalid)?;
                }
            }
        }
        // Already rotated: a racing duplicate within the grace window gets the same
        // successor; anything else is reuse of a stolen token and kills the family.
        let rotated_at = record.rotated_at.unwrap_or(now);
        let within_grace = now - rotated_at <= self.settings.tokens.refresh_reuse_grace_secs;
        let successor_live = match self.store.get_refresh_token(&successor_hash).await? {
            Some(next) => next.rotated_at.is_none() && next.revoked_at.is_none(),
            None => false,
        };
        if within_grace
            && successor_live
            && record.successor_hash.as_deref() == Some(successor_hash.as_str())
        {
            self.store.record_access_token(&access.record).await?;
            return Ok(self.refresh_response(access, successor, scope));
        }
        let revoked = self.revoke_grant(&grant.id).await?;
        metrics::replay_detected("refresh");
        audit::record(
            &self.store,
            "refresh_reuse_detected",
            Some(&client.id),
            Some(&subject),
            json!({ "grant_id": grant.id, "access_tokens_revoked": revoked }),
        );
        Err(OAuthError::new(
            ErrorCode::InvalidGrant,
            "the refresh token was already used; the whole grant has been revoked",
        ))
    }

    /// The request's known scopes (empty: none asked for, or none we know). Unknown names
    /// are dropped and audited, never an error (RFC 6749 §3.3); malformed ones still are.
    fn requested_scope(&self, params: &Params, client_id: &str) -> Result<ScopeSet, OAuthError> {
        let requested = Requested::parse(param(params, "scope"))
            .map_err(|e| OAuthError::new(ErrorCode::InvalidScope, e))?;
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

    fn refresh_response(
        &self,
        access: NewAccess,
        successor: String,
        scope: String,
    ) -> TokenResponse {
        TokenResponse {
            access_token: access.jwt,
            token_type: "Bearer",
            expires_in: self.settings.tokens.access_ttl_secs,
            refresh_token: Some(successor),
            scope,
        }
    }

    /// RFC 6749 §4.4: confidential clients only, no refresh token.
    async fn client_credentials(
        &self,
        client: &ClientRecord,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        if !client.is_confidential() {
            return Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "client_credentials is for confidential clients only",
            ));
        }
        ensure_grant_type(client, GRANT_CLIENT_CREDENTIALS)?;
        let allowed = ScopeSet::parse(&client.scopes).map_err(OAuthError::internal_msg)?;
        let requested = self.requested_scope(params, &client.id)?;
        if !requested.is_subset_of(&allowed) {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                format!(
                    "client {} may not request: {}",
                    client.id,
                    requested.missing_from(&allowed).join(" ")
                ),
            ));
        }
        let scope = if requested.is_empty() {
            allowed
        } else {
            requested
        };
        let scope = scope.to_string();
        let audience = self.audience_for(params, None)?;
        let access = self.new_access(&client.id, &client.id, None, &scope, &audience, None)?;
        self.store.record_access_token(&access.record).await?;
        audit::record(
            &self.store,
            "token_issued",
            Some(&client.id),
            Some(&client.id),
            json!({ "grant_type": GRANT_CLIENT_CREDENTIALS, "jti": access.record.jti, "scope": scope }),
        );
        Ok(TokenResponse {
            access_token: access.jwt,
            token_type: "Bearer",
            expires_in: self.settings.tokens.access_ttl_secs,
            refresh_token: None,
            scope,
        })
    }
}
