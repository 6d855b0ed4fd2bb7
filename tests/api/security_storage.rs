//! Issue #14, item 7: the SQLite database holds the signing keys, so its folder is created
//! 0700 and the database with its `-wal` and `-shm` files 0600. SQLite only: on PostgreSQL the
//! keys live in the server's data directory, which this service does not create.

use std::os::unix::fs::PermissionsExt;

use mcp_oauth::config::DatabaseUrl;

use crate::helpers::{CLAUDE, Engine, spawn_app_with};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_folder_and_files_holding_the_keys_are_private_to_the_owner() {
    // Under the usual umask (022) files would come out 0644 and folders 0755.
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("data");
    let db = folder.join("mcp-oauth.db");
    let url = format!("sqlite://{}", db.display());
    let app = spawn_app_with(Engine::Sqlite, |s| s.database.url = DatabaseUrl::new(url))
        .await
        .unwrap();
    // A write, so the write-ahead log and its index certainly exist.
    app.client_credentials_token(CLAUDE, None).await;
    let keys: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM signing_keys")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert!(keys >= 1, "this is the database holding the keys");
    assert_eq!(format!("{:o}", mode(&folder)), "700", "data folder");
    for suffix in ["", "-wal", "-shm"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", db.display()));
        assert_eq!(format!("{:o}", mode(&file)), "600", "{}", file.display());
    }
    assert!(mcp_oauth::storage::sqlite_files::loose_permissions(&db).is_empty());
}
