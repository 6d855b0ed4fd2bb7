//! The token endpoint's budgets (issue 14, item 5): a client's budget is spent only by
//! requests that authenticated as it; failed authentications are counted per address.

use mcp_oauth::config::{RateLimit, Settings};

use crate::helpers::Engine;
use crate::helpers::{CLAUDE, TEST_CLIENT, TestApp, spawn_app_with};
use crate::on_both_engines;

const ROOMY: RateLimit = RateLimit {
    burst: 1000,
    period_ms: 1,
};

/// Nothing refills while the test runs.
fn tight(burst: u32) -> RateLimit {
    RateLimit {
        burst,
        period_ms: 3_600_000,
    }
}

fn behind_local_proxy(s: &mut Settings) {
    s.server.trusted_proxies = vec!["127.0.0.1".into()];
}

async fn token_from(app: &TestApp, address: &str, form: &[(&str, &str)]) -> reqwest::Response {
    app.http
        .post(app.url("/oauth/token"))
        .header("X-Forwarded-For", address)
        .form(form)
        .send()
        .await
        .unwrap()
}

fn credentials(client: (&str, &str)) -> [(&'static str, String); 3] {
    [
        ("grant_type", "client_credentials".into()),
        ("client_id", client.0.into()),
        ("client_secret", client.1.into()),
    ]
}

async fn status_of(app: &TestApp, address: &str, client: (&str, &str)) -> u16 {
    let form = credentials(client);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    token_from(app, address, &form).await.status().as_u16()
}

async fn requests_that_fail_to_authenticate_do_not_spend_the_named_clients_budget(engine: Engine) {
    let app = spawn_app_with(engine, |s| {
        behind_local_proxy(s);
        s.rate_limits.token = ROOMY;
        s.rate_limits.token_failures = ROOMY;
        s.rate_limits.token_client = tight(5);
    })
    .await
    .unwrap();
    // 180 cheap requests naming the client without its secret, from four addresses.
    for i in 0..180 {
        let address = format!("203.0.113.{}", i % 4 + 1);
        let response = token_from(
            &app,
            &address,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", CLAUDE.0),
            ],
        )
        .await;
        assert_eq!(response.status(), 401);
    }
    for _ in 0..5 {
        assert_eq!(
            status_of(&app, "198.51.100.1", CLAUDE).await,
            200,
            "the real client keeps its budget"
        );
    }
    let spent = token_from(
        &app,
        "198.51.100.2",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLAUDE.0),
            ("client_secret", CLAUDE.1),
        ],
    )
    .await;
    assert_eq!(spent.status(), 429, "its own calls still spend it");
    assert!(
        spent.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    let body: serde_json::Value = spent.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited");
    assert_eq!(
        status_of(&app, "198.51.100.2", TEST_CLIENT).await,
        200,
        "another client has its own"
    );
}
on_both_engines!(requests_that_fail_to_authenticate_do_not_spend_the_named_clients_budget);

async fn an_address_whose_client_authentications_keep_failing_is_refused_while_others_are_not(
    engine: Engine,
) {
    let app = spawn_app_with(engine, |s| {
        behind_local_proxy(s);
        s.rate_limits.token = ROOMY;
        s.rate_limits.token_client = ROOMY;
        s.rate_limits.token_failures = tight(3);
    })
    .await
    .unwrap();
    for _ in 0..3 {
        assert_eq!(
            status_of(&app, "203.0.113.9", (CLAUDE.0, "a-guess")).await,
            401
        );
    }
    let refused = token_from(
        &app,
        "203.0.113.9",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLAUDE.0),
            ("client_secret", CLAUDE.1),
        ],
    )
    .await;
    assert_eq!(
        refused.status(),
        429,
        "even the right secret, from the guessing address"
    );
    assert!(
        refused.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited");
    assert_eq!(
        status_of(&app, "203.0.113.10", CLAUDE).await,
        200,
        "another address is unaffected"
    );
    // Successes never spend the failure budget.
    for _ in 0..5 {
        assert_eq!(status_of(&app, "203.0.113.11", TEST_CLIENT).await, 200);
    }
}
on_both_engines!(
    an_address_whose_client_authentications_keep_failing_is_refused_while_others_are_not
);
