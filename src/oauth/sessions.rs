//! Browser sessions: creation, idle and absolute timeouts, rotation at login, CSRF tokens.
//! The session id lives only in the user's cookie; the database holds its SHA-256.

use subtle::ConstantTimeEq;

use crate::crypto;
use crate::storage::{self, SessionRecord, Store};

/// A session unused this long is over (re-login needed).
pub const IDLE_TIMEOUT_SECS: i64 = 30 * 60;
/// A session ends this long after it started, however active.
pub const ABSOLUTE_TIMEOUT_SECS: i64 = 12 * 60 * 60;

/// A live session and, when it was just created or rotated, the id for the cookie.
pub struct Session {
    pub record: SessionRecord,
    pub new_cookie: Option<String>,
}

impl Session {
    pub fn user_id(&self) -> Option<&str> {
        self.record.user_id.as_deref()
    }

    /// Whether `presented` is this session's CSRF token, compared in constant time.
    pub fn csrf_matches(&self, presented: Option<&str>) -> bool {
        let Some(presented) = presented else {
            return false;
        };
        presented
            .as_bytes()
            .ct_eq(self.record.csrf_token.as_bytes())
            .into()
    }
}

/// Loads the session a cookie names, ending it if it is idle or past its absolute end.
pub async fn load(store: &Store, cookie: Option<&str>) -> Result<Option<Session>, sqlx::Error> {
    let Some(cookie) = cookie.filter(|c| !c.is_empty() && c.len() <= 128) else {
        return Ok(None);
    };
    let id_hash = crypto::sha256_hex(cookie);
    let Some(record) = store.get_session(&id_hash).await? else {
        return Ok(None);
    };
    let now = storage::unix_now();
    if now >= record.expires_at || now - record.last_seen_at > IDLE_TIMEOUT_SECS {
        store.delete_session(&id_hash).await?;
        return Ok(None);
    }
    store.touch_session(&id_hash, now).await?;
    Ok(Some(Session {
        record,
        new_cookie: None,
    }))
}

/// Starts a session (anonymous unless `user_id`), carrying `pending` over.
pub async fn create(
    store: &Store,
    user_id: Option<String>,
    pending: Option<String>,
) -> Result<Session, sqlx::Error> {
    let id = crypto::random_token(32);
    let now = storage::unix_now();
    let record = SessionRecord {
        id_hash: crypto::sha256_hex(&id),
        user_id,
        csrf_token: crypto::random_token(32),
        pending,
        created_at: now,
        last_seen_at: now,
        expires_at: now + ABSOLUTE_TIMEOUT_SECS,
    };
    store.insert_session(&record).await?;
    // Opportunistic clean-up keeps the table small without a background job.
    store
        .delete_stale_sessions(now, now - IDLE_TIMEOUT_SECS)
        .await?;
    Ok(Session {
        record,
        new_cookie: Some(id),
    })
}

/// The session for a request: the existing one or a fresh anonymous one.
pub async fn load_or_create(store: &Store, cookie: Option<&str>) -> Result<Session, sqlx::Error> {
    match load(store, cookie).await? {
        Some(session) => Ok(session),
        None => create(store, None, None).await,
    }
}

/// Logs a user in: a new id and CSRF token (no session fixation), the pending request kept.
pub async fn log_in(store: &Store, old: &Session, user_id: &str) -> Result<Session, sqlx::Error> {
    store.delete_session(&old.record.id_hash).await?;
    create(store, Some(user_id.to_string()), old.record.pending.clone()).await
}
