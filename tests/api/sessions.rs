//! Login and sessions: CSRF on every form, generic failures, throttling, cookie flags,
//! server-side storage, timeouts and logout.

use crate::browser::{get, hidden, location, log_in, log_in_as, post};
use crate::helpers::Engine;
use crate::helpers::{ADMIN_PASSWORD, spawn_app, spawn_app_with};
use crate::on_both_engines;

async fn login_posts_without_the_right_csrf_token_are_refused(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let page = get(&app, "/login").await.text().await.unwrap();
    assert!(page.contains("name=\"username\"") && page.contains("name=\"password\""));
    for form in [
        vec![("username", "admin"), ("password", ADMIN_PASSWORD)],
        vec![
            ("csrf_token", "forged"),
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
        ],
    ] {
        let response = post(&app, "/login", &form).await;
        assert_eq!(response.status(), 403);
        assert_eq!(response.headers()["x-frame-options"], "DENY");
    }
    // Without any session cookie (another browser) the real token is refused too.
    let csrf = hidden(&page, "csrf_token");
    let stranger = reqwest::Client::new();
    let response = stranger
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    for path in ["/consent", "/account/apps/revoke"] {
        let response = post(
            &app,
            path,
            &[
                ("csrf_token", "forged"),
                ("decision", "approve"),
                ("grant_id", "x"),
            ],
        )
        .await;
        assert_eq!(response.status(), 403, "{path}");
    }
}
on_both_engines!(login_posts_without_the_right_csrf_token_are_refused);

async fn a_failed_login_does_not_say_which_field_was_wrong(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let wrong_password = log_in_as(&app, "admin", "nope-nope-nope").await;
    assert_eq!(wrong_password.status(), 401);
    let a = wrong_password.text().await.unwrap();
    let b = log_in_as(&app, "nobody", ADMIN_PASSWORD)
        .await
        .text()
        .await
        .unwrap();
    assert!(a.contains("Invalid username or password."));
    let strip = |s: &str| s.split("csrf_token").next().unwrap().to_string();
    assert_eq!(strip(&a), strip(&b), "identical pages");
}
on_both_engines!(a_failed_login_does_not_say_which_field_was_wrong);

async fn repeated_failures_lock_the_account_even_with_the_right_password(engine: Engine) {
    // Many requests from one address: the per-address rate limit is not what this tests.
    let app = spawn_app_with(engine, |s| s.rate_limits.enabled = false)
        .await
        .unwrap();
    for _ in 0..5 {
        assert_eq!(
            log_in_as(&app, "admin", "wrong-password").await.status(),
            401
        );
    }
    let response = log_in_as(&app, "admin", ADMIN_PASSWORD).await;
    assert_eq!(response.status(), 429);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Too many failed attempts") && !html.contains("password was"),
        "{html}"
    );
}
on_both_engines!(repeated_failures_lock_the_account_even_with_the_right_password);

async fn sessions_are_stored_hashed_with_a_safe_cookie_and_rotated_at_login(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let response = get(&app, "/login").await;
    let first = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(first.contains(flag), "{first}");
    }
    assert!(!first.contains("Secure"), "plain http test server");
    let response = log_in(&app).await;
    assert_eq!(location(&response).as_deref(), Some("/account/apps"));
    let second = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    let id = |c: &str| {
        c.split(';')
            .next()
            .unwrap()
            .split_once('=')
            .unwrap()
            .1
            .to_string()
    };
    assert_ne!(id(&first), id(&second), "a new session id after login");
    let hashes: Vec<String> = sqlx::query_scalar("SELECT id_hash FROM sessions")
        .fetch_all(app.store.pool())
        .await
        .unwrap();
    assert_eq!(
        hashes,
        vec![mcp_oauth::crypto::sha256_hex(&id(&second))],
        "only the hash is stored"
    );
    assert_eq!(get(&app, "/account/apps").await.status(), 200);
    // Idle for longer than the idle timeout: logged out.
    sqlx::query("UPDATE sessions SET last_seen_at = last_seen_at - 3600")
        .execute(app.store.pool())
        .await
        .unwrap();
    assert_eq!(
        location(&get(&app, "/account/apps").await).as_deref(),
        Some("/login")
    );
}
on_both_engines!(sessions_are_stored_hashed_with_a_safe_cookie_and_rotated_at_login);

async fn an_https_deployment_uses_a_secure_host_prefixed_cookie(engine: Engine) {
    let app = spawn_app_with(engine, |s| {
        s.server.public_url = "https://mcp.example".into();
    })
    .await
    .unwrap();
    let response = get(&app, "/login").await;
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with("__Host-") && cookie.contains("Secure") && cookie.contains("Path=/"),
        "{cookie}"
    );
}
on_both_engines!(an_https_deployment_uses_a_secure_host_prefixed_cookie);

async fn logout_ends_the_session_and_past_absolute_expiry_means_logged_out(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    log_in(&app).await;
    // Signing out is a POST with the CSRF token (issue #14); GET /logout shows the button.
    let confirm = get(&app, "/logout").await.text().await.unwrap();
    let response = post(
        &app,
        "/logout",
        &[("csrf_token", &hidden(&confirm, "csrf_token"))],
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        location(&get(&app, "/account/apps").await).as_deref(),
        Some("/login")
    );
    log_in(&app).await;
    sqlx::query("UPDATE sessions SET expires_at = 1")
        .execute(app.store.pool())
        .await
        .unwrap();
    assert_eq!(
        location(&get(&app, "/account/apps").await).as_deref(),
        Some("/login")
    );
    log_in(&app).await;
    let confirm = get(&app, "/logout").await.text().await.unwrap();
    assert_eq!(
        post(
            &app,
            "/logout",
            &[("csrf_token", &hidden(&confirm, "csrf_token"))]
        )
        .await
        .status(),
        200
    );
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id IS NOT NULL")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(left, 0);
}
on_both_engines!(logout_ends_the_session_and_past_absolute_expiry_means_logged_out);
