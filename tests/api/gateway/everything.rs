//! `@modelcontextprotocol/server-everything` (npm) behind OAuth, over stdio and over Streamable
//! HTTP: listed, called, read and shown on the consent page only under its scope; reached
//! through `/mcp`, rmcp's client and the TypeScript SDK's; its progress reaches the caller; a
//! call slower than the upstream's timeout is cut off; the child sees none of our environment.

use std::path::Path;
use std::sync::{Arc, Mutex};

use mcp_oauth::config::Settings;
use rmcp::ServiceExt;
use rmcp::model::{
    CallToolRequestParams, ClientRequest, ProgressNotificationParam, Request, ServerResult,
};
use rmcp::service::{NotificationContext, PeerRequestOptions, RoleClient};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};

use super::{
    Spawned, add_upstream, call, everything_js, quoted, readyz, rpc, text, token_for, tool_names,
};
use crate::browser::{pkce_pair, to_consent};
use crate::dynamic_client::register_public;
use crate::helpers::{Engine, free_loopback_port, spawn_app_with};
use crate::on_both_engines;

const SCOPE: &str = "everything:use";

fn over_stdio(settings: &mut Settings, script: &Path, extra: &str) {
    let toml = format!(
        "name = \"everything\"\ntransport = \"stdio\"\ncommand = \"node\"\n\
         args = [{}, \"stdio\"]\nenv = {{ GREETING = \"from-config\" }}\n\
         scopes = [\"{SCOPE}\"]\ndeny = [\"toggle-simulated-logging\"]\n{extra}",
        quoted(script)
    );
    add_upstream(settings, &[SCOPE], &toml);
}

/// server-everything's Streamable HTTP transport on a free loopback port.
async fn http_upstream(script: &Path) -> (Spawned, String) {
    let port = free_loopback_port();
    let mut command = std::process::Command::new("node");
    command
        .arg(script)
        .arg("streamableHttp")
        .env("PORT", port.to_string());
    let spawned = Spawned::listening(command, port).await;
    (spawned, format!("http://127.0.0.1:{port}/mcp"))
}

fn over_http(settings: &mut Settings, url: &str) {
    let toml = format!(
        "name = \"everything\"\ntransport = \"http\"\nurl = {url:?}\nscopes = [\"{SCOPE}\"]\n"
    );
    add_upstream(settings, &[SCOPE], &toml);
}

