//! The scope policy (issue 17): `[[scopes.policy]]` decides who may grant which scope. The
//! consent page offers only those and says why the rest are withheld, a forged form cannot
//! widen it, and the token never carries more.

use mcp_oauth::config::{ScopePolicyRule, Settings};

use crate::browser::{approve_only, authorize, location, query_of, to_consent};
use crate::helpers::{CLAUDE, CLAUDE_CALLBACK, Engine, TestApp, spawn_app_with};
use crate::on_both_engines;

fn only_ops_may_grant_monitoring(settings: &mut Settings) {
    settings.scopes.policy = vec![ScopePolicyRule {
        scopes: vec!["system:monitor".into()],
        groups: vec!["ops".into()],
        users: vec![],
    }];
}

fn request(state: &str) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".into()),
        ("client_id", CLAUDE.0.into()),
        ("redirect_uri", CLAUDE_CALLBACK.into()),
        ("scope", "mcp:resources system:monitor".into()),
        ("state", state.into()),
    ]
}

fn pairs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The scope the token endpoint grants for the code in the consent answer's redirect.
async fn granted_scope(app: &TestApp, answer: reqwest::Response) -> String {
    let target = location(&answer).expect("redirect back to the client");
    let query = query_of(&target);
    let (status, body) = app
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
    assert_eq!(status, 200, "{body}");
    body["scope"].as_str().unwrap().to_owned()
}

async fn a_person_outside_the_group_is_told_why_and_even_a_forged_form_grants_no_more(
    engine: Engine,
) {
    let app = spawn_app_with(engine, only_ops_may_grant_monitoring)
        .await
        .unwrap();
    let page = to_consent(&app, &pairs(&request("a"))).await;
    assert!(
        page.contains("You may not grant this:")
            && page.contains("only members of ops may grant it"),
        "{page}"
    );
    assert!(
        !page.contains("name=\"scope:system:monitor\""),
        "no box for it: {page}"
    );
    assert!(page.contains("name=\"scope:mcp:resources\""), "{page}");
    // A hand-made form ticking the withheld scope anyway.
    let answer = approve_only(&app, &page, &["mcp:resources", "system:monitor"]).await;
    assert_eq!(granted_scope(&app, answer).await, "mcp:resources");
}
on_both_engines!(a_person_outside_the_group_is_told_why_and_even_a_forged_form_grants_no_more);

async fn operator_groups_and_upstream_groups_both_let_a_person_grant_the_scope(engine: Engine) {
    let app = spawn_app_with(engine, only_ops_may_grant_monitoring)
        .await
        .unwrap();
    app.store
        .set_user_groups("admin", "ops", mcp_oauth::storage::unix_now())
        .await
        .unwrap();
    let page = to_consent(&app, &pairs(&request("b"))).await;
    assert!(!page.contains("You may not grant this"), "{page}");
    let answer = approve_only(&app, &page, &["mcp:resources", "system:monitor"]).await;
    assert_eq!(
        granted_scope(&app, answer).await,
        "mcp:resources system:monitor"
    );

    // The same person without operator groups, but in ops at their identity provider.
    app.store
        .set_user_groups("admin", "", mcp_oauth::storage::unix_now())
        .await
        .unwrap();
    let admin = app
        .store
        .get_user_by_username("admin")
        .await
        .unwrap()
        .unwrap();
    let now = mcp_oauth::storage::unix_now();
    app.store
        .insert_identity(&mcp_oauth::storage::IdentityRecord {
            issuer: "https://idp.example".into(),
            subject: "admin-at-idp".into(),
            user_id: admin.id.clone(),
            provider_id: "corp".into(),
            email: None,
            groups: "dev ops".into(),
            created_at: now,
            last_login_at: now,
        })
        .await
        .unwrap();
    let (grantable, withheld) = app
        .auth
        .grantable(
            &admin.id,
            &mcp_oauth::oauth::scope::ScopeSet::from_list(["system:monitor"]),
        )
        .await
        .unwrap();
    assert_eq!(
        (grantable.to_string(), withheld.len()),
        ("system:monitor".into(), 0)
    );
}
on_both_engines!(operator_groups_and_upstream_groups_both_let_a_person_grant_the_scope);

async fn a_remembered_approval_is_asked_again_once_the_person_leaves_the_group(engine: Engine) {
    let app = spawn_app_with(engine, only_ops_may_grant_monitoring)
        .await
        .unwrap();
    app.store
        .set_user_groups("admin", "ops", mcp_oauth::storage::unix_now())
        .await
        .unwrap();
    let page = to_consent(&app, &pairs(&request("c"))).await;
    let answer = approve_only(&app, &page, &["mcp:resources", "system:monitor"]).await;
    assert_eq!(
        granted_scope(&app, answer).await,
        "mcp:resources system:monitor"
    );
    app.store
        .set_user_groups("admin", "", mcp_oauth::storage::unix_now())
        .await
        .unwrap();
    // Logged in already: the request is answered with the consent page, not a code.
    let again = authorize(&app, &pairs(&request("d"))).await;
    assert_eq!(
        (again.status().as_u16(), location(&again)),
        (200, None),
        "no silent code for a scope the person may no longer grant"
    );
    let page = again.text().await.unwrap();
    assert!(page.contains("only members of ops may grant it"), "{page}");
}
on_both_engines!(a_remembered_approval_is_asked_again_once_the_person_leaves_the_group);

#[tokio::test]
async fn a_policy_naming_a_scope_nobody_declares_stops_start_up() {
    let db = crate::helpers::TestDb::create(Engine::Sqlite)
        .await
        .unwrap();
    let mut settings = crate::helpers::test_settings(&db.url);
    settings.scopes.policy = vec![ScopePolicyRule {
        scopes: vec!["system:monitr".into()],
        groups: vec!["ops".into()],
        users: vec![],
    }];
    let error = mcp_oauth::startup::Application::build(settings)
        .await
        .err()
        .expect("a typo in a policy must not leave the scope open");
    assert!(format!("{error:#}").contains("system:monitr"), "{error:#}");
}

async fn a_refresh_after_leaving_the_group_no_longer_carries_the_scope(engine: Engine) {
    let app = spawn_app_with(engine, only_ops_may_grant_monitoring)
        .await
        .unwrap();
    app.store
        .set_user_groups("admin", "ops", mcp_oauth::storage::unix_now())
        .await
        .unwrap();
    let page = to_consent(&app, &pairs(&request("e"))).await;
    let answer = approve_only(&app, &page, &["mcp:resources", "system:monitor"]).await;
    let query = query_of(&location(&answer).unwrap());
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
    assert_eq!(tokens["scope"], "mcp:resources system:monitor");
    app.store
        .set_user_groups("admin", "", mcp_oauth::storage::unix_now())
        .await
        .unwrap();
    let (status, refreshed) = app
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
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(refreshed["scope"], "mcp:resources", "{refreshed}");
}
on_both_engines!(a_refresh_after_leaving_the_group_no_longer_carries_the_scope);
