//! Sending a row as raw HTTP and judging the answer against its expectation.

use std::time::Duration;

use axum::body::Body;
use http::HeaderMap;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::Value;

use super::{Expect, Fixtures, Row};

/// Every error code a JSON error body may carry (RFC 6749 §5.2, RFC 6750 §3.1, RFC 7591
/// §3.2.2, RFC 8707 §2).
const VOCABULARY: &[&str] = &[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "invalid_target",
    "invalid_token",
    "invalid_redirect_uri",
    "invalid_client_metadata",
];

pub struct Answer {
    pub status: u16,
    headers: HeaderMap,
    pub body: Vec<u8>,
}

pub type Raw = Client<HttpConnector, Body>;

pub async fn send(client: &Raw, address: &str, row: &Row) -> Answer {
    let mut request = http::Request::builder()
        .method(row.method.clone())
        .uri(format!("{address}{}", row.path));
    for (name, value) in &row.headers {
        request = request.header(name, value);
    }
    let request = request
        .body(Body::from(row.body.clone()))
        .expect("a well-formed request");
    // Bounded, so a hang fails the row instead of the whole run.
    let exchange = async {
        let response = client
            .request(request)
            .await
            .map_err(|e| format!("{e:?}"))?;
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(Body::new(body), usize::MAX)
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(Answer {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: body.to_vec(),
        })
    };
    match tokio::time::timeout(Duration::from_secs(30), exchange).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(error)) => panic!("{}: the request failed: {error}", row.name),
        Err(_) => panic!("{}: no answer within 30 s", row.name),
    }
}

fn header<'a>(answer: &'a Answer, name: &str) -> &'a str {
    answer
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn json_body(answer: &Answer) -> Result<Value, String> {
    if !header(answer, "content-type").starts_with("application/json") {
        return Err(format!(
            "content-type {:?} is not JSON",
            header(answer, "content-type")
        ));
    }
    serde_json::from_slice(&answer.body).map_err(|e| format!("body is not JSON: {e}"))
}

/// Whether the answer is what the row expects; `Err` says what is wrong.
pub fn check(row: &Row, answer: &Answer, fixtures: &Fixtures) -> Result<(), String> {
    let expected_status = match &row.expect {
        Expect::OAuth(status, _)
        | Expect::JsonRpc(status)
        | Expect::Rest(status, _)
        | Expect::Page(status)
        | Expect::Status(status) => *status,
        Expect::Inactive | Expect::Revoked | Expect::Document(..) => 200,
        Expect::Redirect { .. } => 303,
        Expect::LoginRefused if answer.status == 429 => 429,
        Expect::Bearer { .. } | Expect::LoginRefused => 401,
    };
    if answer.status != expected_status {
        return Err(format!(
            "status {} (expected {expected_status})",
            answer.status
        ));
    }
    match &row.expect {
        Expect::OAuth(_, codes) => {
            let body = json_body(answer)?;
            let code = body["error"].as_str().ok_or("no error string")?;
            if !codes.contains(&code) || !VOCABULARY.contains(&code) {
                return Err(format!("error {code:?}, expected one of {codes:?}"));
            }
            if !body["error_description"].is_string() {
                return Err("no error_description".into());
            }
            if header(answer, "cache-control") != "no-store" {
                return Err("errors must not be cached".into());
            }
        }
        Expect::Inactive => {
            if json_body(answer)? != serde_json::json!({ "active": false }) {
                return Err("not exactly {\"active\": false}".into());
            }
        }
        Expect::Revoked => {
            if !answer.body.is_empty() {
                return Err("revocation answers with an empty body".into());
            }
        }
        Expect::Bearer { token_sent } => {
            let challenge = header(answer, "www-authenticate");
            let metadata = format!(
                "resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\"",
                fixtures.issuer
            );
            if !challenge.starts_with("Bearer ") || !challenge.contains(&metadata) {
                return Err(format!("challenge {challenge:?}"));
            }
            if challenge.contains("error=\"invalid_token\"") != *token_sent {
                return Err(format!(
                    "challenge {challenge:?} (token sent: {token_sent})"
                ));
            }
            let body = json_body(answer)?;
            let expected = if *token_sent {
                "invalid_token"
            } else {
                "unauthorized"
            };
            if body["error"] != expected {
                return Err(format!("body {body}"));
            }
        }
        Expect::JsonRpc(_) => {
            let body = json_body(answer)?;
            if body["jsonrpc"] != "2.0"
                || !body["error"]["code"].is_i64()
                || !body["error"]["message"].is_string()
            {
                return Err(format!("not a JSON-RPC error: {body}"));
            }
        }
        Expect::Rest(_, code) => {
            let body = json_body(answer)?;
            if body["error"] != *code {
                return Err(format!("body {body}"));
            }
        }
        Expect::Page(_) | Expect::LoginRefused => {
            let html = String::from_utf8_lossy(&answer.body).to_lowercase();
            if !header(answer, "content-type").starts_with("text/html")
                || !html.contains("<html")
                || !html.contains("</html>")
            {
                return Err(format!(
                    "not an HTML page ({:?})",
                    header(answer, "content-type")
                ));
            }
            if answer.headers.contains_key("location") {
                return Err("an error page must not redirect".into());
            }
            if html.contains("<script>alert") {
                return Err("the page reflects a script unescaped".into());
            }
        }
        Expect::Redirect { error, state } => {
            let location = url::Url::parse(header(answer, "location"))
                .map_err(|e| format!("location: {e}"))?;
            if location.origin().ascii_serialization() != "https://claude.ai"
                || location.path() != "/oauth/callback"
            {
                return Err(format!("redirected to an unregistered place: {location}"));
            }
            let query: std::collections::HashMap<String, String> =
                location.query_pairs().into_owned().collect();
            let wanted = [
                ("error", Some(error.to_string())),
                ("iss", Some(fixtures.issuer.clone())),
                ("state", state.clone()),
            ];
            for (key, value) in wanted {
                if query.get(key) != value.as_ref() {
                    return Err(format!("{key} in {location}"));
                }
            }
        }
        Expect::Document(key, value) => {
            if json_body(answer)?[*key] != *value {
                return Err(format!("{key} is not {value}"));
            }
        }
        Expect::Status(_) => {}
    }
    Ok(())
}
