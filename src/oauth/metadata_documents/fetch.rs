//! Fetching one metadata document: https only, vetted addresses, no redirects, a timeout and
//! a size cap; and why a fetch failed, in a type.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use url::Url;

use crate::oauth::public_address::{is_link_local, is_public};

const MAX_DOCUMENT_BYTES: usize = 5 * 1024;
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Caching follows Cache-Control `max-age`, within these bounds.
pub(super) const MIN_CACHE: Duration = Duration::from_secs(60);
pub(super) const MAX_CACHE: Duration = Duration::from_secs(24 * 3600);

/// Why a fetch failed; the text is what the page shows. [`FetchError::is_transient`]
/// failures may fall back to the last validated copy; the others never do.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("client_id is not a URL: {0}")]
    NotAUrl(#[source] url::ParseError),
    #[error("a metadata document client_id must be an https URL")]
    NotHttps,
    #[error("a metadata document URL needs a path and no fragment or user info")]
    UrlShape,
    #[error("the client_id URL has no host")]
    NoHost,
    #[error("{host} resolves to a private, loopback or link-local address; refused")]
    InternalAddress { host: String },
    /// The one reason a page gets for a document that could not be fetched. What went wrong
    /// (DNS, refused, timed out, TLS) is only logged, and kept as the `source`: shown to an
    /// unauthenticated caller it would tell which hosts and ports answer (a reachability
    /// oracle), so pages show this `Display`, never the chain.
    #[error("the metadata document could not be fetched")]
    Unreachable(#[source] TransportError),
    #[error("the metadata document answered {0} (redirects are not followed)")]
    Status(reqwest::StatusCode),
    #[error("the metadata document exceeds {MAX_DOCUMENT_BYTES} bytes")]
    TooLarge,
    #[error("the metadata document is not JSON: {0}")]
    NotJson(#[source] serde_json::Error),
}

impl FetchError {
    /// Transport errors, 5xx and a CDN's 403/429 are transient; a 404, an invalid document
    /// or a refused address is not.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unreachable(cause) => cause.is_transient(),
            // A CDN that turns data-centre addresses away answers 403 or 429.
            Self::Status(status) => {
                status.is_server_error()
                    || *status == reqwest::StatusCode::FORBIDDEN
                    || *status == reqwest::StatusCode::TOO_MANY_REQUESTS
            }
            _ => false,
        }
    }
}

/// What kept a document from arriving: logged, never shown (see [`FetchError::Unreachable`]).
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("resolving the host timed out")]
    ResolveTimeout(#[source] tokio::time::error::Elapsed),
    #[error("cannot resolve: {0}")]
    Resolve(#[source] std::io::Error),
    #[error("the host has no addresses")]
    NoAddresses,
    #[error("http client: {0}")]
    Client(#[source] reqwest::Error),
    #[error("{}", chain(.0))]
    Request(#[source] reqwest::Error),
    #[error("reading the body: {}", chain(.0))]
    Body(#[source] reqwest::Error),
}

impl TransportError {
    /// Building our own http client failing is no reason to trust an older copy.
    fn is_transient(&self) -> bool {
        !matches!(self, Self::Client(_))
    }
}

/// An error and its causes, `: `-separated (as anyhow's `{:#}` prints them).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        text.push_str(": ");
        text.push_str(&next.to_string());
        cause = next.source();
    }
    text
}

/// Logs what went wrong with the host, and gives the page its one reason.
fn unreachable(host: &str, cause: TransportError) -> FetchError {
    let detail = cause.to_string();
    let detail = detail.as_str();
    tracing::warn!(%host, detail, "fetching a client metadata document failed");
    FetchError::Unreachable(cause)
}

/// GET with https (or, with `allow_private`, http) only, vetted addresses pinned for the
/// connection, no redirects, a timeout and a size cap; the document and its cache lifetime.
pub(super) async fn fetch(
    client_id: &str,
    allow_private: bool,
) -> Result<(Value, Duration), FetchError> {
    let url = Url::parse(client_id).map_err(FetchError::NotAUrl)?;
    if url.scheme() != "https" && !(allow_private && url.scheme() == "http") {
        return Err(FetchError::NotHttps);
    }
    if url.path() == "/" || url.fragment().is_some() || !url.username().is_empty() {
        return Err(FetchError::UrlShape);
    }
    let host = url.host_str().ok_or(FetchError::NoHost)?.to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let addresses: Vec<SocketAddr> = tokio::time::timeout(
        FETCH_TIMEOUT,
        tokio::net::lookup_host((host.trim_matches(['[', ']']), port)),
    )
    .await
    .map_err(|e| unreachable(&host, TransportError::ResolveTimeout(e)))?
    .map_err(|e| unreachable(&host, TransportError::Resolve(e)))?
    .collect();
    let Some(first) = addresses.first().copied() else {
        return Err(unreachable(&host, TransportError::NoAddresses));
    };
    for address in &addresses {
        let ip = address.ip();
        let permitted = is_public(ip) || (allow_private && !is_link_local(ip));
        if !permitted {
            // The address itself stays in the log: the page must not map internal names.
            tracing::warn!(%host, %ip, "metadata document host resolves to an internal address");
            return Err(FetchError::InternalAddress { host });
        }
    }
    // Pin the vetted address so a second DNS answer cannot redirect the connection.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(FETCH_TIMEOUT)
        .no_proxy()
        .resolve(&host, first)
        .build()
        .map_err(|e| unreachable(&host, TransportError::Client(e)))?;
    let mut response = client
        .get(url.clone())
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|e| unreachable(&host, TransportError::Request(e)))?;
    let status = response.status();
    if status != reqwest::StatusCode::OK {
        return Err(FetchError::Status(status));
    }
    let max_age = cache_lifetime(response.headers().get("cache-control"));
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| unreachable(&host, TransportError::Body(e)))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_DOCUMENT_BYTES {
            return Err(FetchError::TooLarge);
        }
    }
    let document = serde_json::from_slice(&body).map_err(FetchError::NotJson)?;
    Ok((document, max_age))
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
