//! The token endpoint (RFC 6749 §3.2, §5): the typed request parsed from the form, the
//! dispatch to the grants, and what they share; `impl AuthServer` here is that dispatch and
//! the issuing helpers. The grants: [`code`], [`refresh`], [`client_credentials`].

mod client_credentials;
mod code;
mod refresh;

use std::collections::HashMap;

use serde::Serialize;
use serde_json::json;

use super::AuthServer;
use super::client_auth::Presented;
use super::clients::{GRANT_AUTHORIZATION_CODE, GRANT_CLIENT_CREDENTIALS, GRANT_REFRESH_TOKEN};
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

/// A parameter's value; empty counts as absent.
fn param<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

/// The grant types this server implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

impl GrantType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => GRANT_AUTHORIZATION_CODE,
            Self::RefreshToken => GRANT_REFRESH_TOKEN,
            Self::ClientCredentials => GRANT_CLIENT_CREDENTIALS,
        }
    }
}

/// What the request asks for, one variant per grant with its own parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// RFC 6749 §4.1.3 with RFC 7636 §4.5.
    AuthorizationCode {
        code: String,
        redirect_uri: String,
        code_verifier: Option<String>,
    },
    /// RFC 6749 §6.
    RefreshToken { refresh_token: String },
    /// RFC 6749 §4.4.
    ClientCredentials,
    /// A grant type this server does not implement (the value as sent).
    Unsupported(String),
    /// A known grant without one of its required parameters. Reported after the client is
    /// authenticated and found allowed to use the grant, the order the endpoint has always had.
    Incomplete {
        grant: GrantType,
        missing: &'static str,
    },
}

/// A token request (RFC 6749 §4.1.3, §4.4.2, §6), parsed once from the form: the grant and
/// the parameters every grant may carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub grant: Grant,
    /// RFC 6749 §3.3.
    pub scope: Option<String>,
    /// RFC 8707 §2.
    pub resource: Option<String>,
}

impl TokenRequest {
    /// Reads the form; a missing `grant_type` is the only error at this point (repeated
    /// parameters were refused by the form parser already).
    pub fn parse(params: &Params) -> Result<Self, OAuthError> {
        let grant_type = param(params, "grant_type")
            .ok_or_else(|| OAuthError::invalid_request("missing grant_type"))?;
        let owned = |name| param(params, name).map(str::to_string);
        let grant = match grant_type {
            GRANT_AUTHORIZATION_CODE => match (owned("code"), owned("redirect_uri")) {
                (Some(code), Some(redirect_uri)) => Grant::AuthorizationCode {
                    code,
                    redirect_uri,
                    code_verifier: owned("code_verifier"),
                },
                (None, _) => Grant::Incomplete {
                    grant: GrantType::AuthorizationCode,
                    missing: "code",
                },
                (Some(_), None) => Grant::Incomplete {
                    grant: GrantType::AuthorizationCode,
                    missing: "redirect_uri",
                },
            },
            GRANT_REFRESH_TOKEN => match owned("refresh_token") {
                Some(refresh_token) => Grant::RefreshToken { refresh_token },
                None => Grant::Incomplete {
                    grant: GrantType::RefreshToken,
                    missing: "refresh_token",
                },
            },
            GRANT_CLIENT_CREDENTIALS => Grant::ClientCredentials,
            other => Grant::Unsupported(other.to_string()),
        };
        Ok(Self {
            grant,
            scope: owned("scope"),
            resource: owned("resource"),
        })
    }

    /// The grant type as sent (for metrics, only once it succeeded, so its values are bounded).
    pub fn grant_type(&self) -> &str {
        match &self.grant {
            Grant::AuthorizationCode { .. } => GRANT_AUTHORIZATION_CODE,
            Grant::RefreshToken { .. } => GRANT_REFRESH_TOKEN,
            Grant::ClientCredentials => GRANT_CLIENT_CREDENTIALS,
            Grant::Incomplete { grant, .. } => grant.as_str(),
            Grant::Unsupported(other) => other,
        }
    }
}

/// [`TokenRequest::parse`], counting a refusal in the token error metric.
pub fn parse_request(params: &Params) -> Result<TokenRequest, OAuthError> {
    TokenRequest::parse(params).inspect_err(|error| metrics::token_error(error.code.as_str()))
}

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
                    crate::audit::bounded(other)
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
        let requested = Requested::parse(request.scope.as_deref())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_missing_grant_type_is_refused_at_parse_and_empty_counts_as_missing() {
        for form in [params(&[]), params(&[("grant_type", "")])] {
            let error = TokenRequest::parse(&form).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidRequest);
            assert_eq!(error.description, "missing grant_type");
        }
    }

    #[test]
    fn a_grant_without_its_parameters_is_incomplete_not_an_error_yet() {
        let request = TokenRequest::parse(&params(&[
            ("grant_type", "authorization_code"),
            ("code", "c"),
        ]))
        .unwrap();
        assert_eq!(
            request.grant,
            Grant::Incomplete {
                grant: GrantType::AuthorizationCode,
                missing: "redirect_uri"
            }
        );
        let request = TokenRequest::parse(&params(&[("grant_type", "password")])).unwrap();
        assert_eq!(request.grant, Grant::Unsupported("password".into()));
        assert_eq!(request.grant_type(), "password");
    }
}
