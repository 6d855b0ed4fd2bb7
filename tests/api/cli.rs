//! The operator's command line, run as the real binary against a fresh database.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use mcp_oauth::crypto;
use mcp_oauth::storage::Store;

use crate::helpers::Engine;
use crate::helpers::{TestDb, test_settings};
use crate::on_both_engines;

/// Runs `mcp-oauth --database-url URL args…` with `stdin` piped in and no MCP_OAUTH_ env.
pub(crate) fn cli(db_url: &str, args: &[&str], stdin: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mcp-oauth"));
    for (key, _) in std::env::vars() {
        if key.starts_with("MCP_OAUTH") || key == "DATABASE_URL" {
            command.env_remove(key);
        }
    }
    let mut child = command
        .arg("--database-url")
        .arg(db_url)
        .args(args)
        .env("MCP_OAUTH__DATABASE__CONNECT_TIMEOUT_SECS", "3")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

pub(crate) fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

pub(crate) async fn store_for(db: &TestDb) -> Store {
    Store::connect(&test_settings(&db.url).database)
        .await
        .unwrap()
}

async fn clients_add_prints_a_secret_once_and_stores_only_its_hash(engine: Engine) {
    let db = TestDb::create(engine).await.unwrap();
    let out = cli(
        &db.url,
        &[
            "clients",
            "add",
            "--id",
            "ops-bot",
            "--name",
            "Ops bot",
            "--redirect-uri",
            "https://ops.example/cb",
            "--scope",
            "mcp:tools system:read",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let secret = stdout
        .lines()
        .find_map(|l| l.strip_prefix("client_secret: "))
        .expect("secret printed")
        .to_string();
    let client = store_for(&db)
        .await
        .get_client("ops-bot")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(client.scopes, "mcp:tools system:read");
    let hash = client.secret_hash.unwrap();
    assert!(!hash.contains(&secret));
    assert!(crypto::verify_secret(secret, hash).await);

    let shown = cli(&db.url, &["clients", "show", "ops-bot"], "");
    assert!(text(&shown).contains("https://ops.example/cb"));
    assert!(
        !text(&shown).contains("$argon2id$"),
        "show never prints the hash"
    );
    let listed = cli(&db.url, &["clients", "list"], "");
    assert!(text(&listed).contains("ops-bot"));
    assert!(
        text(&listed).contains("claude_ai_client"),
        "documented clients are seeded by the CLI too"
    );
}
on_both_engines!(clients_add_prints_a_secret_once_and_stores_only_its_hash);

async fn clients_add_rejects_invalid_redirect_uris_and_scopes_writing_nothing(engine: Engine) {
    let db = TestDb::create(engine).await.unwrap();
    for (uri, scope, expect) in [
        ("http://evil.example/cb", "mcp:tools", "non-loopback"),
        ("https://ok.example/cb#frag", "mcp:tools", "fragment"),
        ("javascript:alert(1)", "mcp:tools", "forbidden scheme"),
        ("not a uri", "mcp:tools", "not a URL"),
        ("https://ok.example/cb", "mcp:everything", "unknown scope"),
    ] {
        let out = cli(
            &db.url,
            &[
                "clients",
                "add",
                "--id",
                "bad",
                "--name",
                "Bad",
                "--redirect-uri",
                uri,
                "--scope",
                scope,
            ],
            "",
        );
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expect), "{uri} {scope}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one-line error: {stderr}");
    }
    assert!(
        store_for(&db)
            .await
            .get_client("bad")
            .await
            .unwrap()
            .is_none()
    );
}
on_both_engines!(clients_add_rejects_invalid_redirect_uris_and_scopes_writing_nothing);

async fn a_duplicate_client_id_is_refused_and_the_original_is_untouched(engine: Engine) {
    let db = TestDb::create(engine).await.unwrap();
    let out = cli(
        &db.url,
        &[
            "clients",
            "add",
            "--id",
            "mcp_test_client",
            "--name",
            "Dup",
            "--redirect-uri",
            "https://x.example/cb",
            "--scope",
            "mcp:tools",
        ],
        "",
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("already exists"), "{}", text(&out));
    let after = store_for(&db)
        .await
        .get_client("mcp_test_client")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.name, "MCP Test Client");
    assert!(crypto::verify_secret("test_secret_key_2024".into(), after.secret_hash.unwrap()).await);
}
on_both_engines!(a_duplicate_client_id_is_refused_and_the_original_is_untouched);

