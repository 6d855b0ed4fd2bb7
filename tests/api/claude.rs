//! Claude.ai and Claude Code as they are reported to behave, end to end: registration with
//! `scope: "claudeai"` or a metadata document with a port-less loopback redirect, no scope
//! or a foreign one, an upper-case resource host, the whole catalogue after one consent,
//! and refresh tokens shared by several sessions that refresh from stale copies.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::{Value, json};

use crate::browser::{authorize, location, pkce_pair, query_of, to_consent};
use crate::helpers::Engine;
use crate::helpers::{TestApp, spawn_app_with};
use crate::on_both_engines;

/// The registration body Claude.ai sends (modelcontextprotocol/modelcontextprotocol#653).
pub fn claude_ai_registration() -> Value {
    json!({"client_name": "claudeai", "scope": "claudeai", "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
        "redirect_uris": ["https://claude.ai/api/mcp/auth_callback"]})
}

pub const EVERY_SCOPE: &str = "mcp:prompts mcp:resources mcp:tools system:monitor system:read";

/// POSTs one JSON-RPC message to /mcp; returns the status, the challenge header and the body.
pub async fn rpc(app: &TestApp, token: &str, method: &str, params: Value) -> (u16, String, Value) {
    let message = json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params});
    let response = app
        .http
        .post(app.url("/mcp"))
        .bearer_auth(token)
        .header("Accept", "application/json, text/event-stream")
        .json(&message)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = serde_json::from_str(&response.text().await.unwrap()).unwrap_or(Value::Null);
    (status, challenge, body)
}

/// The names a list method returns (`tools` → name, `resources` → uri).
pub async fn listed(app: &TestApp, token: &str, kind: &str, key: &str) -> Vec<String> {
    let (status, _, body) = rpc(app, token, &format!("{kind}/list"), json!({})).await;
    assert_eq!(status, 200, "{kind}/list: {body}");
    body["result"][kind]
        .as_array()
        .unwrap_or_else(|| panic!("{kind}/list: {body}"))
        .iter()
        .map(|item| item[key].as_str().unwrap().to_string())
        .collect()
}

/// The details of the audit events named `event` (at least one, waiting for the writer).
pub async fn audited(app: &TestApp, event: &str) -> Vec<Value> {
    app.audit_events(event, 1)
        .await
        .iter()
        .map(|e| serde_json::from_str(&e.detail).unwrap())
        .collect()
}

async fn refresh(app: &TestApp, client_id: &str, token: &str) -> (u16, Value) {
    app.post_form(
        "/oauth/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", client_id),
        ],
    )
    .await
}

/// Lets the documented Claude client introspect every token, so the test can ask about any.
fn introspect_any(settings: &mut mcp_oauth::config::Settings) {
    settings.clients.introspect_any = vec![crate::helpers::CLAUDE.0.to_string()];
}

async fn active(app: &TestApp, token: &str) -> bool {
    let (_, info) = app
        .post_form(
            "/oauth/introspect",
            &[
                ("token", token),
                ("client_id", crate::helpers::CLAUDE.0),
                ("client_secret", crate::helpers::CLAUDE.1),
            ],
        )
        .await;
    info["active"] == true
}

