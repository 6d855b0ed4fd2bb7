//! The provider's answer: the sign-in it belongs to (taken once, from this browser session),
//! the code exchanged with the PKCE verifier, and the ID token validated in full.

use std::time::{Duration, SystemTime};

use openidconnect::core::CoreProviderMetadata;
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, Nonce, PkceCodeVerifier, RequestTokenError,
    SignatureVerificationError,
};

use subtle::ConstantTimeEq as _;

use super::identity::UpstreamIdentity;
use super::{Provider, Upstream, allowed_algs, client, error_chain};
use crate::crypto;
use crate::storage::{self, Store};

/// Clock difference tolerated on `exp` and `iat`.
const LEEWAY: Duration = Duration::from_secs(60);
/// An ID token issued longer ago than this is not from the exchange we just made.
const MAX_AGE: Duration = Duration::from_secs(600);

/// The query of `/login/oidc/{id}/callback` (OpenID Connect Core §3.1.2.5–6).
#[derive(Debug, Default, serde::Deserialize)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Why a callback did not sign anyone in. The `Display` text is for the log; the page says
/// less (see `http/pages/oidc.rs`).
#[derive(Debug, thiserror::Error)]
pub enum FinishError {
    /// No sign-in of this session has this `state`: forged, replayed, expired, or for
    /// another browser or provider.
    #[error("unknown, used or foreign state")]
    UnknownState,
    /// The provider said no (`error`, `error_description` from the callback or the token
    /// endpoint).
    #[error("the provider answered {error}")]
    Provider {
        error: String,
        description: Option<String>,
    },
    #[error(transparent)]
    Unavailable(#[from] super::Unavailable),
    #[error("the token exchange failed: {0}")]
    Exchange(String),
    /// The ID token is missing or failed validation.
    #[error("the ID token was refused: {0}")]
    IdToken(String),
    #[error(transparent)]
    Store(#[from] sqlx::Error),
}

impl Upstream {
    /// Finishes the sign-in `params.state` names for `session_hash` at provider `id`.
    /// <https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowAuth>
    #[tracing::instrument(skip_all, fields(oidc.provider = %id))]
    pub async fn finish(
        &self,
        store: &Store,
        id: &str,
        session_hash: &str,
        redirect_uri: &str,
        params: CallbackParams,
    ) -> Result<UpstreamIdentity, FinishError> {
        let provider = self.provider(id).ok_or(FinishError::UnknownState)?;
        let state = params.state.as_deref().ok_or(FinishError::UnknownState)?;
        let login = store
            .take_upstream_login(&crypto::sha256_hex(state))
            .await?
            .ok_or(FinishError::UnknownState)?;
        let ours = bool::from(login.session_hash.as_bytes().ct_eq(session_hash.as_bytes()))
            && login.provider_id == provider.settings.id
            && login.expires_at > storage::unix_now();
        if !ours {
            return Err(FinishError::UnknownState);
        }
        if let Some(error) = params.error {
            return Err(FinishError::Provider {
                error,
                description: params.error_description,
            });
        }
        let code = params
            .code
            .ok_or_else(|| FinishError::Exchange("the callback carries no code".into()))?;
        let metadata = self.metadata(provider).await?;
        let token = client(&provider.settings, metadata.clone(), redirect_uri)
            .map_err(|e| FinishError::Exchange(e.to_string()))?
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| FinishError::Exchange(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(login.pkce_verifier))
            .request_async(&self.http)
            .await
            .map_err(|error| match error {
                RequestTokenError::ServerResponse(answer) => FinishError::Provider {
                    error: answer.error().as_ref().to_string(),
                    description: answer.error_description().cloned(),
                },
                other => FinishError::Exchange(error_chain(&other)),
            })?;
        // Only the ID token is read; the upstream access token is dropped with `token`, never
        // stored or passed on (MCP forbids token passthrough).
        let id_token = token
            .extra_fields()
            .id_token()
            .ok_or_else(|| FinishError::IdToken("the token response has no id_token".into()))?;
        let nonce = Nonce::new(login.nonce);
        let claims = match self.validate(provider, &metadata, id_token, &nonce, redirect_uri) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => match self.refreshed_keys(provider).await {
                Some(metadata) => {
                    self.validate(provider, &metadata, id_token, &nonce, redirect_uri)
                }
                None => Err(ClaimsVerificationError::SignatureVerification(
                    SignatureVerificationError::NoMatchingKey,
                )),
            },
            other => other,
        }
        .map_err(|e| FinishError::IdToken(error_chain(&e)))?;
        let Ok(serde_json::Value::Object(claims)) = serde_json::to_value(&claims) else {
            return Err(FinishError::IdToken("unreadable claims".into()));
        };
        // OpenID Connect Core §3.1.3.7 step 5: an `azp`, when present, names us.
        let azp = claims.get("azp").and_then(serde_json::Value::as_str);
        if azp.is_some_and(|azp| azp != provider.settings.client_id) {
            return Err(FinishError::IdToken("azp names another client".into()));
        }
        Ok(UpstreamIdentity::from_claims(&provider.settings, &claims))
    }

    /// OpenID Connect Core §3.1.3.7: signature by the provider's keys with an advertised
    /// asymmetric algorithm, `iss`, `aud` (no untrusted extra audience), `exp` and `iat`
    /// within [`LEEWAY`], and our `nonce`.
    fn validate(
        &self,
        provider: &Provider,
        metadata: &CoreProviderMetadata,
        id_token: &super::IdToken,
        nonce: &Nonce,
        redirect_uri: &str,
    ) -> Result<super::IdTokenClaims, ClaimsVerificationError> {
        let client = client(&provider.settings, metadata.clone(), redirect_uri)
            .map_err(|e| ClaimsVerificationError::Other(e.to_string()))?;
        let verifier = client
            .id_token_verifier()
            .set_allowed_algs(allowed_algs(metadata))
            .set_time_fn(|| (SystemTime::now() - LEEWAY).into())
            .set_issue_time_verifier_fn(|iat| {
                let iat: SystemTime = iat.into();
                let now = SystemTime::now();
                if iat > now + LEEWAY {
                    Err("issued in the future".to_string())
                } else if iat + MAX_AGE < now {
                    Err("issued too long ago".to_string())
                } else {
                    Ok(())
                }
            });
        id_token.claims(&verifier, nonce).cloned()
    }
}
