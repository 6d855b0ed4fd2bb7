//! The MCP server: one `Clone` type that rmcp drives over Streamable HTTP (see `handler.rs`) and
//! the REST endpoints call directly. Its requests live with their primitive: `tools.rs`,
//! `resources.rs` and `prompts.rs` each list, check scopes (through `access.rs`) and run what
//! the [`Catalog`] declares.

use std::sync::Arc;

use super::catalog::{Catalog, LiveCatalog};
use super::notify::{ListChanges, SessionLogLevel};
use super::system::SystemMonitor;
use super::tasks::Tasks;

// Old paths (`mcp::server::CallError`, `mcp::server::INSUFFICIENT_SCOPE`) keep working.
pub use super::error::{CallError, INSUFFICIENT_SCOPE};

/// What the server tells clients about itself in `initialize`.
#[derive(Debug, Clone)]
pub struct ServerIdentity {
    pub name: String,
    pub version: String,
    pub instructions: Option<String>,
}

/// The MCP server. Cheap to clone: rmcp makes one per session (or per request when stateless),
/// and all clones share the catalogue and the list-change fan-out.
#[derive(Clone)]
pub struct McpServer {
    pub(super) identity: Arc<ServerIdentity>,
    pub(super) catalog: LiveCatalog,
    pub(super) list_changes: ListChanges,
    pub(super) tasks: Tasks,
    /// This session's `logging/setLevel` (fresh per session: [`Self::for_session`]).
    pub(super) log_level: SessionLogLevel,
}

impl McpServer {
    /// The built-in catalogue with its own system sampler (reads platform facts; blocks briefly).
    pub fn new(identity: ServerIdentity) -> Self {
        Self::with_monitor(identity, Arc::new(SystemMonitor::new()))
    }

    pub fn with_monitor(identity: ServerIdentity, monitor: Arc<SystemMonitor>) -> Self {
        Self::with_catalog(identity, LiveCatalog::new(Catalog::builtin(monitor)))
    }

    /// Serves `catalog`; its replacements reach every session, and its list changes every
    /// listening client.
    pub fn with_catalog(identity: ServerIdentity, catalog: LiveCatalog) -> Self {
        Self {
            identity: Arc::new(identity),
            list_changes: catalog.list_changes().clone(),
            catalog,
            tasks: Tasks::default(),
            log_level: SessionLogLevel::default(),
        }
    }

    /// The handler for a new session (or stateless request): shared catalogue and fan-out, its
    /// own log level.
    pub(super) fn for_session(&self) -> Self {
        Self {
            log_level: SessionLogLevel::default(),
            ..self.clone()
        }
    }

    /// What this server offers right now and the scopes each item needs.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.current()
    }
}
