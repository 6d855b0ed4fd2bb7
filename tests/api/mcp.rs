//! The Streamable HTTP MCP endpoint: auth challenges, scopes, transport leniency, CORS, Origin.

use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

use crate::helpers::Engine;
use crate::helpers::{CLAUDE, TEST_CLIENT, TestApp, spawn_app, spawn_app_with};
use crate::on_both_engines;

/// POSTs one JSON-RPC message to `path` and returns the status, headers and JSON body.
async fn rpc(
    app: &TestApp,
    path: &str,
    token: &str,
    message: Value,
    accept: Option<&str>,
) -> (u16, HeaderMap, Value) {
    let mut request = app
        .http
        .post(app.url(path))
        .bearer_auth(token)
        .json(&message);
    if let Some(accept) = accept {
        request = request.header("Accept", accept);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

fn initialize() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"}}})
}

fn call(id: i64, method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

fn challenge(headers: &HeaderMap) -> String {
    headers
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

async fn requests_without_a_token_get_401_pointing_at_the_resource_metadata(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let metadata_url = format!(
        "{}/.well-known/oauth-protected-resource/mcp",
        app.settings.issuer()
    );
    for method in [
        reqwest::Method::POST,
        reqwest::Method::GET,
        reqwest::Method::HEAD,
        reqwest::Method::DELETE,
    ] {
        let response = app
            .http
            .request(method.clone(), app.url("/mcp"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{method}");
        let header = challenge(response.headers());
        assert!(header.starts_with("Bearer "), "{header}");
        assert!(
            header.contains(&format!("resource_metadata=\"{metadata_url}\"")),
            "{header}"
        );
        assert!(
            !header.contains("error="),
            "no error code without a token: {header}"
        );
    }
    let response = app
        .http
        .post(app.url("/mcp"))
        .bearer_auth("not.a.jwt")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(challenge(response.headers()).contains("error=\"invalid_token\""));
}
on_both_engines!(requests_without_a_token_get_401_pointing_at_the_resource_metadata);

async fn a_revoked_token_is_refused_at_once(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let token = app
        .client_credentials_token(CLAUDE, Some("mcp:tools"))
        .await;
    assert_eq!(rpc(&app, "/mcp", &token, initialize(), None).await.0, 200);
    app.post_form(
        "/oauth/revoke",
        &[
            ("token", &token),
            ("client_id", CLAUDE.0),
            ("client_secret", CLAUDE.1),
        ],
    )
    .await;
    let (status, headers, _) = rpc(&app, "/mcp", &token, initialize(), None).await;
    assert_eq!(status, 401);
    assert!(challenge(&headers).contains("revoked"));
}
on_both_engines!(a_revoked_token_is_refused_at_once);

async fn initialize_list_and_call_work_on_mcp_and_mcp_slash_with_lenient_accept(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let token = app
        .client_credentials_token(
            CLAUDE,
            Some("mcp:tools mcp:resources mcp:prompts system:read system:monitor"),
        )
        .await;
    for (path, accept) in [
        ("/mcp", Some("application/json, text/event-stream")),
        ("/mcp/", Some("application/json")),
        ("/mcp", Some("*/*")),
        ("/mcp", None),
    ] {
        let (status, _, body) = rpc(&app, path, &token, initialize(), accept).await;
        assert_eq!(status, 200, "{path} {accept:?}: {body}");
        assert_eq!(body["result"]["protocolVersion"], "2025-06-18");
        assert!(body["result"]["capabilities"]["tools"].is_object());
    }
    let notification = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    assert_eq!(rpc(&app, "/mcp", &token, notification, None).await.0, 202);
    let (_, _, tools) = rpc(&app, "/mcp", &token, call(2, "tools/list", json!({})), None).await;
    let names: Vec<&str> = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for expected in ["echo", "calculator", "system_info"] {
        assert!(names.contains(&expected), "{names:?}");
    }
    let (_, _, echo) = rpc(
        &app,
        "/mcp",
        &token,
        call(
            3,
            "tools/call",
            json!({"name": "echo", "arguments": {"message": "hi there"}}),
        ),
        None,
    )
    .await;
    assert_eq!(echo["result"]["content"][0]["text"], "hi there");
    let (_, _, calc) = rpc(
        &app,
        "/mcp",
        &token,
        call(
            4,
            "tools/call",
            json!({"name": "calculator", "arguments": {"expression": "2^10 - sqrt(16)"}}),
        ),
        None,
    )
    .await;
    assert_ne!(calc["result"]["isError"], true, "{calc}");
    assert!(
        calc["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("1020"),
        "{calc}"
    );
    let (_, _, div) = rpc(
        &app,
        "/mcp",
        &token,
        call(
            5,
            "tools/call",
            json!({"name": "calculator", "arguments": {"expression": "1/0"}}),
        ),
        None,
    )
    .await;
    assert_eq!(
        div["result"]["isError"], true,
        "a tool error, not a protocol error: {div}"
    );
    let (_, _, metrics) = rpc(
        &app,
        "/mcp",
        &token,
        call(6, "resources/read", json!({"uri": "system://metrics"})),
        None,
    )
    .await;
    assert!(
        metrics["result"]["contents"][0]["text"]
            .as_str()
            .unwrap()
            .contains("memory"),
        "{metrics}"
    );
    let (_, _, missing) = rpc(
        &app,
        "/mcp",
        &token,
        call(7, "resources/read", json!({"uri": "system://nope"})),
        None,
    )
    .await;
    assert_eq!(missing["error"]["code"], -32002, "{missing}");
    let (_, _, prompt) = rpc(
        &app,
        "/mcp",
        &token,
        call(8, "prompts/get", json!({"name": "explain_calculation"})),
        None,
    )
    .await;
    assert_eq!(prompt["error"]["code"], -32602, "{prompt}");
    let (_, _, prompt) = rpc(
        &app,
        "/mcp",
        &token,
        call(
            9,
            "prompts/get",
            json!({"name": "explain_calculation", "arguments": {"expression": "1+2"}}),
        ),
        None,
    )
    .await;
    assert!(
        prompt["result"]["messages"]
            .as_array()
            .is_some_and(|m| !m.is_empty()),
        "{prompt}"
    );
}
on_both_engines!(initialize_list_and_call_work_on_mcp_and_mcp_slash_with_lenient_accept);

async fn calls_outside_the_tokens_scopes_get_403_insufficient_scope(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let token = app
        .client_credentials_token(TEST_CLIENT, Some("mcp:tools mcp:resources system:read"))
        .await;
    let (status, headers, body) = rpc(
        &app,
        "/mcp",
        &token,
        call(1, "prompts/list", json!({})),
        None,
    )
    .await;
    assert_eq!(status, 403);
    let header = challenge(&headers);
    assert!(
        header.contains("error=\"insufficient_scope\"") && header.contains("scope=\"mcp:prompts\""),
        "{header}"
    );
    assert_eq!(body["id"], 1);
    let (status, headers, _) = rpc(
        &app,
        "/mcp",
        &token,
        call(2, "resources/read", json!({"uri": "system://metrics"})),
        None,
    )
    .await;
    assert_eq!(status, 403);
    assert!(challenge(&headers).contains("system:monitor"));
    let (status, _, body) = rpc(
        &app,
        "/mcp",
        &token,
        call(
            3,
            "tools/call",
            json!({"name": "system_info", "arguments": {}}),
        ),
        None,
    )
    .await;
    assert_eq!(status, 200, "the test client has system:read: {body}");
    assert!(body["result"]["structuredContent"].is_object(), "{body}");

    let narrow = app
        .client_credentials_token(TEST_CLIENT, Some("mcp:tools"))
        .await;
    let (status, headers, _) = rpc(
        &app,
        "/mcp",
        &narrow,
        call(
            4,
            "tools/call",
            json!({"name": "system_info", "arguments": {}}),
        ),
        None,
    )
    .await;
    assert_eq!(status, 403);
    assert!(challenge(&headers).contains("system:read"));
    let (_, _, tools) = rpc(
        &app,
        "/mcp",
        &narrow,
        call(5, "tools/list", json!({})),
        None,
    )
    .await;
    let names: Vec<&str> = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"echo") && !names.contains(&"system_info"),
        "lists show only usable tools: {names:?}"
    );
    let resources_only = app
        .client_credentials_token(TEST_CLIENT, Some("mcp:resources"))
        .await;
    assert_eq!(
        rpc(
            &app,
            "/mcp",
            &resources_only,
            call(6, "tools/list", json!({})),
            None
        )
        .await
        .0,
        403
    );
}
on_both_engines!(calls_outside_the_tokens_scopes_get_403_insufficient_scope);

async fn browser_clients_get_cors_and_bad_origins_or_hosts_get_403(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let preflight = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/mcp"))
        .header("Origin", "http://localhost:6274")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type, mcp-protocol-version",
        )
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "http://localhost:6274"
    );
    let token = app
        .client_credentials_token(CLAUDE, Some("mcp:tools"))
        .await;
    let response = app
        .http
        .post(app.url("/mcp"))
        .bearer_auth(&token)
        .header("Origin", "http://localhost:6274")
        .json(&initialize())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let exposed = response.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        exposed.contains("mcp-session-id") && exposed.contains("www-authenticate"),
        "{exposed}"
    );
    let evil = app
        .http
        .post(app.url("/mcp"))
        .bearer_auth(&token)
        .header("Origin", "https://evil.example")
        .json(&initialize())
        .send()
        .await
        .unwrap();
    assert_eq!(evil.status(), 403);
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("attacker.example"));
    let rebound = app
        .http
        .post(app.url("/mcp"))
        .bearer_auth(&token)
        .headers(headers)
        .json(&initialize())
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 403, "unlisted Host (DNS rebinding)");
}
on_both_engines!(browser_clients_get_cors_and_bad_origins_or_hosts_get_403);

