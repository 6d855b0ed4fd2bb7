//! No token passthrough: an HTTP upstream built on the Python MCP SDK
//! (tests/upstreams/recording_server.py) records every request it gets; the caller's token is
//! in none of them, only the configured header and, when asked for, the verified subject.

use serde_json::{Value, json};

use super::{Spawned, add_upstream, call, folder, python_bin, text, token_for};
use crate::helpers::{Engine, free_loopback_port, spawn_app_with};
use crate::on_both_engines;

const SCOPE: &str = "records:use";

async fn the_callers_token_never_reaches_an_http_upstream(engine: Engine) {
    let Some(bin) = python_bin() else { return };
    let port = free_loopback_port();
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("requests.jsonl");
    let mut command = std::process::Command::new(bin.join("python"));
    command
        .arg(folder().join("recording_server.py"))
        .args(["--port", &port.to_string(), "--record"])
        .arg(&record);
    let _upstream = Spawned::listening(command, port).await;
    let app = spawn_app_with(engine, |s| {
        let toml = format!(
            "name = \"records\"\ntransport = \"http\"\nurl = \"http://127.0.0.1:{port}/mcp\"\n\
             headers = {{ X-Api-Key = \"upstream-key-1\" }}\nsubject_header = \"X-MCP-Subject\"\n\
             scopes = [\"{SCOPE}\"]\n"
        );
        add_upstream(s, &[SCOPE], &toml);
    })
    .await
    .unwrap();
    let token = token_for(&app, &format!("mcp:tools {SCOPE}")).await;

    let sum = call(&app, &token, "records__add", json!({"a": 2, "b": 40})).await;
    assert_eq!(text(&sum), "42", "{sum}");
    let whoami = call(&app, &token, "records__whoami", json!({})).await;
    let headers: Value = serde_json::from_str(text(&whoami)).expect("the headers it saw");
    assert_eq!(headers["x-api-key"], "upstream-key-1", "{headers}");
    let subject = headers["x-mcp-subject"].as_str().unwrap_or_default();
    assert!(
        subject.contains("sub=") && subject.contains("client_id=") && subject.contains(SCOPE),
        "the verified subject and scopes: {headers}"
    );

    let recorded = std::fs::read_to_string(&record).expect("the upstream's record");
    let requests: Vec<Value> = recorded
        .lines()
        .map(|line| serde_json::from_str(line).expect("a recorded request"))
        .collect();
    assert!(requests.len() >= 3, "initialize, the calls: {recorded}");
    for request in &requests {
        assert!(
            !request.to_string().contains(&token),
            "the token leaked: {request}"
        );
        assert!(
            request["headers"].get("authorization").is_none(),
            "{request}"
        );
        assert_eq!(
            request["headers"]["x-api-key"], "upstream-key-1",
            "{request}"
        );
    }
}

on_both_engines!(the_callers_token_never_reaches_an_http_upstream);
