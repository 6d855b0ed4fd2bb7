//! Hostile requests against every endpoint, as one table: each row is a real request sent
//! as raw HTTP (so paths, bytes and headers arrive exactly as written) and the answer it must
//! get. No row may meet a 5xx, a hang or an error in the wrong shape, and afterwards the
//! server is still healthy and still issues tokens.

mod answer;
mod authorize;
mod bearer;
mod forms;
mod pages;
mod register;
mod tokens;

use http::Method;
use http::header::{HeaderName, HeaderValue};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use answer::{Raw, check, send};

use crate::helpers::Engine;
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
    let (cookie, csrf) = pages::session(app).await;
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

async fn hundreds_of_hostile_requests_get_well_formed_refusals_and_leave_the_server_healthy(
    engine: Engine,
) {
    // Hundreds of requests from one address: the rate limits would answer most of them.
    let app = spawn_app_with(engine, |s| s.rate_limits.enabled = false)
        .await
        .unwrap();
    let fixtures = fixtures(&app).await;
    let mut rows = forms::rows(&fixtures);
    rows.extend(register::rows());
    rows.extend(authorize::rows(&fixtures));
    rows.extend(pages::rows(&fixtures));
    rows.extend(bearer::rows(&fixtures));
    // A fresh connection per row: a refused oversized body may leave its connection closed.
    let client: Raw = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(0)
        .build_http();
    let mut failures = Vec::new();
    for row in &rows {
        let answer = send(&client, &app.address, row).await;
        if answer.status >= 500 {
            failures.push(format!(
                "{}: {} {}",
                row.name,
                answer.status,
                String::from_utf8_lossy(&answer.body)
            ));
        } else if let Err(why) = check(row, &answer, &fixtures) {
            let body: String = String::from_utf8_lossy(&answer.body)
                .chars()
                .take(300)
                .collect();
            failures.push(format!("{}: {why}; body {body}", row.name));
        }
    }
    eprintln!(
        "hostile requests ({engine:?}): {} rows run, {} failed",
        rows.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
    assert!(rows.len() >= 200, "the table has {} rows", rows.len());

    for path in ["/healthz", "/readyz"] {
        assert_eq!(
            app.http.get(app.url(path)).send().await.unwrap().status(),
            200,
            "{path}"
        );
    }
    let token = app
        .client_credentials_token(CLAUDE, Some("mcp:tools"))
        .await;
    let tools = app
        .http
        .get(app.url("/mcp/protected/tools"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(tools.status(), 200, "a fresh token still works");
}
on_both_engines!(
    hundreds_of_hostile_requests_get_well_formed_refusals_and_leave_the_server_healthy
);