async fn protected_resource_metadata_names_the_resource_and_issuer(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    for path in [
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource",
    ] {
        let response = app
            .http
            .get(app.url(path))
            .header("Origin", "https://anything.example")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["access-control-allow-origin"], "*");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["resource"], app.settings.mcp_resource());
        assert_eq!(
            body["authorization_servers"],
            json!([app.settings.issuer()])
        );
        assert_eq!(body["bearer_methods_supported"], json!(["header"]));
        assert_eq!(body["scopes_supported"].as_array().unwrap().len(), 5);
        assert!(body["resource_name"].is_string() && body["resource_documentation"].is_string());
    }
}
on_both_engines!(protected_resource_metadata_names_the_resource_and_issuer);

async fn prompt_arguments_complete_behind_the_prompts_scopes(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let complete = |prefix: &str| {
        call(
            1,
            "completion/complete",
            json!({
            "ref": {"type": "ref/prompt", "name": "system_health_report"},
            "argument": {"name": "focus", "value": prefix}}),
        )
    };
    let token = app
        .client_credentials_token(CLAUDE, Some("mcp:prompts system:monitor"))
        .await;
    let (status, _, body) = rpc(&app, "/mcp", &token, complete("m"), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["completion"]["values"], json!(["memory"]));
    let (_, _, all) = rpc(&app, "/mcp", &token, complete(""), None).await;
    assert_eq!(
        all["result"]["completion"]["values"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    let without_monitor = app
        .client_credentials_token(CLAUDE, Some("mcp:prompts"))
        .await;
    let (status, headers, _) = rpc(&app, "/mcp", &without_monitor, complete("m"), None).await;
    assert_eq!(status, 403);
    assert!(challenge(&headers).contains("system:monitor"));
}
on_both_engines!(prompt_arguments_complete_behind_the_prompts_scopes);

/// The events of an SSE body, each as its `(field, value)` lines (comments dropped).
fn sse_events(body: &str) -> Vec<Vec<(String, String)>> {
    body.split("\n\n")
        .map(|event| {
            event
                .lines()
                .filter(|line| !line.is_empty() && !line.starts_with(':'))
                .map(|line| {
                    let (field, value) = line.split_once(':').unwrap_or((line, ""));
                    (field.to_string(), value.trim_start().to_string())
                })
                .collect::<Vec<_>>()
        })
        .filter(|event| !event.is_empty())
        .collect()
}

fn field<'a>(event: &'a [(String, String)], name: &str) -> Option<&'a str> {
    event
        .iter()
        .find(|(field, _)| field == name)
        .map(|(_, value)| value.as_str())
}

