//! Group commit for the busiest writes: access-token records and audit events from concurrent
//! requests share one transaction, so a burst costs one commit instead of one per request.
//!
//! A token response still waits until its row is committed (an acknowledged token must survive
//! a crash); audit events are fire-and-forget, as before. The writer takes whatever is queued
//! when it becomes free, so a lone request is written at once and a burst forms its own batch
//! while the previous commit runs: no timer, no added latency when idle. The access-token SQL
//! is `grants::insert_access_tokens`; this file only batches.

use tokio::sync::{mpsc, oneshot};

use super::Store;
use super::bulk_insert::{chunks, insert_sql};
use super::grants::{AccessTokenRecord, insert_access_tokens};

/// At most this many jobs share one transaction.
const MAX_BATCH: usize = 128;
/// Queued jobs before senders wait (tokens) or hand off to a task (audit events).
const QUEUE: usize = 4096;

/// An audit event ready to write; `detail` is JSON text without secrets.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub id: String,
    pub occurred_at: i64,
    pub event: &'static str,
    pub client_id: Option<String>,
    pub subject: Option<String>,
    pub ip: Option<String>,
    pub detail: String,
}

enum Job {
    Token {
        record: AccessTokenRecord,
        done: oneshot::Sender<Result<(), sqlx::Error>>,
    },
    Audit(AuditRow),
    Flush(oneshot::Sender<()>),
}

/// The sending half, held by every [`super::Store`] clone; the writer task ends when the last
/// clone is dropped.
#[derive(Clone)]
pub(super) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    pub(super) fn start(pool: sqlx::AnyPool) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        tokio::spawn(run(pool, queue));
        Self { jobs }
    }

    /// Stores an access-token record; returns once its transaction has committed.
    pub(super) async fn record_token(&self, record: AccessTokenRecord) -> Result<(), sqlx::Error> {
        let (done, committed) = oneshot::channel();
        self.jobs
            .send(Job::Token { record, done })
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        committed.await.unwrap_or(Err(sqlx::Error::PoolClosed))
    }

    /// Queues an audit event; a full queue hands it to a task rather than dropping it.
    pub(super) fn record_audit(&self, row: AuditRow) {
        match self.jobs.try_send(Job::Audit(row)) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(job)) => {
                let jobs = self.jobs.clone();
                tokio::spawn(async move {
                    if jobs.send(job).await.is_err() {
                        tracing::warn!("audit event dropped: the store is closed");
                    }
                });
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                tracing::warn!("audit event dropped: the store is closed");
            }
        }
    }

    /// Waits until everything queued before this call has been written (or has failed).
    pub(super) async fn flush(&self) {
        let (done, flushed) = oneshot::channel();
        if self.jobs.send(Job::Flush(done)).await.is_ok() {
            let _ = flushed.await;
        }
    }
}

impl Store {
    /// Stores an access token that consumes nothing (client credentials, a grace-window retry).
    /// Concurrent calls share one transaction (see above); returns once it has committed.
    #[tracing::instrument(name = "db.record_access_token", skip_all, fields(db.system.name = self.system_name(), otel.kind = "client"))]
    pub async fn record_access_token(&self, access: &AccessTokenRecord) -> Result<(), sqlx::Error> {
        self.writer.record_token(access.clone()).await
    }
}

async fn run(pool: sqlx::AnyPool, mut queue: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        write_batch(&pool, std::mem::take(&mut jobs)).await;
    }
}

// Debug level: the writer serves many requests at once, so its span would be a root of its own
// trace; the waiting request has its own `db.record_access_token` span.
#[tracing::instrument(name = "db.write_batch", level = "debug", skip_all, fields(db.operation.batch.size = jobs.len(), otel.kind = "client"))]
async fn write_batch(pool: &sqlx::AnyPool, jobs: Vec<Job>) {
    let mut tokens = Vec::new();
    let mut audits = Vec::new();
    let mut flushes = Vec::new();
    for job in jobs {
        match job {
            Job::Token { record, done } => tokens.push((record, done)),
            Job::Audit(row) => audits.push(row),
            Job::Flush(done) => flushes.push(done),
        }
    }
    let records: Vec<&AccessTokenRecord> = tokens.iter().map(|(r, _)| r).collect();
    match write_all(pool, &records, &audits).await {
        Ok(()) => {
            for (_, done) in tokens {
                let _ = done.send(Ok(()));
            }
        }
        // One bad row (say, a client deleted meanwhile) must not fail its neighbours: retry
        // each job alone so every caller gets its own answer.
        Err(error) if tokens.len() + audits.len() > 1 => {
            tracing::warn!(%error, "batched write failed; writing its jobs one by one");
            for (record, done) in tokens {
                let _ = done.send(write_all(pool, &[&record], &[]).await);
            }
            for row in audits {
                if let Err(error) = write_all(pool, &[], std::slice::from_ref(&row)).await {
                    tracing::warn!(%error, audit = row.event, "could not write audit event");
                }
            }
        }
        Err(error) => {
            if let Some((_, done)) = tokens.pop() {
                let _ = done.send(Err(error));
            } else if let Some(row) = audits.first() {
                tracing::warn!(%error, audit = row.event, "could not write audit event");
            }
        }
    }
    for done in flushes {
        let _ = done.send(());
    }
}

async fn write_all(
    pool: &sqlx::AnyPool,
    tokens: &[&AccessTokenRecord],
    audits: &[AuditRow],
) -> Result<(), sqlx::Error> {
    if tokens.is_empty() && audits.is_empty() {
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    insert_access_tokens(&mut tx, tokens).await?;
    for chunk in chunks(audits) {
        // Built only from the constant column list and numbered placeholders.
        let sql = insert_sql(
            "audit_events (id, occurred_at, event, client_id, subject, ip, detail)",
            7,
            chunk.len(),
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for e in chunk {
            query = query
                .bind(&e.id)
                .bind(e.occurred_at)
                .bind(e.event)
                .bind(&e.client_id)
                .bind(&e.subject)
                .bind(&e.ip)
                .bind(&e.detail);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await
}
