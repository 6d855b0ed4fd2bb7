//! `mcp-server-time` (PyPI) over stdio: offered only with its scope, and supervised when it dies.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use mcp_oauth::config::Settings;
use serde_json::json;

use super::{add_upstream, python_bin, quoted, readyz, rpc, token_for, tool_names};
use crate::helpers::{Engine, spawn_app_with};
use crate::on_both_engines;

/// `local_zone` also tells this test's child from the others' (pkill matches on it).
fn with_time_upstream(settings: &mut Settings, bin: &Path, local_zone: &str) {
    let toml = format!(
        "name = \"time\"\ntransport = \"stdio\"\ncommand = {}\n\
         args = [\"--local-timezone\", {local_zone:?}]\nscopes = [\"time:read\"]\n",
        quoted(&bin.join("mcp-server-time"))
    );
    add_upstream(settings, &["time:read"], &toml);
}

async fn an_upstream_servers_tools_are_listed_and_called_only_with_its_scope(engine: Engine) {
    let Some(bin) = python_bin() else { return };
    let app = spawn_app_with(engine, |s| with_time_upstream(s, &bin, "UTC"))
        .await
        .unwrap();
    let ready = readyz(&app).await;
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
    let Some(bin) = python_bin() else { return };
    let zone = match engine {
        Engine::Sqlite => "America/Lima",
        Engine::Postgres => "Asia/Tokyo",
    };
    let app = spawn_app_with(engine, |s| with_time_upstream(s, &bin, zone))
        .await
        .unwrap();
    let granted = token_for(&app, "mcp:tools time:read").await;
    let call = json!({"name": "time__get_current_time", "arguments": {"timezone": "UTC"}});
    let (status, body, _) = rpc(&app, &granted, "tools/call", call.clone()).await;
    assert_eq!(body["result"]["isError"], false, "{status} {body}");
    kill_child(zone);
    let mut saw_down = false;
    let mut saw_degraded = false;
    let mut answered = None;
    for _ in 0..120 {
        let (status, body, _) = rpc(&app, &granted, "tools/call", call.clone()).await;
        assert_eq!(status, 200, "never a 5xx: {body}");
        if body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Upstream time is unavailable"))
        {
            saw_down = true;
            // Ready, but not all there: still 200, with the detail.
            let response = app.http.get(app.url("/readyz")).send().await.unwrap();
            assert_eq!(response.status(), 200);
            let ready: serde_json::Value = response.json().await.unwrap();
            if ready["status"] == "degraded" {
                assert_ne!(ready["upstreams"][0]["state"], "up", "{ready}");
                saw_degraded = true;
            }
        } else if saw_down && body["result"]["isError"] == false {
            answered = Some(body);
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(saw_down, "calls while it was down got the clear error");
    assert!(saw_degraded, "/readyz said degraded while it was down");
    assert!(
        answered.is_some(),
        "the upstream was restarted and answers again"
    );
    let ready = readyz(&app).await;
    assert!(
        ready["upstreams"][0]["restarts"].as_u64() >= Some(1),
        "{ready}"
    );
}

async fn an_upstream_killed_under_load_gives_callers_only_answers_or_the_clear_error(
    engine: Engine,
) {
    let Some(bin) = python_bin() else { return };
    let zone = match engine {
        Engine::Sqlite => "Europe/Oslo",
        Engine::Postgres => "Africa/Nairobi",
    };
    // Callers without pause: the per-subject limiter is not what this test is about.
    let app = spawn_app_with(engine, |s| {
        with_time_upstream(s, &bin, zone);
        s.rate_limits.enabled = false;
    })
    .await
    .unwrap();
    let granted = token_for(&app, "mcp:tools time:read").await;
    let call = json!({"name": "time__get_current_time", "arguments": {"timezone": "UTC"}});
    let stop = AtomicBool::new(false);
    // Six callers without pause, from before the kill until after the restart.
    let callers = futures::future::join_all((0..6).map(|_| async {
        let (mut answered, mut refused) = (0, 0);
        while !stop.load(Ordering::Relaxed) {
            let (status, body, _) = rpc(&app, &granted, "tools/call", call.clone()).await;
            assert_eq!(status, 200, "never a 5xx: {body}");
            if body["result"]["isError"] == false {
                answered += 1;
            } else if body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Upstream time is unavailable"))
            {
                refused += 1;
            } else {
                panic!("neither an answer nor the clear error: {body}");
            }
        }
        (answered, refused)
    }));
    let killer = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        kill_child(zone);
        for _ in 0..240 {
            let ready = readyz(&app).await;
            if ready["upstreams"][0]["restarts"].as_u64() >= Some(1)
                && ready["upstreams"][0]["state"] == "up"
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        stop.store(true, Ordering::Relaxed);
    };
    let (tallies, ()) = tokio::join!(callers, killer);
    let refused: u32 = tallies.iter().map(|t| t.1).sum();
    let answered: u32 = tallies.iter().map(|t| t.0).sum();
    assert!(
        refused >= 1,
        "calls in flight or while down got the clear error"
    );
    assert!(answered >= 6, "{answered} answered");
    let (_, body, _) = rpc(&app, &granted, "tools/call", call).await;
    assert_eq!(body["result"]["isError"], false, "restarted: {body}");
}

/// SIGTERM to this test's child: ours (parent is this process) with this test's zone.
fn kill_child(zone: &str) {
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
}

on_both_engines!(
    an_upstream_servers_tools_are_listed_and_called_only_with_its_scope,
    a_killed_upstream_is_reported_degraded_and_restarted,
    an_upstream_killed_under_load_gives_callers_only_answers_or_the_clear_error,
);
