//! What MCP clients see through the gateway: server-everything (npm) over Streamable HTTP
//! reached through `/mcp`, rmcp's client and the TypeScript SDK's client, and progress from an
//! upstream reaching an rmcp client under its own token.

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

use super::everything::{SCOPE, stdio_app};
use super::{Spawned, add_upstream, call, everything_js, readyz, text, token_for};
use crate::helpers::{Engine, free_loopback_port, spawn_app_with};
use crate::on_both_engines;

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
    let Some(app) = stdio_app(engine, "", |s| s.mcp.stateful = true).await else {
        return;
    };
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

on_both_engines!(
    server_everything_over_http_is_reached_through_mcp_rmcp_and_the_ts_sdk,
    progress_from_an_upstream_reaches_the_caller_under_its_own_token,
);
