//! Faults under load, against the real binary: Postgres crash-restarted, the service SIGKILLed.
//! Whatever happens, a token the server acknowledged (200 from /oauth/token) stays valid.

mod load;
mod private_postgres;
pub(crate) mod service;

use std::time::{Duration, Instant};

use sqlx::Connection;

use crate::helpers::{Engine, TEST_CLIENT, TestDb};
use crate::on_both_engines;
use load::{Load, inactive_among};
use private_postgres::PrivatePostgres;
use service::{Service, http_client};

/// The issuer, kept across restarts (the listening port changes, tokens must still verify).
const PUBLIC_URL: &str = "http://mcp-oauth.faults.test";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_restart_mid_load_shows_on_readyz_and_loses_no_acknowledged_token() {
    let Some(postgres) = PrivatePostgres::start_new() else {
        return;
    };
    let logs = tempfile::tempdir().unwrap();
    let mut service = Service::start(&postgres.url(), PUBLIC_URL, &logs.path().join("log")).await;
    let load = Load::start(&service.address);
    load.wait_for("tokens before the outage", |l| l.acknowledged() >= 40)
        .await;

    postgres.stop_immediately();
    let stopped = Instant::now();
    let acknowledged_before_outage = load.acknowledged();
    let (status, detected_after) = readyz_until(&service, |s| s != 200).await;
    assert_eq!(status, 503, "/readyz reports the outage");
    let healthz = http_client().get(service.url("/healthz")).send().await;
    assert_eq!(
        healthz.expect("alive").status(),
        200,
        "the process stays up"
    );
    load.wait_for("a token request to meet the outage", |l| l.refused() > 0)
        .await;
    assert_eq!(readyz(&service).await, 503, "still down, still reported");
    let down_for = stopped.elapsed();

    postgres.start();
    let (_, recovered_after) = readyz_until(&service, |s| s == 200).await;
    load.wait_for("tokens after the restart", |l| {
        l.acknowledged() >= acknowledged_before_outage + 40
    })
    .await;
    let outcome = load.stop().await;
    assert!(
        outcome.refused.keys().all(|status| *status >= 500),
        "an outage is a server error, never the client's fault: {:?}",
        outcome.refused
    );
    // A second crash-restart with no traffic in between leaves the pool full of connections to
    // the dead server: they must be tested and replaced, not handed to the next requests.
    postgres.stop_immediately();
    postgres.start();
    let mut acknowledged = outcome.acknowledged;
    for _ in 0..20 {
        acknowledged.push(token(&service).await);
    }
    assert!(service.is_running(), "{}", service.log_tail());
    let inactive = inactive_among(&service.address, &acknowledged).await;
    assert!(
        inactive.is_empty(),
        "acknowledged but inactive: {inactive:?}"
    );
    println!(
        "postgres down {down_for:?}: /readyz non-200 {detected_after:?} after the stop, \
         200 again {recovered_after:?} after the restart; {} acknowledged tokens \
         ({acknowledged_before_outage} before the outage) all active; \
         refused during the outage: {:?}",
        acknowledged.len(),
        outcome.refused,
    );
}

async fn a_service_killed_mid_load_restarts_clean_and_keeps_every_acknowledged_token(
    engine: Engine,
) {
    let db = TestDb::create(engine).await.unwrap();
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("log");
    let mut service = Service::start(&db.url, PUBLIC_URL, &log).await;
    let load = Load::start(&service.address);
    load.wait_for("tokens before the kill", |l| l.acknowledged() >= 60)
        .await;
    service.kill_9();
    let outcome = load.stop().await;

    assert_consistent(engine, &db.url, outcome.acknowledged.len()).await;
    let restarted = Service::start(&db.url, PUBLIC_URL, &log).await;
    let inactive = inactive_among(&restarted.address, &outcome.acknowledged).await;
    assert!(
        inactive.is_empty(),
        "acknowledged but inactive: {inactive:?}"
    );
    let fresh = token(&restarted).await;
    assert!(
        inactive_among(&restarted.address, &[fresh])
            .await
            .is_empty(),
        "serving again"
    );
    println!(
        "{engine:?}: SIGKILL after {} acknowledged tokens ({} unanswered requests); \
             all active after the restart",
        outcome.acknowledged.len(),
        outcome.unanswered,
    );
}
on_both_engines!(a_service_killed_mid_load_restarts_clean_and_keeps_every_acknowledged_token);

/// What the crash left behind is a database the next start can trust.
async fn assert_consistent(engine: Engine, url: &str, acknowledged: usize) {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.expect("connect");
    match engine {
        Engine::Sqlite => {
            let integrity: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_all(&mut conn)
                .await
                .unwrap();
            assert_eq!(integrity, ["ok"]);
            let orphans = sqlx::query("PRAGMA foreign_key_check")
                .fetch_all(&mut conn)
                .await
                .unwrap();
            assert_eq!(orphans.len(), 0, "foreign keys hold");
        }
        Engine::Postgres => {
            // The dead process's sessions end, so no open transaction keeps holding locks.
            let others = "SELECT count(*) FROM pg_stat_activity \
                          WHERE datname = current_database() AND pid <> pg_backend_pid()";
            let deadline = Instant::now() + Duration::from_secs(10);
            while count(&mut conn, others).await > 0 {
                assert!(
                    Instant::now() < deadline,
                    "sessions of the killed service linger"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    let failed = "SELECT count(*) FROM _sqlx_migrations WHERE NOT success";
    assert_eq!(
        count(&mut conn, failed).await,
        0,
        "no half-applied migration"
    );
    let signing =
        "SELECT count(*) FROM signing_keys WHERE activated_at IS NOT NULL AND retired_at IS NULL";
    assert_eq!(count(&mut conn, signing).await, 1, "one signing key");
    let recorded = count(&mut conn, "SELECT count(*) FROM access_tokens").await;
    assert!(
        recorded >= acknowledged as i64,
        "{recorded} rows for {acknowledged} tokens"
    );
    conn.close().await.unwrap();
}

async fn count(conn: &mut sqlx::AnyConnection, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(conn).await.unwrap()
}

async fn token(service: &Service) -> String {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", TEST_CLIENT.0),
        ("client_secret", TEST_CLIENT.1),
    ];
    let response = http_client()
        .post(service.url("/oauth/token"))
        .form(&form)
        .send()
        .await;
    let response = response.expect("token endpoint answers");
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

async fn readyz(service: &Service) -> u16 {
    match http_client().get(service.url("/readyz")).send().await {
        Ok(response) => response.status().as_u16(),
        Err(error) => panic!("/readyz did not answer: {error}"),
    }
}

/// Polls `/readyz` (bounded) until its status satisfies `wanted`; returns it and the time taken.
async fn readyz_until(service: &Service, wanted: impl Fn(u16) -> bool) -> (u16, Duration) {
    let started = Instant::now();
    loop {
        let status = readyz(service).await;
        if wanted(status) {
            return (status, started.elapsed());
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "/readyz stuck at {status}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