/// A SEP-1699 priming event: an id, no JSON-RPC message.
fn is_priming(event: &[(String, String)]) -> bool {
    field(event, "id").is_some() && field(event, "data").unwrap_or_default().trim().is_empty()
}

/// Opens a stateful session on `version`; returns the SSE bodies of its `initialize` reply and
/// of a `tools/list` reply.
async fn session_streams(app: &TestApp, token: &str, version: &str) -> (String, String) {
    let post = |message: Value, session: Option<&str>| {
        let mut request = app
            .http
            .post(app.url("/mcp"))
            .bearer_auth(token)
            .header("Accept", "application/json, text/event-stream")
            .json(&message);
        if let Some(session) = session {
            request = request
                .header("Mcp-Session-Id", session)
                .header("MCP-Protocol-Version", version);
        }
        request.send()
    };
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": version, "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"}}});
    let response = post(init, None).await.unwrap();
    assert_eq!(response.status(), 200);
    let session = response.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_string();
    let initialize_body = response.text().await.unwrap();
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let response = post(initialized, Some(&session)).await.unwrap();
    assert_eq!(response.status(), 202);
    let response = post(call(2, "tools/list", json!({})), Some(&session))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    (initialize_body, response.text().await.unwrap())
}

async fn stateful_streams_are_primed_only_for_sessions_on_2025_11_25(engine: Engine) {
    let app = spawn_app_with(engine, |s| s.mcp.stateful = true)
        .await
        .unwrap();
    let token = app
        .client_credentials_token(CLAUDE, Some("mcp:tools"))
        .await;

    // A 2025-06-18 client (and any gateway in front of it) gets what it got before: every event
    // carries a JSON-RPC message, and nothing says `retry:`.
    let (initialize_body, list_body) = session_streams(&app, &token, "2025-06-18").await;
    assert!(initialize_body.contains(r#""protocolVersion":"2025-06-18""#));
    for body in [&initialize_body, &list_body] {
        let events = sse_events(body);
        assert!(!events.is_empty(), "{body}");
        for event in &events {
            assert!(!is_priming(event), "priming event for 2025-06-18: {body}");
            assert_eq!(field(event, "retry"), None, "{body}");
            let data = field(event, "data").unwrap();
            assert!(serde_json::from_str::<Value>(data).is_ok(), "{body}");
        }
    }
    assert!(list_body.contains(r#""tools":"#), "{list_body}");

    // A 2025-11-25 client gets a priming event with an id and `retry:` first on each call's
    // stream (SEP-1699), then the reply; `initialize` is answered as before.
    let (initialize_body, list_body) = session_streams(&app, &token, "2025-11-25").await;
    assert!(initialize_body.contains(r#""protocolVersion":"2025-11-25""#));
    assert!(
        sse_events(&initialize_body).iter().all(|e| !is_priming(e)),
        "{initialize_body}"
    );
    let events = sse_events(&list_body);
    assert!(is_priming(&events[0]), "{list_body}");
    assert!(field(&events[0], "retry").is_some(), "{list_body}");
    assert!(
        events[1..].iter().all(|e| !is_priming(e)),
        "one priming event: {list_body}"
    );
    assert!(list_body.contains(r#""tools":"#), "{list_body}");
}
on_both_engines!(stateful_streams_are_primed_only_for_sessions_on_2025_11_25);
