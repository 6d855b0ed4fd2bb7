//! A client registered the way MCP clients do (RFC 7591: public, PKCE S256), and access tokens
//! from it, for the suites that test what a token unlocks rather than how it is issued.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::TestApp;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const REDIRECT: &str = "https://assistant.example/callback";

/// Registers a public client named `name` with `redirect_uri` (and `scope`, if given); its id.
pub async fn register_public(
    app: &TestApp,
    name: &str,
    redirect_uri: &str,
    scope: Option<&str>,
) -> String {
    let mut metadata = json!({
        "client_name": name,
        "redirect_uris": [redirect_uri],
        "token_endpoint_auth_method": "none",
    });
    if let Some(scope) = scope {
        metadata["scope"] = json!(scope);
    }
    let response = app
        .http
        .post(app.url("/oauth/register"))
        .json(&metadata)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "registered");
    let registered: Value = response.json().await.unwrap();
    registered["client_id"]
        .as_str()
        .expect("client_id")
        .to_owned()
}

/// An access token granting exactly `scope`: a fresh public client, a code for the admin with
/// PKCE, and the token endpoint.
pub async fn token_for(app: &TestApp, scope: &str) -> String {
    let client_id = register_public(app, "Assistant", REDIRECT, None).await;
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
    let code = app
        .issue_code(&client_id, REDIRECT, scope, Some((&challenge, "S256")))
        .await;
    let (status, body) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("client_id", &client_id),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"].as_str(), Some(scope), "{body}");
    body["access_token"].as_str().expect("token").to_owned()
}
