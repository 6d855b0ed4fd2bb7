//! Rate limits: per address (believing X-Forwarded-For only from trusted proxies), per
//! client_id on the token endpoint, per token subject on MCP. Long periods keep the
//! tests independent of timing: nothing refills while they run.

use mcp_oauth::config::{RateLimit, Settings};

use crate::helpers::Engine;
use crate::helpers::{CLAUDE, TEST_CLIENT, TestApp, spawn_app_with};
use crate::metrics::{sample, scrape};
use crate::on_both_engines;

const HOUR_MS: u64 = 3_600_000;
const ROOMY: RateLimit = RateLimit {
    burst: 1000,
    period_ms: 1,
};

fn tight(burst: u32) -> RateLimit {
    RateLimit {
        burst,
        period_ms: HOUR_MS,
    }
}

fn behind_local_proxy(s: &mut Settings) {
    s.server.trusted_proxies = vec!["127.0.0.1".into()];
}

/// A client-credentials request "from" `address`; the status and the response.
async fn token_from(app: &TestApp, address: &str, client: (&str, &str)) -> reqwest::Response {
    app.http
        .post(app.url("/oauth/token"))
        .header("X-Forwarded-For", address)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client.0),
            ("client_secret", client.1),
        ])
        .send()
        .await
        .unwrap()
}

async fn assert_limited(response: reqwest::Response) {
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
}

async fn a_token_burst_from_one_address_gets_429s_while_another_address_is_unaffected(
    engine: Engine,
) {
    let app = spawn_app_with(engine, |s| {
        behind_local_proxy(s);
        s.rate_limits.token = tight(3);
        s.rate_limits.token_client = ROOMY;
    })
    .await
    .unwrap();
    let before = scrape(&app).await;
    for _ in 0..3 {
        let response = token_from(&app, "203.0.113.7", (TEST_CLIENT.0, "guess")).await;
        assert_eq!(response.status(), 401);
    }
    assert_limited(token_from(&app, "203.0.113.7", TEST_CLIENT).await).await;
    assert_limited(token_from(&app, "198.51.100.1, 203.0.113.7", TEST_CLIENT).await).await;
    let other = token_from(&app, "203.0.113.8", TEST_CLIENT).await;
    assert_eq!(other.status(), 200, "another address has its own budget");
    let via_alias = app
        .http
        .post(app.url("/token"))
        .header("X-Forwarded-For", "203.0.113.7")
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        via_alias.status(),
        429,
        "/token shares the bucket of /oauth/token"
    );

    let after = scrape(&app).await;
    let limited = |t: &str| sample(t, "http_rate_limited_total", &[("group", "token")]);
    assert!(limited(&after) >= limited(&before) + 3.0, "{after}");
    let status = |t: &str| {
        sample(
            t,
            "http_requests_total",
            &[
                ("route", "/oauth/token"),
                ("method", "POST"),
                ("status", "429"),
            ],
        )
    };
    assert!(status(&after) >= status(&before) + 2.0);
}
on_both_engines!(a_token_burst_from_one_address_gets_429s_while_another_address_is_unaffected);

async fn an_untrusted_peers_forwarded_for_is_ignored(engine: Engine) {
    let app = spawn_app_with(engine, |s| {
        s.rate_limits.token = tight(2);
        s.rate_limits.token_client = ROOMY;
    })
    .await
    .unwrap();
    for address in ["203.0.113.1", "203.0.113.2"] {
        assert_eq!(token_from(&app, address, TEST_CLIENT).await.status(), 200);
    }
    // Without a trusted proxy every request is keyed on the real peer, 127.0.0.1.
    assert_limited(token_from(&app, "203.0.113.3", TEST_CLIENT).await).await;
}
on_both_engines!(an_untrusted_peers_forwarded_for_is_ignored);

