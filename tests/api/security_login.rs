//! Login throttling behind a proxy and against lockout (issue 14, items 1 and 9): failures
//! count against the resolved client address, and a locked account still lets its owner in
//! from an address with a clean record.

use mcp_oauth::config::Settings;

use crate::browser::hidden;
use crate::helpers::Engine;
use crate::helpers::{ADMIN_PASSWORD, TestApp, spawn_app_with};
use crate::on_both_engines;

fn behind_local_proxy(s: &mut Settings) {
    s.server.trusted_proxies = vec!["127.0.0.1".into()];
    // Many attempts from one address: the per-address request limit is not under test.
    s.rate_limits.enabled = false;
}

/// One person at the login form "from" `address`, with a cookie jar of their own.
async fn log_in_from(app: &TestApp, address: &str, username: &str, password: &str) -> u16 {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let page = browser
        .get(app.url("/login"))
        .header("X-Forwarded-For", address)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&page, "csrf_token");
    let response = browser
        .post(app.url("/login"))
        .header("X-Forwarded-For", address)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

async fn behind_a_trusted_proxy_one_addresss_failures_do_not_refuse_another_address(
    engine: Engine,
) {
    let app = spawn_app_with(engine, behind_local_proxy).await.unwrap();
    for i in 0..5 {
        let status = log_in_from(&app, "203.0.113.7", &format!("ghost{i}"), "wrong-password").await;
        assert_eq!(status, 401);
    }
    assert_eq!(
        log_in_from(&app, "203.0.113.7", "admin", ADMIN_PASSWORD).await,
        429,
        "the failing address itself is throttled"
    );
    assert_eq!(
        log_in_from(&app, "198.51.100.8", "admin", ADMIN_PASSWORD).await,
        303,
        "another forwarded address logs in"
    );
    let logins = app.audit_events("user_login", 1).await;
    assert_eq!(
        logins[0].ip.as_deref(),
        Some("198.51.100.8"),
        "the audit names the client, not the proxy"
    );
    assert!(
        logins[0].detail.contains("198.51.100.8"),
        "{}",
        logins[0].detail
    );
}
on_both_engines!(behind_a_trusted_proxy_one_addresss_failures_do_not_refuse_another_address);

async fn a_locked_account_still_admits_the_right_password_from_a_clean_address_and_audits_it(
    engine: Engine,
) {
    let app = spawn_app_with(engine, behind_local_proxy).await.unwrap();
    // Five guesses at the account, each from a different address, as a botnet would.
    for i in 1..=5 {
        assert_eq!(
            log_in_from(&app, &format!("203.0.113.{i}"), "ADMIN", "wrong-password").await,
            401
        );
    }
    let locked = app.audit_events("login_account_locked", 1).await;
    assert_eq!(locked.len(), 1, "the lock is audited once");
    // A guessing address is refused even the right password while the account is locked.
    assert_eq!(
        log_in_from(&app, "203.0.113.1", "admin", ADMIN_PASSWORD).await,
        429
    );
    // A clean address may try once; after its own failure it is refused for this account.
    assert_eq!(
        log_in_from(&app, "198.51.100.30", "admin", "wrong-again").await,
        401
    );
    assert_eq!(
        log_in_from(&app, "198.51.100.30", "admin", ADMIN_PASSWORD).await,
        429
    );
    // The owner, from an address with no failures, gets in, and that is audited.
    assert_eq!(
        log_in_from(&app, "198.51.100.20", "admin", ADMIN_PASSWORD).await,
        303
    );
    let past = app.audit_events("login_past_account_lock", 1).await;
    assert_eq!(past[0].ip.as_deref(), Some("198.51.100.20"));
}
on_both_engines!(
    a_locked_account_still_admits_the_right_password_from_a_clean_address_and_audits_it
);

async fn failures_at_two_instances_on_one_database_share_one_budget(engine: Engine) {
    let first = spawn_app_with(engine, behind_local_proxy).await.unwrap();
    let second = first.another_instance().await;
    // A guesser behind a load balancer: its attempts land on both instances in turn.
    for (i, app) in [&first, &second, &first, &second, &first]
        .into_iter()
        .enumerate()
    {
        assert_eq!(
            log_in_from(app, "203.0.113.77", "admin", "wrong-password").await,
            401,
            "guess {i}"
        );
    }
    for app in [&first, &second] {
        assert_eq!(
            log_in_from(app, "203.0.113.77", "admin", ADMIN_PASSWORD).await,
            429,
            "five failures across instances lock this address on every instance"
        );
    }
    // The owner, from an address with a clean record, still gets in at either instance.
    assert_eq!(
        log_in_from(&second, "198.51.100.5", "admin", ADMIN_PASSWORD).await,
        303
    );
}
on_both_engines!(failures_at_two_instances_on_one_database_share_one_budget);

async fn maintenance_forgets_failed_logins_once_they_leave_the_window(engine: Engine) {
    let app = spawn_app_with(engine, behind_local_proxy).await.unwrap();
    assert_eq!(
        log_in_from(&app, "203.0.113.9", "admin", "wrong-password").await,
        401
    );
    let settings = app.settings.maintenance.clone();
    let now = mcp_oauth::storage::unix_now();
    let kept = mcp_oauth::maintenance::run_purge_once(&app.store, now, &settings)
        .await
        .unwrap();
    assert_eq!(
        kept.login_failures, 0,
        "inside the window the failure counts"
    );
    let later = now + mcp_oauth::oauth::throttle::WINDOW_SECS + 1;
    let purged = mcp_oauth::maintenance::run_purge_once(&app.store, later, &settings)
        .await
        .unwrap();
    assert_eq!(
        purged.login_failures, 2,
        "one row for the account, one for the address"
    );
}
on_both_engines!(maintenance_forgets_failed_logins_once_they_leave_the_window);
