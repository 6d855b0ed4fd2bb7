//! The upstream leg fails closed: a forged or replayed callback, every tampered ID token the
//! test provider's `tamper-*` clients send, the allow-lists, the provider's own refusal and
//! the provider being down. Each is an error page of ours, never a redirect to the client,
//! and nobody is signed in.

use super::provider::{provider_settings, through_provider, with_provider};
use super::{callback, pending_request};
use crate::browser::{get, location};
use crate::helpers::{Engine, TestApp, spawn_app_with};
use crate::on_both_engines;

/// An error page (not a redirect), with `text` on it, and the session still anonymous.
async fn assert_refused(app: &TestApp, response: reqwest::Response, text: &str) {
    let status = response.status();
    assert!(
        status.is_client_error() || status.is_server_error(),
        "{status}"
    );
    assert!(location(&response).is_none(), "never a redirect");
    let page = response.text().await.unwrap();
    assert!(page.contains(text), "{text:?} not in:\n{page}");
    let login = get(app, "/login").await;
    assert_eq!(login.status(), 200, "still signed out");
}

/// Signs alice in at the provider as `client_id` and expects the callback refused.
async fn refused_for_client(engine: Engine, client_id: &str) {
    let Some((app, op)) = with_provider(engine, client_id, |_, _| {}).await else {
        return;
    };
    pending_request(&app).await;
    let url = through_provider(&app, &op, Some("alice")).await;
    let response = callback(&app, &url).await;
    assert_refused(&app, response, "could not be verified").await;
    assert!(
        app.store
            .get_user_by_username("alice@example.com")
            .await
            .unwrap()
            .is_none()
    );
}

async fn a_callback_with_a_wrong_state_shows_the_error_page(engine: Engine) {
    let Some((app, op)) = with_provider(engine, "mcp-oauth", |_, _| {}).await else {
        return;
    };
    pending_request(&app).await;
    let url = through_provider(&app, &op, Some("alice")).await;
    let mut forged = url::Url::parse(&url).unwrap();
    let pairs: Vec<(String, String)> = forged
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" {
                "forged".into()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    forged.query_pairs_mut().clear().extend_pairs(pairs);
    let response = callback(&app, forged.as_str()).await;
    assert_refused(&app, response, "Sign-in not recognised").await;
}

async fn a_replayed_callback_shows_the_error_page(engine: Engine) {
    let Some((app, op)) = with_provider(engine, "mcp-oauth", |_, _| {}).await else {
        return;
    };
    pending_request(&app).await;
    let url = through_provider(&app, &op, Some("alice")).await;
    let first = callback(&app, &url).await;
    assert_eq!(location(&first).as_deref(), Some("/consent"));
    // The same callback again, from a fresh browser and from the signed-in one.
    let fresh = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = fresh.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(location(&response).is_none());
    let response = callback(&app, &url).await;
    assert_eq!(response.status(), 403);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Sign-in not recognised")
    );
}

async fn an_id_token_with_another_nonce_is_refused(engine: Engine) {
    refused_for_client(engine, "tamper-nonce").await;
}

async fn an_id_token_signed_by_another_key_is_refused(engine: Engine) {
    refused_for_client(engine, "tamper-key").await;
}

async fn an_expired_id_token_is_refused(engine: Engine) {
    refused_for_client(engine, "tamper-expired").await;
}

async fn an_id_token_for_another_audience_is_refused(engine: Engine) {
    refused_for_client(engine, "tamper-aud").await;
}

async fn an_id_token_authorized_for_another_party_is_refused(engine: Engine) {
    refused_for_client(engine, "tamper-azp").await;
}

async fn an_unsigned_alg_none_id_token_is_refused(engine: Engine) {
    refused_for_client(engine, "tamper-none").await;
}

async fn an_email_outside_the_allowed_domains_is_refused(engine: Engine) {
    let Some((app, op)) = with_provider(engine, "mcp-oauth", |provider, _| {
        provider.allowed_email_domains = vec!["example.org".into()];
    })
    .await
    else {
        return;
    };
    pending_request(&app).await;
    let url = through_provider(&app, &op, Some("alice")).await;
    let response = callback(&app, &url).await;
    assert_refused(&app, response, "not in a domain allowed").await;
}

