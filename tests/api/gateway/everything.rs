//! `@modelcontextprotocol/server-everything` (npm) behind OAuth over stdio: listed, called,
//! read and shown on the consent page only under its scope (which the scope policy can
//! withhold); a call slower than the upstream's timeout is cut off; the child sees none of our
//! environment.

use std::path::Path;

use mcp_oauth::config::{ScopePolicyRule, Settings};
use serde_json::{Value, json};

use super::{add_upstream, call, everything_js, quoted, readyz, rpc, text, token_for, tool_names};
use crate::browser::{pkce_pair, to_consent};
use crate::dynamic_client::register_public;
use crate::helpers::{Engine, TestApp, spawn_app_with};
use crate::metrics::{sample, scrape};
use crate::on_both_engines;

pub const SCOPE: &str = "everything:use";
/// What `tool_scopes` asks for `get-tiny-image` instead of [`SCOPE`].
const IMAGES: &str = "everything:images";

fn over_stdio(settings: &mut Settings, script: &Path, extra: &str) {
    let toml = format!(
        "name = \"everything\"\ntransport = \"stdio\"\ncommand = \"node\"\n\
         args = [{}, \"stdio\"]\nenv = {{ GREETING = \"from-config\" }}\n\
         scopes = [\"{SCOPE}\"]\ndeny = [\"toggle-simulated-logging\"]\n\
         tool_scopes = {{ \"get-tiny-image\" = [\"{IMAGES}\"] }}\n{extra}",
        quoted(script)
    );
    add_upstream(settings, &[SCOPE, IMAGES], &toml);
}

/// The app with server-everything over stdio (`extra`: more TOML for its entry; `adjust`: any
/// other setting); `None` when the upstream cannot be installed on this machine.
pub async fn stdio_app(
    engine: Engine,
    extra: &str,
    adjust: impl FnOnce(&mut Settings),
) -> Option<TestApp> {
    let script = everything_js()?;
    let app = spawn_app_with(engine, |s| {
        over_stdio(s, &script, extra);
        adjust(s);
    })
    .await;
    Some(app.unwrap())
}

async fn server_everything_over_stdio_is_offered_only_under_its_scope(engine: Engine) {
    let Some(app) = stdio_app(engine, "", |_| {}).await else {
        return;
    };
    assert_eq!(readyz(&app).await["upstreams"][0]["state"], "up");
    for document in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let metadata = app.get_json(document).await;
        assert!(
            metadata["scopes_supported"]
                .as_array()
                .unwrap()
                .contains(&json!(SCOPE)),
            "{metadata}"
        );
    }

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
    // `tool_scopes`: this one tool needs its own scope instead of the upstream's.
    assert!(
        !names.iter().any(|n| n == "everything__get-tiny-image"),
        "{names:?}"
    );
    let (status, _, challenge) = rpc(
        &app,
        &token,
        "tools/call",
        json!({"name": "everything__get-tiny-image", "arguments": {}}),
    )
    .await;
    assert_eq!(status, 403);
    assert!(challenge.contains(IMAGES), "{challenge}");
    let images = token_for(&app, &format!("mcp:tools {IMAGES}")).await;
    let (_, body, _) = rpc(&app, &images, "tools/list", json!({})).await;
    let theirs = tool_names(&body);
    assert!(
        theirs.iter().any(|n| n == "everything__get-tiny-image"),
        "{theirs:?}"
    );
    assert!(
        !theirs.iter().any(|n| n == "everything__get-sum"),
        "{theirs:?}"
    );

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

/// The consent page a freshly registered public client gets when it asks for the upstream's scope.
async fn consent_page(app: &TestApp) -> String {
    let (redirect, scope) = (
        "https://everything.example/cb",
        format!("mcp:tools {SCOPE}"),
    );
    let client_id = register_public(app, "Everything assistant", redirect, Some(&scope)).await;
    let (_, challenge) = pkce_pair();
    to_consent(
        app,
        &[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", redirect),
            ("scope", &scope),
            ("state", "s"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await
}

async fn the_consent_page_lists_the_upstream_tools_each_scope_unlocks(engine: Engine) {
    let Some(app) = stdio_app(engine, "", |_| {}).await else {
        return;
    };
    let page = consent_page(&app).await;
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

async fn the_scope_policy_can_withhold_an_upstreams_scope(engine: Engine) {
    let Some(app) = stdio_app(engine, "", |s| {
        s.scopes.policy = vec![ScopePolicyRule {
            scopes: vec![SCOPE.into()],
            groups: vec!["ops".into()],
            users: vec![],
        }];
    })
    .await
    else {
        return;
    };
    let page = consent_page(&app).await;
    assert!(
        page.contains("only members of ops may grant it"),
        "the admin is not in ops: {page}"
    );
    assert!(
        !page.contains(&format!("name=\"scope:{SCOPE}\"")),
        "no box for it: {page}"
    );
    assert!(page.contains("name=\"scope:mcp:tools\""), "{page}");
}

async fn a_stdio_upstream_sees_only_its_configured_environment(engine: Engine) {
    let Some(app) = stdio_app(engine, "", |_| {}).await else {
        return;
    };
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

async fn a_call_slower_than_the_upstream_timeout_is_cut_off(engine: Engine) {
    let Some(app) = stdio_app(engine, "timeout_secs = 1\n", |_| {}).await else {
        return;
    };
    let token = token_for(&app, &format!("mcp:tools {SCOPE}")).await;
    let before = scrape(&app).await;
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
    // Per upstream: calls by outcome, and their latency. The recorder is process-wide and
    // other tests use this upstream's name too, so only growth is asserted.
    let after = scrape(&app).await;
    let moved = |name: &str, labels: &[(&str, &str)]| {
        sample(&after, name, labels) - sample(&before, name, labels)
    };
    let calls = |outcome| {
        [
            ("upstream", "everything"),
            ("method", "tools/call"),
            ("outcome", outcome),
        ]
    };
    assert!(
        moved("mcp_upstream_requests_total", &calls("ok")) >= 1.0,
        "{after}"
    );
    assert!(
        moved("mcp_upstream_requests_total", &calls("unavailable")) >= 1.0,
        "{after}"
    );
    let latency = [("upstream", "everything")];
    assert!(
        moved("mcp_upstream_request_duration_seconds_count", &latency) >= 2.0,
        "{after}"
    );
}

on_both_engines!(
    server_everything_over_stdio_is_offered_only_under_its_scope,
    the_consent_page_lists_the_upstream_tools_each_scope_unlocks,
    the_scope_policy_can_withhold_an_upstreams_scope,
    a_stdio_upstream_sees_only_its_configured_environment,
    a_call_slower_than_the_upstream_timeout_is_cut_off,
);
