//! The authorization request (RFC 6749 §4.1.1, OAuth 2.1 §4.1.1): validated into an
//! [`AuthorizationRequest`] by `impl AuthServer` here, or an error that says whether it may
//! go back to the client.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use url::Url;

use super::AuthServer;
use super::clients::GRANT_AUTHORIZATION_CODE;
use super::error::ErrorCode;
use super::scope::{Requested, ScopeSet};
use super::{pkce, redirect_uri, resource};
use crate::crypto;
use crate::storage::ClientRecord;

/// A request that passed every check; kept in the session while the user logs in and consents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    /// Ties a consent form to this request, so a form for another request cannot approve it.
    pub request_id: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub resource: String,
    /// OIDC `prompt=consent`: ask again even when an earlier approval covers the request.
    #[serde(default)]
    pub force_consent: bool,
}

impl AuthorizationRequest {
    pub fn is_oob(&self) -> bool {
        self.redirect_uri == redirect_uri::OOB
    }
}

/// Why a request failed, and so where the user agent may be sent.
#[derive(Debug)]
pub enum AuthorizeError {
    /// The client or redirect URI cannot be trusted: show a page, never redirect (§4.1.2.1).
    Page(String),
    /// The redirect URI is verified: report the error to the client through it.
    Redirect(ErrorRedirect),
    Internal(anyhow::Error),
}

#[derive(Debug, Clone)]
pub struct ErrorRedirect {
    pub redirect_uri: String,
    pub error: &'static str,
    pub description: String,
    pub state: Option<String>,
}

impl From<sqlx::Error> for AuthorizeError {
    fn from(error: sqlx::Error) -> Self {
        Self::Internal(error.into())
    }
}

