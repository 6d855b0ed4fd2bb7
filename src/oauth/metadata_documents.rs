//! Client ID Metadata Documents (MCP 2025-11-25): an https `client_id` is the URL of the
//! client's own metadata, fetched without letting a caller aim us at internal hosts.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;
use url::Url;

use anyhow::Context;

use super::public_address::{is_link_local, is_public};
use super::redirect_uri;
use super::scope::{self, ScopeSet};
use crate::config::ClientSettings;
use crate::storage::{self, ClientRecord, Store};

const MAX_DOCUMENT_BYTES: usize = 5 * 1024;
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Caching follows Cache-Control `max-age`, within these bounds.
const MIN_CACHE: Duration = Duration::from_secs(60);
const MAX_CACHE: Duration = Duration::from_secs(24 * 3600);

/// Fetches, validates and caches metadata documents.
pub struct MetadataDocuments {
    allow_private: bool,
    /// How long (seconds) the last validated copy stands in for an unreachable document.
    stale_secs: i64,
    /// Documents the operator pinned to local files, by URL.
    pinned: HashMap<String, Value>,
    fresh_until: Mutex<HashMap<String, Instant>>,
}

/// Why a fetch failed: `transient` failures (transport errors, 5xx, a CDN's 403/429) may
/// fall back to the last validated copy; anything else (404, an invalid document, a
/// refused address) never does.
#[derive(Debug)]
struct FetchError {
    transient: bool,
    message: String,
}

impl FetchError {
    fn transient(message: impl Into<String>) -> Self {
        Self {
            transient: true,
            message: message.into(),
        }
    }
}

impl From<String> for FetchError {
    fn from(message: String) -> Self {
        Self {
            transient: false,
            message,
        }
    }
}

impl From<&str> for FetchError {
    fn from(message: &str) -> Self {
        Self::from(message.to_string())
    }
}

/// Whether `client_id` names a metadata document rather than a registered id.
pub fn is_document_url(client_id: &str) -> bool {
    client_id.starts_with("https://") || client_id.starts_with("http://")
}

impl MetadataDocuments {
    pub fn new(allow_private: bool) -> Self {
        Self {
            allow_private,
            stale_secs: 0,
            pinned: HashMap::new(),
            fresh_until: Mutex::new(HashMap::new()),
        }
    }

    /// From the settings: reads and validates every pinned document, so a bad file stops
    /// the start rather than the first sign-in.
    pub fn from_settings(settings: &ClientSettings) -> anyhow::Result<Self> {
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
            to_client(&entry.url, &document, 0).map_err(|e| {
                anyhow::anyhow!("the pinned metadata document {}: {e}", entry.file.display())
            })?;
            pinned.insert(entry.url.clone(), document);
        }
        Ok(Self {
            stale_secs: settings.metadata_documents_stale_secs,
            pinned,
            ..Self::new(settings.metadata_documents_allow_private)
        })
    }

    /// The client a document URL describes, fetched if the cached copy is stale and stored
    /// (codes and grants reference clients by id). Errors are readable refusals.
    pub async fn resolve(&self, store: &Store, client_id: &str) -> Result<ClientRecord, String> {
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
            None => match self.fetch(client_id).await {
                Ok((document, max_age)) => (document, max_age, "fetched"),
                Err(error) if error.transient => {
                    return self.last_good_copy(store, client_id, now, error).await;
                }
                Err(error) => return Err(error.message),
            },
        };
        let record = to_client(client_id, &document, now)?;
        store
            .upsert_metadata_client(&record)
            .await
            .map_err(|e| format!("could not store the client: {e}"))?;
        let stored = store
            .get_client(client_id)
            .await
            .map_err(|e| format!("could not read the client back: {e}"))?
            .filter(|c| c.origin == "metadata")
            .ok_or_else(|| format!("client id {client_id:?} belongs to a registered client"))?;
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
    ) -> Result<ClientRecord, String> {
        let stored = store
            .get_client(client_id)
            .await
            .map_err(|e| format!("could not read the client: {e}"))?
            .filter(|c| c.origin == "metadata" && now - c.updated_at <= self.stale_secs);
        let Some(client) = stored else {
            return Err(error.message);
        };
        tracing::warn!(client_id, error = %error.message, "metadata document unreachable; using the last validated copy");
        crate::audit::record(
            store,
            "metadata_document_used",
            Some(client_id),
            None,
            serde_json::json!({
                "copy": "last_validated",
                "validated_at": client.updated_at,
                "fetch_error": error.message,
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

    /// GET with https only, vetted addresses pinned for the connection, no redirects, a
    /// timeout and a size cap.
    async fn fetch(&self, client_id: &str) -> Result<(Value, Duration), FetchError> {
        let url = Url::parse(client_id).map_err(|e| format!("client_id is not a URL: {e}"))?;
        if url.scheme() != "https" && !(self.allow_private && url.scheme() == "http") {
            return Err("a metadata document client_id must be an https URL".into());
        }
        if url.path() == "/" || url.fragment().is_some() || !url.username().is_empty() {
            return Err("a metadata document URL needs a path and no fragment or user info".into());
        }
        let host = url
            .host_str()
            .ok_or("the client_id URL has no host")?
            .to_string();
        let port = url.port_or_known_default().unwrap_or(443);
        let addresses: Vec<SocketAddr> = tokio::time::timeout(
            FETCH_TIMEOUT,
            tokio::net::lookup_host((host.trim_matches(['[', ']']), port)),
        )
        .await
        .map_err(|_| FetchError::transient(unreachable(&host, "resolving the host timed out")))?
        .map_err(|e| FetchError::transient(unreachable(&host, &format!("cannot resolve: {e}"))))?
        .collect();
        let Some(first) = addresses.first().copied() else {
            return Err(FetchError::transient(unreachable(
                &host,
                "the host has no addresses",
            )));
        };
        for address in &addresses {
            let ip = address.ip();
            let permitted = is_public(ip) || (self.allow_private && !is_link_local(ip));
            if !permitted {
                // The address itself stays in the log: the page must not map internal names.
                tracing::warn!(%host, %ip, "metadata document host resolves to an internal address");
                return Err(format!(
                    "{host} resolves to a private, loopback or link-local address; refused"
                )
                .into());
            }
        }
        // Pin the vetted address so a second DNS answer cannot redirect the connection.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(FETCH_TIMEOUT)
            .no_proxy()
            .resolve(&host, first)
            .build()
            .map_err(|e| unreachable(&host, &format!("http client: {e}")))?;
        let mut response = client
            .get(url.clone())
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(|e| {
                FetchError::transient(unreachable(&host, &format!("{:#}", anyhow::Error::new(e))))
            })?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            let message =
                format!("the metadata document answered {status} (redirects are not followed)");
            // A CDN that turns data-centre addresses away answers 403 or 429.
            let transient = status.is_server_error()
                || status == reqwest::StatusCode::FORBIDDEN
                || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
            return Err(FetchError { transient, message });
        }
        let max_age = cache_lifetime(response.headers().get("cache-control"));
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| {
            FetchError::transient(unreachable(
                &host,
                &format!("reading the body: {:#}", anyhow::Error::new(e)),
            ))
        })? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_DOCUMENT_BYTES {
                return Err(
                    format!("the metadata document exceeds {MAX_DOCUMENT_BYTES} bytes").into(),
                );
            }
        }
        let document = serde_json::from_slice(&body)
            .map_err(|e| FetchError::from(format!("the metadata document is not JSON: {e}")))?;
        Ok((document, max_age))
    }
}

