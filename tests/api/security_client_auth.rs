//! Client authentication under load (issue 14, item 6, and the one-message `invalid_client`):
//! unknown client ids cost no argon2, a long argon2 queue is refused at once with 503 and
//! `Retry-After`, and every refusal reads the same.

use mcp_oauth::config::{RateLimit, Settings};

use crate::helpers::Engine;
use crate::helpers::{CLAUDE, TEST_CLIENT, TestApp, spawn_app_with};
use crate::on_both_engines;

const ROOMY: RateLimit = RateLimit {
    burst: 10_000,
    period_ms: 1,
};

fn roomy_limits(s: &mut Settings) {
    s.rate_limits.token = ROOMY;
    s.rate_limits.token_client = ROOMY;
    s.rate_limits.token_failures = ROOMY;
}

async fn post(app: &TestApp, form: &[(&str, &str)]) -> reqwest::Response {
    app.http
        .post(app.url("/oauth/token"))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn unknown_client_ids_are_refused_without_running_argon2(engine: Engine) {
    let app = spawn_app_with(engine, roomy_limits).await.unwrap();
    for i in 0..20 {
        let id = format!("no-such-client-{i}");
        let response = post(
            &app,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", "s3cret"),
            ],
        )
        .await;
        assert_eq!(response.status(), 401);
    }
    assert_eq!(
        app.auth.secret_cache.argon2_runs(),
        0,
        "no dummy hash for unknown ids"
    );
    let response = post(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLAUDE.0),
            ("client_secret", "wrong"),
        ],
    )
    .await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        app.auth.secret_cache.argon2_runs(),
        1,
        "a known client's secret is checked"
    );
}
on_both_engines!(unknown_client_ids_are_refused_without_running_argon2);

async fn a_long_argon2_queue_is_refused_with_503_and_retry_after_while_cached_clients_get_tokens(
    engine: Engine,
) {
    let app = spawn_app_with(engine, |s| {
        roomy_limits(s);
        s.server.client_auth_queue_max = 1;
    })
    .await
    .unwrap();
    // Verified once, so TEST_CLIENT's next calls are cache hits that need no argon2.
    app.client_credentials_token(TEST_CLIENT, None).await;
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..48 {
        let (http, url) = (app.http.clone(), app.url("/oauth/token"));
        guesses.spawn(async move {
            let secret = format!("guess-{i}");
            let response = http
                .post(url)
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", CLAUDE.0),
                    ("client_secret", &secret),
                ])
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
            let body: serde_json::Value = response.json().await.unwrap();
            (status, retry_after, body)
        });
    }
    let mut cached = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (http, url) = (app.http.clone(), app.url("/oauth/token"));
        cached.spawn(async move {
            http.post(url)
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", TEST_CLIENT.0),
                    ("client_secret", TEST_CLIENT.1),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    let (guesses, cached) = tokio::join!(guesses.join_all(), cached.join_all());
    assert!(
        cached.iter().all(|s| *s == 200),
        "cached clients are not queued: {cached:?}"
    );
    let mut shed = 0;
    for (status, retry_after, body) in &guesses {
        match status {
            401 => assert_eq!(body["error"], "invalid_client"),
            503 => {
                shed += 1;
                assert_eq!(body["error"], "temporarily_unavailable");
                assert!(retry_after.as_deref().unwrap().parse::<u64>().unwrap() >= 1);
            }
            other => panic!("unexpected status {other}: {body}"),
        }
    }
    assert!(
        shed > 0,
        "48 concurrent distinct guesses with a queue of 1 shed none"
    );
    assert!(
        shed < guesses.len(),
        "the first guess is verified, not shed"
    );
}
on_both_engines!(
    a_long_argon2_queue_is_refused_with_503_and_retry_after_while_cached_clients_get_tokens
);

async fn invalid_client_reads_the_same_for_unknown_public_confidential_and_wrong_secret(
    engine: Engine,
) {
    let app = spawn_app_with(engine, roomy_limits).await.unwrap();
    let public = serde_json::json!({"client_name": "pub", "redirect_uris": ["https://app.example/cb"],
            "token_endpoint_auth_method": "none"});
    let registered: serde_json::Value = app
        .http
        .post(app.url("/oauth/register"))
        .json(&public)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let public_id = registered["client_id"].as_str().unwrap().to_string();
    let cases: [&[(&str, &str)]; 4] = [
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "nobody"),
            ("client_secret", "x"),
        ],
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLAUDE.0),
        ],
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLAUDE.0),
            ("client_secret", "wrong"),
        ],
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &public_id),
            ("client_secret", "x"),
            ("code", "c"),
        ],
    ];
    let mut descriptions = Vec::new();
    for form in cases {
        let response = post(&app, form).await;
        assert_eq!(response.status(), 401);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client");
        descriptions.push(body["error_description"].as_str().unwrap().to_string());
    }
    assert!(
        descriptions.iter().all(|d| d == &descriptions[0]),
        "{descriptions:#?}"
    );
    assert!(!descriptions[0].contains(CLAUDE.0) && !descriptions[0].contains("public"));
}
on_both_engines!(invalid_client_reads_the_same_for_unknown_public_confidential_and_wrong_secret);
