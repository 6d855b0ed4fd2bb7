//! End to end with an MCP client nobody here wrote: rmcp's own OAuth discovery, dynamic
//! registration, PKCE and Streamable HTTP transport against the running server.

use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, GetPromptRequestParams, ReadResourceRequestParams};
use rmcp::service::{RoleClient, RunningService, ServiceError};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::auth::{
    AuthClient, AuthorizationManager, AuthorizationMetadataSource, AuthorizationRequest, OAuthState,
};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};

use crate::browser::{decide, get, hidden, location, post, query_of};
use crate::helpers::Engine;
use crate::helpers::{
    ADMIN_PASSWORD, TEST_CLIENT, TestApp, free_loopback_port, spawn_app_at_public_url,
};
use crate::on_both_engines;

const ALL_SCOPES: [&str; 5] = [
    "mcp:tools",
    "mcp:resources",
    "mcp:prompts",
    "system:read",
    "system:monitor",
];

/// What an unauthenticated MCP request is told: the challenge rmcp starts discovery from.
async fn first_challenge(app: &TestApp) -> String {
    let response = app
        .http
        .post(app.url("/mcp"))
        .json(&json!({"jsonrpc": "2.0", "id": 0, "method": "ping"}))
        .send()
        .await
        .expect("unauthenticated MCP request");
    assert_eq!(response.status(), 401);
    response.headers()["www-authenticate"]
        .to_str()
        .expect("ASCII challenge")
        .to_string()
}

/// Plays the user: opens the authorization URL, logs in, approves, and returns the redirect
/// target (code, state, iss) without following it.
async fn approve_in_browser(app: &TestApp, authorization_url: &str) -> String {
    let response = app
        .http
        .get(authorization_url)
        .send()
        .await
        .expect("authorize");
    assert_eq!(response.status(), 303, "anonymous users are sent to log in");
    assert_eq!(location(&response).as_deref(), Some("/login"));
    let login = get(app, "/login").await.text().await.expect("login page");
    let csrf = hidden(&login, "csrf_token");
    let response = post(
        app,
        "/login",
        &[
            ("csrf_token", &csrf),
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
        ],
    )
    .await;
    assert_eq!(location(&response).as_deref(), Some("/consent"));
    let consent = get(app, "/consent")
        .await
        .text()
        .await
        .expect("consent page");
    assert!(
        consent.contains("rmcp end-to-end"),
        "the registered name is shown: {consent}"
    );
    let response = decide(app, &consent, "approve").await;
    assert_eq!(response.status(), 303);
    location(&response).expect("redirect back to the client")
}

fn text_of(value: &Value, pointer: &str) -> String {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no text at {pointer} in {value}"))
        .to_string()
}

fn to_json(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).expect("rmcp results serialize")
}

