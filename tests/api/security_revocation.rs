//! Issue #14, items 3 and 13: a revoked access token is never accepted again, not during the
//! verifier's leeway after `exp`, and not on another instance whose clock (or commit) lags.

use mcp_oauth::storage::{AccessTokenRecord, unix_now};
use mcp_oauth::tokens::jwt::{self, AccessClaims};

use crate::helpers::Engine;
use crate::helpers::{CLAUDE, CLAUDE_CALLBACK, TestApp, spawn_app};
use crate::on_both_engines;

/// Signs and records an access token for `CLAUDE` whose `exp` is `exp_offset` seconds from
/// now (negative: already past, but inside the 30 s leeway the verifier allows).
async fn mint(app: &TestApp, exp_offset: i64, grant_id: Option<&str>) -> (String, String) {
    let now = unix_now();
    let claims = AccessClaims {
        iss: app.settings.issuer().to_string(),
        sub: CLAUDE.0.into(),
        aud: app.settings.mcp_resource(),
        exp: now + exp_offset,
        iat: now - 300,
        nbf: now - 300,
        jti: mcp_oauth::crypto::random_token(16),
        client_id: CLAUDE.0.into(),
        scope: "mcp:tools".into(),
    };
    let token = jwt::sign(&app.auth.keys, &claims).unwrap();
    app.store
        .record_access_token(&AccessTokenRecord {
            jti: claims.jti.clone(),
            grant_id: grant_id.map(str::to_string),
            client_id: CLAUDE.0.into(),
            subject: CLAUDE.0.into(),
            username: None,
            scope: claims.scope.clone(),
            audience: claims.aud.clone(),
            issued_at: claims.iat,
            expires_at: claims.exp,
            revoked_at: None,
        })
        .await
        .unwrap();
    (token, claims.jti)
}

/// The status of a protected REST call with `token`.
async fn protected_status(app: &TestApp, token: &str) -> u16 {
    app.http
        .get(app.url("/mcp/protected/tools"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn a_revoked_token_is_refused_during_the_leeway_after_exp(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let (token, _) = mint(&app, -5, None).await;
    assert_eq!(
        protected_status(&app, &token).await,
        200,
        "5 s past exp is inside the leeway"
    );
    let (status, _) = app
        .post_form(
            "/oauth/revoke",
            &[
                ("token", &token),
                ("client_id", CLAUDE.0),
                ("client_secret", CLAUDE.1),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(protected_status(&app, &token).await, 401);
    // The periodic poll also prunes the in-memory set; the token must survive that prune.
    app.auth.revocations.poll(&app.store).await.unwrap();
    assert_eq!(
        protected_status(&app, &token).await,
        401,
        "still refused after a poll"
    );
    // An instance starting now loads the revocation set from the database.
    let other = app.another_instance().await;
    assert_eq!(
        protected_status(&other, &token).await,
        401,
        "a fresh instance refuses it too"
    );
}
on_both_engines!(a_revoked_token_is_refused_during_the_leeway_after_exp);

async fn revoking_a_grant_just_after_its_access_tokens_exp_still_revokes_that_token(
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
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let grant_id: String = sqlx::query_scalar("SELECT grant_id FROM refresh_tokens")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    // An earlier access token of the same grant whose exp passed 5 s ago.
    let (token, _) = mint(&app, -5, Some(&grant_id)).await;
    assert_eq!(protected_status(&app, &token).await, 200);
    let (status, _) = app
        .post_form(
            "/oauth/revoke",
            &[
                ("token", refresh),
                ("token_type_hint", "refresh_token"),
                ("client_id", CLAUDE.0),
                ("client_secret", CLAUDE.1),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        protected_status(&app, &token).await,
        401,
        "the grant's token is refused here"
    );
    let other = app.another_instance().await;
    assert_eq!(
        protected_status(&other, &token).await,
        401,
        "and on an instance started afterwards"
    );
}
on_both_engines!(revoking_a_grant_just_after_its_access_tokens_exp_still_revokes_that_token);

async fn a_revocation_stamped_by_a_lagging_clock_still_reaches_another_instance(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let other = app.another_instance().await;
    let token = app
        .client_credentials_token(CLAUDE, Some("mcp:tools"))
        .await;
    let jti = jti_of(&token);
    assert_eq!(protected_status(&app, &token).await, 200);
    app.auth.revocations.poll(&app.store).await.unwrap();
    // The other instance's clock is a minute behind (or its commit lagged its timestamp by
    // as much): the revoked_at it writes is far older than this instance's last poll.
    assert!(
        other
            .store
            .revoke_access_token(&jti, unix_now() - 60)
            .await
            .unwrap()
    );
    app.auth.revocations.poll(&app.store).await.unwrap();
    assert!(
        app.auth.revocations.contains(&jti),
        "the poll saw the revocation"
    );
    assert_eq!(protected_status(&app, &token).await, 401);
}
on_both_engines!(a_revocation_stamped_by_a_lagging_clock_still_reaches_another_instance);

async fn a_grant_revoked_with_a_lagging_clock_still_reaches_another_instance(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let other = app.another_instance().await;
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
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(protected_status(&app, access).await, 200);
    let grant_id: String = sqlx::query_scalar("SELECT grant_id FROM refresh_tokens")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    app.auth.revocations.poll(&app.store).await.unwrap();
    let revoked = other
        .store
        .revoke_grant(&grant_id, unix_now() - 60)
        .await
        .unwrap();
    assert_eq!(revoked.len(), 1);
    app.auth.revocations.poll(&app.store).await.unwrap();
    assert_eq!(protected_status(&app, access).await, 401);
}
on_both_engines!(a_grant_revoked_with_a_lagging_clock_still_reaches_another_instance);

/// The `jti` claim of a JWT, read without verifying it.
pub fn jti_of(jwt: &str) -> String {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    claims["jti"].as_str().unwrap().to_string()
}
