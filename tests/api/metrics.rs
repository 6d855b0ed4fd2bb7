//! The Prometheus listener: a separate port, the text format, and series that move.

use crate::helpers::Engine;
use crate::helpers::{CLAUDE, CLAUDE_CALLBACK, TEST_CLIENT, TestApp, spawn_app, spawn_app_with};
use crate::on_both_engines;

/// Scrapes the metrics listener and returns the body.
pub async fn scrape(app: &TestApp) -> String {
    let address = app.metrics_address.as_ref().expect("metrics are on");
    let response = app
        .http
        .get(format!("{address}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    response.text().await.unwrap()
}

/// The value of the series `name` with exactly these labels; 0 when absent. The recorder
/// is shared by every app in the test process, so tests compare before and after.
pub fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    let mut wanted: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    wanted.sort();
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.rsplit_once(' '))
        .find_map(|(series, value)| {
            let (series_name, mut found) = match series.split_once('{') {
                Some((n, rest)) => (
                    n,
                    rest.trim_end_matches('}')
                        .split(',')
                        .filter(|l| !l.is_empty())
                        .map(str::to_string)
                        .collect::<Vec<_>>(),
                ),
                None => (series, Vec::new()),
            };
            found.sort();
            (series_name == name && found == wanted).then(|| value.parse::<f64>().ok())?
        })
        .unwrap_or(0.0)
}

async fn token_requests_move_the_request_token_and_cache_series(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let before = scrape(&app).await;
    app.client_credentials_token(TEST_CLIENT, None).await;
    app.client_credentials_token(TEST_CLIENT, None).await;
    let (status, _) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", TEST_CLIENT.0),
                ("client_secret", "wrong"),
            ],
        )
        .await;
    assert_eq!(status, 401);
    let after = scrape(&app).await;

    let grew = |name: &str, labels: &[(&str, &str)], by: f64| {
        let (b, a) = (sample(&before, name, labels), sample(&after, name, labels));
        assert!(
            a >= b + by,
            "{name}{labels:?}: {b} -> {a}, expected +{by}\n{after}"
        );
    };
    let ok = [
        ("route", "/oauth/token"),
        ("method", "POST"),
        ("status", "200"),
    ];
    grew("http_requests_total", &ok, 2.0);
    grew(
        "http_requests_total",
        &[
            ("route", "/oauth/token"),
            ("method", "POST"),
            ("status", "401"),
        ],
        1.0,
    );
    grew(
        "http_request_duration_seconds_count",
        &[("route", "/oauth/token"), ("status", "200")],
        2.0,
    );
    grew(
        "http_request_duration_seconds_bucket",
        &[("route", "/oauth/token"), ("status", "200"), ("le", "+Inf")],
        2.0,
    );
    grew(
        "oauth_tokens_issued_total",
        &[("grant_type", "client_credentials")],
        2.0,
    );
    grew(
        "oauth_token_errors_total",
        &[("error", "invalid_client")],
        1.0,
    );
    grew("oauth_client_secret_cache_total", &[("result", "hit")], 1.0);
    grew(
        "oauth_client_secret_cache_total",
        &[("result", "miss")],
        1.0,
    );
    assert!(
        after.contains("db_pool_connections{state=\"idle\"}"),
        "{after}"
    );
    assert!(
        after.contains("db_pool_connections{state=\"in_use\"}"),
        "{after}"
    );
    assert!(
        after.contains("# TYPE http_request_duration_seconds histogram"),
        "{after}"
    );
}
on_both_engines!(token_requests_move_the_request_token_and_cache_series);

async fn revocations_and_replays_are_counted(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let before = scrape(&app).await;
    let token = app.client_credentials_token(TEST_CLIENT, None).await;
    let (status, _) = app
        .post_form(
            "/oauth/revoke",
            &[
                ("token", token.as_str()),
                ("client_id", TEST_CLIENT.0),
                ("client_secret", TEST_CLIENT.1),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let code = app
        .issue_code(CLAUDE.0, CLAUDE_CALLBACK, "mcp:tools", None)
        .await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CLAUDE_CALLBACK),
        ("client_id", CLAUDE.0),
        ("client_secret", CLAUDE.1),
    ];
    assert_eq!(app.post_form("/oauth/token", &form).await.0, 200);
    assert_eq!(app.post_form("/oauth/token", &form).await.0, 400);
    let after = scrape(&app).await;
    assert!(
        sample(&after, "oauth_revocations_total", &[])
            >= sample(&before, "oauth_revocations_total", &[]) + 1.0
    );
    let replays = |t: &str| sample(t, "oauth_replays_detected_total", &[("kind", "code")]);
    assert!(replays(&after) >= replays(&before) + 1.0, "{after}");
    let grant = |t: &str| {
        sample(
            t,
            "oauth_tokens_issued_total",
            &[("grant_type", "authorization_code")],
        )
    };
    assert!(grant(&after) >= grant(&before) + 1.0);
}
on_both_engines!(revocations_and_replays_are_counted);

async fn metrics_are_only_on_their_own_listener_and_can_be_turned_off(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let public = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(
        public.status(),
        404,
        "metrics must not be served on the public listener"
    );

    let off = spawn_app_with(engine, |s| s.metrics.enabled = false)
        .await
        .unwrap();
    assert!(off.metrics_address.is_none());
}
on_both_engines!(metrics_are_only_on_their_own_listener_and_can_be_turned_off);

async fn logins_have_a_counter_ready_for_the_login_page(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let before = scrape(&app).await;
    mcp_oauth::telemetry::metrics::login("bad_credentials");
    let after = scrape(&app).await;
    let logins = |t: &str| sample(t, "oauth_logins_total", &[("result", "bad_credentials")]);
    assert!(logins(&after) >= logins(&before) + 1.0, "{after}");
}
on_both_engines!(logins_have_a_counter_ready_for_the_login_page);

async fn an_unknown_http_method_is_counted_as_other_so_clients_cannot_mint_series(engine: Engine) {
    // The recorder is process-wide: the other engine's run of this test counts on the same
    // series, so the two take turns.
    static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = spawn_app(engine).await.unwrap();
    let before = scrape(&app).await;
    for method in ["BREW", "PROPFIND", "X-MADE-UP"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = app
            .http
            .request(method, app.url("/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405);
    }
    let after = scrape(&app).await;

    let labels = [
        ("route", "/healthz"),
        ("method", "other"),
        ("status", "405"),
    ];
    let counted = sample(&after, "http_requests_total", &labels)
        - sample(&before, "http_requests_total", &labels);
    assert_eq!(counted, 3.0, "{after}");
    for made_up in ["BREW", "PROPFIND", "X-MADE-UP"] {
        assert!(!after.contains(made_up), "{made_up} became a label");
    }
}
on_both_engines!(an_unknown_http_method_is_counted_as_other_so_clients_cannot_mint_series);
