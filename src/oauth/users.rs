//! Resource owners: the people who log in and approve clients.

use anyhow::bail;

use crate::crypto;
use crate::storage::{self, Store, UserRecord};

pub const MIN_PASSWORD_CHARS: usize = 8;

/// The password hash of a user who signs in only upstream: no password verifies against it
/// (it is not a PHC string), and the login still spends an argon2 run (see `login.rs`).
pub const NO_PASSWORD: &str = "!upstream";

fn validate(username: &str, password: &str) -> anyhow::Result<()> {
    validate_username(username)?;
    if password.chars().count() < MIN_PASSWORD_CHARS {
        bail!("password must be at least {MIN_PASSWORD_CHARS} characters");
    }
    Ok(())
}

pub fn validate_username(username: &str) -> anyhow::Result<()> {
    let ok = !username.is_empty()
        && username.len() <= 64
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
    if !ok {
        bail!(
            "username {username:?} must be 1-64 characters of letters, digits, '.', '_', '-' or '@'"
        );
    }
    Ok(())
}

/// Group names, as the CLI and the scope policy spell them: 1–64 of `A-Za-z0-9._:-`.
pub fn validate_groups(groups: &[String]) -> anyhow::Result<String> {
    for group in groups {
        let ok = !group.is_empty()
            && group.len() <= 64
            && group
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._:-".contains(c));
        if !ok {
            bail!(
                "group {group:?} must be 1-64 characters of letters, digits, '.', '_', ':' or '-'"
            );
        }
    }
    let mut sorted: Vec<&str> = groups.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    Ok(sorted.join(" "))
}

pub async fn add_user(
    store: &Store,
    username: &str,
    password: String,
) -> anyhow::Result<UserRecord> {
    add_user_with_groups(store, username, password, &[]).await
}

/// A local user with a password and operator-given groups (`users add --group`).
pub async fn add_user_with_groups(
    store: &Store,
    username: &str,
    password: String,
    groups: &[String],
) -> anyhow::Result<UserRecord> {
    validate(username, &password)?;
    let hash = crypto::hash_secret(password).await?;
    insert(store, username, hash, validate_groups(groups)?).await
}

/// A user who signs in only through an upstream provider (provisioning = auto).
pub async fn create_upstream_user(store: &Store, username: &str) -> anyhow::Result<UserRecord> {
    validate_username(username)?;
    insert(store, username, NO_PASSWORD.to_owned(), String::new()).await
}

async fn insert(
    store: &Store,
    username: &str,
    password_hash: String,
    groups: String,
) -> anyhow::Result<UserRecord> {
    let now = storage::unix_now();
    let user = UserRecord {
        id: crypto::random_token(16),
        username: username.to_string(),
        password_hash,
        created_at: now,
        updated_at: now,
        disabled_at: None,
        groups,
    };
    match store.insert_user(&user).await {
        Ok(()) => Ok(user),
        Err(e) if storage::is_unique_violation(&e) => bail!("user {username:?} already exists"),
        Err(e) => Err(e.into()),
    }
}

pub async fn set_password(store: &Store, username: &str, password: String) -> anyhow::Result<()> {
    validate(username, &password)?;
    let hash = crypto::hash_secret(password).await?;
    if !store
        .set_user_password_hash(username, &hash, storage::unix_now())
        .await?
    {
        bail!("no user named {username:?}");
    }
    Ok(())
}

/// Creates `admin` when no user exists. Returns the generated password, if one
/// was generated, so the caller can print it once.
pub async fn bootstrap_admin(
    store: &Store,
    configured_password: Option<&str>,
) -> anyhow::Result<Option<String>> {
    if store.count_users().await? > 0 {
        return Ok(None);
    }
    let (password, generated) = match configured_password {
        Some(p) => (p.to_string(), false),
        None => (crypto::random_token(18), true),
    };
    match add_user(store, "admin", password.clone()).await {
        Ok(_) => Ok(generated.then_some(password)),
        // A concurrent first start created it; that one prints the password.
        Err(_) if store.get_user_by_username("admin").await?.is_some() => Ok(None),
        Err(e) => Err(e),
    }
}
