//! Signing in at an upstream OpenID Provider (OpenID Connect Core 1.0, authorization code flow
//! with PKCE): discovery (cached, JWKS re-read on an unknown key), the authentication request,
//! and in `callback` the code exchange and ID-token validation, all through `openidconnect`.
//! No HTTP types here; the pages are in `http/pages/oidc.rs`.

pub mod accounts;
mod callback;
mod identity;

use std::sync::Arc;
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, ClientId, ClientSecret, CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IdTokenFields, IssuerUrl, JsonWebKeySet, Nonce, PkceCodeChallenge,
    RedirectUrl, Scope, StandardErrorResponse, StandardTokenResponse,
};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

pub use callback::{CallbackParams, FinishError};
pub use identity::{Refusal, UpstreamIdentity};

use crate::config::{LoginSettings, OidcProvider};
use crate::crypto;
use crate::storage::{self, Store, UpstreamLoginRecord};

/// How long a started sign-in may take at the provider.
const LOGIN_TTL_SECS: i64 = 600;
/// Discovery is read again after this long (keys rotate; endpoints rarely move).
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);
/// An unknown `kid` re-reads the JWKS at most this often, so junk tokens cannot make us
/// hammer the provider.
const JWKS_REFRESH_MIN: Duration = Duration::from_secs(10);

/// Every claim of the ID token beyond the standard ones (groups, custom username claims).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OtherClaims(serde_json::Map<String, serde_json::Value>);
impl AdditionalClaims for OtherClaims {}

type TokenResponse = StandardTokenResponse<
    IdTokenFields<
        OtherClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;

type IdToken = openidconnect::IdToken<
    OtherClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type IdTokenClaims = openidconnect::IdTokenClaims<OtherClaims, CoreGenderClaim>;

type Client = openidconnect::Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    TokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The provider could not be discovered (down, or its document is not valid for its issuer).
#[derive(Debug, thiserror::Error)]
#[error("discovery of {issuer} failed: {reason}")]
pub struct Unavailable {
    pub issuer: String,
    reason: String,
}

struct Discovered {
    metadata: CoreProviderMetadata,
    fetched_at: Instant,
    /// When an unknown `kid` last made us read the JWKS again (none since discovery yet).
    jwks_refreshed_at: Option<Instant>,
}

struct Provider {
    settings: OidcProvider,
    discovered: RwLock<Option<Discovered>>,
}

/// The configured providers and the HTTP client that talks to them.
pub struct Upstream {
    providers: Vec<Provider>,
    http: reqwest::Client,
}

/// What the login page needs to show a provider's button.
pub struct ProviderButton {
    pub id: String,
    pub display_name: String,
}

impl Upstream {
    pub fn new(login: &LoginSettings) -> anyhow::Result<Arc<Self>> {
        // No redirects: an endpoint that redirects elsewhere is refused rather than followed
        // (the openidconnect docs' advice against SSRF).
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()?;
        let providers = login
            .oidc
            .iter()
            .map(|settings| Provider {
                settings: settings.clone(),
                discovered: RwLock::new(None),
            })
            .collect();
        Ok(Arc::new(Self { providers, http }))
    }

    pub fn buttons(&self) -> Vec<ProviderButton> {
        self.providers
            .iter()
            .map(|p| ProviderButton {
                id: p.settings.id.clone(),
                display_name: p.settings.display_name.clone(),
            })
            .collect()
    }

    pub fn settings(&self, id: &str) -> Option<&OidcProvider> {
        self.provider(id).map(|p| &p.settings)
    }

