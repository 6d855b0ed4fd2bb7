//! Writes audit events off the request's critical path; failures are logged, never fatal.

use serde_json::Value;

use crate::crypto;
use crate::storage::{self, NewAuditEvent, Store};

/// Records an event in the background. `detail` must hold no secrets, codes or tokens.
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
    tracing::info!(audit = event, client_id = client_id.as_deref(), subject = subject.as_deref(), %detail, "audit");
    tokio::spawn(async move {
        let entry = NewAuditEvent {
            event,
            client_id: client_id.as_deref(),
            subject: subject.as_deref(),
            ip: None,
            detail,
        };
        if let Err(error) = store
            .record_audit(&crypto::random_token(12), storage::unix_now(), &entry)
            .await
        {
            tracing::warn!(%error, audit = event, "could not write audit event");
        }
    });
}
