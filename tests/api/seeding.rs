//! Documented clients and the first user: seeded once, hashed, never overwritten.

use mcp_oauth::crypto;
use mcp_oauth::oauth::clients;
use mcp_oauth::startup::Application;
use sqlx::Row;

use crate::helpers::Engine;
use crate::helpers::{ADMIN_PASSWORD, spawn_app, spawn_app_with};
use crate::on_both_engines;

async fn both_documented_clients_are_seeded_with_argon2id_hashes(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    for (id, secret) in [
        ("claude_ai_client", "claude_secret_key_2024"),
        ("mcp_test_client", "test_secret_key_2024"),
    ] {
        let client = app.store.get_client(id).await.unwrap().expect("seeded");
        let hash = client.secret_hash.expect("confidential");
        assert!(crypto::is_argon2id(&hash), "{id} hash is {hash:.12}…");
        assert!(crypto::verify_secret(secret.into(), hash).await);
    }
    let claude = app
        .store
        .get_client("claude_ai_client")
        .await
        .unwrap()
        .unwrap();
    for uri in [
        "https://claude.ai/oauth/callback",
        "http://localhost:8080/callback",
        "urn:ietf:wg:oauth:2.0:oob",
        "https://claude.ai/api/mcp/auth_callback",
        "https://claude.com/api/mcp/auth_callback",
    ] {
        assert!(
            claude.redirect_uri_list().contains(&uri.to_string()),
            "missing {uri}"
        );
    }
    assert_eq!(
        claude.scopes,
        "mcp:prompts mcp:resources mcp:tools system:monitor system:read"
    );
    let test = app
        .store
        .get_client("mcp_test_client")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(test.scopes, "mcp:resources mcp:tools system:read");
    assert_eq!(
        test.redirect_uri_list(),
        vec![
            "http://localhost:5000/oauth/callback",
            "urn:ietf:wg:oauth:2.0:oob"
        ]
    );
}
on_both_engines!(both_documented_clients_are_seeded_with_argon2id_hashes);

async fn no_plaintext_secret_or_password_is_anywhere_in_the_database(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let mut dump = String::new();
    for table in ["clients", "users"] {
        let sql = format!("SELECT * FROM {table}");
        for row in sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(app.store.pool())
            .await
            .unwrap()
        {
            for i in 0..row.len() {
                if let Ok(Some(text)) = row.try_get::<Option<String>, _>(i) {
                    dump.push_str(&text);
                    dump.push('\n');
                }
            }
        }
    }
    assert!(dump.contains("claude_ai_client"), "the dump read the rows");
    for secret in [
        "claude_secret_key_2024",
        "test_secret_key_2024",
        ADMIN_PASSWORD,
    ] {
        assert!(
            !dump.contains(secret),
            "plaintext {secret:?} found in the database"
        );
    }
}
on_both_engines!(no_plaintext_secret_or_password_is_anywhere_in_the_database);

async fn restarting_never_duplicates_clients_nor_restores_a_rotated_secret(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let new_secret = clients::rotate_secret(&app.store, "mcp_test_client")
        .await
        .unwrap();
    // A second start on the same database seeds again.
    let again = Application::build(app.settings.clone()).await.unwrap();
    let store = &again.state().store;
    assert_eq!(store.list_clients().await.unwrap().len(), 2);
    let hash = store
        .get_client("mcp_test_client")
        .await
        .unwrap()
        .unwrap()
        .secret_hash
        .unwrap();
    assert!(crypto::verify_secret(new_secret, hash.clone()).await);
    assert!(!crypto::verify_secret("test_secret_key_2024".into(), hash).await);
    assert_eq!(store.count_users().await.unwrap(), 1);
}
on_both_engines!(restarting_never_duplicates_clients_nor_restores_a_rotated_secret);

async fn the_first_start_creates_admin_with_the_configured_password(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let admin = app
        .store
        .get_user_by_username("admin")
        .await
        .unwrap()
        .expect("admin");
    assert!(crypto::is_argon2id(&admin.password_hash));
    assert!(crypto::verify_secret(ADMIN_PASSWORD.into(), admin.password_hash).await);
}
on_both_engines!(the_first_start_creates_admin_with_the_configured_password);

async fn without_a_configured_password_one_is_generated_and_returned_once(engine: Engine) {
    let db = crate::helpers::TestDb::create(engine).await.unwrap();
    let mut settings = crate::helpers::test_settings(&db.url);
    settings.bootstrap.admin_password = None;
    let first = Application::build(settings.clone()).await.unwrap();
    let password = first.generated_admin_password.clone().expect("generated");
    assert!(password.len() >= 20);
    let hash = first
        .state()
        .store
        .get_user_by_username("admin")
        .await
        .unwrap()
        .unwrap()
        .password_hash;
    assert!(crypto::verify_secret(password, hash).await);
    let second = Application::build(settings).await.unwrap();
    assert!(second.generated_admin_password.is_none());
}
on_both_engines!(without_a_configured_password_one_is_generated_and_returned_once);

async fn seeding_can_be_turned_off(engine: Engine) {
    let app = spawn_app_with(engine, |s| s.clients.seed_documented = false)
        .await
        .unwrap();
    assert!(app.store.list_clients().await.unwrap().is_empty());
}
on_both_engines!(seeding_can_be_turned_off);
