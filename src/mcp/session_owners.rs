//! Who opened each stateful MCP session (`mcp.stateful = true`): a session id is usable only
//! by the subject and client whose token created it, so a leaked or guessed `Mcp-Session-Id`
//! is worth nothing with another token.
//!
//! Any other caller gets the 404 an unknown session gets (the spec's answer for a session the
//! server does not have), not a 403: a 403 would confirm to a stranger that the id is live.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use http::StatusCode;

use super::Caller;

/// How long a stateful session may sit idle before rmcp drops it (the client then gets 404 and
/// must initialize again). Sessions are small; Claude.ai holds one per conversation.
pub const SESSION_IDLE_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// Entries beyond this many trigger a sweep of sessions rmcp has dropped for idleness.
const SWEEP_ABOVE: usize = 256;

struct Owner {
    subject: String,
    client_id: String,
    last_used: Instant,
}

#[derive(Default)]
pub struct SessionOwners {
    sessions: Mutex<HashMap<String, Owner>>,
}

impl std::fmt::Debug for SessionOwners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionOwners { .. }")
    }
}

impl SessionOwners {
    /// Whether `caller` opened session `id`. A session this server never handed out counts as
    /// nobody's, so it fails here just as a foreign one does.
    pub fn belongs_to(&self, id: &str, caller: &Caller) -> bool {
        let mut sessions = self
            .sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match sessions.get_mut(id) {
            Some(owner)
                if owner.subject == caller.subject && owner.client_id == caller.client_id =>
            {
                owner.last_used = Instant::now();
                true
            }
            _ => false,
        }
    }

    /// Updates the table from an answered request: a new session id in the reply belongs to
    /// its caller; a deleted or (by rmcp) forgotten session is dropped.
    pub fn observe(
        &self,
        caller: &Caller,
        presented: Option<&str>,
        deleting: bool,
        status: StatusCode,
        issued: Option<&str>,
    ) {
        let mut sessions = self
            .sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(id) = presented
            && ((deleting && status.is_success()) || status == StatusCode::NOT_FOUND)
        {
            sessions.remove(id);
        }
        if let Some(id) = issued.filter(|_| presented.is_none() && status.is_success()) {
            if sessions.len() >= SWEEP_ABOVE {
                sessions.retain(|_, owner| owner.last_used.elapsed() < SESSION_IDLE_TIMEOUT);
            }
            sessions.insert(
                id.to_string(),
                Owner {
                    subject: caller.subject.clone(),
                    client_id: caller.client_id.clone(),
                    last_used: Instant::now(),
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(subject: &str, client_id: &str) -> Caller {
        Caller {
            subject: subject.into(),
            client_id: client_id.into(),
            ..Caller::default()
        }
    }

    #[test]
    fn a_session_belongs_only_to_the_subject_and_client_that_opened_it() {
        let owners = SessionOwners::default();
        let alice = caller("alice", "app");
        owners.observe(&alice, None, false, StatusCode::OK, Some("s1"));
        assert!(owners.belongs_to("s1", &alice));
        assert!(!owners.belongs_to("s1", &caller("bob", "app")));
        assert!(!owners.belongs_to("s1", &caller("alice", "other-app")));
        assert!(!owners.belongs_to("never-issued", &alice));
        owners.observe(&alice, Some("s1"), true, StatusCode::ACCEPTED, None);
        assert!(!owners.belongs_to("s1", &alice), "deleted");
    }
}
