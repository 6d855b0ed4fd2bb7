//! The maintenance purge: expired rows go in bounded batches, live and revoked-but-unexpired
//! rows stay.

use mcp_oauth::config::MaintenanceSettings;
use mcp_oauth::maintenance::run_purge_once;
use mcp_oauth::storage::{Store, unix_now};

use crate::helpers::Engine;
use crate::helpers::{CLAUDE, CLAUDE_CALLBACK, TestApp, spawn_app};
use crate::metrics::{sample, scrape};
use crate::on_both_engines;

const GRACE: i64 = 3600;

async fn count(store: &Store, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_one(store.pool())
        .await
        .unwrap();
    n
}

async fn exec(
    store: &Store,
    sql: &'static str,
    id: &str,
    grant: &str,
    expires_at: i64,
    revoked_at: Option<i64>,
) {
    sqlx::query(sql)
        .bind(id)
        .bind(grant)
        .bind(expires_at)
        .bind(revoked_at)
        .execute(store.pool())
        .await
        .unwrap();
}

/// One row of each kind expiring at `expires_at`, all in the grant of a real code.
async fn insert_rows(
    app: &TestApp,
    grant: &str,
    n: usize,
    expires_at: i64,
    revoked_at: Option<i64>,
) {
    let store = &app.store;
    let admin = store
        .get_user_by_username("admin")
        .await
        .unwrap()
        .unwrap()
        .id;
    for _ in 0..n {
        let id = crate::helpers::random_suffix();
        sqlx::query("INSERT INTO authorization_codes (code_hash, grant_id, client_id, user_id, redirect_uri, \
             scope, resource, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, 'mcp:tools', 'r', 0, $6)")
            .bind(&id).bind(grant).bind(CLAUDE.0).bind(&admin).bind(CLAUDE_CALLBACK).bind(expires_at)
            .execute(store.pool()).await.unwrap();
        exec(store, "INSERT INTO refresh_tokens (token_hash, grant_id, client_id, scope, created_at, expires_at, revoked_at) \
             VALUES ($1, $2, 'c', 's', 0, $3, $4)", &id, grant, expires_at, revoked_at).await;
        exec(store, "INSERT INTO access_tokens (jti, grant_id, client_id, subject, scope, audience, issued_at, expires_at, revoked_at) \
             VALUES ($1, $2, 'c', 'sub', 's', 'aud', 0, $3, $4)", &id, grant, expires_at, revoked_at).await;
        sqlx::query("INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) \
             VALUES ($1, $2, 'csrf', 0, 0, $3)")
            .bind(&id).bind(&admin).bind(expires_at)
            .execute(store.pool()).await.unwrap();
    }
}

async fn purging_removes_expired_rows_in_bounded_batches_and_keeps_live_ones(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let now = unix_now();
    // A real code gives a real grant for the foreign keys; it stays live.
    app.issue_code(CLAUDE.0, CLAUDE_CALLBACK, "mcp:tools", None)
        .await;
    let (grant,): (String,) = sqlx::query_as("SELECT grant_id FROM authorization_codes")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    insert_rows(&app, &grant, 25, now - GRACE - 100, None).await;
    insert_rows(&app, &grant, 2, now + 3600, None).await;
    insert_rows(&app, &grant, 1, now + 3600, Some(now)).await;
    // Expired, but access-token rows within the grace survive; the rest do not.
    insert_rows(&app, &grant, 3, now - 10, None).await;
    let before = scrape(&app).await;

    let settings = MaintenanceSettings {
        interval_secs: 300,
        batch_size: 10,
        access_token_grace_secs: GRACE,
        audit_retention_secs: 86_400,
        unused_client_ttl_secs: 86_400,
    };
    let report = run_purge_once(&app.store, now, &settings).await.unwrap();
    assert_eq!(report.authorization_codes, 28);
    assert_eq!(report.sessions, 28);
    assert_eq!(report.refresh_tokens, 28);
    assert_eq!(report.access_tokens, 25);
    // 28 rows in batches of 10 is 3 statements per table; 25 is 3 as well; audit events,
    // unused clients and failed logins (none here) take one statement each.
    assert_eq!(report.batches, 15);

    assert_eq!(count(&app.store, "authorization_codes").await, 1 + 3);
    assert_eq!(count(&app.store, "sessions").await, 3);
    assert_eq!(count(&app.store, "refresh_tokens").await, 3);
    assert_eq!(count(&app.store, "access_tokens").await, 3 + 3);
    let (revoked,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM access_tokens WHERE revoked_at IS NOT NULL")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
    assert_eq!(
        revoked, 1,
        "revoked-but-unexpired access tokens feed the revocation list"
    );

    let again = run_purge_once(&app.store, now, &settings).await.unwrap();
    assert_eq!((again.total(), again.batches), (0, 7));

    let after = scrape(&app).await;
    let purged = |t: &str| {
        sample(
            t,
            "maintenance_purged_rows_total",
            &[("table", "access_tokens")],
        )
    };
    assert!(purged(&after) >= purged(&before) + 25.0, "{after}");
}
on_both_engines!(purging_removes_expired_rows_in_bounded_batches_and_keeps_live_ones);
