//! The conformance suite's fixtures (`examples/conformance_server`) behind the real guard: the
//! same 401/403 challenges as the built-ins, and fixture calls that work end to end.

use std::sync::Arc;
use std::time::Duration;

use mcp_oauth::mcp::SystemMonitor;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::helpers::{CLAUDE, Engine, TEST_CLIENT, TestApp, spawn_app_with_catalog};
use crate::on_both_engines;

/// The very catalogue the example serves to the suite.
#[path = "../../examples/conformance_server/fixtures/mod.rs"]
mod fixtures;

async fn spawn_fixtures(engine: Engine) -> Option<TestApp> {
    let catalog = fixtures::catalog(Arc::new(SystemMonitor::new())).unwrap();
    spawn_app_with_catalog(engine, catalog).await
}

/// POSTs one JSON-RPC request the 2026-07-28 way: routing headers and `_meta` on every call
/// (any `_meta` keys in `params` are kept).
async fn rpc(
    app: &TestApp,
    token: Option<&str>,
    method: &str,
    params: Value,
) -> (u16, HeaderMap, Value) {
    let (status, headers, text) = rpc_text(app, token, method, params).await;
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, headers, body)
}

/// [`rpc`], with the body as sent (an SSE stream when the server sent notifications first).
async fn rpc_text(
    app: &TestApp,
    token: Option<&str>,
    method: &str,
    params: Value,
) -> (u16, HeaderMap, String) {
    let response = request(app, token, method, params).send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

fn request(
    app: &TestApp,
    token: Option<&str>,
    method: &str,
    params: Value,
) -> reqwest::RequestBuilder {
    // Mcp-Name routes by the tool or prompt name, or the resource URI.
    let name = ["name", "uri"]
        .iter()
        .find_map(|key| params.get(*key)?.as_str())
        .map(str::to_owned);
    let mut params = params;
    let meta = &mut params["_meta"];
    meta["io.modelcontextprotocol/protocolVersion"] = json!("2026-07-28");
    meta["io.modelcontextprotocol/clientCapabilities"] = json!({ "elicitation": {} });
    let mut request = app
        .http
        .post(app.url("/mcp"))
        .header("Accept", "application/json, text/event-stream")
        .header("MCP-Protocol-Version", "2026-07-28")
        .header("Mcp-Method", method)
        .json(&json!({ "jsonrpc": "2.0", "id": 7, "method": method, "params": params }));
    if let Some(name) = name {
        request = request.header("Mcp-Name", name);
    }
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request
}

fn challenge(headers: &HeaderMap) -> &str {
    headers
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

async fn fixture_calls_without_a_token_get_the_401_challenge(engine: Engine) {
    let Some(app) = spawn_fixtures(engine).await else {
        return;
    };
    let params = json!({ "name": "test_simple_text", "arguments": {} });
    let (status, headers, _) = rpc(&app, None, "tools/call", params).await;
    assert_eq!(status, 401);
    let header = challenge(&headers);
    assert!(
        header.starts_with("Bearer ") && header.contains("resource_metadata="),
        "{header}"
    );
}
on_both_engines!(fixture_calls_without_a_token_get_the_401_challenge);

async fn a_token_without_mcp_tools_gets_403_and_the_step_up_scope(engine: Engine) {
    let Some(app) = spawn_fixtures(engine).await else {
        return;
    };
    let token = app
        .client_credentials_token(TEST_CLIENT, Some("mcp:resources"))
        .await;
    let params = json!({ "name": "test_simple_text", "arguments": {} });
    let (status, headers, body) = rpc(&app, Some(&token), "tools/call", params).await;
    assert_eq!(status, 403, "{body}");
    let header = challenge(&headers);
    assert!(
        header.contains("error=\"insufficient_scope\"") && header.contains("mcp:tools"),
        "{header}"
    );
}
on_both_engines!(a_token_without_mcp_tools_gets_403_and_the_step_up_scope);

async fn fixtures_answer_as_the_suite_expects(engine: Engine) {
    let Some(app) = spawn_fixtures(engine).await else {
        return;
    };
    let token = app.client_credentials_token(CLAUDE, None).await;
    let params = json!({ "name": "test_simple_text", "arguments": {} });
    let (status, _, body) = rpc(&app, Some(&token), "tools/call", params).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["result"]["content"][0]["text"],
        "This is a simple text response for testing."
    );
    let params = json!({ "uri": "test://template/123/data" });
    let (_, _, body) = rpc(&app, Some(&token), "resources/read", params).await;
    let text = body["result"]["contents"][0]["text"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(
        text, r#"{"id":"123","templateTest":true,"data":"Data for ID: 123"}"#,
        "{body}"
    );
    let (_, _, body) = rpc(&app, Some(&token), "tools/list", json!({})).await;
    let names: Vec<&str> = body["result"]["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|tool| tool["name"].as_str())
        .collect();
    assert!(
        names.contains(&"echo") && names.contains(&"test_input_required_result_elicitation"),
        "{names:?}"
    );
}
on_both_engines!(fixtures_answer_as_the_suite_expects);

async fn a_tampered_request_state_is_refused_with_invalid_params(engine: Engine) {
    let Some(app) = spawn_fixtures(engine).await else {
        return;
    };
    let token = app.client_credentials_token(CLAUDE, None).await;
    let tool = "test_input_required_result_tampered_state";
    let (_, _, first) = rpc(
        &app,
        Some(&token),
        "tools/call",
        json!({ "name": tool, "arguments": {} }),
    )
    .await;
    assert_eq!(first["result"]["resultType"], "input_required", "{first}");
    let sealed = first["result"]["requestState"].as_str().unwrap().to_owned();
    let answer = json!({ "confirm": { "action": "accept", "content": { "ok": true } } });
    let retry = |state: String| json!({ "name": tool, "arguments": {}, "inputResponses": answer, "requestState": state });
    let (_, _, honest) = rpc(&app, Some(&token), "tools/call", retry(sealed.clone())).await;
    assert_eq!(
        honest["result"]["content"][0]["text"], "integrity-ok: state verified",
        "{honest}"
    );
    let (_, _, tampered) = rpc(
        &app,
        Some(&token),
        "tools/call",
        retry(format!("{sealed}-TAMPERED")),
    )
    .await;
    assert_eq!(tampered["error"]["code"], -32602, "{tampered}");
}
on_both_engines!(a_tampered_request_state_is_refused_with_invalid_params);

async fn log_messages_reach_only_requests_that_ask_for_them(engine: Engine) {
    let Some(app) = spawn_fixtures(engine).await else {
        return;
    };
    let token = app.client_credentials_token(CLAUDE, None).await;
    let call = |meta: Value| json!({ "name": "test_logging_tool", "arguments": {}, "_meta": meta });
    let (status, _, quiet) = rpc_text(&app, Some(&token), "tools/call", call(json!({}))).await;
    assert_eq!(status, 200, "{quiet}");
    assert!(quiet.contains("Logging evaluated"), "{quiet}");
    assert!(!quiet.contains("notifications/message"), "{quiet}");
    let asked = json!({ "io.modelcontextprotocol/logLevel": "info" });
    let (_, _, logged) = rpc_text(&app, Some(&token), "tools/call", call(asked)).await;
    assert!(logged.contains("notifications/message"), "{logged}");
    let above = json!({ "io.modelcontextprotocol/logLevel": "error" });
    let (_, _, filtered) = rpc_text(&app, Some(&token), "tools/call", call(above)).await;
    assert!(!filtered.contains("notifications/message"), "{filtered}");
}
on_both_engines!(log_messages_reach_only_requests_that_ask_for_them);

async fn a_listen_stream_hears_the_list_change_a_tool_announces(engine: Engine) {
    let Some(app) = spawn_fixtures(engine).await else {
        return;
    };
    let token = app.client_credentials_token(CLAUDE, None).await;
    let filter = json!({ "notifications": { "toolsListChanged": true } });
    let mut stream = request(&app, Some(&token), "subscriptions/listen", filter)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut seen = String::new();
    let mut next = async || {
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.chunk()).await;
        let chunk = chunk
            .expect("a frame within 5 s")
            .unwrap()
            .expect("stream open");
        String::from_utf8_lossy(&chunk).into_owned()
    };
    while !seen.contains("notifications/subscriptions/acknowledged") {
        seen.push_str(&next().await);
    }
    let trigger = json!({ "name": "test_trigger_tool_change", "arguments": {} });
    let (status, _, body) = rpc(&app, Some(&token), "tools/call", trigger).await;
    assert_eq!(status, 200, "{body}");
    while !seen.contains("notifications/tools/list_changed") {
        seen.push_str(&next().await);
    }
    assert!(
        seen.contains("io.modelcontextprotocol/subscriptionId"),
        "{seen}"
    );
}
on_both_engines!(a_listen_stream_hears_the_list_change_a_tool_announces);
