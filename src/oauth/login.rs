//! Password login for the browser flow: argon2id off the runtime, throttled, and with one
//! answer for every failure so it never tells which of username or password was wrong.

use super::client_auth::DUMMY_HASH;
use super::throttle::{Gate, LoginThrottle};
use crate::audit;
use crate::crypto;
use crate::storage::{Store, UserRecord};

pub enum LoginOutcome {
    LoggedIn(UserRecord),
    /// Wrong username or password (deliberately not saying which).
    Invalid,
    /// Too many recent failures from this address, or for this account from this address.
    Throttled,
    /// The right password for an account an operator disabled.
    Disabled,
}

/// Checks a login attempt from the resolved client address `ip`. A locked account still
/// lets a clean address try; a success that way, and the lock itself, are audited.
pub async fn log_in(
    store: &Store,
    throttle: &LoginThrottle,
    username: &str,
    password: &str,
    ip: &str,
) -> Result<LoginOutcome, sqlx::Error> {
    let gate = throttle.gate(username, ip).await?;
    if gate == Gate::Refused {
        return Ok(LoginOutcome::Throttled);
    }
    let user = if username.is_empty() || username.len() > 64 {
        None
    } else {
        store.get_user_by_username(username).await?
    };
    // Unknown users, and users who sign in only upstream, cost an argon2 verification too,
    // so timing does not reveal them; no password verifies for the latter.
    let upstream_only = user
        .as_ref()
        .is_some_and(|u| u.password_hash == super::users::NO_PASSWORD);
    let hash = user
        .as_ref()
        .filter(|_| !upstream_only)
        .map_or_else(|| DUMMY_HASH.to_string(), |u| u.password_hash.clone());
    let verified = crypto::verify_secret(password.to_string(), hash).await && !upstream_only;
    match user {
        Some(user) if verified && user.is_disabled() => {
            audit::record_from(
                store,
                "login_refused_disabled",
                None,
                Some(&user.id),
                Some(ip),
                serde_json::json!({ "ip": ip }),
            );
            Ok(LoginOutcome::Disabled)
        }
        Some(user) if verified => {
            throttle.record_success(username).await?;
            if gate == Gate::AccountLockedCleanAddress {
                audit::record_from(
                    store,
                    "login_past_account_lock",
                    None,
                    Some(&user.id),
                    Some(ip),
                    serde_json::json!({ "ip": ip }),
                );
            }
            Ok(LoginOutcome::LoggedIn(user))
        }
        _ => {
            if throttle.record_failure(username, ip).await? {
                audit::record_from(
                    store,
                    "login_account_locked",
                    None,
                    user.as_ref().map(|u| u.id.as_str()),
                    Some(ip),
                    serde_json::json!({ "ip": ip, "username": username }),
                );
            }
            Ok(LoginOutcome::Invalid)
        }
    }
}
