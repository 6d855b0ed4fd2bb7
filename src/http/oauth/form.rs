//! The OAuth form body: strict parsing (content type, UTF-8, no repeated parameters) and
//! client credentials from HTTP Basic or the form (RFC 6749 §2.3.1, §3.2).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::error::OAuthError;
use crate::oauth::client_auth::Presented;
use crate::oauth::error::ErrorCode;

/// A parsed form and, when present, the client's credentials.
pub struct OAuthForm {
    pub params: HashMap<String, String>,
    pub presented: Option<Presented>,
}

impl<S: Send + Sync> FromRequest<S> for OAuthForm {
    type Rejection = OAuthError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mime = content_type.split(';').next().unwrap_or("").trim();
        if !mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            return Err(OAuthError::invalid_request(
                "the body must be application/x-www-form-urlencoded",
            ));
        }
        let authorization = request
            .headers()
            .get(AUTHORIZATION)
            .map(|v| v.to_str().map(str::to_string));
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|e| OAuthError::invalid_request(format!("unreadable body: {e}")))?;
        let params = parse_form(&body)?;
        let basic = match authorization {
            None => None,
            Some(Err(_)) => {
                return Err(OAuthError::invalid_request(
                    "malformed Authorization header",
                ));
            }
            Some(Ok(value)) => parse_basic(&value)?,
        };
        let presented = presented(basic, &params)?;
        Ok(Self { params, presented })
    }
}

/// Parses `application/x-www-form-urlencoded`, refusing repeats, invalid UTF-8 and NUL
/// (which no parameter needs, and which Postgres refuses to store or compare).
pub fn parse_form(body: &[u8]) -> Result<HashMap<String, String>, OAuthError> {
    let mut params = HashMap::new();
    for (key, value) in form_urlencoded::parse(body) {
        if key.contains('\u{FFFD}') || value.contains('\u{FFFD}') {
            return Err(OAuthError::invalid_request(
                "parameters must be valid UTF-8",
            ));
        }
        if key.contains('\0') || value.contains('\0') {
            return Err(OAuthError::invalid_request(
                "parameters must not contain NUL characters",
            ));
        }
        if params.insert(key.to_string(), value.into_owned()).is_some() {
            return Err(OAuthError::invalid_request(format!(
                "parameter {key:?} is repeated (RFC 6749 §3.1)"
            )));
        }
    }
    Ok(params)
}

/// `Basic base64(urlencode(id):urlencode(secret))`; other schemes are ignored here.
fn parse_basic(value: &str) -> Result<Option<(String, String)>, OAuthError> {
    let Some((scheme, rest)) = value.split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let bad = || {
        OAuthError::new(ErrorCode::InvalidClient, "malformed HTTP Basic credentials")
            .with_www_authenticate("Basic realm=\"mcp-oauth\"")
    };
    let decoded = STANDARD.decode(rest.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let unescape = |s: &str| {
        form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let (id, secret) = (unescape(id), unescape(secret));
    if id.contains('\0') || secret.contains('\0') {
        return Err(bad());
    }
    Ok(Some((id, secret)))
}

fn presented(
    basic: Option<(String, String)>,
    params: &HashMap<String, String>,
) -> Result<Option<Presented>, OAuthError> {
    let form_id = params.get("client_id").filter(|v| !v.is_empty());
    let form_secret = params.get("client_secret").filter(|v| !v.is_empty());
    match basic {
        Some((client_id, secret)) => {
            if form_secret.is_some() {
                return Err(OAuthError::invalid_request(
                    "use one client authentication method, not HTTP Basic and client_secret together",
                ));
            }
            if form_id.is_some_and(|id| id != &client_id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the form differs from the HTTP Basic credentials",
                ));
            }
            Ok(Some(Presented::Basic { client_id, secret }))
        }
        None => Ok(match (form_id, form_secret) {
            (Some(id), Some(secret)) => Some(Presented::Post {
                client_id: id.clone(),
                secret: secret.clone(),
            }),
            (Some(id), None) => Some(Presented::None {
                client_id: id.clone(),
            }),
            (None, _) => None,
        }),
    }
}

/// The client's credentials, or `invalid_client` when it did not identify itself.
pub fn require_client(form: &OAuthForm) -> Result<&Presented, OAuthError> {
    form.presented.as_ref().ok_or_else(|| {
        OAuthError::new(ErrorCode::InvalidClient,
            "client authentication is required: send HTTP Basic credentials or client_id (and client_secret)",
        )
    })
}
