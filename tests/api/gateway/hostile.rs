//! A malicious stdio upstream (tests/upstreams/hostile_server.py) offered with no prefix: its
//! names cannot shadow the built-ins or break the list, and its huge, garbled, hung and crashing
//! answers get clear errors while the gateway and every other tool keep working.

use std::time::{Duration, Instant};

use mcp_oauth::config::Settings;
use serde_json::{Value, json};

use super::{add_upstream, call, folder, quoted, readyz, rpc, text, token_for, tool_names};
use crate::helpers::{Engine, TestApp, spawn_app_with};
use crate::on_both_engines;

const SCOPE: &str = "hostile:use";

fn with_hostile(settings: &mut Settings) {
    let toml = format!(
        "name = \"hostile\"\nprefix = \"\"\ntransport = \"stdio\"\ncommand = \"python3\"\n\
         args = [{}]\nscopes = [\"{SCOPE}\"]\ntimeout_secs = 3\nmax_response_bytes = 1048576\n",
        quoted(&folder().join("hostile_server.py"))
    );
    add_upstream(settings, &[SCOPE], &toml);
}

async fn tools(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, body, _) = rpc(app, token, "tools/list", json!({})).await;
    assert_eq!(status, 200, "{body}");
    body["result"]["tools"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Calls `ok_tool` until it answers again (the upstream may be restarting), at most 60 s.
async fn answers_again(app: &TestApp, token: &str) {
    for _ in 0..240 {
        if text(&call(app, token, "ok_tool", json!({})).await) == "ok" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("the hostile upstream never answered again");
}

fn unavailable(body: &Value) -> bool {
    body["error"]["code"] == -32603
        && body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Upstream hostile is unavailable"))
}

async fn a_hostile_upstreams_names_cannot_shadow_built_ins_or_break_the_list(engine: Engine) {
    let app = spawn_app_with(engine, with_hostile).await.unwrap();
    let token = token_for(&app, &format!("mcp:tools system:read {SCOPE}")).await;
    let listed = tools(&app, &token).await;
    let names: Vec<&str> = listed.iter().filter_map(|t| t["name"].as_str()).collect();
    for built_in in ["echo", "calculator", "system_info"] {
        let ours: Vec<&Value> = listed.iter().filter(|t| t["name"] == built_in).collect();
        assert_eq!(ours.len(), 1, "{built_in} once: {names:?}");
        assert!(
            !ours[0].to_string().contains("HOSTILE"),
            "{built_in} is ours: {ours:?}"
        );
    }
    assert_eq!(
        names.iter().filter(|n| **n == "ok_tool").count(),
        1,
        "{names:?}"
    );
    // The malformed neighbour costs only itself.
    for good in ["huge", "garbage", "hang", "grow", "crash"] {
        assert!(names.contains(&good), "{good}: {names:?}");
    }
    for bad in [
        "bad name with spaces",
        "",
        &"x".repeat(300),
        "schema_not_object",
    ] {
        assert!(!names.contains(&bad), "{bad:?} is not offered: {names:?}");
    }
    let echo = call(&app, &token, "echo", json!({"message": "hello"})).await;
    assert!(
        !text(&echo).contains("HOSTILE"),
        "the built-in answered: {echo}"
    );
    assert_eq!(text(&call(&app, &token, "ok_tool", json!({})).await), "ok");

    // list_changed from the upstream: the new tool joins the merged list.
    assert_eq!(text(&call(&app, &token, "grow", json!({})).await), "grown");
    let mut grown = false;
    for _ in 0..40 {
        if tool_names(&rpc(&app, &token, "tools/list", json!({})).await.1).contains(&"grown".into())
        {
            grown = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(grown, "list_changed refreshed the catalogue");
}

async fn hostile_answers_get_clear_errors_and_the_gateway_keeps_serving(engine: Engine) {
    let app = spawn_app_with(engine, with_hostile).await.unwrap();
    let token = token_for(&app, &format!("mcp:tools {SCOPE}")).await;
    answers_again(&app, &token).await;

    // A hung call is cut off at the timeout while other calls are answered meanwhile.
    let started = Instant::now();
    let (hung, ok) = tokio::join!(call(&app, &token, "hang", json!({})), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        call(&app, &token, "ok_tool", json!({})).await
    });
    assert!(unavailable(&hung), "{hung}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "cut off at 3 s"
    );
    assert_eq!(text(&ok), "ok", "answered while another call hung: {ok}");

    // Eight megabytes on one line, over the 1 MiB limit.
    let huge = call(&app, &token, "huge", json!({"mb": 8})).await;
    assert!(
        unavailable(&huge),
        "{}",
        &huge.to_string()[..huge.to_string().len().min(500)]
    );
    answers_again(&app, &token).await;

    // Lines that are not JSON-RPC, and an answer to a request nobody sent.
    let garbage = call(&app, &token, "garbage", json!({})).await;
    assert!(
        text(&garbage) == "garbage survived" || unavailable(&garbage),
        "{garbage}"
    );
    answers_again(&app, &token).await;

    // Exiting mid-call.
    let crashed = call(&app, &token, "crash", json!({})).await;
    assert!(unavailable(&crashed), "{crashed}");
    answers_again(&app, &token).await;

    let health = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(readyz(&app).await["upstreams"][0]["state"], "up");
}

on_both_engines!(
    a_hostile_upstreams_names_cannot_shadow_built_ins_or_break_the_list,
    hostile_answers_get_clear_errors_and_the_gateway_keeps_serving,
);