async fn the_token_endpoint_limits_each_client_id_across_addresses(engine: Engine) {
    let app = spawn_app_with(engine, |s| {
        behind_local_proxy(s);
        s.rate_limits.token = ROOMY;
        s.rate_limits.token_client = tight(2);
    })
    .await
    .unwrap();
    assert_eq!(
        token_from(&app, "203.0.113.1", TEST_CLIENT).await.status(),
        200
    );
    // HTTP Basic names the same client: same bucket.
    let basic = app
        .http
        .post(app.url("/oauth/token"))
        .header("X-Forwarded-For", "203.0.113.2")
        .basic_auth(TEST_CLIENT.0, Some(TEST_CLIENT.1))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 200);
    assert_limited(token_from(&app, "203.0.113.3", TEST_CLIENT).await).await;
    assert_eq!(
        token_from(&app, "203.0.113.3", CLAUDE).await.status(),
        200,
        "another client is unaffected"
    );
    // The buffered body still reaches the handler intact, and its limits still apply.
    let (status, body) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", CLAUDE.0),
                ("client_secret", CLAUDE.1),
                ("scope", "mcp:tools"),
            ],
        )
        .await;
    assert_eq!((status, body["scope"].as_str()), (200, Some("mcp:tools")));
}
on_both_engines!(the_token_endpoint_limits_each_client_id_across_addresses);

async fn revoke_and_introspect_are_limited_per_address(engine: Engine) {
    let app = spawn_app_with(engine, |s| {
        s.rate_limits.revoke = tight(1);
        s.rate_limits.introspect = tight(1);
    })
    .await
    .unwrap();
    for path in ["/oauth/revoke", "/oauth/introspect"] {
        let form = [
            ("token", "x"),
            ("client_id", TEST_CLIENT.0),
            ("client_secret", TEST_CLIENT.1),
        ];
        assert_eq!(app.post_form(path, &form).await.0, 200, "{path}");
        let response = app
            .http
            .post(app.url(path))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_limited(response).await;
    }
}
on_both_engines!(revoke_and_introspect_are_limited_per_address);

async fn mcp_calls_are_limited_per_token_subject(engine: Engine) {
    let app = spawn_app_with(engine, |s| s.rate_limits.mcp = tight(2))
        .await
        .unwrap();
    let token = app
        .client_credentials_token(TEST_CLIENT, Some("mcp:tools"))
        .await;
    let tools = || {
        app.http
            .get(app.url("/mcp/protected/tools"))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(tools().await.unwrap().status(), 200);
    assert_eq!(tools().await.unwrap().status(), 200);
    assert_limited(tools().await.unwrap()).await;
    let ping = app
        .http
        .post(app.url("/mcp"))
        .bearer_auth(&token)
        .header("Accept", "application/json, text/event-stream")
        .json(&serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ping.status(), 429, "/mcp shares the subject's budget");

    let other = app
        .client_credentials_token(CLAUDE, Some("mcp:tools"))
        .await;
    let response = app
        .http
        .get(app.url("/mcp/protected/tools"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "another subject is unaffected");
    let anonymous = app
        .http
        .get(app.url("/mcp/protected/tools"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        anonymous.status(),
        401,
        "authentication comes before the subject's budget"
    );
}
on_both_engines!(mcp_calls_are_limited_per_token_subject);

async fn login_posts_and_registrations_are_limited_per_address(engine: Engine) {
    let app = crate::helpers::spawn_app(engine).await.unwrap();
    let mut statuses = Vec::new();
    for _ in 0..14 {
        let response = app
            .http
            .post(app.url("/oauth/register"))
            .json(&serde_json::json!({
                "client_name": "burst", "redirect_uris": ["https://app.example/cb"]}))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert!(
        statuses.contains(&201) && statuses.contains(&429),
        "register: {statuses:?}"
    );
    let mut login = Vec::new();
    let mut refusal = None;
    for _ in 0..8 {
        let response = app
            .http
            .post(app.url("/login"))
            .form(&[("username", "x"), ("password", "y")])
            .send()
            .await
            .unwrap();
        login.push(response.status().as_u16());
        if response.status() == 429 {
            refusal = Some(response);
        }
    }
    assert!(login.iter().all(|s| *s != 500), "login: {login:?}");
    // A person at the login form gets a page, not JSON.
    let refusal = refusal.unwrap_or_else(|| panic!("no 429 among {login:?}"));
    assert!(
        refusal.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert!(
        refusal.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(refusal.headers()["x-frame-options"], "DENY");
    let page = refusal.text().await.unwrap();
    assert!(
        page.contains("Too many attempts") && page.contains("try again"),
        "{page}"
    );
}
on_both_engines!(login_posts_and_registrations_are_limited_per_address);
