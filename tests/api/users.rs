//! Operators and their people (issue 17): disabling a user ends everything issued to them at
//! once and refuses their logins, groups and upstream identities are kept per user, and
//! `users list` shows all of it.

use serde_json::Value;

use crate::browser::log_in_as;
use crate::cli::cli;
use crate::helpers::{ADMIN_PASSWORD, CLAUDE, CLAUDE_CALLBACK, Engine, spawn_app};
use crate::on_both_engines;

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

async fn disabling_a_user_revokes_their_tokens_and_refuses_their_logins_until_enabled(
    engine: Engine,
) {
    let app = spawn_app(engine).await.unwrap();
    let code = app
        .issue_code(CLAUDE.0, CLAUDE_CALLBACK, "mcp:tools", None)
        .await;
    let (status, tokens) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CLAUDE_CALLBACK),
                ("client_id", CLAUDE.0),
                ("client_secret", CLAUDE.1),
            ],
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();

    let db = app.settings.database.url.expose().to_owned();
    let out = cli(&db, &["users", "disable", "admin"], "");
    assert!(out.status.success(), "{}", text(&out));

    // The running server reads the revocation feed within two seconds.
    let mut status = 0;
    for _ in 0..40 {
        status = app
            .http
            .get(app.url("/mcp/protected/tools"))
            .bearer_auth(&access)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        if status == 401 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 401, "the access token is revoked");
    let (status, body) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
                ("client_id", CLAUDE.0),
                ("client_secret", CLAUDE.1),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let refused = log_in_as(&app, "admin", ADMIN_PASSWORD).await;
    assert_eq!(refused.status(), 403);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("This account is disabled")
    );
    let wrong = log_in_as(&app, "admin", "not-the-password").await;
    assert_eq!(wrong.status(), 401, "a wrong password learns nothing more");
    let listed = text(&cli(&db, &["users", "list"], ""));
    assert!(
        listed.contains("admin") && listed.contains("disabled"),
        "{listed}"
    );

    let out = cli(&db, &["users", "enable", "admin"], "");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(log_in_as(&app, "admin", ADMIN_PASSWORD).await.status(), 303);
    let (status, body): (u16, Value) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
                ("client_id", CLAUDE.0),
                ("client_secret", CLAUDE.1),
            ],
        )
        .await;
    assert_eq!(status, 400, "nothing revoked comes back: {body}");
}
on_both_engines!(disabling_a_user_revokes_their_tokens_and_refuses_their_logins_until_enabled);

async fn groups_and_linked_identities_are_kept_per_user_and_listed(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let db = app.settings.database.url.expose().to_owned();
    let out = cli(
        &db,
        &["users", "add", "carol", "--group", "ops", "--group", "dev"],
        "carol-password-1\n",
    );
    assert!(out.status.success(), "{}", text(&out));
    let bad = cli(
        &db,
        &["users", "set-groups", "carol", "--group", "no spaces"],
        "",
    );
    assert!(
        !bad.status.success() && text(&bad).contains("group"),
        "{}",
        text(&bad)
    );
    let link = [
        "users",
        "link",
        "carol",
        "--provider",
        "corp",
        "--issuer",
        "https://idp.example",
        "--subject",
        "248289761001",
    ];
    assert!(cli(&db, &link, "").status.success());
    let again = cli(&db, &link, "");
    assert!(
        !again.status.success() && text(&again).contains("already linked"),
        "one identity belongs to one user: {}",
        text(&again)
    );
    let listed = text(&cli(&db, &["users", "list"], ""));
    assert!(listed.contains("groups: dev ops"), "{listed}");
    assert!(
        listed.contains("identity corp\thttps://idp.example\t248289761001"),
        "{listed}"
    );
    let user = app
        .store
        .get_user_by_username("carol")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.group_list(), vec!["dev", "ops"]);
    assert!(
        cli(
            &db,
            &[
                "users",
                "unlink",
                "--issuer",
                "https://idp.example",
                "--subject",
                "248289761001"
            ],
            ""
        )
        .status
        .success()
    );
    assert!(app.store.identities_of(&user.id).await.unwrap().is_empty());
}
on_both_engines!(groups_and_linked_identities_are_kept_per_user_and_listed);
