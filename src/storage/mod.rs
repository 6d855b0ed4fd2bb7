//! The only place that writes SQL: one store, one set of portable queries, SQLite or Postgres.

mod audit;
mod bulk_insert;
mod clients;
mod consents;
mod grants;
mod identities;
mod keys;
mod login_failures;
mod maintenance;
mod revocations;
mod sessions;
pub mod sqlite_files;
mod upstream_logins;
mod users;
mod writer;

use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

pub use audit::{AuditEvent, NewAuditEvent};
pub use clients::ClientRecord;
pub use consents::{ConsentRecord, UserGrant};
pub use grants::{
    AccessTokenRecord, CodeRecord, GrantRecord, Issuance, RefreshTokenRecord, Rotation,
};
pub use identities::IdentityRecord;
pub use keys::SigningKeyRecord;
pub use maintenance::Purgeable;
pub use revocations::{EXPIRY_LEEWAY_SECS, RevokedToken};
pub use sessions::SessionRecord;
pub use upstream_logins::UpstreamLoginRecord;
pub use users::UserRecord;
pub use writer::AuditRow;

use crate::config::DatabaseSettings;

/// How long `/readyz` waits for the database before reporting it unavailable.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    writer: writer::Writer,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish()
    }
}

/// Postgres connections opened at once before start-up queries. sqlx returns a released
/// connection to the pool through a task that pings it first, so the query after it usually
/// finds nothing idle and opens another connection; over TLS on loopback each opening costs
/// about 90 ms (sqlx 0.9.0 sets no `TCP_NODELAY`, so the handshake waits out delayed ACKs).
/// Opened side by side, three cost about what one does.
const WARM_POSTGRES_CONNECTIONS: u32 = 3;

/// A pool with `count` connections already open, opened concurrently; any failure is the
/// error of connecting at all.
async fn open_side_by_side(
    options: AnyPoolOptions,
    url: &str,
    count: u32,
) -> Result<AnyPool, sqlx::Error> {
    let count = count.max(1) as usize;
    let pool = options.connect_lazy(url)?;
    let mut opening = tokio::task::JoinSet::new();
    for _ in 0..count {
        let pool = pool.clone();
        opening.spawn(async move { pool.acquire().await });
    }
    // All are held until the last is open, so none is reused in place of a new one.
    let mut open = Vec::new();
    while let Some(joined) = opening.join_next().await {
        open.push(joined.map_err(|e| sqlx::Error::Io(std::io::Error::other(e)))??);
    }
    drop(open);
    // They come back through that pinging task: wait (briefly) until they are idle, or the
    // first query opens yet another one.
    let settled = async {
        while pool.num_idle() < count {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_millis(250), settled).await;
    Ok(pool)
}

impl Store {
    /// Connects with a bounded wait, so an unreachable database is a clear error, not a hang.
    pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        install_default_drivers();
        let url = settings.url.expose();
        let backend = if settings.url.is_postgres() {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        let (url, sqlite_file) = match backend {
            Backend::Sqlite => prepare_sqlite_url(url)?,
            Backend::Postgres => (url.to_string(), None),
        };
        let mut options = AnyPoolOptions::new()
            // A pooled connection is checked before reuse, so after a database restart the dead
            // ones are replaced instead of failing requests (the fault tests depend on this).
            .test_before_acquire(true)
            .max_connections(settings.max_connections)
            .acquire_timeout(Duration::from_secs(settings.connect_timeout_secs));
        if backend == Backend::Sqlite {
            options = options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
                         PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
                    )
                    .await?;
                    Ok(())
                })
            });
        }
        let warm = match backend {
            Backend::Postgres => WARM_POSTGRES_CONNECTIONS.min(settings.max_connections),
            Backend::Sqlite => 1,
        };
        let pool = tokio::time::timeout(
            Duration::from_secs(settings.connect_timeout_secs),
            open_side_by_side(options, &url, warm),
        )
        .await
        .map_err(|_| {
            anyhow::anyhow!(
                "database {} did not answer within {} s",
                settings.url.redacted(),
                settings.connect_timeout_secs
            )
        })?
        .with_context(|| format!("cannot connect to database {}", settings.url.redacted()))?;
        if let Some(file) = &sqlite_file {
            sqlite_files::warn_if_loose(file);
        }
        let writer = writer::Writer::start(pool.clone());
        Ok(Self {
            pool,
            backend,
            writer,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        MIGRATOR
            .run(&self.pool)
            .await
            .context("applying database migrations")
    }

    /// Whether the database answers now (for `/readyz`).
    /// The OpenTelemetry `db.system.name` of the engine, recorded on every query span.
    pub fn system_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgresql",
        }
    }

    /// Whether the database answers within a bound, so a readiness probe gets a prompt answer
    /// during an outage instead of waiting out the pool's full acquire timeout.
    pub async fn ping(&self) -> bool {
        let probe = sqlx::query("SELECT 1").execute(&self.pool);
        matches!(tokio::time::timeout(PING_TIMEOUT, probe).await, Ok(Ok(_)))
    }

    /// Writes what is still queued (audit events), then closes every connection.
    pub async fn close(&self) {
        self.writer.flush().await;
        self.pool.close().await;
    }
}

/// Creates the SQLite file and its folder, private to this user (see `sqlite_files`), and
/// lets sqlx create it should it vanish meanwhile. Returns the URL and the file's path.
fn prepare_sqlite_url(url: &str) -> anyhow::Result<(String, Option<std::path::PathBuf>)> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let file = (path != ":memory:" && !path.is_empty() && !query.contains("mode=memory"))
        .then(|| std::path::PathBuf::from(path));
    if let Some(file) = &file {
        sqlite_files::prepare(file)?;
    }
    let query = if query.contains("mode=") {
        query.to_string()
    } else if query.is_empty() {
        "mode=rwc".to_string()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok((format!("sqlite://{path}?{query}"), file))
}

/// Whether an error is a unique-constraint violation (e.g. a duplicate client id).
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Seconds since the Unix epoch: every timestamp in the schema.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Splits a space-separated list column.
pub(crate) fn split_list(value: &str) -> Vec<String> {
    value.split_whitespace().map(str::to_string).collect()
}
