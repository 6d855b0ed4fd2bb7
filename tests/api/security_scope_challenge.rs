//! Issue #14, "Also": the REST endpoints' 403 challenge names every scope the call needs, as
//! `/mcp` does for the same call, not only the ones the token lacks (RFC 6750 §3.1).

use serde_json::json;

use crate::helpers::Engine;
use crate::helpers::{TEST_CLIENT, TestApp, spawn_app};
use crate::on_both_engines;

/// The `scope` of a 403's `WWW-Authenticate` challenge, as a sorted list.
fn challenged_scopes(response: &reqwest::Response) -> Vec<String> {
    assert_eq!(response.status(), 403);
    let header = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(header.contains("error=\"insufficient_scope\""), "{header}");
    let start = header.find("scope=\"").expect("a scope parameter") + "scope=\"".len();
    let value = &header[start..start + header[start..].find('"').unwrap()];
    let mut scopes: Vec<String> = value.split_whitespace().map(str::to_string).collect();
    scopes.sort();
    scopes
}

async fn over_mcp(
    app: &TestApp,
    token: &str,
    method: &str,
    params: serde_json::Value,
) -> Vec<String> {
    let message = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let response = app
        .http
        .post(app.url("/mcp"))
        .bearer_auth(token)
        .json(&message)
        .send()
        .await
        .unwrap();
    challenged_scopes(&response)
}

async fn the_rest_403_challenge_names_every_scope_the_call_needs_as_mcp_does(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let tools_only = app
        .client_credentials_token(TEST_CLIENT, Some("mcp:tools"))
        .await;
    let rest = app
        .http
        .post(app.url("/mcp/protected/call/system_info"))
        .bearer_auth(&tools_only)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let rest = challenged_scopes(&rest);
    assert_eq!(
        rest,
        ["mcp:tools", "system:read"],
        "the held mcp:tools is named too"
    );
    assert_eq!(
        rest,
        over_mcp(
            &app,
            &tools_only,
            "tools/call",
            json!({"name": "system_info", "arguments": {}})
        )
        .await
    );

    let resources_only = app
        .client_credentials_token(TEST_CLIENT, Some("mcp:resources"))
        .await;
    let rest = app
        .http
        .get(app.url("/mcp/protected/resources/platform"))
        .bearer_auth(&resources_only)
        .send()
        .await
        .unwrap();
    let rest = challenged_scopes(&rest);
    assert_eq!(rest, ["mcp:resources", "system:read"]);
    assert_eq!(
        rest,
        over_mcp(
            &app,
            &resources_only,
            "resources/read",
            json!({"uri": "system://platform"})
        )
        .await
    );

    // Without the base scope: the base scope and the resource's own scope.
    let rest = app
        .http
        .get(app.url("/mcp/protected/resources/platform"))
        .bearer_auth(&tools_only)
        .send()
        .await
        .unwrap();
    let rest = challenged_scopes(&rest);
    assert_eq!(
        rest,
        over_mcp(
            &app,
            &tools_only,
            "resources/read",
            json!({"uri": "system://platform"})
        )
        .await
    );
}
on_both_engines!(the_rest_403_challenge_names_every_scope_the_call_needs_as_mcp_does);