async fn server_everything_over_stdio_is_offered_only_under_its_scope(engine: Engine) {
    let Some(script) = everything_js() else {
        return;
    };
    let app = spawn_app_with(engine, |s| over_stdio(s, &script, ""))
        .await
        .unwrap();
    assert_eq!(readyz(&app).await["upstreams"][0]["state"], "up");

    let token = token_for(
        &app,
        &format!("mcp:tools mcp:resources mcp:prompts {SCOPE}"),
    )
    .await;
    let (_, body, _) = rpc(&app, &token, "tools/list", json!({})).await;
    let names = tool_names(&body);
    for offered in [
        "everything__echo",
        "everything__get-sum",
        "echo",
        "calculator",
    ] {
        assert!(names.iter().any(|n| n == offered), "{offered}: {names:?}");
    }
    assert!(
        !names
            .iter()
            .any(|n| n == "everything__toggle-simulated-logging"),
        "denied: {names:?}"
    );
    let sum = call(&app, &token, "everything__get-sum", json!({"a": 2, "b": 3})).await;
    assert_eq!(text(&sum), "The sum of 2 and 3 is 5.", "{sum}");
    let echo = call(&app, &token, "echo", json!({"message": "ours"})).await;
    assert!(
        !text(&echo).starts_with("Echo: "),
        "the built-in echo: {echo}"
    );
    let denied = call(
        &app,
        &token,
        "everything__toggle-simulated-logging",
        json!({}),
    )
    .await;
    assert!(denied["error"].is_object(), "{denied}");

    let (_, listed, _) = rpc(&app, &token, "resources/list", json!({})).await;
    let uri = "demo://resource/static/document/architecture.md";
    assert!(listed.to_string().contains(uri), "{listed}");
    let (_, read, _) = rpc(&app, &token, "resources/read", json!({"uri": uri})).await;
    let contents = read["result"]["contents"][0]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(!contents.is_empty(), "{read}");
    let (_, prompt, _) = rpc(
        &app,
        &token,
        "prompts/get",
        json!({"name": "everything__args-prompt", "arguments": {"city": "Lima"}}),
    )
    .await;
    assert!(
        prompt["result"]["messages"].to_string().contains("Lima"),
        "{prompt}"
    );

    let without = token_for(&app, "mcp:tools mcp:resources mcp:prompts").await;
    let (_, body, _) = rpc(&app, &without, "tools/list", json!({})).await;
    assert!(
        tool_names(&body)
            .iter()
            .all(|n| !n.starts_with("everything__")),
        "{body}"
    );
    let (status, body, challenge) = rpc(
        &app,
        &without,
        "tools/call",
        json!({"name": "everything__get-sum", "arguments": {"a": 1, "b": 1}}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        challenge.contains("insufficient_scope") && challenge.contains(SCOPE),
        "{challenge}"
    );
}

async fn the_consent_page_lists_the_upstream_tools_each_scope_unlocks(engine: Engine) {
    let Some(script) = everything_js() else {
        return;
    };
    let app = spawn_app_with(engine, |s| over_stdio(s, &script, ""))
        .await
        .unwrap();
    let scope = format!("mcp:tools {SCOPE}");
    let client_id = register_public(
        &app,
        "Everything assistant",
        "https://everything.example/cb",
        Some(&scope),
    )
    .await;
    let (_, challenge) = pkce_pair();
    let page = to_consent(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", "https://everything.example/cb"),
            ("scope", &scope),
            ("state", "s"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    let section = &page[page.find(SCOPE).expect("the scope is shown")..];
    for tool in [
        "everything__echo (Echo Tool)",
        "everything__get-sum (Get Sum Tool)",
    ] {
        assert!(section.contains(tool), "{tool} in {page}");
    }
    assert!(
        !page.contains("toggle-simulated-logging"),
        "a denied tool is not offered"
    );
}

async fn a_stdio_upstream_sees_only_its_configured_environment(engine: Engine) {
    let Some(script) = everything_js() else {
        return;
    };
    let app = spawn_app_with(engine, |s| over_stdio(s, &script, ""))
        .await
        .unwrap();
    let token = token_for(&app, &format!("mcp:tools {SCOPE}")).await;
    let body = call(&app, &token, "everything__get-env", json!({})).await;
    let seen: Value = serde_json::from_str(text(&body)).expect("the child's environment");
    assert_eq!(seen["GREETING"], "from-config", "{seen}");
    assert!(seen["PATH"].is_string(), "{seen}");
    let inherited = [
        "HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER", "LANG", "LC_ALL", "TMPDIR", "TZ",
    ];
    let ours: Vec<String> = std::env::vars()
        .map(|(name, _)| name)
        .filter(|name| !inherited.contains(&name.as_str()))
        .collect();
    assert!(
        !ours.is_empty(),
        "cargo gives this test process variables of its own"
    );
    for name in &ours {
        assert!(
            seen.get(name).is_none(),
            "{name} leaked to the upstream: {seen}"
        );
    }
}

async fn server_everything_over_http_is_reached_through_mcp_rmcp_and_the_ts_sdk(engine: Engine) {
    let Some(script) = everything_js() else {
        return;
    };
    let (_upstream, url) = http_upstream(&script).await;
    let app = spawn_app_with(engine, |s| over_http(s, &url))
        .await
        .unwrap();
    assert_eq!(readyz(&app).await["upstreams"][0]["state"], "up");
    let token = token_for(&app, &format!("mcp:tools {SCOPE}")).await;
    let sum = call(
        &app,
        &token,
        "everything__get-sum",
        json!({"a": 20, "b": 22}),
    )
    .await;
    assert_eq!(text(&sum), "The sum of 20 and 22 is 42.", "{sum}");

    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(app.url("/mcp")).auth_header(token.clone()),
    );
    let client = ().serve(transport).await.expect("rmcp connects");
    let tools = client.list_all_tools().await.expect("tools/list");
    assert!(
        tools.iter().any(|t| t.name == "everything__echo"),
        "{tools:?}"
    );
    let echoed = client
        .call_tool(
            CallToolRequestParams::new("everything__echo").with_arguments(
                json!({"message": "through two hops"})
                    .as_object()
                    .unwrap()
                    .clone(),
            ),
        )
        .await
        .expect("tools/call");
    let echoed = serde_json::to_value(&echoed).unwrap();
    assert_eq!(
        echoed["content"][0]["text"], "Echo: through two hops",
        "{echoed}"
    );
    client.cancel().await.expect("closes");

    // And the official TypeScript SDK's client.
    let output = tokio::process::Command::new("node")
        .arg(super::folder().join("ts_client.mjs"))
        .arg(app.url("/mcp"))
        .arg(&token)
        .args(["everything__get-sum", r#"{"a": 1, "b": 2}"#])
        .output()
        .await
        .expect("node runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Value = serde_json::from_slice(&output.stdout).expect("its JSON line");
    assert!(
        seen["tools"]
            .as_array()
            .unwrap()
            .contains(&json!("everything__echo")),
        "{seen}"
    );
    assert_eq!(
        seen["result"]["content"][0]["text"], "The sum of 1 and 2 is 3.",
        "{seen}"
    );
}

/// Collects the progress notifications the server sends this client.
#[derive(Clone, Default)]
struct Progress(Arc<Mutex<Vec<ProgressNotificationParam>>>);

impl rmcp::ClientHandler for Progress {
    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.0.lock().unwrap().push(params);
    }
}

async fn progress_from_an_upstream_reaches_the_caller_under_its_own_token(engine: Engine) {
    let Some(script) = everything_js() else {
        return;
    };
    let app = spawn_app_with(engine, |s| {
        over_stdio(s, &script, "");
        s.mcp.stateful = true;
    })
    .await
    .unwrap();
    let token = token_for(&app, &format!("mcp:tools {SCOPE}")).await;
    let progress = Progress::default();
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(app.url("/mcp")).auth_header(token),
    );
    let client = progress
        .clone()
        .serve(transport)
        .await
        .expect("rmcp connects");
    let request = CallToolRequestParams::new("everything__trigger-long-running-operation")
        .with_arguments(
            json!({"duration": 2, "steps": 4})
                .as_object()
                .unwrap()
                .clone(),
        );
    let handle = client
        .send_cancellable_request(
            ClientRequest::CallToolRequest(Request::new(request)),
            PeerRequestOptions::no_options(),
        )
        .await
        .expect("sent");
    let mine = handle.progress_token.clone();
    let result = handle.await_response().await.expect("answered");
    assert!(
        matches!(result, ServerResult::CallToolResult(_)),
        "{result:?}"
    );
    let seen = progress.0.lock().unwrap().clone();
    assert!(seen.len() >= 2, "progress arrived: {seen:?}");
    assert!(seen.iter().all(|p| p.progress_token == mine), "{seen:?}");
    assert_eq!(seen.last().map(|p| p.total), Some(Some(4.0)), "{seen:?}");
    client.cancel().await.expect("closes");
}

async fn a_call_slower_than_the_upstream_timeout_is_cut_off(engine: Engine) {
    let Some(script) = everything_js() else {
        return;
    };
    let app = spawn_app_with(engine, |s| over_stdio(s, &script, "timeout_secs = 1\n"))
        .await
        .unwrap();
    let token = token_for(&app, &format!("mcp:tools {SCOPE}")).await;
    let started = std::time::Instant::now();
    let slow = call(
        &app,
        &token,
        "everything__trigger-long-running-operation",
        json!({"duration": 20, "steps": 2}),
    )
    .await;
    assert!(started.elapsed().as_secs() < 10, "cut off, not waited for");
    let message = slow["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("Upstream everything is unavailable") && message.contains("1 s"),
        "{slow}"
    );
    let sum = call(&app, &token, "everything__get-sum", json!({"a": 1, "b": 1})).await;
    assert_eq!(
        text(&sum),
        "The sum of 1 and 1 is 2.",
        "the upstream still answers: {sum}"
    );
}

on_both_engines!(
    server_everything_over_stdio_is_offered_only_under_its_scope,
    the_consent_page_lists_the_upstream_tools_each_scope_unlocks,
    a_stdio_upstream_sees_only_its_configured_environment,
    server_everything_over_http_is_reached_through_mcp_rmcp_and_the_ts_sdk,
    progress_from_an_upstream_reaches_the_caller_under_its_own_token,
    a_call_slower_than_the_upstream_timeout_is_cut_off,
);