/// Login → consent (everything the page offers left ticked) → code → tokens, for a public
/// client; `extra` are the client's own authorization parameters.
async fn connect(app: &TestApp, client_id: &str, redirect: &str, extra: &[(&str, &str)]) -> Value {
    let (verifier, challenge) = pkce_pair();
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
        ("state", "st"),
    ];
    params.extend_from_slice(extra);
    let page = to_consent(app, &params).await;
    for scope in EVERY_SCOPE.split(' ') {
        assert!(
            page.contains(&format!("name=\"scope:{scope}\"")),
            "{scope} offered on the consent page"
        );
    }
    let ticked: Vec<&str> = EVERY_SCOPE.split(' ').collect();
    let answer = crate::browser::approve_only(app, &page, &ticked).await;
    let query = query_of(&location(&answer).unwrap());
    assert_eq!(query["state"], "st");
    let (status, tokens) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &query["code"]),
                ("redirect_uri", redirect),
                ("client_id", client_id),
                ("code_verifier", &verifier),
                ("resource", "HTTP://LOCALHOST:5000/mcp"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

/// What both Claude clients must be able to do once connected: the whole catalogue, then
/// refreshes that several sessions share, then theft detection.
async fn the_whole_catalogue_and_shared_refreshes(app: &TestApp, client_id: &str, tokens: &Value) {
    assert_eq!(
        tokens["scope"], EVERY_SCOPE,
        "the token response says what was granted"
    );
    let access = tokens["access_token"].as_str().unwrap();
    let tools = listed(app, access, "tools", "name").await;
    for tool in ["echo", "calculator", "system_info"] {
        assert!(tools.contains(&tool.to_string()), "{tool} in {tools:?}");
    }
    let resources = listed(app, access, "resources", "uri").await;
    for uri in ["system://metrics", "system://platform"] {
        assert!(
            resources.contains(&uri.to_string()),
            "{uri} in {resources:?}"
        );
    }
    let (status, _, info) = rpc(
        app,
        access,
        "tools/call",
        json!({"name": "system_info", "arguments": {}}),
    )
    .await;
    assert_eq!(status, 200, "{info}");

    // Session A refreshes; session B still holds the first refresh token.
    let first = tokens["refresh_token"].as_str().unwrap();
    let (status, a) = refresh(app, client_id, first).await;
    assert_eq!(status, 200, "{a}");
    let successor = a["refresh_token"].as_str().unwrap();
    for later in [15, 20 * 60 - 15] {
        app.auth.clock.advance(later);
        let (status, b) = refresh(app, client_id, first).await;
        assert_eq!(
            status, 200,
            "B's stale copy still works after {later} s more: {b}"
        );
        assert_eq!(b["refresh_token"], successor, "B gets the successor A got");
        assert!(active(app, b["access_token"].as_str().unwrap()).await);
    }
    // A uses the successor: from now on the first token in anyone's hands is theft.
    let (status, next) = refresh(app, client_id, successor).await;
    assert_eq!(status, 200, "{next}");
    let (status, replay) = refresh(app, client_id, first).await;
    assert_eq!(
        (status, replay["error"].as_str()),
        (400, Some("invalid_grant")),
        "{replay}"
    );
    let (status, _) = refresh(app, client_id, next["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 400, "the whole grant was revoked");
    assert!(!active(app, next["access_token"].as_str().unwrap()).await);
}

async fn claude_ai_registers_with_its_own_scope_and_reaches_the_whole_catalogue(engine: Engine) {
    let app = spawn_app_with(engine, introspect_any).await.unwrap();
    let response = app
        .http
        .post(app.url("/register"))
        .json(&claude_ai_registration())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let client: Value = response.json().await.unwrap();
    assert_eq!(
        client["scope"], EVERY_SCOPE,
        "claudeai replaced by the default set: {client}"
    );
    assert_eq!(client["token_endpoint_auth_method"], "none");
    let dropped = audited(&app, "client_registered").await;
    assert_eq!(dropped[0]["unknown_scopes_dropped"], json!(["claudeai"]));
    let client_id = client["client_id"].as_str().unwrap();
    let redirect = "https://claude.ai/api/mcp/auth_callback";
    let tokens = connect(
        &app,
        client_id,
        redirect,
        &[
            ("scope", "claudeai"),
            ("resource", "HTTP://LOCALHOST:5000/mcp"),
        ],
    )
    .await;
    let reported = audited(&app, "unknown_scopes_dropped").await;
    assert!(
        reported.iter().any(|d| d["dropped"] == json!(["claudeai"])),
        "{reported:?}"
    );
    the_whole_catalogue_and_shared_refreshes(&app, client_id, &tokens).await;
}
on_both_engines!(claude_ai_registers_with_its_own_scope_and_reaches_the_whole_catalogue);

/// Serves Claude Code's metadata document, with the port-less loopback redirect URIs it
/// lists (anthropics/claude-code#37767), on a loopback port; returns its URL.
async fn claude_code_document() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/oauth/claude-code-client-metadata",
        listener.local_addr().unwrap()
    );
    let body = json!({"client_id": url, "client_name": "Claude Code", "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"], "token_endpoint_auth_method": "none",
        "redirect_uris": ["http://localhost/callback", "http://127.0.0.1/callback"]}).to_string();
    let router = Router::new().route(
        "/oauth/claude-code-client-metadata",
        get(move || {
            let body = body.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], body).into_response() }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

async fn claude_code_with_a_metadata_document_and_no_scope_reaches_the_whole_catalogue(
    engine: Engine,
) {
    let document = claude_code_document().await;
    let app = spawn_app_with(engine, |s| {
        s.clients.metadata_documents_allow_private = true;
        introspect_any(s);
    })
    .await
    .unwrap();
    // Claude Code picks a free port for its callback and sends no scope (claude-code#7744).
    let tokens = connect(&app, &document, "http://localhost:53682/callback", &[]).await;
    the_whole_catalogue_and_shared_refreshes(&app, &document, &tokens).await;
    // Leniency on the port is for loopback only: another path is still unregistered.
    let response = authorize(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", &document),
            ("redirect_uri", "http://localhost:53682/elsewhere"),
        ],
    )
    .await;
    assert_eq!(response.status(), 400);
    assert!(location(&response).is_none());
}
on_both_engines!(claude_code_with_a_metadata_document_and_no_scope_reaches_the_whole_catalogue);

