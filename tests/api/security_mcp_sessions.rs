//! Issue #14, item 14: with `mcp.stateful = true` a session is bound to the subject and client
//! whose token opened it; another token using or ending it gets the 404 of an unknown session.

use serde_json::{Value, json};

use crate::helpers::Engine;
use crate::helpers::{CLAUDE, TEST_CLIENT, TestApp, spawn_app_with};
use crate::on_both_engines;

/// Sends `message` (or a DELETE when `None`) with `token` and an optional session id; returns
/// the status and the session id the reply carries.
async fn send(
    app: &TestApp,
    token: &str,
    session: Option<&str>,
    message: Option<Value>,
) -> (u16, Option<String>) {
    let mut request = match &message {
        Some(message) => app.http.post(app.url("/mcp")).json(message),
        None => app.http.delete(app.url("/mcp")),
    };
    request = request
        .bearer_auth(token)
        .header("Accept", "application/json, text/event-stream");
    if let Some(id) = session {
        request = request.header("Mcp-Session-Id", id);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let issued = response
        .headers()
        .get("mcp-session-id")
        .map(|v| v.to_str().unwrap().to_string());
    let _ = response.text().await;
    (status, issued)
}

fn initialize() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}})
}

fn tools_list(id: i64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/list", "params": {}})
}

async fn another_token_cannot_use_or_delete_someone_elses_mcp_session(engine: Engine) {
    let app = spawn_app_with(engine, |s| s.mcp.stateful = true)
        .await
        .unwrap();
    let owner = app
        .client_credentials_token(CLAUDE, Some("mcp:tools"))
        .await;
    let stranger = app
        .client_credentials_token(TEST_CLIENT, Some("mcp:tools"))
        .await;
    let (status, session) = send(&app, &owner, None, Some(initialize())).await;
    assert_eq!(status, 200);
    let session = session.expect("a stateful initialize opens a session");
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    assert_eq!(
        send(&app, &owner, Some(&session), Some(initialized))
            .await
            .0,
        202
    );
    assert_eq!(
        send(&app, &owner, Some(&session), Some(tools_list(2)))
            .await
            .0,
        200
    );

    assert_eq!(
        send(&app, &stranger, Some(&session), Some(tools_list(3)))
            .await
            .0,
        404,
        "another client's token"
    );
    assert_eq!(
        send(&app, &stranger, Some(&session), None).await.0,
        404,
        "nor may it end the session"
    );
    assert_eq!(
        send(&app, &owner, Some(&session), Some(tools_list(4)))
            .await
            .0,
        200,
        "the owner's session is intact"
    );

    assert!(
        send(&app, &owner, Some(&session), None).await.0 < 300,
        "the owner ends it"
    );
    assert_eq!(
        send(&app, &owner, Some(&session), Some(tools_list(5)))
            .await
            .0,
        404,
        "gone"
    );
}
on_both_engines!(another_token_cannot_use_or_delete_someone_elses_mcp_session);

async fn another_user_of_the_same_client_cannot_use_the_session(engine: Engine) {
    let app = spawn_app_with(engine, |s| s.mcp.stateful = true)
        .await
        .unwrap();
    let owner = app
        .client_credentials_token(CLAUDE, Some("mcp:tools"))
        .await;
    let (status, session) = send(&app, &owner, None, Some(initialize())).await;
    assert_eq!(status, 200);
    let session = session.unwrap();
    // A token of the same client for a user (the admin, through a code): other subject.
    let code = app
        .issue_code(CLAUDE.0, crate::helpers::CLAUDE_CALLBACK, "mcp:tools", None)
        .await;
    let (status, tokens) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", crate::helpers::CLAUDE_CALLBACK),
                ("client_id", CLAUDE.0),
                ("client_secret", CLAUDE.1),
            ],
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    let user_token = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        send(&app, user_token, Some(&session), Some(tools_list(2)))
            .await
            .0,
        404
    );
    assert_eq!(
        send(&app, &owner, Some(&session), Some(tools_list(3)))
            .await
            .0,
        200
    );
}
on_both_engines!(another_user_of_the_same_client_cannot_use_the_session);
