//! The MCP server: one `Clone` type that rmcp drives over Streamable HTTP (see `handler.rs`) and
//! the REST endpoints call directly. Every scope check for tools, resources and prompts is here.

use std::sync::Arc;

use rmcp::ErrorData;
use rmcp::model::{
    CallToolResult, ErrorCode, GetPromptResult, JsonObject, Prompt, ReadResourceResult, Resource,
    Tool,
};
use serde_json::{Value, json};

use super::caller::Caller;
use super::catalog::{self, Entry, Kind};
use super::system::SystemMonitor;

/// What the server tells clients about itself in `initialize`.
#[derive(Debug, Clone)]
pub struct ServerIdentity {
    pub name: String,
    pub version: String,
    pub instructions: Option<String>,
}

/// JSON-RPC code for a request the token's scopes do not cover. MCP defines none (the HTTP layer
/// normally answers 403 first); -32003 sits in JSON-RPC's implementation-defined range and clear
/// of codes the MCP SDKs already use (-32000, -32001, -32002, -32042).
pub const INSUFFICIENT_SCOPE: ErrorCode = ErrorCode(-32003);

/// Why a tool call, resource read or prompt request was refused.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("unknown tool: {0}")]
    UnknownTool(String),
    #[error("unknown resource: {0}")]
    UnknownResource(String),
    #[error("unknown prompt: {0}")]
    UnknownPrompt(String),
    #[error("invalid arguments: {0}")]
    InvalidArguments(String),
    #[error("insufficient scope: needs {}", .0.join(" "))]
    InsufficientScope(Vec<&'static str>),
    /// A server-side failure; the text is for logs, not for clients.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The JSON-RPC error for a refusal; internal details stay out of it (log them first).
impl From<CallError> for ErrorData {
    fn from(error: CallError) -> Self {
        match error {
            CallError::UnknownTool(name) => {
                ErrorData::invalid_params(format!("Unknown tool: {name}"), None)
            }
            CallError::UnknownResource(uri) => {
                ErrorData::resource_not_found("Resource not found", Some(json!({ "uri": uri })))
            }
            CallError::UnknownPrompt(name) => {
                ErrorData::invalid_params(format!("Unknown prompt: {name}"), None)
            }
            CallError::InvalidArguments(message) => ErrorData::invalid_params(message, None),
            CallError::InsufficientScope(missing) => ErrorData::new(
                INSUFFICIENT_SCOPE,
                format!(
                    "Insufficient scope: this request needs {}",
                    missing.join(" ")
                ),
                Some(json!({ "error": "insufficient_scope", "scope": missing.join(" ") })),
            ),
            CallError::Internal(_) => ErrorData::internal_error("Internal error", None),
        }
    }
}

/// The MCP server. Cheap to clone: rmcp makes one per session (or per request when stateless),
/// and all clones share the system sampler and the tool definitions.
#[derive(Clone)]
pub struct McpServer {
    pub(super) identity: Arc<ServerIdentity>,
    pub(super) monitor: Arc<SystemMonitor>,
    tools: Arc<[Tool]>,
}

impl McpServer {
    /// Builds the server with its own system sampler (reads platform facts; blocks briefly).
    pub fn new(identity: ServerIdentity) -> Self {
        Self::with_monitor(identity, Arc::new(SystemMonitor::new()))
    }

    pub fn with_monitor(identity: ServerIdentity, monitor: Arc<SystemMonitor>) -> Self {
        Self {
            identity: Arc::new(identity),
            monitor,
            tools: Self::tool_definitions().into(),
        }
    }

    /// A tool's definition by name, whatever the caller; rmcp uses it to check request headers.
    pub(super) fn tool(&self, name: &str) -> Option<Tool> {
        self.tools.iter().find(|t| t.name == name).cloned()
    }

    /// The tools `caller` may use; errors if it lacks `mcp:tools` altogether.
    pub fn list_tools_for(&self, caller: &Caller) -> Result<Vec<Tool>, CallError> {
        authorize(caller, &[Kind::Tool.base_scope()])?;
        Ok(self
            .tools
            .iter()
            .filter(|tool| visible(caller, Kind::Tool, &tool.name))
            .cloned()
            .collect())
    }

    /// Runs a tool for `caller`. `arguments` must be a JSON object (or null for none). A tool that
    /// runs but fails (bad expression, division by zero) is `Ok` with `is_error: Some(true)`.
    pub async fn call_tool_for(
        &self,
        caller: &Caller,
        name: &str,
        arguments: Value,
    ) -> Result<CallToolResult, CallError> {
        authorized_entry(caller, Kind::Tool, name)?;
        let arguments = match arguments {
            Value::Object(map) => map,
            Value::Null => JsonObject::new(),
            _ => {
                let message = "tool arguments must be a JSON object".to_owned();
                return Err(CallError::InvalidArguments(message));
            }
        };
        self.run_tool(name, arguments).await
    }

    pub fn list_resources_for(&self, caller: &Caller) -> Result<Vec<Resource>, CallError> {
        authorize(caller, &[Kind::Resource.base_scope()])?;
        Ok(catalog::entries_of(Kind::Resource)
            .filter(|e| caller.has_all(e.scopes))
            .map(resource_definition)
            .collect())
    }

    /// Reads a resource by URI (`system://metrics`).
    pub async fn read_resource_for(
        &self,
        caller: &Caller,
        uri: &str,
    ) -> Result<ReadResourceResult, CallError> {
        let entry = authorized_entry(caller, Kind::Resource, uri)?;
        self.read_resource_contents(entry).await
    }

    /// Reads a resource by short name (`metrics`), as `GET /mcp/protected/resources/{name}` has
    /// it.
    pub async fn read_resource_named_for(
        &self,
        caller: &Caller,
        short_name: &str,
    ) -> Result<ReadResourceResult, CallError> {
        authorize(caller, &[Kind::Resource.base_scope()])?;
        match catalog::resource_by_short_name(short_name) {
            Some(entry) => self.read_resource_for(caller, entry.name).await,
            None => Err(CallError::UnknownResource(short_name.to_owned())),
        }
    }

    pub fn list_prompts_for(&self, caller: &Caller) -> Result<Vec<Prompt>, CallError> {
        authorize(caller, &[Kind::Prompt.base_scope()])?;
        Ok(catalog::entries_of(Kind::Prompt)
            .filter(|e| caller.has_all(e.scopes))
            .map(prompt_definition)
            .collect())
    }

    pub async fn get_prompt_for(
        &self,
        caller: &Caller,
        name: &str,
        arguments: Option<JsonObject>,
    ) -> Result<GetPromptResult, CallError> {
        let entry = authorized_entry(caller, Kind::Prompt, name)?;
        self.render_prompt(entry, arguments.unwrap_or_default())
            .await
    }
}

impl McpServer {
    /// Suggestions for a prompt argument (`completion/complete`), behind the prompt's scopes.
    pub fn complete_prompt_argument_for(
        &self,
        caller: &Caller,
        prompt: &str,
        argument: &str,
        prefix: &str,
    ) -> Result<Vec<String>, CallError> {
        let entry = authorized_entry(caller, Kind::Prompt, prompt)?;
        Ok(super::prompts::complete_argument(
            entry.name, argument, prefix,
        ))
    }
}

/// Checks `caller` against the declared scopes; the single gate every method above goes through.
fn authorize(caller: &Caller, required: &[&'static str]) -> Result<(), CallError> {
    let missing = caller.missing(required);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(CallError::InsufficientScope(missing))
    }
}

/// The base scope is checked before the lookup, as `catalog::required_scopes` does, so a token
/// without `mcp:tools` learns nothing about which tools exist.
fn authorized_entry(caller: &Caller, kind: Kind, name: &str) -> Result<&'static Entry, CallError> {
    authorize(caller, &[kind.base_scope()])?;
    let entry = catalog::entry(kind, name).ok_or_else(|| match kind {
        Kind::Tool => CallError::UnknownTool(name.to_owned()),
        Kind::Resource => CallError::UnknownResource(name.to_owned()),
        Kind::Prompt => CallError::UnknownPrompt(name.to_owned()),
    })?;
    authorize(caller, entry.scopes)?;
    Ok(entry)
}

/// Undeclared items are never visible: forgetting a catalog entry hides a tool, it cannot leak it.
fn visible(caller: &Caller, kind: Kind, name: &str) -> bool {
    catalog::entry(kind, name).is_some_and(|e| caller.has_all(e.scopes))
}

fn resource_definition(entry: &Entry) -> Resource {
    let resource = Resource::new(entry.name, entry.short_name())
        .with_title(entry.title)
        .with_mime_type("application/json");
    match super::resources::description(entry.name) {
        Some(text) => resource.with_description(text),
        None => resource,
    }
}

fn prompt_definition(entry: &Entry) -> Prompt {
    super::prompts::definition(entry).with_title(entry.title)
}