async fn the_rmcp_client_discovers_registers_authorizes_and_uses_every_feature(engine: Engine) {
    let app = spawn_app_at_public_url(engine).await.unwrap();
    let mcp_url = app.settings.mcp_resource();
    let redirect_uri = format!("http://127.0.0.1:{}/callback", free_loopback_port());

    let challenge = first_challenge(&app).await;

    // Discovery goes 401 challenge -> protected-resource metadata -> our AS metadata.
    let probe = AuthorizationManager::new(mcp_url.as_str())
        .await
        .expect("loopback base URL accepted");
    let found = probe
        .resolve_metadata_from_challenge(Some(&challenge))
        .await
        .expect("discovery");
    assert_eq!(
        found.source,
        AuthorizationMetadataSource::ProtectedResourceMetadata
    );
    assert_eq!(
        found.metadata.issuer.as_deref(),
        Some(app.settings.issuer())
    );
    assert_eq!(
        found.metadata.registration_endpoint,
        Some(app.url("/oauth/register"))
    );

    // Ask for what the challenge names, as the SDK clients do: that must be the whole catalogue.
    let hinted: Vec<&str> = challenge
        .split("scope=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the challenge names a scope")
        .split(' ')
        .collect();
    let mut sorted = hinted.clone();
    sorted.sort_unstable();
    let mut every = ALL_SCOPES.to_vec();
    every.sort_unstable();
    assert_eq!(sorted, every, "{challenge}");
    let mut oauth = OAuthState::new(mcp_url.as_str(), None)
        .await
        .expect("oauth state");
    let request = AuthorizationRequest::new(redirect_uri.as_str())
        .with_client_name("rmcp end-to-end")
        .with_scopes(hinted)
        .with_challenge(challenge);
    oauth
        .start_authorization(request)
        .await
        .expect("discovery and registration");
    let authorization_url = oauth
        .get_authorization_url()
        .await
        .expect("authorization URL");
    let query = query_of(&authorization_url);
    assert!(
        authorization_url.starts_with(&app.url("/oauth/authorize?")),
        "{authorization_url}"
    );
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(
        (query["redirect_uri"].as_str(), query["resource"].as_str()),
        (redirect_uri.as_str(), mcp_url.as_str())
    );
    let registered = app
        .store
        .get_client(&query["client_id"])
        .await
        .expect("store")
        .expect("registered client");
    assert_eq!(
        (
            registered.token_endpoint_auth_method.as_str(),
            registered.origin.as_str()
        ),
        ("none", "dynamic"),
        "a public client"
    );
    assert!(registered.secret_hash.is_none());

    let callback = approve_in_browser(&app, &authorization_url).await;
    assert!(callback.starts_with(&redirect_uri), "{callback}");
    let returned = query_of(&callback);
    assert_eq!(
        (returned["state"].as_str(), returned["iss"].as_str()),
        (query["state"].as_str(), app.settings.issuer())
    );
    oauth
        .handle_callback_url(&callback)
        .await
        .expect("code exchanged for tokens");

    let manager = oauth.into_authorization_manager().expect("authorized");
    let mut granted = manager.get_current_scopes().await;
    granted.sort();
    assert_eq!(
        granted,
        [
            "mcp:prompts",
            "mcp:resources",
            "mcp:tools",
            "system:monitor",
            "system:read"
        ]
    );
    let client = AuthClient::new(reqwest013::Client::default(), manager);
    let transport = StreamableHttpClientTransport::with_client(
        client,
        StreamableHttpClientTransportConfig::with_uri(mcp_url.as_str()),
    );
    let session = ().serve(transport).await.expect("initialize");
    exercise_every_feature(&session).await;
    session.cancel().await.expect("session closes");
}
on_both_engines!(the_rmcp_client_discovers_registers_authorizes_and_uses_every_feature);

/// tools, resources and prompts through rmcp, asserting on what the server really returns.
async fn exercise_every_feature(session: &RunningService<RoleClient, ()>) {
    let info = to_json(&session.peer_info().expect("server info"));
    assert!(info["capabilities"]["tools"].is_object(), "{info}");
    let tools = session.list_all_tools().await.expect("tools/list");
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    for expected in ["echo", "calculator", "system_info"] {
        assert!(names.contains(&expected), "{names:?}");
    }
    let echo = session
        .call_tool(
            CallToolRequestParams::new("echo")
                .with_arguments(object(json!({"message": "hello from rmcp"}))),
        )
        .await
        .expect("echo");
    assert_eq!(
        text_of(&to_json(&echo), "/content/0/text"),
        "hello from rmcp"
    );
    let sum = session
        .call_tool(
            CallToolRequestParams::new("calculator")
                .with_arguments(object(json!({"expression": "2^10 - sqrt(16)"}))),
        )
        .await
        .expect("calculator");
    assert_ne!(sum.is_error, Some(true), "{sum:?}");
    assert!(
        text_of(&to_json(&sum), "/content/0/text").contains("1020"),
        "{sum:?}"
    );

    let metrics = session
        .read_resource(ReadResourceRequestParams::new("system://metrics"))
        .await
        .expect("metrics");
    let metrics: Value = serde_json::from_str(&text_of(&to_json(&metrics), "/contents/0/text"))
        .expect("metrics JSON");
    assert!(metrics["memory"].is_object(), "{metrics}");
    let platform = session
        .read_resource(ReadResourceRequestParams::new("system://platform"))
        .await
        .expect("platform");
    let platform: Value = serde_json::from_str(&text_of(&to_json(&platform), "/contents/0/text"))
        .expect("platform JSON");
    assert_eq!(
        platform["architecture"],
        std::env::consts::ARCH,
        "{platform}"
    );

    let prompts = session.list_prompts(None).await.expect("prompts/list");
    assert!(
        prompts
            .prompts
            .iter()
            .any(|p| p.name == "explain_calculation"),
        "{prompts:?}"
    );
    let prompt = session
        .get_prompt(
            GetPromptRequestParams::new("explain_calculation")
                .with_arguments(object(json!({"expression": "6*7"}))),
        )
        .await
        .expect("prompts/get");
    let text = text_of(&to_json(&prompt), "/messages/0/content/text");
    assert!(text.contains("6*7") && text.contains("42"), "{text}");
}

