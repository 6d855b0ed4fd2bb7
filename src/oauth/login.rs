//! Password login for the browser flow: argon2id off the runtime, throttled, and with one
//! answer for every failure so it never tells which of username or password was wrong.

use super::client_auth::DUMMY_HASH;
use super::throttle::LoginThrottle;
use crate::crypto;
use crate::storage::{Store, UserRecord};

pub enum LoginOutcome {
    LoggedIn(UserRecord),
    /// Wrong username or password (deliberately not saying which).
    Invalid,
    /// Too many recent failures for this account or address.
    Throttled,
}

pub async fn log_in(
    store: &Store,
    throttle: &LoginThrottle,
    username: &str,
    password: &str,
    ip: &str,
) -> Result<LoginOutcome, sqlx::Error> {
    if throttle.is_locked(username, ip) {
        return Ok(LoginOutcome::Throttled);
    }
    let user = if username.is_empty() || username.len() > 64 {
        None
    } else {
        store.get_user_by_username(username).await?
    };
    // Unknown users cost an argon2 verification too, so timing does not reveal them.
    let hash = user
        .as_ref()
        .map_or_else(|| DUMMY_HASH.to_string(), |u| u.password_hash.clone());
    let verified = crypto::verify_secret(password.to_string(), hash).await;
    match user {
        Some(user) if verified => {
            throttle.record_success(username);
            Ok(LoginOutcome::LoggedIn(user))
        }
        _ => {
            throttle.record_failure(username, ip);
            Ok(LoginOutcome::Invalid)
        }
    }
}