async fn a_client_holding_only_mcp_tools_steps_up_to_system_read_after_a_second_consent(
    engine: Engine,
) {
    let app = spawn_app_with(engine, |_| {}).await.unwrap();
    // It registered with the scope an older 401 hint named, and first asks for less.
    let redirect = "http://127.0.0.1:8123/cb";
    let response = app
        .http
        .post(app.url("/register"))
        .json(&json!({"client_name": "SDK client",
            "redirect_uris": [redirect], "token_endpoint_auth_method": "none",
            "scope": "mcp:tools mcp:resources mcp:prompts"}))
        .send()
        .await
        .unwrap();
    let client: Value = response.json().await.unwrap();
    let client_id = client["client_id"].as_str().unwrap();
    let (verifier, challenge) = pkce_pair();
    let page = to_consent(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("scope", "mcp:tools"),
        ],
    )
    .await;
    let answer = crate::browser::decide(&app, &page, "approve").await;
    let code = query_of(&location(&answer).unwrap())["code"].clone();
    let (_, tokens) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", redirect),
                ("client_id", client_id),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    let narrow = tokens["access_token"].as_str().unwrap();
    let (status, challenge_header, _) = rpc(
        &app,
        narrow,
        "resources/read",
        json!({"uri": "system://platform"}),
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        challenge_header.contains(r#"scope="mcp:resources system:read""#),
        "{challenge_header}"
    );
    // It asks for what the 403 named; that is more than it was ever granted: ask the person.
    let (verifier, challenge) = pkce_pair();
    let response = authorize(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("scope", "mcp:tools mcp:resources system:read"),
        ],
    )
    .await;
    assert_eq!(response.status(), 200, "a second consent, not an error");
    let page = response.text().await.unwrap();
    assert!(page.contains("name=\"scope:system:read\""), "{page}");
    let answer = crate::browser::decide(&app, &page, "approve").await;
    let code = query_of(&location(&answer).unwrap())["code"].clone();
    let (status, tokens) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", redirect),
                ("client_id", client_id),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["scope"], "mcp:resources mcp:tools system:read");
    let (status, _, body) = rpc(
        &app,
        tokens["access_token"].as_str().unwrap(),
        "resources/read",
        json!({"uri": "system://platform"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}
on_both_engines!(a_client_holding_only_mcp_tools_steps_up_to_system_read_after_a_second_consent);

async fn the_consent_page_lets_the_person_untick_scopes_and_unticking_all_denies(engine: Engine) {
    let app = spawn_app_with(engine, |_| {}).await.unwrap();
    let response = app
        .http
        .post(app.url("/register"))
        .json(&claude_ai_registration())
        .send()
        .await
        .unwrap();
    let client: Value = response.json().await.unwrap();
    let client_id = client["client_id"].as_str().unwrap();
    let redirect = "https://claude.ai/api/mcp/auth_callback";
    let (verifier, challenge) = pkce_pair();
    let params = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let page = to_consent(&app, &params).await;
    let answer =
        crate::browser::approve_only(&app, &page, &["mcp:tools", "mcp:resources", "system:read"])
            .await;
    let code = query_of(&location(&answer).unwrap())["code"].clone();
    let (_, tokens) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", redirect),
                ("client_id", client_id),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_eq!(tokens["scope"], "mcp:resources mcp:tools system:read");
    let access = tokens["access_token"].as_str().unwrap();
    let resources = listed(&app, access, "resources", "uri").await;
    assert_eq!(
        resources,
        vec!["system://platform"],
        "metrics needs the unticked system:monitor"
    );
    let (status, challenge_header, _) = rpc(&app, access, "prompts/list", json!({})).await;
    assert_eq!(status, 403);
    assert!(
        challenge_header.contains(r#"scope="mcp:prompts""#),
        "{challenge_header}"
    );
    // Unticking everything is a refusal, not an approval of everything.
    let again = authorize(&app, &params).await;
    assert_eq!(
        again.status(),
        200,
        "the unticked scopes are asked for again"
    );
    let page = again.text().await.unwrap();
    assert!(page.contains("name=\"scope:system:monitor\""), "{page}");
    let answer = crate::browser::approve_only(&app, &page, &[]).await;
    assert_eq!(
        query_of(&location(&answer).unwrap())["error"],
        "access_denied"
    );
}
on_both_engines!(the_consent_page_lets_the_person_untick_scopes_and_unticking_all_denies);
