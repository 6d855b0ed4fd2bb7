//! The original description's REST endpoints under /mcp/protected.

use serde_json::{Value, json};

use crate::helpers::Engine;
use crate::helpers::{CLAUDE, TEST_CLIENT, spawn_app};
use crate::on_both_engines;

async fn the_readme_protected_curls_work_with_a_client_credentials_token(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let token = app
        .client_credentials_token(TEST_CLIENT, Some("mcp:tools"))
        .await;
    let tools: Value = app
        .http
        .get(app.url("/mcp/protected/tools"))
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"echo") && names.contains(&"calculator"),
        "{names:?}"
    );
    let echoed = app
        .http
        .post(app.url("/mcp/protected/call/echo"))
        .bearer_auth(&token)
        .json(&json!({"message": "hello"}))
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.status(), 200);
    let body: Value = echoed.json().await.unwrap();
    assert_eq!(body["content"][0]["text"], "hello");
}
on_both_engines!(the_readme_protected_curls_work_with_a_client_credentials_token);

async fn rest_calls_map_errors_to_http_statuses(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let token = app
        .client_credentials_token(TEST_CLIENT, Some("mcp:tools mcp:resources"))
        .await;
    let post = |path: &str, body: Value| {
        app.http
            .post(app.url(path))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    assert_eq!(
        post("/mcp/protected/call/nope", json!({}))
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        post("/mcp/protected/call/echo", json!({"wrong": 1}))
            .await
            .unwrap()
            .status(),
        400
    );
    let bad_json = app
        .http
        .post(app.url("/mcp/protected/call/echo"))
        .bearer_auth(&token)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), 400);
    let div = post(
        "/mcp/protected/call/calculator",
        json!({"expression": "1/0"}),
    )
    .await
    .unwrap();
    assert_eq!(div.status(), 200, "tool errors are results");
    let body: Value = div.json().await.unwrap();
    assert_eq!(body["isError"], true);
    assert!(
        body["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("division by zero")
    );
    let info = post("/mcp/protected/call/system_info", json!({}))
        .await
        .unwrap();
    assert_eq!(info.status(), 403, "system_info needs system:read");
    assert!(
        info.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("system:read")
    );
    assert_eq!(
        app.http
            .get(app.url("/mcp/protected/resources/metrics"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        app.http
            .get(app.url("/mcp/protected/prompts"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        app.http
            .get(app.url("/mcp/protected/resources/nope"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        app.http
            .get(app.url("/mcp/protected/tools"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}
on_both_engines!(rest_calls_map_errors_to_http_statuses);

async fn a_fully_scoped_token_reads_resources_and_prompts(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let token = app
        .client_credentials_token(
            CLAUDE,
            Some("mcp:resources mcp:prompts system:read system:monitor"),
        )
        .await;
    let get = |path: &str| app.http.get(app.url(path)).bearer_auth(&token).send();
    let list: Value = get("/mcp/protected/resources")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["resources"].as_array().unwrap().len(), 2);
    for name in ["metrics", "platform"] {
        let response = get(&format!("/mcp/protected/resources/{name}"))
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{name}");
        let body: Value = response.json().await.unwrap();
        let text = body["contents"][0]["text"].as_str().unwrap();
        assert!(
            serde_json::from_str::<Value>(text).is_ok(),
            "{name} is JSON"
        );
    }
    let prompts: Value = get("/mcp/protected/prompts")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(prompts["prompts"].as_array().unwrap().len() >= 2);
}
on_both_engines!(a_fully_scoped_token_reads_resources_and_prompts);
