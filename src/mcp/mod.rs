//! The MCP layer: tools, resources and prompts behind OAuth scopes, served over Streamable HTTP
//! and to the REST endpoints. No axum types here; the HTTP layer mounts what this module builds.

mod access;
pub mod builtin;
pub mod calculator;
pub mod caller;
pub mod catalog;
pub mod dispatch;
mod error;
mod handler;
mod notify;
mod prompts;
pub mod readings;
mod resources;
pub mod server;
mod session_owners;
pub mod system;
mod tasks;
#[cfg(test)]
mod test_support;
mod tools;
mod transport;

pub use caller::Caller;
pub use catalog::{
    BoxFuture, Catalog, CatalogBuilder, CatalogError, Kind, LiveCatalog, PromptGet, PromptHandler,
    ResourceHandler, ResourceRead, ResourceTemplateHandler, ScopeInfo, ToolCall, ToolHandler,
};
pub use dispatch::DispatchSpan;
pub use error::{CallError, InternalError};
pub use notify::{ListChanges, SessionLogLevel, forward_log, log_message};
pub use server::{McpServer, ServerIdentity};
pub use session_owners::SessionOwners;
pub use system::SystemMonitor;
pub use tasks::Tasks;
pub use transport::{McpHttpService, McpHttpSettings, streamable_http_service};
