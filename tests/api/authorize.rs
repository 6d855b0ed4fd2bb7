//! The authorization endpoint: what is shown as a page (never redirected) and what goes
//! back to the client as an error redirect.

use crate::browser::{authorize, location, query_of};
use crate::helpers::Engine;
use crate::helpers::{CLAUDE, CLAUDE_CALLBACK, TEST_CLIENT, spawn_app};
use crate::on_both_engines;

async fn untrusted_clients_and_redirect_uris_get_an_error_page_and_no_redirect(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("response_type", "code")], "no client_id"),
        (
            vec![
                ("response_type", "code"),
                ("client_id", "nobody"),
                ("redirect_uri", CLAUDE_CALLBACK),
            ],
            "unknown client",
        ),
        (
            vec![
                ("client_id", CLAUDE.0),
                ("redirect_uri", "https://evil.example/cb"),
            ],
            "unregistered",
        ),
        (
            vec![
                ("client_id", CLAUDE.0),
                ("redirect_uri", "https://claude.ai/oauth/callback.evil.com"),
            ],
            "prefix",
        ),
        (
            vec![
                ("client_id", CLAUDE.0),
                ("redirect_uri", "https://claude.ai/oauth/callback/../x"),
            ],
            "dot segments",
        ),
        (
            vec![
                ("client_id", CLAUDE.0),
                ("redirect_uri", "https://claude.ai@evil.com/oauth/callback"),
            ],
            "userinfo",
        ),
        (
            vec![
                ("client_id", CLAUDE.0),
                ("redirect_uri", "https://claude.ai/oauth/callback#frag"),
            ],
            "fragment",
        ),
        (
            vec![
                ("client_id", CLAUDE.0),
                ("redirect_uri", "https://claude.ai:8443/oauth/callback"),
            ],
            "other port",
        ),
        (
            vec![
                ("client_id", CLAUDE.0),
                ("redirect_uri", "https://claude.ai/oauth/callback?x=1"),
            ],
            "extra query",
        ),
        (
            vec![("client_id", CLAUDE.0)],
            "omitted with several registered",
        ),
        (
            vec![
                ("client_id", CLAUDE.0),
                ("redirect_uri", "HTTPS://CLAUDE.AI/oauth/callback/"),
            ],
            "trailing slash",
        ),
    ];
    for (mut params, why) in cases {
        params.push(("response_type", "bogus"));
        params.push(("state", "s1"));
        let response = authorize(&app, &params).await;
        assert_eq!(response.status(), 400, "{why}");
        assert!(location(&response).is_none(), "{why}: never redirect");
        assert_eq!(response.headers()["x-frame-options"], "DENY", "{why}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains("Invalid authorization request"),
            "{why}: {html}"
        );
    }
    let response = app
        .http
        .get(app.url("/oauth/authorize?client_id=a&client_id=b"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (response.status().as_u16(), location(&response)),
        (400, None),
        "repeated parameter"
    );
    let response = app
        .http
        .get(app.url("/authorize?client_id=nobody&redirect_uri=https://evil.example/"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (response.status().as_u16(), location(&response)),
        (400, None),
        "the /authorize alias"
    );
}
on_both_engines!(untrusted_clients_and_redirect_uris_get_an_error_page_and_no_redirect);

async fn errors_after_the_redirect_uri_is_verified_go_back_with_state_and_iss(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let base = [
        ("client_id", CLAUDE.0),
        ("redirect_uri", CLAUDE_CALLBACK),
        ("state", "xyz 1/2"),
    ];
    let long = "a".repeat(43);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
        (vec![], "invalid_request"),
        (
            vec![("response_type", "code"), ("scope", "mcp:tools \u{7f}")],
            "invalid_scope",
        ),
        (
            vec![
                ("response_type", "code"),
                ("code_challenge", &long),
                ("code_challenge_method", "S512"),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("response_type", "code"),
                ("code_challenge", "short"),
                ("code_challenge_method", "S256"),
            ],
            "invalid_request",
        ),
        (
            vec![("response_type", "code"), ("code_challenge_method", "S256")],
            "invalid_request",
        ),
        (
            vec![
                ("response_type", "code"),
                ("resource", "https://evil.example/mcp"),
            ],
            "invalid_target",
        ),
    ];
    for (extra, expected) in cases {
        let mut params = base.to_vec();
        params.extend(extra);
        let response = authorize(&app, &params).await;
        assert!(
            matches!(response.status().as_u16(), 302 | 303),
            "{expected}: {}",
            response.status()
        );
        let target = location(&response).unwrap();
        assert!(target.starts_with(CLAUDE_CALLBACK), "{target}");
        let query = query_of(&target);
        assert_eq!(query["error"], expected, "{params:?}");
        assert!(!query["error_description"].is_empty());
        assert_eq!(query["state"], "xyz 1/2");
        assert_eq!(query["iss"], app.settings.issuer());
    }
    // The test client may not ask for a scope it was not registered with.
    let response = authorize(
        &app,
        &[
            ("client_id", TEST_CLIENT.0),
            ("redirect_uri", "http://localhost:5000/oauth/callback"),
            ("response_type", "code"),
            ("scope", "system:monitor"),
        ],
    )
    .await;
    assert_eq!(
        query_of(&location(&response).unwrap())["error"],
        "invalid_scope"
    );
}
on_both_engines!(errors_after_the_redirect_uri_is_verified_go_back_with_state_and_iss);

