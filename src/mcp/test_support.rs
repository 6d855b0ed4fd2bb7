//! Fixtures shared by the MCP unit tests: one server per test over one shared system sampler.

use std::sync::{Arc, LazyLock};

use super::caller::Caller;
use super::server::{McpServer, ServerIdentity};
use super::system::SystemMonitor;

static MONITOR: LazyLock<Arc<SystemMonitor>> = LazyLock::new(|| Arc::new(SystemMonitor::new()));

pub(super) fn monitor() -> Arc<SystemMonitor> {
    Arc::clone(&MONITOR)
}

pub(super) fn server() -> McpServer {
    let identity = ServerIdentity {
        name: "mcp-oauth-test".to_owned(),
        version: "0.0.0-test".to_owned(),
        instructions: None,
    };
    McpServer::with_monitor(identity, monitor())
}

pub(super) fn caller_with(scopes: &[&str]) -> Caller {
    Caller {
        subject: "alice".to_owned(),
        client_id: "test-client".to_owned(),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
    }
}
