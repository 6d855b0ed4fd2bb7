//! The group-commit writer: concurrent token responses and audit events share transactions,
//! and none of them is lost, mixed up, or failed by a neighbour.

use mcp_oauth::storage::{AccessTokenRecord, Store, unix_now};

use crate::helpers::Engine;
use crate::helpers::{TEST_CLIENT, TestApp, spawn_app_with};
use crate::on_both_engines;

/// Stores each record from its own task, all at once; results in the records' order.
async fn store_concurrently(
    app: &TestApp,
    records: Vec<AccessTokenRecord>,
) -> Vec<Result<(), String>> {
    let mut tasks = tokio::task::JoinSet::new();
    for (i, r) in records.into_iter().enumerate() {
        let store = app.store.clone();
        tasks.spawn(async move {
            (
                i,
                store
                    .record_access_token(&r)
                    .await
                    .map_err(|e| e.to_string()),
            )
        });
    }
    let mut results = tasks.join_all().await;
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// A client-credentials token from its own task, so the calls really overlap.
async fn burst_of_tokens(app: &TestApp, count: usize) -> Vec<String> {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..count {
        let http = app.http.clone();
        let url = app.url("/oauth/token");
        tasks.spawn(async move {
            let form = [
                ("grant_type", "client_credentials"),
                ("client_id", TEST_CLIENT.0),
                ("client_secret", TEST_CLIENT.1),
                ("scope", "mcp:tools"),
            ];
            let body: serde_json::Value = http
                .post(url)
                .form(&form)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body["access_token"]
                .as_str()
                .expect("a token for every call")
                .to_string()
        });
    }
    tasks.join_all().await
}

const BURST: usize = 100;

fn record(jti: &str, client_id: &str) -> AccessTokenRecord {
    let now = unix_now();
    AccessTokenRecord {
        jti: jti.to_string(),
        grant_id: None,
        client_id: client_id.to_string(),
        subject: client_id.to_string(),
        username: None,
        scope: "mcp:tools".to_string(),
        audience: "http://localhost/mcp".to_string(),
        issued_at: now,
        expires_at: now + 3600,
        revoked_at: None,
    }
}

async fn a_burst_of_client_credentials_calls_is_recorded_and_audited_token_by_token(
    engine: Engine,
) {
    let app = spawn_app_with(engine, |s| s.rate_limits.enabled = false)
        .await
        .unwrap();
    let tokens = burst_of_tokens(&app, BURST).await;

    for token in &tokens {
        let (status, body) = app
            .post_form(
                "/oauth/introspect",
                &[
                    ("token", token),
                    ("client_id", TEST_CLIENT.0),
                    ("client_secret", TEST_CLIENT.1),
                ],
            )
            .await;
        assert_eq!(
            (status, &body["active"]),
            (200, &serde_json::json!(true)),
            "{body}"
        );
    }
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM access_tokens WHERE client_id = $1")
        .bind(TEST_CLIENT.0)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(rows, BURST as i64);

    // Closing the store writes what is still queued before the pool closes.
    app.store.close().await;
    let reopened = Store::connect(&app.settings.database).await.unwrap();
    let events = reopened.audit_since(0, 1000).await.unwrap();
    let issued: Vec<_> = events
        .iter()
        .filter(|e| e.event == "token_issued")
        .collect();
    assert_eq!(issued.len(), BURST, "one audit event per token response");
    let mut jtis: Vec<String> = issued
        .iter()
        .map(|e| {
            serde_json::from_str::<serde_json::Value>(&e.detail).unwrap()["jti"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    jtis.sort();
    jtis.dedup();
    assert_eq!(jtis.len(), BURST, "each event names its own token");
}
on_both_engines!(a_burst_of_client_credentials_calls_is_recorded_and_audited_token_by_token);

async fn a_record_that_cannot_be_stored_fails_alone_and_its_batch_neighbours_are_stored(
    engine: Engine,
) {
    let app = spawn_app_with(engine, |_| {}).await.unwrap();
    app.store
        .record_access_token(&record("taken", TEST_CLIENT.0))
        .await
        .unwrap();
    // 40 new tokens and one whose jti is already stored (a primary-key violation), written
    // at once so they share batches.
    let mut records: Vec<AccessTokenRecord> = (0..40)
        .map(|i| record(&format!("new-{i}"), TEST_CLIENT.0))
        .collect();
    records.insert(20, record("taken", "another-client"));
    let results = store_concurrently(&app, records).await;

    assert!(results[20].is_err(), "the duplicate is refused");
    let others: Vec<_> = results
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 20)
        .collect();
    assert!(others.iter().all(|(_, r)| r.is_ok()), "{others:?}");
    for i in 0..40 {
        let stored = app
            .store
            .get_access_token(&format!("new-{i}"))
            .await
            .unwrap();
        assert_eq!(stored.map(|s| s.client_id), Some(TEST_CLIENT.0.to_string()));
    }
    let taken = app.store.get_access_token("taken").await.unwrap().unwrap();
    assert_eq!(
        taken.client_id, TEST_CLIENT.0,
        "the first record is untouched"
    );
}
on_both_engines!(a_record_that_cannot_be_stored_fails_alone_and_its_batch_neighbours_are_stored);
