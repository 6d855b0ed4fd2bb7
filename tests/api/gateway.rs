//! The gateway with real upstream MCP servers behind this server's OAuth: `mcp-server-time`
//! (PyPI) and `@modelcontextprotocol/server-everything` (npm), both pinned in tests/upstreams;
//! plus two of ours, a hostile stdio server and a recording HTTP server on the Python SDK.
//! This file is their shared kit: installing the upstreams, describing them, tokens and calls.

mod clients;
mod everything;
mod hostile;
mod passthrough;
mod readme;
mod time;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::Duration;

use mcp_oauth::config::{CustomScope, Settings, UpstreamSettings};
use serde_json::{Value, json};

pub use crate::dynamic_client::token_for;
use crate::helpers::TestApp;

pub fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/upstreams")
}

fn skipped(why: &str) {
    assert!(
        std::env::var_os("TEST_REQUIRE_UPSTREAMS").is_none(),
        "{why}, and TEST_REQUIRE_UPSTREAMS is set (CI installs them)"
    );
    let _ = writeln!(
        std::io::stderr(),
        "\n*** {why}: these gateway tests are SKIPPED. ***"
    );
}

/// The venv's `bin` folder with the pinned PyPI packages (the real `mcp-server-time` and the
/// Python MCP SDK), installed once when missing; `None` (and a notice) without python3.
pub fn python_bin() -> Option<PathBuf> {
    static INSTALL: Once = Once::new();
    let bin = folder().join(".venv/bin");
    INSTALL.call_once(|| {
        if bin.join("mcp-server-time").exists() {
            return;
        }
        let venv = Command::new("python3")
            .args(["-m", "venv"])
            .arg(folder().join(".venv"))
            .status();
        if !venv.is_ok_and(|s| s.success()) {
            return skipped("python3 -m venv failed");
        }
        let status = Command::new(bin.join("pip"))
            .args(["install", "-q", "--no-deps", "-r"])
            .arg(folder().join("requirements.txt"))
            .status()
            .expect("run pip");
        assert!(
            status.success(),
            "pip install -r tests/upstreams/requirements.txt failed"
        );
    });
    bin.join("mcp-server-time").exists().then_some(bin)
}

/// server-everything's entry point from the pinned `npm ci` in tests/upstreams, installed once
/// when missing; `None` (and a notice) without npm.
pub fn everything_js() -> Option<PathBuf> {
    static INSTALL: Once = Once::new();
    let script =
        folder().join("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    INSTALL.call_once(|| {
        if script.exists() {
            return;
        }
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--prefix"])
            .arg(folder())
            .status();
        if !status.is_ok_and(|s| s.success()) {
            skipped("npm ci in tests/upstreams failed");
        }
    });
    script.exists().then_some(script)
}

/// One `[[mcp.upstreams]]` entry, written as an operator would.
pub fn upstream(toml: &str) -> UpstreamSettings {
    config::Config::builder()
        .add_source(config::File::from_str(toml, config::FileFormat::Toml))
        .build()
        .and_then(config::Config::try_deserialize)
        .expect("an upstream")
}

/// Adds the upstream and a `[[scopes.custom]]` entry for each of `scopes`.
pub fn add_upstream(settings: &mut Settings, scopes: &[&str], toml: &str) {
    for scope in scopes {
        settings.scopes.custom.push(CustomScope {
            name: (*scope).into(),
            description: format!("Use the upstream tools that need {scope}."),
        });
    }
    settings.mcp.upstreams.push(upstream(toml));
    settings.mcp.upstream_start_wait_secs = 60;
}

/// A quoted TOML string.
pub fn quoted(path: &Path) -> String {
    format!("{:?}", path.display().to_string())
}

/// One JSON-RPC request to `/mcp`: status, body and the `WWW-Authenticate` challenge.
pub async fn rpc(app: &TestApp, token: &str, method: &str, params: Value) -> (u16, Value, String) {
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

/// `tools/call` with `arguments`, answered 200 (never a 5xx): the JSON-RPC body.
pub async fn call(app: &TestApp, token: &str, tool: &str, arguments: Value) -> Value {
    let (status, body, _) = rpc(
        app,
        token,
        "tools/call",
        json!({ "name": tool, "arguments": arguments }),
    )
    .await;
    assert_eq!(status, 200, "{tool}: {body}");
    body
}

/// The text of a tool result's first content item.
pub fn text(body: &Value) -> &str {
    body["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
}

pub fn tool_names(body: &Value) -> Vec<String> {
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

pub async fn readyz(app: &TestApp) -> Value {
    app.get_json("/readyz").await
}

/// A process the test started (an HTTP upstream), killed with the test.
pub struct Spawned(pub Child);

impl Spawned {
    /// Starts `command` and waits (at most 60 s) until it accepts connections on `port`.
    pub async fn listening(mut command: Command, port: u16) -> Spawned {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("start the upstream");
        let spawned = Spawned(child);
        for _ in 0..240 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return spawned;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("the upstream never listened on {port}");
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
