//! The SQLite file holds the ES256 private keys and the refresh-token HMAC key, so its folder
//! is created 0700 and the database 0600 before SQLite opens it (SQLite gives `-wal` and
//! `-shm` the database file's mode), and looser permissions found at start are warned about.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// Creates the database's folder (0700) and an empty database file (0600) when missing.
pub(super) fn prepare(path: &Path) -> anyhow::Result<()> {
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
        && !parent.exists()
    {
        create_private_dir(parent)
            .with_context(|| format!("creating database folder {}", parent.display()))?;
    }
    if !path.exists() {
        create_private_file(path)
            .with_context(|| format!("creating database file {}", path.display()))?;
    }
    Ok(())
}

/// One sentence per path that others than the owner may read (or enter): the folder, the
/// database and its `-wal` and `-shm` files.
pub fn loose_permissions(path: &Path) -> Vec<String> {
    let mut found = Vec::new();
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        check(parent, 0o700, &mut found);
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        check(&PathBuf::from(name), 0o600, &mut found);
    }
    found
}

/// Logs a warning for each path [`loose_permissions`] finds.
pub(super) fn warn_if_loose(path: &Path) {
    for problem in loose_permissions(path) {
        tracing::warn!(
            "{problem}; the database holds the signing keys, restrict it (chmod 700 on the \
             folder, 600 on the files)"
        );
    }
}

#[cfg(unix)]
fn check(path: &Path, wanted: u32, found: &mut Vec<String>) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            found.push(format!(
                "{} has mode {mode:o}, looser than {wanted:o}",
                path.display()
            ));
        }
    }
}

#[cfg(not(unix))]
fn check(_path: &Path, _wanted: u32, _found: &mut Vec<String>) {}

#[cfg(unix)]
fn create_private_dir(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
}

#[cfg(not(unix))]
fn create_private_dir(path: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(path)
}

#[cfg(unix)]
fn create_private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        // Someone else created it meanwhile: SQLite opens theirs, and the check warns.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

#[cfg(not(unix))]
fn create_private_file(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn a_world_readable_database_or_folder_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("data");
        let db = folder.join("keys.db");
        prepare(&db).unwrap();
        assert!(loose_permissions(&db).is_empty(), "created private");
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
        let found = loose_permissions(&db);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found.iter().any(|f| f.contains("keys.db has mode 644")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|f| f.contains("data has mode 755")),
            "{found:?}"
        );
    }
}