impl AuthServer {
    /// Validates the query of an authorization request. The client and redirect URI are
    /// checked first: until both are known good, no error may redirect anywhere.
    pub async fn validate_authorization(
        &self,
        params: &HashMap<String, String>,
    ) -> Result<(AuthorizationRequest, ClientRecord), AuthorizeError> {
        let get = |key: &str| {
            params
                .get(key)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        let client_id = get("client_id")
            .ok_or_else(|| AuthorizeError::Page("The request has no client_id.".into()))?;
        let client = match self
            .find_client(client_id)
            .await
            .map_err(|e| AuthorizeError::Page(e.to_string()))?
        {
            Some(client) if client.disabled_at.is_none() => client,
            _ => {
                return Err(AuthorizeError::Page(format!(
                    "No client with id {client_id:?} is registered here."
                )));
            }
        };
        let registered = client.redirect_uri_list();
        let redirect = match get("redirect_uri") {
            Some(uri)
                if registered
                    .iter()
                    .any(|r| redirect_uri::matches_registered(uri, r)) =>
            {
                uri.to_string()
            }
            Some(uri) => {
                return Err(AuthorizeError::Page(format!(
                    "The redirect URI {uri:?} is not registered for this client."
                )));
            }
            None if registered.len() == 1 => registered[0].clone(),
            None => {
                return Err(AuthorizeError::Page(
                    "The request has no redirect_uri and the client has several registered.".into(),
                ));
            }
        };
        let state = params.get("state").cloned();
        // RFC 9700 §4.11.2: anyone can register a client, so a redirect URI that only its
        // registrant vouches for is no reason to redirect a person who has not signed in:
        // for those clients the errors below are shown on our page instead.
        let trusted_redirect = client.scope_is_ceiling();
        let fail = |error: ErrorCode, description: String| {
            if trusted_redirect {
                AuthorizeError::Redirect(ErrorRedirect {
                    redirect_uri: redirect.clone(),
                    error: error.as_str(),
                    description,
                    state: state.clone(),
                })
            } else {
                AuthorizeError::Page(format!(
                    "The application's request was refused ({error}): {description}."
                ))
            }
        };
        match get("response_type") {
            None => {
                return Err(fail(
                    ErrorCode::InvalidRequest,
                    "response_type is required".into(),
                ));
            }
            Some("code") => {}
            Some(other) => {
                return Err(fail(
                    ErrorCode::UnsupportedResponseType,
                    format!("response_type {other:?} is not supported; use code"),
                ));
            }
        }
        if !client
            .grant_type_list()
            .iter()
            .any(|g| g == GRANT_AUTHORIZATION_CODE)
        {
            return Err(fail(
                ErrorCode::UnauthorizedClient,
                "this client may not use the authorization code grant".into(),
            ));
        }
        // A client registered before a scope left the catalogue keeps only what is still known.
        let registered = ScopeSet::from_list(client.scope_list()).intersection(self.known_scopes());
        let requested = Requested::parse(get("scope"), self.known_scopes())
            .map_err(|e| fail(ErrorCode::InvalidScope, e.to_string()))?;
        let dropped = requested.dropped.clone();
        let scope = requested.or(&registered);
        // Operator-created clients keep their scopes as a ceiling; for the others the
        // registered scope was only a default (step-up asks for more, the person decides).
        if client.scope_is_ceiling() && !scope.is_subset_of(&registered) {
            let missing = scope.missing_from(&registered).join(" ");
            return Err(fail(
                ErrorCode::InvalidScope,
                format!("this client may not request: {missing}"),
            ));
        }
        let method = get("code_challenge_method");
        // PKCE is optional only for the operator's confidential clients (the original
        // description's curl flows); anyone else's client must use S256.
        let pkce_optional = client.is_confidential() && client.scope_is_ceiling();
        let (code_challenge, code_challenge_method) = match get("code_challenge") {
            Some(_) if method.is_none() && !self.settings.tokens.allow_plain_pkce => {
                return Err(fail(
                    ErrorCode::InvalidRequest,
                    "code_challenge_method is required (S256): plain PKCE is disabled".into(),
                ));
            }
            Some(_) if !client.scope_is_ceiling() && method != Some(pkce::S256) => {
                return Err(fail(
                    ErrorCode::InvalidRequest,
                    "this client must use PKCE with code_challenge_method=S256".into(),
                ));
            }
            Some(challenge) => {
                let allow_plain = self.settings.tokens.allow_plain_pkce;
                let method = pkce::validate_challenge(challenge, method, allow_plain)
                    .map_err(|e| fail(ErrorCode::InvalidRequest, e.to_string()))?;
                (Some(challenge.to_string()), Some(method.to_string()))
            }
            None if method.is_some() => {
                return Err(fail(
                    ErrorCode::InvalidRequest,
                    "code_challenge_method without code_challenge".into(),
                ));
            }
            None if !pkce_optional => {
                return Err(fail(
                    ErrorCode::InvalidRequest,
                    "this client must use PKCE: send code_challenge (S256)".into(),
                ));
            }
            None => (None, None),
        };
        let resource = resource::resolve(
            get("resource"),
            &self.settings.mcp_resource(),
            self.settings.issuer(),
        )
        .map_err(|e| fail(ErrorCode::InvalidTarget, e.to_string()))?;
        let request = AuthorizationRequest {
            request_id: crypto::random_token(16),
            client_id: client.id.clone(),
            redirect_uri: redirect,
            scope: scope.to_string(),
            state,
            code_challenge,
            code_challenge_method,
            resource,
            force_consent: get("prompt")
                .is_some_and(|p| p.split(' ').any(|value| value == "consent")),
        };
        if !dropped.is_empty() {
            crate::audit::record(
                &self.store,
                "unknown_scopes_dropped",
                Some(&client.id),
                None,
                serde_json::json!({ "endpoint": "authorize", "dropped": dropped, "scope": request.scope }),
            );
        }
        Ok((request, client))
    }
}

/// A redirect URI that no longer parses (it was validated when registered).
#[derive(Debug, thiserror::Error)]
#[error("bad redirect URI: {0}")]
pub struct BadRedirectUri(#[from] url::ParseError);

/// `redirect_uri` with `params` appended to its query (RFC 6749 §4.1.2), keeping its own query.
pub fn redirect_with(
    redirect_uri: &str,
    params: &[(&str, &str)],
) -> Result<String, BadRedirectUri> {
    let mut url = Url::parse(redirect_uri)?;
    {
        let mut query = url.query_pairs_mut();
        for (key, value) in params {
            query.append_pair(key, value);
        }
    }
    Ok(url.to_string())
}

/// The origin a browser checks a redirect against (CSP `form-action`): `scheme://host:port`,
/// or just `scheme:` for private-use schemes. `None` for the OOB URN (no redirect happens).
pub fn redirect_origin(redirect_uri: &str) -> Option<String> {
    if redirect_uri == redirect_uri::OOB {
        return None;
    }
    let url = Url::parse(redirect_uri).ok()?;
    match url.scheme() {
        "http" | "https" => Some(url.origin().ascii_serialization()),
        scheme => Some(format!("{scheme}:")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_keep_the_registered_query_and_escape_values() {
        let url = redirect_with("https://a.example/cb?x=1", &[("state", "a b&c")]).unwrap();
        assert_eq!(url, "https://a.example/cb?x=1&state=a+b%26c");
    }

    #[test]
    fn origins_for_csp() {
        assert_eq!(
            redirect_origin("https://claude.ai/api/cb").as_deref(),
            Some("https://claude.ai")
        );
        assert_eq!(
            redirect_origin("http://127.0.0.1:3000/cb").as_deref(),
            Some("http://127.0.0.1:3000")
        );
        assert_eq!(
            redirect_origin("com.example.app:/cb").as_deref(),
            Some("com.example.app:")
        );
        assert_eq!(redirect_origin(redirect_uri::OOB), None);
    }
}
