//! The pages themselves: security headers on every one, the stylesheet, the test callback,
//! connected apps with revocation.

use crate::browser::{decide, get, hidden, location, log_in, post, query_of, to_consent};
use crate::helpers::Engine;
use crate::helpers::{CLAUDE, CLAUDE_CALLBACK, spawn_app};
use crate::on_both_engines;

fn assert_page_headers(response: &reqwest::Response, what: &str) {
    let h = response.headers();
    assert_eq!(h["x-frame-options"], "DENY", "{what}");
    assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(h["cache-control"], "no-store", "{what}");
    assert_eq!(h["referrer-policy"], "no-referrer", "{what}");
    let csp = h["content-security-policy"].to_str().unwrap();
    for part in [
        "default-src 'none'",
        "style-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(part), "{what}: {csp}");
    }
    assert!(
        h["content-type"].to_str().unwrap().starts_with("text/html"),
        "{what}"
    );
}

async fn every_page_carries_the_framing_and_caching_headers(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    assert_page_headers(&get(&app, "/login").await, "login");
    assert_page_headers(
        &get(&app, "/oauth/callback?code=abc&state=s").await,
        "callback",
    );
    assert_page_headers(
        &get(&app, "/oauth/authorize?client_id=nobody").await,
        "error",
    );
    assert_page_headers(&get(&app, "/consent").await, "consent without request");
    let consent = crate::browser::authorize(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", CLAUDE.0),
            ("redirect_uri", CLAUDE_CALLBACK),
        ],
    )
    .await;
    assert_eq!(consent.status(), 303);
    log_in(&app).await;
    let consent = get(&app, "/consent").await;
    assert_page_headers(&consent, "consent");
    let csp = consent.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("form-action 'self' https://claude.ai"),
        "the consent redirect is allowed: {csp}"
    );
    assert_page_headers(&get(&app, "/account/apps").await, "apps");
    assert_page_headers(&get(&app, "/logout").await, "logged out");
    let css = get(&app, "/static/style.css").await;
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
}
on_both_engines!(every_page_carries_the_framing_and_caching_headers);

async fn the_test_callback_escapes_what_it_shows_and_offers_the_exchange_command(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let response = get(
        &app,
        "/oauth/callback?code=abc%3Cscript%3E&state=%22%3E%3Cimg%3E",
    )
    .await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(
        !html.contains("<script>") && !html.contains("<img>"),
        "{html}"
    );
    assert!(
        html.contains("client_secret=test_secret_key_2024") && html.contains("/oauth/token"),
        "{html}"
    );
    let response = get(
        &app,
        "/oauth/callback?error=access_denied&error_description=%3Cb%3Eno%3C%2Fb%3E&state=s",
    )
    .await;
    assert_eq!(response.status(), 400);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("access_denied") && !html.contains("<b>no</b>"),
        "{html}"
    );
}
on_both_engines!(the_test_callback_escapes_what_it_shows_and_offers_the_exchange_command);

async fn connected_apps_lists_grants_and_revoking_kills_the_tokens(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    assert_eq!(
        location(&get(&app, "/account/apps").await).as_deref(),
        Some("/login"),
        "login required"
    );
    let page = to_consent(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", CLAUDE.0),
            ("redirect_uri", CLAUDE_CALLBACK),
            ("scope", "mcp:tools"),
        ],
    )
    .await;
    let query = query_of(&location(&decide(&app, &page, "approve").await).unwrap());
    let (_, tokens) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &query["code"]),
                ("redirect_uri", CLAUDE_CALLBACK),
                ("client_id", CLAUDE.0),
                ("client_secret", CLAUDE.1),
            ],
        )
        .await;
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let apps = get(&app, "/account/apps").await.text().await.unwrap();
    assert!(
        apps.contains("Claude.ai") && apps.contains("mcp:tools") && apps.contains("UTC"),
        "{apps}"
    );
    let csrf = hidden(&apps, "csrf_token");
    let grant_id = hidden(&apps, "grant_id");
    assert_eq!(
        post(
            &app,
            "/account/apps/revoke",
            &[("csrf_token", "bad"), ("grant_id", &grant_id)]
        )
        .await
        .status(),
        403
    );
    assert_eq!(
        post(
            &app,
            "/account/apps/revoke",
            &[("csrf_token", &csrf), ("grant_id", "someone-elses")]
        )
        .await
        .status(),
        404
    );
    let response = post(
        &app,
        "/account/apps/revoke",
        &[("csrf_token", &csrf), ("grant_id", &grant_id)],
    )
    .await;
    assert_eq!(location(&response).as_deref(), Some("/account/apps"));
    let (_, info) = app
        .post_form(
            "/oauth/introspect",
            &[
                ("token", &access),
                ("client_id", CLAUDE.0),
                ("client_secret", CLAUDE.1),
            ],
        )
        .await;
    assert_eq!(info["active"], false);
    let (status, _) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
                ("client_id", CLAUDE.0),
                ("client_secret", CLAUDE.1),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        app.auth.revocations.contains(&tokens_jti(&access)),
        "in-memory revocation set"
    );
    let apps = get(&app, "/account/apps").await.text().await.unwrap();
    assert!(apps.contains("No application has access"), "{apps}");
    // The approval is forgotten too: reconnecting asks again.
    let response = crate::browser::authorize(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", CLAUDE.0),
            ("redirect_uri", CLAUDE_CALLBACK),
            ("scope", "mcp:tools"),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
}
on_both_engines!(connected_apps_lists_grants_and_revoking_kills_the_tokens);

fn tokens_jti(jwt: &str) -> String {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    claims["jti"].as_str().unwrap().to_string()
}
