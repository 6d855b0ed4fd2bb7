//! Writes audit events; request paths queue them for the store's group-commit writer, so the
//! response never waits for them. Failures are logged.

use serde_json::Value;

use crate::crypto;
use crate::storage::{self, AuditRow, NewAuditEvent, Store};

/// Writes one event now. `detail` must hold no secrets, codes or tokens.
pub async fn write(
    store: &Store,
    event: &'static str,
    client_id: Option<&str>,
    subject: Option<&str>,
    detail: Value,
) -> Result<(), sqlx::Error> {
    tracing::info!(audit = event, client_id, subject, %detail, "audit");
    let entry = NewAuditEvent {
        event,
        client_id,
        subject,
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
    tracing::info!(audit = event, client_id, subject, %detail, "audit");
    store.queue_audit(AuditRow {
        id: crypto::random_token(12),
        occurred_at: storage::unix_now(),
        event,
        client_id: client_id.map(str::to_string),
        subject: subject.map(str::to_string),
        ip: None,
        detail: detail.to_string(),
    });
}
