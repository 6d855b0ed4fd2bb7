//! OAuth protocol logic, free of HTTP types: clients, scopes, grants, tokens, users. `impl
//! AuthServer` here: start-up, client lookup and the sync loop; each protocol step's methods
//! live in its file (authorize, codes, consent, token/, revocation, introspection, client_auth).

pub mod authorize;
mod bearer;
pub mod client_auth;
pub mod clients;
pub mod codes;
pub mod consent;
pub mod error;
pub mod introspection;
pub mod login;
pub mod metadata_documents;
pub mod pkce;
pub mod policy;
pub mod public_address;
pub mod redirect_uri;
pub mod registration;
pub mod resource;
pub mod revocation;
pub mod scope;
pub mod sessions;
pub mod throttle;
pub mod token;
pub mod upstream;
pub mod users;

use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::config::Settings;
use crate::crypto;
use crate::mcp::LiveCatalog;
use crate::storage::{self, Store};
use crate::tokens::{KeyRing, RevocationList, VerifiedTokens};
use scope::ScopeSet;

/// Why [`AuthServer::find_client`] has no client to offer; the text is what the page shows.
#[derive(Debug, thiserror::Error)]
pub enum FindClientError {
    #[error("The client metadata document at {client_id} was refused: {source}")]
    Refused {
        client_id: String,
        source: metadata_documents::ResolveError,
    },
    #[error("The client could not be looked up; try again later.")]
    Lookup(#[source] sqlx::Error),
}

/// The authorization server's shared state: settings, store, keys, revocations, caches.
#[derive(Clone)]
pub struct AuthServer {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub keys: Arc<KeyRing>,
    pub revocations: Arc<RevocationList>,
    /// Bearer tokens that verified recently (the MCP endpoints' ES256 check, cached).
    pub verified_tokens: Arc<VerifiedTokens>,
    pub secret_cache: Arc<client_auth::SecretCache>,
    pub metadata_documents: Arc<metadata_documents::MetadataDocuments>,
    /// Derives a refresh token's successor, so a grace-window retry gets the same one.
    refresh_key: Arc<[u8; 32]>,
    /// "Now" for issuing and rotating tokens.
    pub clock: Clock,
    /// The MCP catalogue: the scopes this server knows and what each unlocks now (upstream
    /// servers' tools come and go; the scopes do not).
    pub catalog: LiveCatalog,
    /// The catalogue's scope names, for parsing requests.
    known_scopes: Arc<ScopeSet>,
    /// Who may grant which scope (`[[scopes.policy]]`).
    policy: Arc<policy::ScopePolicy>,
}

impl AuthServer {
    /// Loads keys (creating the first on first start), the revocation set and secrets.
    pub async fn start(
        settings: Arc<Settings>,
        store: Store,
        catalog: LiveCatalog,
    ) -> anyhow::Result<Self> {
        let known_scopes = Arc::new(ScopeSet::from_list(catalog.current().scope_names()));
        let policy = Arc::new(policy::ScopePolicy::new(
            &settings.scopes.policy,
            &known_scopes,
        )?);
        crate::tokens::keys::ensure_active_key(&store).await?;
        let keys = Arc::new(KeyRing::load(&store).await?);
        let revocations = Arc::new(RevocationList::load(&store).await?);
        let encoded = store
            .server_secret(
                "refresh_successor_key",
                || crypto::random_token(32),
                storage::unix_now(),
            )
            .await?;
        let refresh_key: [u8; 32] = crypto::sha256_bytes(&encoded);
        let ttl = Duration::from_secs(settings.tokens.secret_cache_ttl_secs);
        let metadata_documents = Arc::new(metadata_documents::MetadataDocuments::from_settings(
            &settings.clients,
            &known_scopes,
        )?);
        let queue_max = settings.server.client_auth_queue_max as usize;
        Ok(Self {
            settings,
            store,
            keys,
            revocations,
            verified_tokens: Arc::default(),
            secret_cache: Arc::new(client_auth::SecretCache::with_queue_max(ttl, queue_max)),
            metadata_documents,
            refresh_key: Arc::new(refresh_key),
            clock: Clock::default(),
            catalog,
            known_scopes,
            policy,
        })
    }

    /// Every scope the catalogue declares; requests naming others have those names dropped.
    pub fn known_scopes(&self) -> &ScopeSet {
        &self.known_scopes
    }

    /// A client by id: registered, or described by a Client ID Metadata Document when the
    /// id is a URL (fetched, validated and stored). `Err` carries a readable refusal.
    pub async fn find_client(
        &self,
        client_id: &str,
    ) -> Result<Option<storage::ClientRecord>, FindClientError> {
        if self.settings.clients.metadata_documents
            && metadata_documents::is_document_url(client_id)
        {
            return self
                .metadata_documents
                .resolve(&self.store, client_id)
                .await
                .map(Some)
                .map_err(|source| FindClientError::Refused {
                    client_id: client_id.to_string(),
                    source,
                });
        }
        self.store.get_client(client_id).await.map_err(|e| {
            tracing::error!(error = %e, "client lookup failed");
            FindClientError::Lookup(e)
        })
    }

    pub fn issuer(&self) -> &str {
        self.settings.issuer()
    }

    /// Re-reads keys and revocations other instances or the CLI changed; runs forever. The
    /// first poll is one period after start, which just loaded both: an immediate one only
    /// repeated that load while start-up still needed the pool's connections.
    pub async fn sync_forever(self, every: Duration) {
        let first = tokio::time::Instant::now() + every;
        let mut ticker = tokio::time::interval_at(first, every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(error) = self.revocations.poll(&self.store).await {
                tracing::warn!(error = %error, "revocation poll failed");
            }
            if let Err(error) = self.keys.reload(&self.store).await {
                tracing::warn!(error = %error, "signing key reload failed");
            }
        }
    }
}
