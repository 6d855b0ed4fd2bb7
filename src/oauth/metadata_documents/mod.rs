//! Client ID Metadata Documents (MCP 2025-11-25): an https `client_id` is the URL of the
//! client's own metadata, fetched without letting a caller aim us at internal hosts.

mod document;
mod fetch;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::Value;

pub use self::document::DocumentError;
pub use self::fetch::{FetchError, TransportError};
use self::fetch::{MAX_CACHE, MIN_CACHE};
use crate::config::ClientSettings;
use crate::oauth::scope::ScopeSet;
use crate::storage::{self, ClientRecord, Store};

/// Fetches, validates and caches metadata documents.
pub struct MetadataDocuments {
    allow_private: bool,
    /// How long (seconds) the last validated copy stands in for an unreachable document.
    stale_secs: i64,
    /// Documents the operator pinned to local files, by URL.
    pinned: HashMap<String, Value>,
    fresh_until: Mutex<HashMap<String, Instant>>,
    /// The catalogue's scopes: a document's other scope names are dropped.
    known_scopes: ScopeSet,
}

/// Why a document URL gave no client; the text is what the authorization page shows.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Document(#[from] DocumentError),
    #[error("could not store the client: {0}")]
    Store(#[source] sqlx::Error),
    #[error("could not read the client back: {0}")]
    ReadBack(#[source] sqlx::Error),
    #[error("could not read the client: {0}")]
    ReadLastCopy(#[source] sqlx::Error),
    #[error("client id {0:?} belongs to a registered client")]
    RegisteredClient(String),
}

/// Whether `client_id` names a metadata document rather than a registered id.
pub fn is_document_url(client_id: &str) -> bool {
    client_id.starts_with("https://") || client_id.starts_with("http://")
}

impl MetadataDocuments {
    pub fn new(allow_private: bool, known_scopes: &ScopeSet) -> Self {
        Self {
            allow_private,
            stale_secs: 0,
            pinned: HashMap::new(),
            fresh_until: Mutex::new(HashMap::new()),
            known_scopes: known_scopes.clone(),
        }
    }

    /// From the settings: reads and validates every pinned document, so a bad file stops
    /// the start rather than the first sign-in.
    pub fn from_settings(
        settings: &ClientSettings,
        known_scopes: &ScopeSet,
    ) -> anyhow::Result<Self> {
        let mut pinned = HashMap::new();
        for entry in &settings.pinned_metadata_documents {
            let text = std::fs::read_to_string(&entry.file).with_context(|| {
                format!(
                    "reading the pinned metadata document {}",
                    entry.file.display()
                )
            })?;
            let document: Value = serde_json::from_str(&text).with_context(|| {
                format!(
                    "the pinned metadata document {} is not JSON",
                    entry.file.display()
                )
            })?;
            document::to_client(&entry.url, &document, 0, known_scopes).map_err(|e| {
                anyhow::anyhow!("the pinned metadata document {}: {e}", entry.file.display())
            })?;
            pinned.insert(entry.url.clone(), document);
        }
        Ok(Self {
            stale_secs: settings.metadata_documents_stale_secs,
            pinned,
            ..Self::new(settings.metadata_documents_allow_private, known_scopes)
        })
    }

    /// The client a document URL describes, fetched if the cached copy is stale and stored
    /// (codes and grants reference clients by id). Errors are readable refusals.
    pub async fn resolve(
        &self,
        store: &Store,
        client_id: &str,
    ) -> Result<ClientRecord, ResolveError> {
        let fresh = self
            .fresh_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(client_id)
            .is_some_and(|until| *until > Instant::now());
        if fresh && let Ok(Some(client)) = store.get_client(client_id).await {
            return Ok(client);
        }
        let now = storage::unix_now();
        let (document, max_age, copy) = match self.pinned.get(client_id) {
            Some(document) => (document.clone(), MAX_CACHE, "pinned"),
            None => match fetch::fetch(client_id, self.allow_private).await {
                Ok((document, max_age)) => (document, max_age, "fetched"),
                Err(error) if error.is_transient() => {
                    return self.last_good_copy(store, client_id, now, error).await;
                }
                Err(error) => return Err(error.into()),
            },
        };
        let record = document::to_client(client_id, &document, now, &self.known_scopes)?;
        store
            .upsert_metadata_client(&record)
            .await
            .map_err(ResolveError::Store)?;
        let stored = store
            .get_client(client_id)
            .await
            .map_err(ResolveError::ReadBack)?
            .filter(|c| c.origin == "metadata")
            .ok_or_else(|| ResolveError::RegisteredClient(client_id.to_string()))?;
        self.remember_fresh(client_id, max_age);
        crate::audit::record(
            store,
            "metadata_document_used",
            Some(client_id),
            None,
            serde_json::json!({ "copy": copy }),
        );
        Ok(stored)
    }

    /// The stored client from the last validated copy, if it is young enough; audited.
    async fn last_good_copy(
        &self,
        store: &Store,
        client_id: &str,
        now: i64,
        error: FetchError,
    ) -> Result<ClientRecord, ResolveError> {
        let stored = store
            .get_client(client_id)
            .await
            .map_err(ResolveError::ReadLastCopy)?
            .filter(|c| c.origin == "metadata" && now - c.updated_at <= self.stale_secs);
        let Some(client) = stored else {
            return Err(error.into());
        };
        tracing::warn!(client_id, error = %error, "metadata document unreachable; using the last validated copy");
        crate::audit::record(
            store,
            "metadata_document_used",
            Some(client_id),
            None,
            serde_json::json!({
                "copy": "last_validated",
                "validated_at": client.updated_at,
                "fetch_error": error.to_string(),
            }),
        );
        // Try the document again in a minute, not on every request meanwhile.
        self.remember_fresh(client_id, MIN_CACHE);
        Ok(client)
    }

    /// Drops the cached freshness of one document, so the next use fetches it again.
    pub fn forget(&self, client_id: &str) {
        self.fresh_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(client_id);
    }

    fn remember_fresh(&self, client_id: &str, max_age: Duration) {
        self.fresh_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(client_id.to_string(), Instant::now() + max_age);
    }
}
