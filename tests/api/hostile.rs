//! Hostile requests against every endpoint, as one table: each row is a real request sent
//! as raw HTTP (so paths, bytes and headers arrive exactly as written) and the answer it must
//! get. No row may meet a 5xx, a hang or an error in the wrong shape, and afterwards the
//! server is still healthy and still issues tokens.

mod bearer;
mod browser;
mod forms;
mod tokens;

use std::time::Duration;

use axum::body::Body;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use crate::helpers::{CLAUDE, TestApp, spawn_app_with};
use crate::on_both_engines;

/// The answer a row must get.
#[derive(Debug, Clone)]
pub enum Expect {
    /// RFC 6749 §5.2 / RFC 7591 §3.2.2: JSON `{error, error_description}`, this status, one of these codes.
    OAuth(u16, &'static [&'static str]),
    /// RFC 7662 §2.2: whatever the token, 200 `{"active": false}`.
    Inactive,
    /// RFC 7009 §2.2: whatever the token, 200 with an empty body.
    Revoked,
    /// RFC 6750 §3: 401 with a Bearer challenge naming the resource metadata, carrying
    /// `error="invalid_token"` when (and only when) a token was sent.
    Bearer { token_sent: bool },
    /// MCP: this status and a JSON-RPC error object.
    JsonRpc(u16),
    /// The REST endpoints: this status and JSON `{error: code}`.
    Rest(u16, &'static str),
    /// A readable HTML page with this status, never a redirect.
    Page(u16),
    /// The login page again: 401, or 429 once the failures from this address add up.
    LoginRefused,
    /// An authorization error sent to the registered redirect URI (RFC 6749 §4.1.2.1).
    Redirect {
        error: &'static str,
        state: Option<String>,
    },
    /// A JSON document served intact, the hostile query ignored: `key` has this value.
    Document(&'static str, String),
    /// Refused by routing or HTTP parsing before any handler: only the status is defined.
    Status(u16),
}

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

/// One hostile request and its expectation.
pub struct Row {
    pub name: String,
    pub method: Method,
    pub path: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Vec<u8>,
    pub expect: Expect,
}

impl Row {
    pub fn new(
        name: impl Into<String>,
        method: Method,
        path: impl Into<String>,
        expect: Expect,
    ) -> Self {
        let (name, path) = (name.into(), path.into());
        Self {
            name,
            method,
            path,
            headers: Vec::new(),
            body: Vec::new(),
            expect,
        }
    }

    pub fn get(name: impl Into<String>, path: impl Into<String>, expect: Expect) -> Self {
        Self::new(name, Method::GET, path, expect)
    }

    pub fn post(name: impl Into<String>, path: impl Into<String>, expect: Expect) -> Self {
        Self::new(name, Method::POST, path, expect)
    }

    /// Adds a header; the value may hold any byte a header can carry (obs-text included).
    pub fn header(mut self, name: &'static str, value: impl AsRef<[u8]>) -> Self {
        let value = HeaderValue::from_bytes(value.as_ref()).expect("a sendable header value");
        self.headers.push((HeaderName::from_static(name), value));
        self
    }

    pub fn body(mut self, content_type: Option<&str>, body: impl Into<Vec<u8>>) -> Self {
        if let Some(content_type) = content_type {
            self = self.header("content-type", content_type);
        }
        self.body = body.into();
        self
    }

    pub fn form(self, body: impl Into<Vec<u8>>) -> Self {
        self.body(Some("application/x-www-form-urlencoded"), body)
    }

    pub fn json(self, body: impl Into<Vec<u8>>) -> Self {
        self.body(Some("application/json"), body)
    }
}

/// `application/x-www-form-urlencoded` for the pairs, every byte escaped as needed.
pub fn encode(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// What the rows need from the running app.
pub struct Fixtures {
    pub issuer: String,
    pub resource: String,
    /// A valid access token for the three MCP families, without the `system:*` scopes.
    pub token: String,
    /// (name, Authorization header value or none, whether a token was sent).
    pub bearers: Vec<(&'static str, Option<Vec<u8>>, bool)>,
    /// Unusable tokens as form values for introspection and revocation.
    pub token_values: Vec<(&'static str, String)>,
    /// A browser session cookie and its CSRF token, for the page forms.
    pub cookie: String,
    pub csrf: String,
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

type Raw = Client<HttpConnector, Body>;

async fn send(client: &Raw, address: &str, row: &Row) -> Answer {
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
fn check(row: &Row, answer: &Answer, fixtures: &Fixtures) -> Result<(), String> {
    let expected_status = match &row.expect {
        Expect::OAuth(status, _)
        | Expect::JsonRpc(status)
        | Expect::Rest(status, _)
        | Expect::Page(status)
        | Expect::Status(status) => *status,
        Expect::Inactive | Expect::Revoked | Expect::Document(..) => 200,
        Expect::Bearer { .. } => 401,
        Expect::Redirect { .. } => 303,
        Expect::LoginRefused if answer.status == 429 => 429,
        Expect::LoginRefused => 401,
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

async fn fixtures(app: &TestApp) -> Fixtures {
    let token = app
        .client_credentials_token(CLAUDE, Some("mcp:tools mcp:resources mcp:prompts"))
        .await;
    // Forgeries start from a token of their own: revoking one that shares its `jti` (a real
    // signature for another audience, say) revokes the original too, as it should.
    let template = app
        .client_credentials_token(CLAUDE, Some("mcp:tools"))
        .await;
    let (bearers, token_values) = tokens::hostile(app, &template).await;
    let (cookie, csrf) = browser::session(app).await;
    Fixtures {
        issuer: app.settings.issuer().to_string(),
        resource: app.settings.mcp_resource(),
        token,
        bearers,
        token_values,
        cookie,
        csrf,
    }
}

on_both_engines! {
    async fn hundreds_of_hostile_requests_get_well_formed_refusals_and_leave_the_server_healthy(engine: Engine) {
        // Hundreds of requests from one address: the rate limits would answer most of them.
        let app = spawn_app_with(engine, |s| s.rate_limits.enabled = false).await.unwrap();
        let fixtures = fixtures(&app).await;
        let mut rows = forms::rows(&fixtures);
        rows.extend(browser::rows(&fixtures));
        rows.extend(bearer::rows(&fixtures));
        // A fresh connection per row: a refused oversized body may leave its connection closed.
        let client: Raw = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(0).build_http();
        let mut failures = Vec::new();
        for row in &rows {
            let answer = send(&client, &app.address, row).await;
            if answer.status >= 500 {
                failures.push(format!("{}: {} {}", row.name, answer.status, String::from_utf8_lossy(&answer.body)));
            } else if let Err(why) = check(row, &answer, &fixtures) {
                let body: String = String::from_utf8_lossy(&answer.body).chars().take(300).collect();
                failures.push(format!("{}: {why}; body {body}", row.name));
            }
        }
        eprintln!("hostile requests ({engine:?}): {} rows run, {} failed", rows.len(), failures.len());
        assert!(failures.is_empty(), "{} of {} rows failed:\n{}", failures.len(), rows.len(), failures.join("\n"));
        assert!(rows.len() >= 200, "the table has {} rows", rows.len());

        for path in ["/healthz", "/readyz"] {
            assert_eq!(app.http.get(app.url(path)).send().await.unwrap().status(), 200, "{path}");
        }
        let token = app.client_credentials_token(CLAUDE, Some("mcp:tools")).await;
        let tools = app.http.get(app.url("/mcp/protected/tools")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(tools.status(), 200, "a fresh token still works");
    }
}
