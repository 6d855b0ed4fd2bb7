//! Issue #14, "Also": signing out is a POST carrying the session's CSRF token, so a cross-site
//! link, image or form cannot sign anyone out; GET /logout only shows the button.

use crate::browser::{get, hidden, location, log_in, post};
use crate::helpers::Engine;
use crate::helpers::spawn_app;
use crate::on_both_engines;

async fn logout_needs_a_post_with_the_csrf_token_and_a_get_only_asks(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    log_in(&app).await;
    // A cross-site <img src="/logout"> or link: a page with a form, the session untouched.
    let response = get(&app, "/logout").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers().get("set-cookie").is_none(),
        "GET clears no cookie"
    );
    let confirm = response.text().await.unwrap();
    assert!(
        confirm.contains("method=\"post\" action=\"/logout\""),
        "{confirm}"
    );
    assert_eq!(
        get(&app, "/account/apps").await.status(),
        200,
        "still signed in after GET /logout"
    );
    // A forged cross-site POST has no token (or a wrong one).
    assert_eq!(post(&app, "/logout", &[]).await.status(), 403);
    assert_eq!(
        post(&app, "/logout", &[("csrf_token", "forged")])
            .await
            .status(),
        403
    );
    assert_eq!(
        get(&app, "/account/apps").await.status(),
        200,
        "still signed in after forged POSTs"
    );
    // The page's own button: signed out.
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
}
on_both_engines!(logout_needs_a_post_with_the_csrf_token_and_a_get_only_asks);

async fn the_connected_apps_page_signs_out_with_a_form_not_a_link(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    log_in(&app).await;
    let apps = get(&app, "/account/apps").await.text().await.unwrap();
    assert!(!apps.contains("href=\"/logout\""), "{apps}");
    let form = &apps[apps.find("action=\"/logout\"").expect("a sign-out form")..];
    let response = post(
        &app,
        "/logout",
        &[("csrf_token", &hidden(form, "csrf_token"))],
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        location(&get(&app, "/account/apps").await).as_deref(),
        Some("/login")
    );
}
on_both_engines!(the_connected_apps_page_signs_out_with_a_form_not_a_link);
