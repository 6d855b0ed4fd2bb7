//! The public tool seam from a team's side: one declaration (a tool and the scope it needs)
//! reaches `tools/list`, the consent page, `scopes_supported` and the 401/403 challenges.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mcp_oauth::mcp::{
    BoxFuture, CallError, Catalog, CatalogBuilder, SystemMonitor, ToolCall, ToolHandler,
};
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock, Tool};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::browser::to_consent;
use crate::dynamic_client::token_for;
use crate::helpers::{Engine, TestApp, spawn_app_with_catalog};
use crate::on_both_engines;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const REDIRECT: &str = "https://billing.example/callback";

/// What a team writes: a tool whose answer depends on who calls it.
struct InvoiceLookup;

impl ToolHandler for InvoiceLookup {
    fn definition(&self) -> Tool {
        let schema = json!({
            "type": "object",
            "properties": {"invoice": {"type": "string"}},
            "required": ["invoice"],
        });
        let Value::Object(schema) = schema else {
            unreachable!("a JSON object literal")
        };
        Tool::new("invoice_lookup", "Looks an invoice up.", schema).with_title("Invoice lookup")
    }

    fn call(&self, call: ToolCall) -> BoxFuture<'_, Result<CallToolResponse, CallError>> {
        Box::pin(async move {
            let Some(invoice) = call.arguments.get("invoice").and_then(Value::as_str) else {
                return Err(CallError::InvalidArguments("invoice is required".into()));
            };
            let text = format!(
                "invoice {invoice} is paid (asked by {})",
                call.caller.subject
            );
            Ok(CallToolResult::success(vec![ContentBlock::text(text)]).into())
        })
    }
}

fn team_catalog() -> Catalog {
    CatalogBuilder::new()
        .with_builtins(std::sync::Arc::new(SystemMonitor::new()))
        .scope("billing:read", "See invoices and whether they are paid.")
        .tool(InvoiceLookup, &["billing:read"])
        .build()
        .expect("a valid declaration")
}

async fn rpc(app: &TestApp, token: Option<&str>, method: &str, params: Value) -> reqwest::Response {
    let mut request = app.http.post(app.url("/mcp")).json(&json!({
        "jsonrpc": "2.0", "id": 7, "method": method, "params": params,
    }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

fn tool_names(body: &Value) -> Vec<&str> {
    body["result"]["tools"]
        .as_array()
        .map(|tools| tools.iter().filter_map(|t| t["name"].as_str()).collect())
        .unwrap_or_default()
}

async fn a_teams_tool_declared_once_is_listed_callable_and_advertised_with_its_scope(
    engine: Engine,
) {
    let app = spawn_app_with_catalog(engine, team_catalog())
        .await
        .unwrap();
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let metadata = app.get_json(path).await;
        let supported = metadata["scopes_supported"].as_array().expect(path);
        assert!(
            supported.contains(&json!("billing:read")),
            "{path}: {metadata}"
        );
        assert!(
            supported.contains(&json!("mcp:tools")),
            "{path}: {metadata}"
        );
    }
    let anonymous = rpc(&app, None, "tools/list", json!({})).await;
    assert_eq!(anonymous.status(), 401);
    let challenge = anonymous.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.contains("billing:read"), "{challenge}");

    let token = token_for(&app, "mcp:tools billing:read").await;
    let listed: Value = rpc(&app, Some(&token), "tools/list", json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert!(tool_names(&listed).contains(&"invoice_lookup"), "{listed}");
    assert!(
        tool_names(&listed).contains(&"echo"),
        "built-ins stay: {listed}"
    );
    let called = rpc(
        &app,
        Some(&token),
        "tools/call",
        json!({"name": "invoice_lookup", "arguments": {"invoice": "INV-42"}}),
    )
    .await;
    assert_eq!(called.status(), 200);
    let called: Value = called.json().await.unwrap();
    let text = called["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(
        text.starts_with("invoice INV-42 is paid (asked by "),
        "{called}"
    );
}
on_both_engines!(a_teams_tool_declared_once_is_listed_callable_and_advertised_with_its_scope);

async fn a_token_without_the_teams_scope_neither_sees_the_tool_nor_may_call_it(engine: Engine) {
    let app = spawn_app_with_catalog(engine, team_catalog())
        .await
        .unwrap();
    let token = token_for(&app, "mcp:tools").await;
    let listed: Value = rpc(&app, Some(&token), "tools/list", json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert!(!tool_names(&listed).contains(&"invoice_lookup"), "{listed}");
    assert!(tool_names(&listed).contains(&"echo"), "{listed}");
    let refused = rpc(
        &app,
        Some(&token),
        "tools/call",
        json!({"name": "invoice_lookup", "arguments": {"invoice": "INV-42"}}),
    )
    .await;
    assert_eq!(refused.status(), 403);
    let challenge = refused.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.contains("insufficient_scope") && challenge.contains("billing:read"),
        "the step-up challenge names the team's scope: {challenge}"
    );
}
on_both_engines!(a_token_without_the_teams_scope_neither_sees_the_tool_nor_may_call_it);

async fn the_consent_page_describes_the_teams_scope_and_the_tool_it_unlocks(engine: Engine) {
    let app = spawn_app_with_catalog(engine, team_catalog())
        .await
        .unwrap();
    let registered: Value = app
        .http
        .post(app.url("/oauth/register"))
        .json(&json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client_id = registered["client_id"].as_str().expect("client_id");
    assert!(
        registered["scope"]
            .as_str()
            .unwrap_or_default()
            .contains("billing:read"),
        "a registration without scope gets every declared scope: {registered}"
    );
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
    let page = to_consent(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT),
            ("scope", "mcp:tools billing:read"),
            ("state", "s"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert!(page.contains("billing:read"), "{page}");
    assert!(
        page.contains("See invoices and whether they are paid."),
        "{page}"
    );
    assert!(page.contains("tool invoice_lookup"), "{page}");
    assert!(page.contains("Invoice lookup"), "{page}");
}
on_both_engines!(the_consent_page_describes_the_teams_scope_and_the_tool_it_unlocks);