async fn a_group_outside_the_allow_list_is_refused(engine: Engine) {
    let Some((app, op)) = with_provider(engine, "mcp-oauth", |provider, _| {
        provider.allowed_groups = vec!["admins".into()];
    })
    .await
    else {
        return;
    };
    pending_request(&app).await;
    let url = through_provider(&app, &op, Some("alice")).await;
    let response = callback(&app, &url).await;
    assert_refused(&app, response, "not in a group allowed").await;
}

async fn an_unverified_email_is_refused_when_domains_are_listed(engine: Engine) {
    let Some((app, op)) = with_provider(engine, "mcp-oauth", |provider, _| {
        provider.allowed_email_domains = vec!["example.com".into()];
    })
    .await
    else {
        return;
    };
    pending_request(&app).await;
    let url = through_provider(&app, &op, Some("bob")).await;
    let response = callback(&app, &url).await;
    assert_refused(&app, response, "e-mail address the provider has verified").await;
}

async fn the_providers_refusal_is_shown_escaped_and_never_sent_to_the_client(engine: Engine) {
    let Some((app, op)) = with_provider(engine, "mcp-oauth", |_, _| {}).await else {
        return;
    };
    pending_request(&app).await;
    let url = through_provider(&app, &op, None).await;
    assert!(url.contains("error=access_denied"), "{url}");
    let response = callback(&app, &url).await;
    assert_eq!(response.status(), 403);
    let page = response.text().await.unwrap();
    assert!(page.contains("access_denied"), "{page}");
    assert!(
        page.contains("The &#60;b&#62;user&#60;/b&#62; said") && !page.contains("<b>user</b>"),
        "{page}"
    );
}

async fn a_provider_down_at_discovery_shows_an_error_page_and_password_login_still_works(
    engine: Engine,
) {
    let down = format!("http://127.0.0.1:{}", crate::helpers::free_loopback_port());
    let Some(app) = spawn_app_with(engine, |settings| {
        settings.login.oidc = vec![provider_settings(&down, "mcp-oauth")];
    })
    .await
    else {
        return;
    };
    let response = get(&app, "/login/oidc/test").await;
    assert_eq!(response.status(), 502);
    assert!(location(&response).is_none());
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Test IdP cannot be reached")
    );
    let response = crate::browser::log_in(&app).await;
    assert_eq!(location(&response).as_deref(), Some("/account/apps"));
}

async fn login_password_false_hides_the_form_and_refuses_a_posted_password(engine: Engine) {
    let Some(app) = spawn_app_with(engine, |settings| {
        settings.login.password = false;
        settings.login.oidc = vec![provider_settings("https://idp.example", "mcp-oauth")];
    })
    .await
    else {
        return;
    };
    let page = get(&app, "/login").await.text().await.unwrap();
    assert!(page.contains("Sign in with Test IdP"));
    assert!(!page.contains("id=\"password\""), "{page}");
    let form = [
        ("username", "admin"),
        ("password", crate::helpers::ADMIN_PASSWORD),
    ];
    let response = crate::browser::post(&app, "/login", &form).await;
    assert_eq!(response.status(), 403);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Password sign-in is off")
    );
}

on_both_engines!(
    a_callback_with_a_wrong_state_shows_the_error_page,
    a_replayed_callback_shows_the_error_page,
    an_id_token_with_another_nonce_is_refused,
    an_id_token_signed_by_another_key_is_refused,
    an_expired_id_token_is_refused,
    an_id_token_for_another_audience_is_refused,
    an_id_token_authorized_for_another_party_is_refused,
    an_unsigned_alg_none_id_token_is_refused,
    an_email_outside_the_allowed_domains_is_refused,
    a_group_outside_the_allow_list_is_refused,
    an_unverified_email_is_refused_when_domains_are_listed,
    the_providers_refusal_is_shown_escaped_and_never_sent_to_the_client,
    a_provider_down_at_discovery_shows_an_error_page_and_password_login_still_works,
    login_password_false_hides_the_form_and_refuses_a_posted_password,
);
