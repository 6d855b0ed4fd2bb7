//! `mcp-oauth audit tail`: recent events, one per line, through the real binary.

use mcp_oauth::storage::{NewAuditEvent, unix_now};

use crate::cli::{cli, store_for, text};
use crate::helpers::Engine;
use crate::helpers::TestDb;
use crate::on_both_engines;

async fn audit_tail_prints_recent_events_oldest_first_within_the_window_and_limit(engine: Engine) {
    let db = TestDb::create(engine).await.unwrap();
    let migrated = cli(&db.url, &["migrate"], "");
    assert!(migrated.status.success(), "{}", text(&migrated));
    let store = store_for(&db).await;
    let now = unix_now();
    for (id, at, event, client) in [
        ("a", now - 3 * 3600, "token_issued", Some("old-client")),
        ("b", now - 1200, "client_auth_failed", Some("ops-bot")),
        ("c", now - 60, "token_revoked", None),
    ] {
        let entry = NewAuditEvent {
            event,
            client_id: client,
            subject: Some("alice"),
            ip: None,
            detail: serde_json::json!({ "endpoint": "token" }),
        };
        store.record_audit(id, at, &entry).await.unwrap();
    }

    let out = cli(&db.url, &["audit", "tail", "--since", "1h"], "");
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    let fields: Vec<&str> = lines[0].split('\t').collect();
    assert_eq!(fields[1..4], ["client_auth_failed", "ops-bot", "alice"]);
    assert!(
        fields[0].ends_with('Z') && fields[0].contains('T'),
        "{}",
        fields[0]
    );
    assert!(fields[4].contains("\"endpoint\""));
    assert!(
        lines[1].contains("token_revoked\t-\talice"),
        "absent values print as -"
    );

    let newest = cli(
        &db.url,
        &["audit", "tail", "--since", "1d", "--limit", "1"],
        "",
    );
    let stdout = String::from_utf8_lossy(&newest.stdout).to_string();
    assert_eq!(stdout.lines().count(), 1);
    assert!(
        stdout.contains("token_revoked"),
        "the limit keeps the newest: {stdout}"
    );

    let everything = cli(&db.url, &["audit", "tail", "--since", "2d"], "");
    assert_eq!(
        String::from_utf8_lossy(&everything.stdout).lines().count(),
        3
    );

    let bad = cli(&db.url, &["audit", "tail", "--since", "1y"], "");
    assert!(!bad.status.success());
    assert!(text(&bad).contains("invalid duration"), "{}", text(&bad));
}
on_both_engines!(audit_tail_prints_recent_events_oldest_first_within_the_window_and_limit);
