//! The gateway with a real upstream MCP server: `mcp-server-time` from PyPI (pinned in
//! tests/upstreams/requirements.txt) over stdio, behind this server's OAuth.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mcp_oauth::config::{CustomScope, Settings, UpstreamSettings};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{Engine, TestApp, spawn_app_with};
use crate::on_both_engines;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const REDIRECT: &str = "https://time.example/callback";

fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/upstreams")
}

/// The venv's `mcp-server-time`, installed once when missing; `None` (and a notice) when this
/// machine has no python3.
fn time_server() -> Option<PathBuf> {
    static INSTALL: Once = Once::new();
    let program = folder().join(".venv/bin/mcp-server-time");
    INSTALL.call_once(|| {
        if program.exists() {
            return;
        }
        let venv = std::process::Command::new("python3")
            .args(["-m", "venv"])
            .arg(folder().join(".venv"))
            .status();
        if !venv.is_ok_and(|s| s.success()) {
            let _ = std::io::stderr()
                .write_all(b"\n*** python3 -m venv failed: the gateway tests are SKIPPED. ***\n");
            return;
        }
        let status = std::process::Command::new(folder().join(".venv/bin/pip"))
            .args(["install", "-q", "--no-deps", "-r"])
            .arg(folder().join("requirements.txt"))
            .status()
            .expect("run pip");
        assert!(
            status.success(),
            "pip install -r tests/upstreams/requirements.txt failed"
        );
    });
    program.exists().then_some(program)
}

/// `local_zone` also tells this test's child from the others' (pkill matches on it).
fn with_time_upstream(settings: &mut Settings, program: &Path, local_zone: &str) {
    settings.scopes.custom.push(CustomScope {
        name: "time:read".into(),
        description: "Read the current time and convert between time zones.".into(),
    });
    let toml = format!(
        "name = \"time\"\ntransport = \"stdio\"\ncommand = {:?}\n\
         args = [\"--local-timezone\", {local_zone:?}]\nscopes = [\"time:read\"]\n",
        program.display().to_string()
    );
    let upstream: UpstreamSettings = config::Config::builder()
        .add_source(config::File::from_str(&toml, config::FileFormat::Toml))
        .build()
        .and_then(config::Config::try_deserialize)
        .expect("an upstream");
    settings.mcp.upstreams.push(upstream);
    settings.mcp.upstream_start_wait_secs = 60;
}

async fn token_for(app: &TestApp, scope: &str) -> String {
    let registered: Value = app
        .http
        .post(app.url("/oauth/register"))
        .json(&json!({
            "client_name": "Time assistant",
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "none",
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client_id = registered["client_id"].as_str().expect("client_id");
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
    let code = app
        .issue_code(client_id, REDIRECT, scope, Some((&challenge, "S256")))
        .await;
    let (status, body) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("client_id", client_id),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().expect("token").to_owned()
}

async fn rpc(app: &TestApp, token: &str, method: &str, params: Value) -> (u16, Value, String) {
    let response = app
        .http
        .post(app.url("/mcp"))
        .bearer_auth(token)
        .json(&json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body, challenge)
}

fn tool_names(body: &Value) -> Vec<String> {
    body["result"]["tools"]
        .as_array()
        .map(|tools| {
            tools
                .iter()
                .filter_map(|t| t["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn an_upstream_servers_tools_are_listed_and_called_only_with_its_scope(engine: Engine) {
    let Some(program) = time_server() else { return };
    let app = spawn_app_with(engine, |s| with_time_upstream(s, &program, "UTC"))
        .await
        .unwrap();
    let ready: Value = app
        .http
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready", "{ready}");
    assert_eq!(ready["upstreams"][0]["state"], "up", "{ready}");

    let granted = token_for(&app, "mcp:tools time:read").await;
    let (status, body, _) = rpc(&app, &granted, "tools/list", json!({})).await;
    assert_eq!(status, 200, "{body}");
    let names = tool_names(&body);
    assert!(
        names.contains(&"time__get_current_time".to_owned()),
        "{names:?}"
    );
    assert!(names.contains(&"echo".to_owned()), "{names:?}");
    let (status, body, _) = rpc(
        &app,
        &granted,
        "tools/call",
        json!({"name": "time__get_current_time", "arguments": {"timezone": "Europe/Paris"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["isError"], false, "{body}");
    assert_eq!(
        body["result"]["structuredContent"]["timezone"], "Europe/Paris",
        "{body}"
    );

    let tools_only = token_for(&app, "mcp:tools").await;
    let (_, body, _) = rpc(&app, &tools_only, "tools/list", json!({})).await;
    assert!(
        tool_names(&body).iter().all(|n| !n.starts_with("time__")),
        "{body}"
    );
    let (status, body, challenge) = rpc(
        &app,
        &tools_only,
        "tools/call",
        json!({"name": "time__get_current_time", "arguments": {"timezone": "UTC"}}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(challenge.contains("insufficient_scope"), "{challenge}");
    assert!(challenge.contains("time:read"), "{challenge}");
}

async fn a_killed_upstream_is_reported_degraded_and_restarted(engine: Engine) {
    let Some(program) = time_server() else { return };
    let zone = match engine {
        Engine::Sqlite => "America/Lima",
        Engine::Postgres => "Asia/Tokyo",
    };
    let app = spawn_app_with(engine, |s| with_time_upstream(s, &program, zone))
        .await
        .unwrap();
    let granted = token_for(&app, "mcp:tools time:read").await;
    let call = json!({"name": "time__get_current_time", "arguments": {"timezone": "UTC"}});
    let (status, body, _) = rpc(&app, &granted, "tools/call", call.clone()).await;
    assert_eq!(body["result"]["isError"], false, "{status} {body}");
    // This test's child: ours (parent is this process) with this test's zone.
    let pattern = format!("mcp-server-time --local-timezone {zone}");
    let killed = std::process::Command::new("pkill")
        .args([
            "-TERM",
            "-P",
            &std::process::id().to_string(),
            "-f",
            &pattern,
        ])
        .status()
        .expect("pkill");
    assert!(
        killed.success(),
        "the upstream child was found and signalled"
    );
    let mut saw_down = false;
    let mut answered = None;
    for _ in 0..120 {
        let (status, body, _) = rpc(&app, &granted, "tools/call", call.clone()).await;
        assert_eq!(status, 200, "never a 5xx: {body}");
        if body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Upstream time is unavailable"))
        {
            saw_down = true;
        } else if saw_down && body["result"]["isError"] == false {
            answered = Some(body);
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(saw_down, "calls while it was down got the clear error");
    assert!(
        answered.is_some(),
        "the upstream was restarted and answers again"
    );
    let ready: Value = app
        .http
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        ready["upstreams"][0]["restarts"].as_u64() >= Some(1),
        "{ready}"
    );
}

on_both_engines!(
    an_upstream_servers_tools_are_listed_and_called_only_with_its_scope,
    a_killed_upstream_is_reported_degraded_and_restarted,
);
