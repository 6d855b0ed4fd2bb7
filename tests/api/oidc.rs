//! Signing in through an upstream OpenID Provider (#17), against a real one (oidc-provider on
//! loopback, see `oidc/provider.rs`): the whole connection of an MCP client, the account
//! rules, and in `oidc/refusals.rs` every way the upstream leg must fail closed.

mod browser;
mod provider;
mod refusals;

use base64::Engine as _;
use serde_json::Value;

use crate::browser::{authorize, decide, get, hidden, location, pkce_pair, query_of};
use crate::browser_e2e::{hinted_scope, register_client};
use crate::helpers::{Engine, TestApp};
use crate::on_both_engines;
use provider::{TestProvider, through_provider, with_provider};

/// An authorization request waiting in the session: the public client, its redirect URI and
/// the PKCE verifier of the request just made (answered with a redirect to /login).
pub(crate) async fn pending_request(app: &TestApp) -> (String, String, String) {
    let redirect_uri = app.url("/oauth/callback");
    let scope = hinted_scope(app).await;
    let client_id = register_client(app, &redirect_uri, &scope).await;
    let (verifier, challenge) = pkce_pair();
    let response = authorize(
        app,
        &[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", &redirect_uri),
            ("scope", &scope),
            ("state", "client-state"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert_eq!(location(&response).as_deref(), Some("/login"));
    (client_id, redirect_uri, verifier)
}

/// Follows the provider's redirect back to us; returns our answer to the callback.
pub(crate) async fn callback(app: &TestApp, url: &str) -> reqwest::Response {
    app.http.get(url).send().await.expect("callback request")
}

/// Consents on the page, redeems the code and returns the token response.
pub(crate) async fn consent_and_redeem(
    app: &TestApp,
    (client_id, redirect_uri, verifier): &(String, String, String),
) -> Value {
    let page = get(app, "/consent").await.text().await.unwrap();
    let response = decide(app, &page, "approve").await;
    let params = query_of(&location(&response).expect("redirect to the client"));
    assert_eq!(params["state"], "client-state");
    let (status, tokens) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &params["code"]),
                ("redirect_uri", redirect_uri),
                ("client_id", client_id),
                ("code_verifier", verifier),
            ],
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

/// The payload of one of our JWTs (already verified by the server that issued it).
fn payload(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

/// Signs alice in through the provider with a request pending; returns the token response.
async fn connect_through(app: &TestApp, op: &TestProvider, login: &str) -> Value {
    let request = pending_request(app).await;
    let page = get(app, "/login").await.text().await.unwrap();
    assert!(page.contains("Sign in with Test IdP"), "{page}");
    let url = through_provider(app, op, Some(login)).await;
    assert!(
        url.starts_with(&app.url("/login/oidc/test/callback?")),
        "{url}"
    );
    let response = callback(app, &url).await;
    assert_eq!(location(&response).as_deref(), Some("/consent"));
    consent_and_redeem(app, &request).await
}

async fn a_person_signs_in_upstream_and_their_mcp_client_gets_our_own_token(engine: Engine) {
    let Some((app, op)) = with_provider(engine, "mcp-oauth", |_, _| {}).await else {
        return;
    };
    let tokens = connect_through(&app, &op, "alice").await;
    let access = tokens["access_token"].as_str().unwrap();
    let mut tools = crate::claude::listed(&app, access, "tools", "name").await;
    tools.sort();
    assert_eq!(tools, ["calculator", "echo", "system_info"]);

    // A user created on first sign-in, named by the e-mail claim, linked by issuer + sub.
    let user = app
        .store
        .get_user_by_username("alice@example.com")
        .await
        .unwrap()
        .expect("the user provisioned on first sign-in");
    let identities = app.store.identities_of(&user.id).await.unwrap();
    assert_eq!(identities.len(), 1);
    assert_eq!(
        (
            identities[0].issuer.as_str(),
            identities[0].subject.as_str()
        ),
        (op.issuer.as_str(), "1001-alice")
    );
    assert_eq!(identities[0].groups, "ops staff");
    // Our token: our issuer, our audience, our user; nothing of the provider's passes through.
    let claims = payload(access);
    assert_eq!(claims["iss"], app.settings.issuer());
    assert_eq!(claims["aud"], app.settings.mcp_resource());
    assert_eq!(claims["sub"], user.id.as_str());
    assert!(!access.contains(&op.issuer) && !tokens.to_string().contains("id_token"));

    // Signing in again is the same user, not a second one.
    let users_before = app.store.count_users().await.unwrap();
    let response = get(&app, "/logout").await;
    let page = response.text().await.unwrap();
    crate::browser::post(
        &app,
        "/logout",
        &[("csrf_token", &hidden(&page, "csrf_token"))],
    )
    .await;
    connect_through(&app, &op, "alice").await;
    assert_eq!(app.store.count_users().await.unwrap(), users_before);
}

async fn provisioning_existing_only_signs_in_a_linked_user(engine: Engine) {
    let Some((app, op)) = with_provider(engine, "mcp-oauth", |provider, _| {
        provider.provisioning = mcp_oauth::config::Provisioning::Existing;
    })
    .await
    else {
        return;
    };
    pending_request(&app).await;
    let url = through_provider(&app, &op, Some("alice")).await;
    let page = callback(&app, &url).await;
    assert_eq!(page.status(), 403);
    assert!(page.text().await.unwrap().contains("users link"));
    assert!(
        app.store
            .get_user_by_username("alice@example.com")
            .await
            .unwrap()
            .is_none()
    );

    // An operator links alice's identity to a local user: she signs in as that user.
    let local = mcp_oauth::oauth::users::add_user(&app.store, "alice", "a long password".into())
        .await
        .unwrap();
    let now = mcp_oauth::storage::unix_now();
    app.store
        .insert_identity(&mcp_oauth::storage::IdentityRecord {
            issuer: op.issuer.clone(),
            subject: "1001-alice".into(),
            user_id: local.id.clone(),
            provider_id: "test".into(),
            email: None,
            groups: String::new(),
            created_at: now,
            last_login_at: now,
        })
        .await
        .unwrap();
    let tokens = connect_through(&app, &op, "alice").await;
    assert_eq!(
        payload(tokens["access_token"].as_str().unwrap())["sub"],
        local.id.as_str()
    );
    let identity = app
        .store
        .find_identity(&op.issuer, "1001-alice")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        identity.groups, "ops staff",
        "groups recorded at each sign-in"
    );
}

async fn a_local_user_of_the_same_name_is_never_taken_over(engine: Engine) {
    let Some((app, op)) = with_provider(engine, "mcp-oauth", |_, _| {}).await else {
        return;
    };
    mcp_oauth::oauth::users::add_user(&app.store, "alice@example.com", "a long password".into())
        .await
        .unwrap();
    pending_request(&app).await;
    let url = through_provider(&app, &op, Some("alice")).await;
    let page = callback(&app, &url).await;
    assert_eq!(page.status(), 403);
    let text = page.text().await.unwrap();
    assert!(
        text.contains("ask an operator to link it") || text.contains("Ask an operator to link it"),
        "{text}"
    );
    assert!(
        app.store
            .find_identity(&op.issuer, "1001-alice")
            .await
            .unwrap()
            .is_none()
    );
}

async fn a_disabled_user_is_refused_at_the_callback(engine: Engine) {
    let Some((app, op)) = with_provider(engine, "mcp-oauth", |_, _| {}).await else {
        return;
    };
    connect_through(&app, &op, "alice").await;
    let now = mcp_oauth::storage::unix_now();
    app.store
        .set_user_disabled("alice@example.com", true, now)
        .await
        .unwrap();
    // The disabled user's session ended with everything else; sign in again from scratch.
    pending_request(&app).await;
    let url = through_provider(&app, &op, Some("alice")).await;
    let page = callback(&app, &url).await;
    assert_eq!(page.status(), 403);
    assert!(page.text().await.unwrap().contains("disabled"));
}

async fn a_key_the_provider_rotated_to_is_fetched_again_and_accepted(engine: Engine) {
    let Some((app, op)) = with_provider(engine, "rotated", |_, _| {}).await else {
        return;
    };
    let tokens = connect_through(&app, &op, "alice").await;
    assert!(tokens["access_token"].is_string());
}

on_both_engines!(
    a_person_signs_in_upstream_and_their_mcp_client_gets_our_own_token,
    a_key_the_provider_rotated_to_is_fetched_again_and_accepted,
    provisioning_existing_only_signs_in_a_linked_user,
    a_local_user_of_the_same_name_is_never_taken_over,
    a_disabled_user_is_refused_at_the_callback,
);