async fn a_loopback_redirect_uri_matches_on_any_port(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let response = authorize(
        &app,
        &[
            ("client_id", CLAUDE.0),
            ("redirect_uri", "http://localhost:61234/callback"),
            ("response_type", "token"),
        ],
    )
    .await;
    let target = location(&response).unwrap();
    assert!(
        target.starts_with("http://localhost:61234/callback?"),
        "{target}"
    );
}
on_both_engines!(a_loopback_redirect_uri_matches_on_any_port);

async fn the_oob_redirect_uri_shows_errors_on_a_page(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let response = authorize(
        &app,
        &[
            ("client_id", CLAUDE.0),
            ("redirect_uri", "urn:ietf:wg:oauth:2.0:oob"),
            ("response_type", "token"),
            ("state", "<b>st</b>"),
        ],
    )
    .await;
    assert_eq!(response.status(), 400);
    assert!(location(&response).is_none());
    let html = response.text().await.unwrap();
    assert!(html.contains("unsupported_response_type"), "{html}");
    assert!(
        html.contains("&#60;b&#62;st&#60;/b&#62;") || html.contains("&lt;b&gt;st&lt;/b&gt;"),
        "escaped state: {html}"
    );
}
on_both_engines!(the_oob_redirect_uri_shows_errors_on_a_page);

async fn plain_pkce_is_refused_when_disabled_and_a_sole_redirect_uri_may_be_omitted(
    engine: Engine,
) {
    let app = crate::helpers::spawn_app_with(engine, |s| s.tokens.allow_plain_pkce = false)
        .await
        .unwrap();
    let long = "a".repeat(43);
    let response = authorize(
        &app,
        &[
            ("client_id", CLAUDE.0),
            ("redirect_uri", CLAUDE_CALLBACK),
            ("response_type", "code"),
            ("code_challenge", &long),
            ("code_challenge_method", "plain"),
        ],
    )
    .await;
    let query = query_of(&location(&response).unwrap());
    assert_eq!(query["error"], "invalid_request");
    assert!(query["error_description"].contains("plain"));
    let response = app.http.post(app.url("/oauth/register"))
            .json(&serde_json::json!({"redirect_uris": ["https://one.example/cb"], "token_endpoint_auth_method": "none"}))
            .send().await.unwrap();
    let client: serde_json::Value = response.json().await.unwrap();
    // A dynamically registered client's errors are shown here, never redirected (RFC 9700 §4.11.2).
    let response = authorize(
        &app,
        &[
            ("client_id", client["client_id"].as_str().unwrap()),
            ("response_type", "token"),
        ],
    )
    .await;
    assert_eq!(response.status(), 400);
    assert!(location(&response).is_none());
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("unsupported_response_type")
    );
}
on_both_engines!(plain_pkce_is_refused_when_disabled_and_a_sole_redirect_uri_may_be_omitted);