/// The one reason a page gets for a document that could not be fetched. What went wrong
/// (DNS, refused, timed out, TLS) is only logged: shown to an unauthenticated caller it would
/// tell which hosts and ports answer (a reachability oracle).
fn unreachable(host: &str, detail: &str) -> String {
    tracing::warn!(%host, detail, "fetching a client metadata document failed");
    "the metadata document could not be fetched".to_string()
}

fn cache_lifetime(header: Option<&reqwest::header::HeaderValue>) -> Duration {
    let value = header.and_then(|v| v.to_str().ok()).unwrap_or("");
    if value.contains("no-store") || value.contains("no-cache") {
        return Duration::ZERO;
    }
    value
        .split(',')
        .filter_map(|part| part.trim().strip_prefix("max-age="))
        .find_map(|secs| secs.parse::<u64>().ok())
        .map_or(MIN_CACHE, Duration::from_secs)
        .min(MAX_CACHE)
}

/// Validates a document into a public client (MCP 2025-11-25 client ID metadata rules).
fn to_client(client_id: &str, doc: &Value, now: i64) -> Result<ClientRecord, String> {
    if doc.get("client_id").and_then(Value::as_str) != Some(client_id) {
        return Err("the document's client_id does not equal its URL".into());
    }
    if doc.get("client_secret").is_some() || doc.get("client_secret_expires_at").is_some() {
        return Err("a metadata document must not carry a client secret".into());
    }
    match doc
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
    {
        None | Some("none") => {}
        Some(other) => {
            return Err(format!(
                "token_endpoint_auth_method {other:?} is not supported; use none"
            ));
        }
    }
    let uris: Vec<String> = doc
        .get("redirect_uris")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    if uris.is_empty() {
        return Err("the document has no redirect_uris".into());
    }
    for uri in &uris {
        if uri == redirect_uri::OOB || uri.chars().any(char::is_whitespace) {
            return Err(format!("redirect URI {uri:?} is not allowed"));
        }
        redirect_uri::validate_for_registration(uri).map_err(|e| e.to_string())?;
    }
    // As for registration: unknown scope names are dropped, none left means the default.
    let scopes = scope::Requested::parse(doc.get("scope").and_then(Value::as_str))
        .map_err(|e| e.to_string())?
        .or(&ScopeSet::from_list(scope::supported()));
    let application_type = doc
        .get("application_type")
        .and_then(Value::as_str)
        .filter(|kind| matches!(*kind, "web" | "native"))
        .map(str::to_string);
    let name: String = doc.get("client_name").and_then(Value::as_str).map_or_else(
        || {
            Url::parse(client_id)
                .ok()
                .and_then(|u| u.host_str().map(String::from))
                .unwrap_or_default()
        },
        |n| n.chars().take(200).collect(),
    );
    Ok(ClientRecord {
        id: client_id.to_string(),
        secret_hash: None,
        name,
        redirect_uris: uris.join(" "),
        scopes: scopes.to_string(),
        grant_types: "authorization_code refresh_token".into(),
        token_endpoint_auth_method: "none".into(),
        origin: "metadata".into(),
        created_at: now,
        updated_at: now,
        disabled_at: None,
        application_type,
    })
}
