//! Writes audit events; request paths queue them for the store's group-commit writer, so the
//! response never waits for them. Failures are logged.
//!
//! Many events carry values an unauthenticated caller chose (a `client_id` up to the 64 KiB
//! form bound, a username): they are cut to [`MAX_FIELD_CHARS`] here, once for every caller,
//! so neither the log nor `audit_events` grows by what an attacker sends.

use serde_json::Value;

use crate::crypto;
use crate::storage::{self, AuditRow, NewAuditEvent, Store};

/// Longer than any client id we register (255) or username (64); longer values are cut.
pub const MAX_FIELD_CHARS: usize = 256;

/// `value` cut to at most `MAX_FIELD_CHARS` characters, marked with `…` when cut.
pub fn bounded(value: &str) -> std::borrow::Cow<'_, str> {
    match value.char_indices().nth(MAX_FIELD_CHARS) {
        None => value.into(),
        Some((end, _)) => format!("{}…", &value[..end]).into(),
    }
}

/// The detail object with every string value bounded (nested values included).
fn bounded_detail(detail: Value) -> Value {
    match detail {
        Value::String(s) => Value::String(bounded(&s).into_owned()),
        Value::Array(items) => Value::Array(items.into_iter().map(bounded_detail).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| (bounded(&k).into_owned(), bounded_detail(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Writes one event now. `detail` must hold no secrets, codes or tokens.
pub async fn write(
    store: &Store,
    event: &'static str,
    client_id: Option<&str>,
    subject: Option<&str>,
    detail: Value,
) -> Result<(), sqlx::Error> {
    let client_id = client_id.map(bounded);
    let subject = subject.map(bounded);
    let detail = bounded_detail(detail);
    tracing::info!(audit = event, client_id = client_id.as_deref(), subject = subject.as_deref(), %detail, "audit");
    let entry = NewAuditEvent {
        event,
        client_id: client_id.as_deref(),
        subject: subject.as_deref(),
        ip: None,
        detail,
    };
    store
        .record_audit(&crypto::random_token(12), storage::unix_now(), &entry)
        .await
}

/// Queues an event; it is written with the next batch, in the background.
pub fn record(
    store: &Store,
    event: &'static str,
    client_id: Option<&str>,
    subject: Option<&str>,
    detail: Value,
) {
    record_from(store, event, client_id, subject, None, detail);
}

/// [`record`] with the resolved client address the request came from.
pub fn record_from(
    store: &Store,
    event: &'static str,
    client_id: Option<&str>,
    subject: Option<&str>,
    ip: Option<&str>,
    detail: Value,
) {
    let client_id = client_id.map(|c| bounded(c).into_owned());
    let subject = subject.map(|s| bounded(s).into_owned());
    let detail = bounded_detail(detail);
    tracing::info!(audit = event, client_id, subject, client.ip = ip, %detail, "audit");
    store.queue_audit(AuditRow {
        id: crypto::random_token(12),
        occurred_at: storage::unix_now(),
        event,
        client_id,
        subject,
        ip: ip.map(|ip| bounded(ip).into_owned()),
        detail: detail.to_string(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_on_a_character_boundary_and_short_ones_kept() {
        assert_eq!(bounded("claude_ai_client"), "claude_ai_client");
        let long = "é".repeat(MAX_FIELD_CHARS + 10);
        let cut = bounded(&long);
        assert_eq!(cut.chars().count(), MAX_FIELD_CHARS + 1);
        assert!(cut.ends_with('…'));
        let detail = bounded_detail(serde_json::json!({ "a": [long.clone()], "n": 3 }));
        assert_eq!(
            detail["a"][0].as_str().unwrap().chars().count(),
            MAX_FIELD_CHARS + 1
        );
        assert_eq!(detail["n"], 3);
    }
}
