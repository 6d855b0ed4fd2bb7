//! Races: many requests for one single-use thing at once, and key rotation under load.
//! Rate limits are off throughout: the bursts are the subject, not something to throttle.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use mcp_oauth::tokens::{jwt, keys};
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::helpers::Engine;
use crate::helpers::{CLAUDE, CLAUDE_CALLBACK, TestApp, spawn_app_with};
use crate::on_both_engines;

const RACERS: usize = 100;

async fn unlimited(engine: Engine) -> Arc<TestApp> {
    let app = spawn_app_with(engine, |s| {
        s.rate_limits.enabled = false;
        // Wide enough that a slow, shared machine still finishes the burst inside it.
        s.tokens.refresh_reuse_grace_secs = 300;
    })
    .await
    .unwrap();
    // Warm the secret cache so the races are decided in the database, not in argon2.
    app.client_credentials_token(CLAUDE, None).await;
    Arc::new(app)
}

type Form = Vec<(&'static str, String)>;

async fn token_request(app: &TestApp, form: &Form) -> (u16, Value) {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.post_form("/oauth/token", &pairs).await
}

/// Sends `form` to the token endpoint from `RACERS` tasks at once; returns every answer.
async fn burst(app: &Arc<TestApp>, form: Form) -> Vec<(u16, Value)> {
    let form = Arc::new(form);
    let mut tasks = JoinSet::new();
    for _ in 0..RACERS {
        let (app, form) = (app.clone(), form.clone());
        tasks.spawn(async move { token_request(&app, &form).await });
    }
    tasks.join_all().await
}

async fn introspect(app: &TestApp, token: &str) -> Value {
    let (status, body) = app
        .post_form(
            "/oauth/introspect",
            &[
                ("token", token),
                ("client_id", CLAUDE.0),
                ("client_secret", CLAUDE.1),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The status of a bearer call to a protected REST endpoint.
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

fn kid_of(token: &str) -> String {
    let header = URL_SAFE_NO_PAD
        .decode(token.split('.').next().unwrap())
        .unwrap();
    let header: Value = serde_json::from_slice(&header).unwrap();
    header["kid"].as_str().unwrap().to_string()
}

fn code_form(code: &str) -> Form {
    vec![
        ("grant_type", "authorization_code".into()),
        ("code", code.into()),
        ("redirect_uri", CLAUDE_CALLBACK.into()),
        ("client_id", CLAUDE.0.into()),
        ("client_secret", CLAUDE.1.into()),
    ]
}

fn refresh_form(token: &str) -> Form {
    vec![
        ("grant_type", "refresh_token".into()),
        ("refresh_token", token.into()),
        ("client_id", CLAUDE.0.into()),
        ("client_secret", CLAUDE.1.into()),
    ]
}

async fn a_hundred_racing_redemptions_of_one_code_issue_one_token_that_the_losers_revoke(
    engine: Engine,
) {
    let app = unlimited(engine).await;
    let code = app
        .issue_code(CLAUDE.0, CLAUDE_CALLBACK, "mcp:tools", None)
        .await;
    let answers = burst(&app, code_form(&code)).await;
    let winners: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == 200)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(winners.len(), 1, "exactly one redemption wins");
    for (status, body) in answers.iter().filter(|(s, _)| *s != 200) {
        assert_eq!(
            (*status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "{body}"
        );
    }
    // Every loser is a replay of a used code, and a replay revokes what the code issued.
    let access = winners[0]["access_token"].as_str().unwrap();
    let refresh = winners[0]["refresh_token"].as_str().unwrap();
    assert_eq!(introspect(&app, access).await["active"], false);
    assert_eq!(
        protected_status(&app, access).await,
        401,
        "the MCP side refuses it at once"
    );
    let (status, body) = token_request(&app, &refresh_form(refresh)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}
on_both_engines!(a_hundred_racing_redemptions_of_one_code_issue_one_token_that_the_losers_revoke);

async fn a_hundred_racing_refreshes_rotate_once_and_a_late_reuse_revokes_the_family(
    engine: Engine,
) {
    let app = unlimited(engine).await;
    let code = app
        .issue_code(CLAUDE.0, CLAUDE_CALLBACK, "mcp:tools", None)
        .await;
    let (status, first) = token_request(&app, &code_form(&code)).await;
    assert_eq!(status, 200, "{first}");
    let old = first["refresh_token"].as_str().unwrap().to_string();

    let answers = burst(&app, refresh_form(&old)).await;
    assert!(
        answers.iter().all(|(s, _)| *s == 200),
        "every racer is inside the grace window: {answers:?}"
    );
    let mut successors: Vec<&str> = answers
        .iter()
        .map(|(_, b)| b["refresh_token"].as_str().unwrap())
        .collect();
    successors.sort_unstable();
    successors.dedup();
    assert_eq!(successors.len(), 1, "one rotation, one successor for all");
    assert_ne!(successors[0], old);
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM refresh_tokens")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(stored, 2, "the original and its single successor");
    let mut accesses: Vec<&str> = answers
        .iter()
        .map(|(_, b)| b["access_token"].as_str().unwrap())
        .collect();
    accesses.sort_unstable();
    accesses.dedup();
    assert_eq!(
        accesses.len(),
        RACERS,
        "each racer got its own access token"
    );
    assert_eq!(introspect(&app, accesses[0]).await["active"], true);

    // Later than the grace window (moved back in the database rather than waited for).
    sqlx::query(
        "UPDATE refresh_tokens SET rotated_at = rotated_at - 3600 WHERE rotated_at IS NOT NULL",
    )
    .execute(app.store.pool())
    .await
    .unwrap();
    let (status, body) = token_request(&app, &refresh_form(&old)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    let (status, body) = token_request(&app, &refresh_form(successors[0])).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "the successor died with the family"
    );
    for access in accesses {
        assert_eq!(
            introspect(&app, access).await["active"],
            false,
            "every racer's access token is revoked"
        );
    }
}
on_both_engines!(a_hundred_racing_refreshes_rotate_once_and_a_late_reuse_revokes_the_family);

async fn fifty_concurrent_registrations_all_succeed_with_distinct_usable_clients(engine: Engine) {
    let app = unlimited(engine).await;
    let mut tasks = JoinSet::new();
    for i in 0..50 {
        let app = app.clone();
        tasks.spawn(async move {
                let response = app.http.post(app.url("/oauth/register")).json(&json!({
                    "client_name": format!("racer {i}"), "redirect_uris": [format!("https://app{i}.example/cb")],
                    "token_endpoint_auth_method": "client_secret_post", "scope": "mcp:tools",
                })).send().await.unwrap();
                (i, response.status().as_u16(), response.json::<Value>().await.unwrap())
            });
    }
    let registered = tasks.join_all().await;
    for (i, status, body) in &registered {
        assert_eq!(*status, 201, "registration {i}: {body}");
    }
    let mut ids: Vec<&str> = registered
        .iter()
        .map(|(_, _, b)| b["client_id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 50, "distinct client ids");
    // Each client was stored as answered: its own name, and its secret authenticates it.
    let mut checks = JoinSet::new();
    for (i, _, body) in registered {
        let app = app.clone();
        checks.spawn(async move {
            let id = body["client_id"].as_str().unwrap();
            let stored = app.store.get_client(id).await.unwrap().expect("stored");
            assert_eq!(stored.name, format!("racer {i}"));
            let secret = body["client_secret"].as_str().unwrap();
            let (status, answer) = app
                .post_form(
                    "/oauth/introspect",
                    &[("token", "x"), ("client_id", id), ("client_secret", secret)],
                )
                .await;
            assert_eq!(
                (status, answer["active"].as_bool()),
                (200, Some(false)),
                "client {i} authenticates"
            );
            let (status, _) = app
                .post_form(
                    "/oauth/introspect",
                    &[
                        ("token", "x"),
                        ("client_id", id),
                        ("client_secret", "wrong"),
                    ],
                )
                .await;
            assert_eq!(status, 401, "and only with its own secret");
        });
    }
    checks.join_all().await;
}
on_both_engines!(fifty_concurrent_registrations_all_succeed_with_distinct_usable_clients);

async fn tokens_issued_while_keys_rotate_concurrently_all_stay_verifiable(engine: Engine) {
    let app = unlimited(engine).await;
    let grace = app.settings.tokens.access_ttl_secs + jwt::LEEWAY_SECS as i64;
    let before = app
        .client_credentials_token(CLAUDE, Some("mcp:tools"))
        .await;
    let churning = Arc::new(AtomicBool::new(true));
    let mut issuers = JoinSet::new();
    for _ in 0..4 {
        let (app, churning) = (app.clone(), churning.clone());
        issuers.spawn(async move {
            let mut issued = Vec::new();
            while churning.load(Ordering::Relaxed) || issued.len() < 5 {
                let token = app
                    .client_credentials_token(CLAUDE, Some("mcp:tools"))
                    .await;
                // The instance verifies what it just signed, whatever the rotation did meanwhile.
                let response = app
                    .http
                    .get(app.url("/mcp/protected/tools"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(
                    response.status(),
                    200,
                    "fresh token from key {}: {:?}",
                    kid_of(&token),
                    response.headers().get("www-authenticate")
                );
                issued.push(token);
            }
            issued
        });
    }
    // Two operators rotating at once, as `mcp-oauth keys rotate` does it.
    let mut rotators = JoinSet::new();
    for _ in 0..2 {
        let app = app.clone();
        rotators.spawn(async move {
            let mut rotated = 0;
            for _ in 0..50 {
                match keys::rotate(&app.store, grace).await {
                    Ok(_) => rotated += 1,
                    Err(error) => assert!(
                        format!("{error:#}").contains("rotated concurrently"),
                        "{error:#}"
                    ),
                }
                app.auth.keys.reload(&app.store).await.unwrap();
                tokio::task::yield_now().await;
            }
            rotated
        });
    }
    let rotations: i64 = rotators.join_all().await.into_iter().sum();
    churning.store(false, Ordering::Relaxed);
    let mut tokens = vec![before];
    tokens.extend(issuers.join_all().await.into_iter().flatten());
    tokens.push(
        app.client_credentials_token(CLAUDE, Some("mcp:tools"))
            .await,
    );
    let pool = app.store.pool().clone();
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    // A rotation that lost the race for a pending key activated nothing.
    assert_eq!(
        count("SELECT COUNT(*) FROM signing_keys WHERE activated_at IS NOT NULL").await,
        rotations + 1
    );
    assert_eq!(count("SELECT COUNT(*) FROM signing_keys WHERE activated_at IS NOT NULL AND retired_at IS NULL").await, 1,
            "exactly one key signs after the churn");
    let mut kids: Vec<String> = tokens.iter().map(|t| kid_of(t)).collect();
    kids.sort_unstable();
    kids.dedup();
    assert!(kids.len() >= 2, "the tokens span the rotation");
    let set: JwkSet = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for kid in &kids {
        assert!(
            set.find(kid).is_some(),
            "kid {kid} of an issued token is published"
        );
    }
    for token in &tokens {
        assert_eq!(
            protected_status(&app, token).await,
            200,
            "key {}",
            kid_of(token)
        );
        assert_eq!(introspect(&app, token).await["active"], true);
    }
}
on_both_engines!(tokens_issued_while_keys_rotate_concurrently_all_stay_verifiable);
