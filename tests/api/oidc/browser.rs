//! Headless Chromium signs in at the real provider's page and lands on our consent page; the
//! MCP client then gets its token and lists the tools.

use std::io::Write;
use std::path::Path;

use base64::Engine as _;
use fantoccini::Locator;
use sha2::Digest as _;

use super::provider::{PROVIDER_PASSWORD, with_provider};
use crate::browser_e2e::{CHROMEDRIVER, Driver, PATIENCE, hinted_scope, register_client};
use crate::helpers::Engine;
use crate::on_both_engines;

async fn a_headless_browser_signs_in_at_the_provider_and_lands_on_our_consent_page(engine: Engine) {
    if !Path::new(CHROMEDRIVER).exists() {
        let _ = std::io::stderr().write_all(
            b"\n*** SKIPPED: chromium-driver not installed (no /usr/bin/chromedriver). ***\n",
        );
        return;
    }
    let Some((app, _op)) = with_provider(engine, "mcp-oauth", |_, _| {}).await else {
        return;
    };
    let redirect_uri = app.url("/oauth/callback");
    let scope = hinted_scope(&app).await;
    let client_id = register_client(&app, &redirect_uri, &scope).await;
    let verifier = format!("oidc-browser-{}", crate::helpers::random_suffix()).repeat(3);
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", client_id.as_str()),
            ("redirect_uri", redirect_uri.as_str()),
            ("scope", scope.as_str()),
            ("state", "browser-state"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .finish();

    let driver = Driver::start().await;
    let profile = tempfile::tempdir().expect("browser profile directory");
    let browser = driver.session(profile.path()).await;
    browser
        .goto(&app.url(&format!("/oauth/authorize?{query}")))
        .await
        .expect("open the authorization URL");
    browser
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::LinkText("Sign in with Test IdP"))
        .await
        .expect("the provider's button on our login page")
        .click()
        .await
        .expect("choose the provider");
    let login = browser
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css("#login"))
        .await
        .expect("the provider's login page");
    login.send_keys("alice").await.expect("type the login");
    browser
        .find(Locator::Css("#password"))
        .await
        .expect("password field")
        .send_keys(PROVIDER_PASSWORD)
        .await
        .expect("type the password");
    browser
        .find(Locator::Css("#submit"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("sign in at the provider");
    let allow = browser
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css("button[value=approve]"))
        .await
        .expect("our consent page");
    let landed = browser.current_url().await.expect("URL");
    assert_eq!(landed.as_str(), app.url("/consent"));
    allow.click().await.expect("approve");
    let code = browser
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css("pre.copy"))
        .await
        .expect("the callback page with a code")
        .text()
        .await
        .expect("code text");
    browser.close().await.expect("end the browser session");
    drop(driver);

    let (status, tokens) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &redirect_uri),
                ("client_id", &client_id),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().expect("access token");
    let mut tools = crate::claude::listed(&app, access, "tools", "name").await;
    tools.sort();
    assert_eq!(tools, ["calculator", "echo", "system_info"]);
}

on_both_engines!(a_headless_browser_signs_in_at_the_provider_and_lands_on_our_consent_page);