async fn rotate_secret_replaces_the_secret_and_remove_deletes_the_client(engine: Engine) {
    let db = TestDb::create(engine).await.unwrap();
    let out = cli(
        &db.url,
        &["clients", "rotate-secret", "mcp_test_client"],
        "",
    );
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let secret = stdout
        .lines()
        .find_map(|l| l.strip_prefix("client_secret: "))
        .unwrap();
    let hash = store_for(&db)
        .await
        .get_client("mcp_test_client")
        .await
        .unwrap()
        .unwrap()
        .secret_hash
        .unwrap();
    assert!(crypto::verify_secret(secret.into(), hash.clone()).await);
    assert!(!crypto::verify_secret("test_secret_key_2024".into(), hash).await);

    let removed = cli(&db.url, &["clients", "remove", "mcp_test_client"], "");
    assert!(removed.status.success(), "{}", text(&removed));
    assert!(
        store_for(&db)
            .await
            .get_client("mcp_test_client")
            .await
            .unwrap()
            .is_none()
    );
    let again = cli(&db.url, &["clients", "remove", "no-such-client"], "");
    assert!(!again.status.success());
    assert!(text(&again).contains("no client"));
}
on_both_engines!(rotate_secret_replaces_the_secret_and_remove_deletes_the_client);

async fn users_are_added_from_stdin_never_argv_and_can_change_password(engine: Engine) {
    let db = TestDb::create(engine).await.unwrap();
    let out = cli(&db.url, &["users", "add", "alice"], "alice-password-1\n");
    assert!(out.status.success(), "{}", text(&out));
    let store = store_for(&db).await;
    let hash = store
        .get_user_by_username("alice")
        .await
        .unwrap()
        .unwrap()
        .password_hash;
    assert!(crypto::verify_secret("alice-password-1".into(), hash).await);

    let dup = cli(&db.url, &["users", "add", "alice"], "another-password\n");
    assert!(text(&dup).contains("already exists"), "{}", text(&dup));
    let short = cli(&db.url, &["users", "add", "bob"], "short\n");
    assert!(text(&short).contains("at least 8"), "{}", text(&short));

    let changed = cli(
        &db.url,
        &["users", "set-password", "alice"],
        "alice-password-2\n",
    );
    assert!(changed.status.success(), "{}", text(&changed));
    let hash = store
        .get_user_by_username("alice")
        .await
        .unwrap()
        .unwrap()
        .password_hash;
    assert!(crypto::verify_secret("alice-password-2".into(), hash).await);
    assert!(text(&cli(&db.url, &["users", "list"], "")).contains("alice"));
    assert!(
        cli(&db.url, &["users", "remove", "alice"], "")
            .status
            .success()
    );
    assert!(store.get_user_by_username("alice").await.unwrap().is_none());
}
on_both_engines!(users_are_added_from_stdin_never_argv_and_can_change_password);

async fn migrate_and_print_config_work_and_print_config_redacts(engine: Engine) {
    let db = TestDb::create(engine).await.unwrap();
    let out = cli(&db.url, &["migrate"], "");
    assert!(out.status.success(), "{}", text(&out));
    let config = cli(&db.url, &["print-config"], "");
    let shown = text(&config);
    assert!(
        shown.contains("[server]") && shown.contains("public_url"),
        "{shown}"
    );
}
on_both_engines!(migrate_and_print_config_work_and_print_config_redacts);

#[test]
fn an_unreachable_database_fails_fast_with_a_clear_error() {
    let started = std::time::Instant::now();
    let out = cli("postgres://nobody@127.0.0.1:1/none", &["migrate"], "");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("database"), "{stderr}");
    assert!(started.elapsed().as_secs() < 30, "bounded wait");
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["clients", "add", "--help"],
        vec!["users", "--help"],
        vec!["print-config", "--help"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_mcp-oauth"))
            .args(&args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{args:?}"
        );
    }
}

async fn keys_rotate_prepublishes_then_activates_and_list_shows_both(engine: Engine) {
    let db = TestDb::create(engine).await.unwrap();
    let listed = cli(&db.url, &["keys", "list"], "");
    assert!(text(&listed).contains("active"), "{}", text(&listed));
    let pre = cli(&db.url, &["keys", "rotate", "--prepublish"], "");
    assert!(pre.status.success(), "{}", text(&pre));
    assert!(text(&cli(&db.url, &["keys", "list"], "")).contains("pre-published"));
    let rotated = cli(&db.url, &["keys", "rotate"], "");
    assert!(rotated.status.success(), "{}", text(&rotated));
    let listed = text(&cli(&db.url, &["keys", "list"], ""));
    assert!(
        listed.contains("retired (still published)") && listed.contains("active"),
        "{listed}"
    );
    let store = store_for(&db).await;
    let events = store.audit_since(0, 10).await.unwrap();
    assert!(events.iter().any(|e| e.event == "key_rotated"));
}
on_both_engines!(keys_rotate_prepublishes_then_activates_and_list_shows_both);