fn object(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

async fn the_rmcp_client_is_refused_calls_outside_its_scopes_with_insufficient_scope(
    engine: Engine,
) {
    let app = spawn_app_at_public_url(engine).await.unwrap();
    let token = app
        .client_credentials_token(TEST_CLIENT, Some("mcp:tools mcp:resources system:read"))
        .await;
    let config = StreamableHttpClientTransportConfig::with_uri(app.settings.mcp_resource())
        .auth_header(token.clone());
    let session =
        ().serve(StreamableHttpClientTransport::from_config(config))
            .await
            .expect("initialize");
    let echo = session
        .call_tool(
            CallToolRequestParams::new("echo")
                .with_arguments(object(json!({"message": "in scope"}))),
        )
        .await
        .expect("echo is within mcp:tools");
    assert_eq!(text_of(&to_json(&echo), "/content/0/text"), "in scope");

    let refused = session
        .list_prompts(None)
        .await
        .expect_err("prompts/list needs mcp:prompts");
    assert_insufficient_scope(&refused, "mcp:prompts");
    let refused = session
        .read_resource(ReadResourceRequestParams::new("system://metrics"))
        .await
        .expect_err("metrics need system:monitor");
    assert_insufficient_scope(&refused, "system:monitor");
    let platform = session
        .read_resource(ReadResourceRequestParams::new("system://platform"))
        .await;
    assert!(
        platform.is_ok(),
        "a refusal leaves the session usable: {platform:?}"
    );
    session.cancel().await.expect("session closes");

    // The same refusal on the wire, without rmcp in between.
    for (message, scope) in [
        (
            json!({"jsonrpc": "2.0", "id": 1, "method": "prompts/list", "params": {}}),
            "mcp:prompts",
        ),
        (
            json!({"jsonrpc": "2.0", "id": 2, "method": "resources/read", "params": {"uri": "system://metrics"}}),
            "system:monitor",
        ),
    ] {
        let response = app
            .http
            .post(app.url("/mcp"))
            .bearer_auth(&token)
            .header("Accept", "application/json, text/event-stream")
            .json(&message)
            .send()
            .await
            .expect("POST /mcp");
        assert_eq!(response.status(), 403, "{message}");
        let challenge = response.headers()["www-authenticate"]
            .to_str()
            .expect("ASCII")
            .to_string();
        assert!(
            challenge.starts_with("Bearer ") && challenge.contains("error=\"insufficient_scope\""),
            "{challenge}"
        );
        assert!(challenge.contains(scope), "{challenge}");
    }
}
on_both_engines!(the_rmcp_client_is_refused_calls_outside_its_scopes_with_insufficient_scope);

/// rmcp surfaces a 403 challenge as a transport error that carries the `WWW-Authenticate` header.
fn assert_insufficient_scope(error: &ServiceError, scope: &str) {
    let header = error
        .auth_challenge()
        .unwrap_or_else(|| panic!("expected an authorization challenge, got {error:?}"));
    assert!(
        header.contains("error=\"insufficient_scope\"") && header.contains(scope),
        "{header}"
    );
}
