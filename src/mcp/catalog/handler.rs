//! What a tool, resource or prompt implements to join the [`Catalog`](super::Catalog), and what
//! it is handed when called. Handlers see the verified caller and, over `/mcp`, the live rmcp
//! request (progress, logging, sampling, elicitation, cancellation); the REST endpoints call the
//! same handlers without one.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use rmcp::RoleServer;
use rmcp::model::{
    CallToolResponse, GetPromptResponse, InputResponses, JsonObject, Prompt, ReadResourceResponse,
    Resource, ResourceTemplate, Tool,
};
use rmcp::service::RequestContext;

use crate::mcp::caller::Caller;
use crate::mcp::error::CallError;

/// A boxed, sendable future: what the handler traits return, so they stay object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One `tools/call`, after the caller's scopes were checked.
#[derive(Debug, Clone)]
pub struct ToolCall {
    pub caller: Caller,
    /// The arguments object (`{}` when the request had none).
    pub arguments: JsonObject,
    /// Answers to an earlier input-required result (MCP 2026-07-28, SEP-2322).
    pub input_responses: Option<InputResponses>,
    /// The `requestState` an earlier input-required result handed out, echoed by the client.
    /// Untrusted: seal anything meaningful in it.
    pub request_state: Option<String>,
    /// The live MCP request: `peer` (progress and log notifications, sampling and elicitation
    /// requests where the revision allows them), `meta` (progress token), `ct` (cancellation).
    /// `None` when a REST endpoint runs the tool.
    pub context: Option<RequestContext<RoleServer>>,
}

/// A tool. `definition` is read once, when the catalogue is built.
pub trait ToolHandler: Send + Sync + 'static {
    fn definition(&self) -> Tool;
    /// Runs the tool. A failure the model should see is `Ok` with `is_error: true`;
    /// [`CallError::InvalidArguments`] becomes such a result too.
    fn call(&self, call: ToolCall) -> BoxFuture<'_, Result<CallToolResponse, CallError>>;
}

/// One `resources/read`, after the caller's scopes were checked.
#[derive(Debug, Clone)]
pub struct ResourceRead {
    pub caller: Caller,
    pub uri: String,
    pub input_responses: Option<InputResponses>,
    pub request_state: Option<String>,
    pub context: Option<RequestContext<RoleServer>>,
}

/// A resource with a fixed URI.
pub trait ResourceHandler: Send + Sync + 'static {
    fn definition(&self) -> Resource;
    fn read(&self, read: ResourceRead) -> BoxFuture<'_, Result<ReadResourceResponse, CallError>>;
}

/// Resources named by a URI template (RFC 6570 level 1: `{name}` stands for one path segment).
pub trait ResourceTemplateHandler: Send + Sync + 'static {
    fn definition(&self) -> ResourceTemplate;
    /// `variables` holds the value of each `{name}` in the template.
    fn read(
        &self,
        read: ResourceRead,
        variables: BTreeMap<String, String>,
    ) -> BoxFuture<'_, Result<ReadResourceResponse, CallError>>;
    /// Suggestions for a template variable (`completion/complete`).
    fn complete(&self, _argument: &str, _prefix: &str) -> Vec<String> {
        Vec::new()
    }
}

/// One `prompts/get`, after the caller's scopes were checked.
#[derive(Debug, Clone)]
pub struct PromptGet {
    pub caller: Caller,
    pub name: String,
    pub arguments: JsonObject,
    pub input_responses: Option<InputResponses>,
    pub request_state: Option<String>,
    pub context: Option<RequestContext<RoleServer>>,
}

/// A prompt template.
pub trait PromptHandler: Send + Sync + 'static {
    fn definition(&self) -> Prompt;
    fn get(&self, get: PromptGet) -> BoxFuture<'_, Result<GetPromptResponse, CallError>>;
    /// Suggestions for an argument (`completion/complete`).
    fn complete(&self, _argument: &str, _prefix: &str) -> Vec<String> {
        Vec::new()
    }
}