    fn provider(&self, id: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.settings.id == id)
    }

    /// Starts a sign-in for the browser session `session_hash`: the URL of the provider's
    /// authentication request, with `state`, `nonce` and an S256 PKCE challenge whose
    /// secrets stay in the database. `None` for an unknown provider id.
    /// <https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest>
    pub async fn begin(
        &self,
        store: &Store,
        id: &str,
        session_hash: &str,
        redirect_uri: &str,
    ) -> anyhow::Result<Option<Result<url::Url, Unavailable>>> {
        let Some(provider) = self.provider(id) else {
            return Ok(None);
        };
        let metadata = match self.metadata(provider).await {
            Ok(metadata) => metadata,
            Err(unavailable) => return Ok(Some(Err(unavailable))),
        };
        let client = client(&provider.settings, metadata, redirect_uri)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in provider.settings.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        let now = storage::unix_now();
        store
            .insert_upstream_login(&UpstreamLoginRecord {
                state_hash: crypto::sha256_hex(state.secret()),
                session_hash: session_hash.to_string(),
                provider_id: provider.settings.id.clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
                created_at: now,
                expires_at: now + LOGIN_TTL_SECS,
            })
            .await?;
        Ok(Some(Ok(url)))
    }

    /// The provider's metadata and keys, discovered once and kept for [`DISCOVERY_TTL`].
    async fn metadata(&self, provider: &Provider) -> Result<CoreProviderMetadata, Unavailable> {
        if let Some(found) = provider.discovered.read().await.as_ref()
            && found.fetched_at.elapsed() < DISCOVERY_TTL
        {
            return Ok(found.metadata.clone());
        }
        let mut slot = provider.discovered.write().await;
        if let Some(found) = slot.as_ref()
            && found.fetched_at.elapsed() < DISCOVERY_TTL
        {
            return Ok(found.metadata.clone());
        }
        let metadata = self.discover(&provider.settings).await?;
        *slot = Some(Discovered {
            metadata: metadata.clone(),
            fetched_at: Instant::now(),
            jwks_refreshed_at: None,
        });
        Ok(metadata)
    }

    #[tracing::instrument(skip_all, fields(oidc.provider = %settings.id))]
    async fn discover(&self, settings: &OidcProvider) -> Result<CoreProviderMetadata, Unavailable> {
        let unavailable = |reason: String| Unavailable {
            issuer: settings.issuer.clone(),
            reason,
        };
        let issuer =
            IssuerUrl::new(settings.issuer.clone()).map_err(|e| unavailable(e.to_string()))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| unavailable(error_chain(&e)))?;
        if allowed_algs(&metadata).is_empty() {
            return Err(unavailable(
                "it advertises no asymmetric ID-token signing algorithm".into(),
            ));
        }
        tracing::info!(issuer = %settings.issuer, "upstream provider discovered");
        Ok(metadata)
    }

    /// The provider's keys read again (a `kid` we did not know: the provider rotated), unless
    /// they were read moments ago. `None` when nothing new was fetched.
    async fn refreshed_keys(&self, provider: &Provider) -> Option<CoreProviderMetadata> {
        let mut slot = provider.discovered.write().await;
        let found = slot.as_mut()?;
        if found
            .jwks_refreshed_at
            .is_some_and(|at| at.elapsed() < JWKS_REFRESH_MIN)
        {
            return None;
        }
        found.jwks_refreshed_at = Some(Instant::now());
        let jwks = JsonWebKeySet::fetch_async(found.metadata.jwks_uri(), &self.http)
            .await
            .inspect_err(|e| tracing::warn!(error = %error_chain(e), "JWKS refresh failed"))
            .ok()?;
        found.metadata = found.metadata.clone().set_jwks(jwks);
        Some(found.metadata.clone())
    }
}

/// The ID-token algorithms we accept: what the provider advertises, less `none` and the
/// HMAC family (keyed by the client secret, which a provider's JWKS must never stand in for).
fn allowed_algs(metadata: &CoreProviderMetadata) -> Vec<CoreJwsSigningAlgorithm> {
    use openidconnect::JwsSigningAlgorithm as _;
    metadata
        .id_token_signing_alg_values_supported()
        .iter()
        .filter(|alg| **alg != CoreJwsSigningAlgorithm::None && !alg.uses_shared_secret())
        .cloned()
        .collect()
}

fn client(
    settings: &OidcProvider,
    metadata: CoreProviderMetadata,
    redirect_uri: &str,
) -> anyhow::Result<Client> {
    Ok(Client::from_provider_metadata(
        metadata,
        ClientId::new(settings.client_id.clone()),
        Some(ClientSecret::new(
            settings.client_secret.expose().to_string(),
        )),
    )
    .set_redirect_uri(RedirectUrl::new(redirect_uri.to_string())?))
}

/// An error and its causes on one line (the crate's top-level messages are terse).
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
