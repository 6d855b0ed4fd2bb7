//! The documented clients on an https deployment (issue 14, item 2): a fresh database gets
//! random secrets, shown once; the documented ones only when the operator asks, and then
//! every start warns. On http (the default localhost setup) they stay as documented.

use std::process::{Command, Output};

use mcp_oauth::crypto;
use mcp_oauth::startup::Application;

use crate::helpers::Engine;
use crate::helpers::{CLAUDE, TEST_CLIENT, TestDb, test_settings};
use crate::on_both_engines;

const HTTPS_URL: &str = "https://mcp.example.test";

/// `mcp-oauth clients list` on `db_url` with an https public URL and extra settings.
fn clients_list(db_url: &str, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mcp-oauth"));
    for (key, _) in std::env::vars() {
        if key.starts_with("MCP_OAUTH") || key == "DATABASE_URL" {
            command.env_remove(key);
        }
    }
    command
        .args(["--database-url", db_url, "clients", "list"])
        .env("MCP_OAUTH__SERVER__PUBLIC_URL", HTTPS_URL)
        .env("MCP_OAUTH__SERVER__LOG_FORMAT", "pretty")
        .envs(env.iter().copied())
        .output()
        .expect("binary runs")
}

async fn token_status(http: &reqwest::Client, base: &str, client: (&str, &str)) -> u16 {
    http.post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client.0),
            ("client_secret", client.1),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn on_https_a_fresh_database_seeds_the_documented_clients_with_random_secrets(
    engine: Engine,
) {
    let db = TestDb::create(engine).await.unwrap();
    let mut settings = test_settings(&db.url);
    settings.server.public_url = HTTPS_URL.into();
    let app = Application::build(settings.clone()).await.unwrap();
    let generated: Vec<(String, String)> = app
        .generated_client_secrets
        .iter()
        .map(|s| (s.client_id.clone(), s.secret.clone()))
        .collect();
    let ids: Vec<&str> = generated.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, vec![CLAUDE.0, TEST_CLIENT.0]);
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let http = reqwest::Client::new();
    for (documented, (id, secret)) in [CLAUDE, TEST_CLIENT].into_iter().zip(&generated) {
        assert!(secret.len() >= 32 && secret != documented.1);
        assert_eq!(
            token_status(&http, &base, documented).await,
            401,
            "the documented secret of {id} is dead"
        );
        assert_eq!(
            token_status(&http, &base, (id, secret)).await,
            200,
            "the printed secret of {id} works"
        );
    }
    let again = Application::build(settings).await.unwrap();
    assert!(
        again.generated_client_secrets.is_empty(),
        "shown once, never regenerated"
    );
    let hash = again
        .state()
        .store
        .get_client(CLAUDE.0)
        .await
        .unwrap()
        .unwrap()
        .secret_hash
        .unwrap();
    assert!(crypto::verify_secret(generated[0].1.clone(), hash).await);
}
on_both_engines!(on_https_a_fresh_database_seeds_the_documented_clients_with_random_secrets);

async fn on_https_the_cli_prints_generated_secrets_once_and_warns_on_every_start_while_a_documented_one_is_live(
    engine: Engine,
) {
    let random = TestDb::create(engine).await.unwrap();
    let first = clients_list(&random.url, &[]);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{stderr}");
    assert_eq!(stderr.matches("client_secret: ").count(), 2, "{stderr}");
    assert!(!stderr.contains("SECURITY"), "{stderr}");
    let second = clients_list(&random.url, &[]);
    assert!(
        !String::from_utf8_lossy(&second.stderr).contains("client_secret: "),
        "printed once"
    );

    let documented = TestDb::create(engine).await.unwrap();
    let asked = [("MCP_OAUTH__CLIENTS__SEED_DOCUMENTED_SECRETS", "true")];
    for start in ["first", "second"] {
        let output = clients_list(&documented.url, &asked);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        for id in [CLAUDE.0, TEST_CLIENT.0] {
            assert!(
                stderr.contains("SECURITY") && stderr.contains(&format!("rotate-secret {id}")),
                "{start} start did not warn about {id}: {stderr}"
            );
        }
        assert!(!stderr.contains("client_secret: "));
    }
}
on_both_engines!(on_https_the_cli_prints_generated_secrets_once_and_warns_on_every_start_while_a_documented_one_is_live);
