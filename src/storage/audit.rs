//! The audit trail: security-relevant events, never secrets.

use sqlx::FromRow;

use super::Store;

/// An event to record. `detail` is a JSON object with non-secret context.
#[derive(Debug, Clone)]
pub struct NewAuditEvent<'a> {
    pub event: &'a str,
    pub client_id: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, FromRow)]
pub struct AuditEvent {
    pub id: String,
    pub occurred_at: i64,
    pub event: String,
    pub client_id: Option<String>,
    pub subject: Option<String>,
    pub ip: Option<String>,
    pub detail: String,
}

impl Store {
    /// Queues an event for the group-commit writer; it never waits for the database.
    pub fn queue_audit(&self, row: super::AuditRow) {
        self.writer.record_audit(row);
    }

    #[tracing::instrument(name = "db.record_audit", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn record_audit(
        &self,
        id: &str,
        now: i64,
        event: &NewAuditEvent<'_>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO audit_events (id, occurred_at, event, client_id, subject, ip, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(now)
        .bind(event.event)
        .bind(event.client_id)
        .bind(event.subject)
        .bind(event.ip)
        .bind(event.detail.to_string())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    #[tracing::instrument(name = "db.audit_since", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn audit_since(
        &self,
        since: i64,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, sqlx::Error> {
        sqlx::query_as(
            "SELECT id, occurred_at, event, client_id, subject, ip, detail FROM audit_events \
             WHERE occurred_at >= $1 ORDER BY occurred_at, id LIMIT $2",
        )
        .bind(since)
        .bind(limit)
        .fetch_all(self.pool())
        .await
    }

    /// The newest `limit` events at or after `since`, returned oldest first.
    #[tracing::instrument(name = "db.audit_tail", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn audit_tail(&self, since: i64, limit: i64) -> Result<Vec<AuditEvent>, sqlx::Error> {
        let mut events: Vec<AuditEvent> = sqlx::query_as(
            "SELECT id, occurred_at, event, client_id, subject, ip, detail FROM audit_events \
             WHERE occurred_at >= $1 ORDER BY occurred_at DESC, id DESC LIMIT $2",
        )
        .bind(since)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        events.reverse();
        Ok(events)
    }
}
