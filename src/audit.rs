//! Writes audit events; request paths write them off the critical path, failures are logged.

use serde_json::Value;

use crate::crypto;
use crate::storage::{self, NewAuditEvent, Store};

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

/// Records an event in the background so the response does not wait for it.
pub fn record(
    store: &Store,
    event: &'static str,
    client_id: Option<&str>,
    subject: Option<&str>,
    detail: Value,
) {
    let store = store.clone();
    let client_id = client_id.map(str::to_string);
    let subject = subject.map(str::to_string);
    tokio::spawn(async move {
        if let Err(error) = write(
            &store,
            event,
            client_id.as_deref(),
            subject.as_deref(),
            detail,
        )
        .await
        {
            tracing::warn!(%error, audit = event, "could not write audit event");
        }
    });
}
