//! The MCP tools. `#[tool]` methods hold the logic and the schema text, and the generated router
//! supplies the definitions; `run_tool` is the one dispatch that both the JSON-RPC handler and
//! the REST endpoint use, because rmcp's router can only be called with a live session's
//! `RequestContext` (its `Peer` has no public constructor). Listing and scope checks for tools
//! are here too.

use std::sync::LazyLock;

use rmcp::handler::server::tool::IntoCallToolResult;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock, IntoContents, JsonObject, Tool};
use rmcp::{Json, tool, tool_router};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::access::{authorize, authorized_entry, visible};
use super::calculator::{self, CalcError, MAX_EXPRESSION_CHARS};
use super::caller::Caller;
use super::catalog::{self, Kind};
use super::error::CallError;
use super::server::McpServer;

/// The `#[tool]` definitions, built once: they are the same for every server and session.
static DEFINITIONS: LazyLock<Vec<Tool>> = LazyLock::new(McpServer::tool_definitions);

/// Why a tool ran but gave no result. The text goes back to the model as a tool error
/// (`isError: true`) so it can correct itself; it is not a protocol error.
#[derive(Debug, thiserror::Error)]
pub enum ToolFailure {
    #[error("Cannot evaluate the expression: {0}")]
    Calculation(#[from] CalcError),
    #[error("Cannot evaluate the expression: the result is not finite")]
    NotFinite,
    #[error("System readings are unavailable right now")]
    ReadingsUnavailable,
}

impl IntoContents for ToolFailure {
    fn into_contents(self) -> Vec<ContentBlock> {
        vec![ContentBlock::text(self.to_string())]
    }
}

/// Arguments of `echo`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct EchoArgs {
    /// The text to send back unchanged.
    pub message: String,
}

/// Arguments of `calculator`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct CalculatorArgs {
    /// An arithmetic expression, e.g. `2 * (3 + 4) ^ 2 / sqrt(16)`. Operators: + - * / % ^ and
    /// parentheses; functions: sqrt abs ln log10 log2 exp sin cos tan asin acos atan floor ceil
    /// round pow(x, y) min(...) max(...); constants: pi, e.
    #[schemars(length(min = 1, max = MAX_EXPRESSION_CHARS))]
    pub expression: String,
}

/// Result of `calculator`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CalculatorOutput {
    /// The expression that was evaluated.
    pub expression: String,
    /// The result as a number.
    pub value: f64,
    /// The result for people: rounded to 15 significant digits.
    pub formatted: String,
}

/// Result of `system_info`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SystemInfo {
    /// Operating system, e.g. "Linux (Debian GNU/Linux 13)".
    pub os: Option<String>,
    pub kernel: Option<String>,
    /// CPU architecture, e.g. "x86_64".
    pub architecture: String,
    pub hostname: Option<String>,
    pub cpu_model: Option<String>,
    /// Logical CPUs.
    pub cpu_count: usize,
    pub physical_cores: Option<usize>,
    pub memory: MemorySummary,
    pub uptime_seconds: Option<u64>,
    /// Version of this MCP server.
    pub service_version: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct MemorySummary {
    pub total_bytes: u64,
    pub used_bytes: u64,
    pub available_bytes: u64,
}

#[tool_router(router = tool_router, vis = "pub(super)")]
impl McpServer {
    /// Returns the message unchanged; handy to check that the connection and authorization work.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    fn echo(&self, Parameters(args): Parameters<EchoArgs>) -> String {
        args.message
    }

    /// Evaluates an arithmetic expression exactly as written and returns its value. Invalid
    /// expressions, division by zero and results that are not finite real numbers are reported
    /// as tool errors with the reason.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    fn calculator(
        &self,
        Parameters(args): Parameters<CalculatorArgs>,
    ) -> Result<Json<CalculatorOutput>, ToolFailure> {
        let value = calculator::evaluate(&args.expression)?;
        // JSON has no NaN or infinity; the calculator promises finite results, this keeps it so.
        if !value.is_finite() {
            return Err(ToolFailure::NotFinite);
        }
        Ok(Json(CalculatorOutput {
            formatted: calculator::format_number(value),
            value,
            expression: args.expression,
        }))
    }

    /// Describes the host this server runs on: operating system, kernel, architecture,
    /// hostname, CPU model and count, memory, uptime, and this service's version.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        open_world_hint = false
    ))]
    async fn system_info(&self) -> Result<Json<SystemInfo>, ToolFailure> {
        let metrics = self.monitor.metrics().await.map_err(|e| {
            tracing::error!(error = %e, "system_info sampling failed");
            ToolFailure::ReadingsUnavailable
        })?;
        let platform = self.monitor.platform();
        Ok(Json(SystemInfo {
            os: platform.long_os_version.clone(),
            kernel: platform.kernel_version.clone(),
            architecture: platform.architecture.clone(),
            hostname: platform.hostname.clone(),
            cpu_model: platform.cpu_model.clone(),
            cpu_count: platform.logical_cpus,
            physical_cores: platform.physical_cores,
            memory: MemorySummary {
                total_bytes: metrics.memory.total_bytes,
                used_bytes: metrics.memory.used_bytes,
                available_bytes: metrics.memory.available_bytes,
            },
            uptime_seconds: metrics.uptime_seconds,
            service_version: self.identity.version.clone(),
        }))
    }
}

impl McpServer {
    /// A tool's definition by name, whatever the caller; rmcp uses it to check request headers.
    pub(super) fn tool(&self, name: &str) -> Option<Tool> {
        DEFINITIONS.iter().find(|t| t.name == name).cloned()
    }

    /// The tools `caller` may use; errors if it lacks `mcp:tools` altogether.
    // https://modelcontextprotocol.io/specification/2025-11-25/server/tools#listing-tools
    pub fn list_tools_for(&self, caller: &Caller) -> Result<Vec<Tool>, CallError> {
        authorize(caller, &[Kind::Tool.base_scope()])?;
        Ok(DEFINITIONS
            .iter()
            .filter(|tool| visible(caller, Kind::Tool, &tool.name))
            .cloned()
            .collect())
    }

    /// Runs a tool for `caller`. `arguments` must be a JSON object (or null for none). A tool that
    /// runs but fails (bad expression, division by zero) is `Ok` with `is_error: Some(true)`.
    // https://modelcontextprotocol.io/specification/2025-11-25/server/tools#calling-tools
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

    /// The `#[tool]` definitions, titled from the catalog so titles are declared once.
    pub(super) fn tool_definitions() -> Vec<Tool> {
        Self::tool_router()
            .list_all()
            .into_iter()
            .map(|mut tool| {
                tool.title = catalog::entry(Kind::Tool, &tool.name).map(|e| e.title.to_owned());
                tool
            })
            .collect()
    }

    /// Runs a tool by name; the caller's scopes have already been checked.
    pub(super) async fn run_tool(
        &self,
        name: &str,
        arguments: JsonObject,
    ) -> Result<CallToolResult, CallError> {
        let response = match name {
            "echo" => self.echo(parse(arguments)?).into_call_tool_result(),
            "calculator" => self.calculator(parse(arguments)?).into_call_tool_result(),
            "system_info" => self.system_info().await.into_call_tool_result(),
            other => return Err(CallError::UnknownTool(other.to_owned())),
        };
        match response {
            Ok(CallToolResponse::Complete(result)) => Ok(result),
            Ok(_) => Err(CallError::internal(anyhow::anyhow!(
                "tool {name} gave no final result"
            ))),
            Err(error) => Err(CallError::internal(anyhow::anyhow!(
                error.message.into_owned()
            ))),
        }
    }
}

fn parse<T: DeserializeOwned>(arguments: JsonObject) -> Result<Parameters<T>, CallError> {
    serde_json::from_value(Value::Object(arguments))
        .map(Parameters)
        .map_err(|e| CallError::InvalidArguments(e.to_string()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::test_support::{caller_with, server};
    use super::*;

    fn text_of(result: &CallToolResult) -> String {
        let texts = result.content.iter().filter_map(|c| c.as_text());
        texts.map(|t| t.text.as_str()).collect()
    }

    #[test]
    fn every_declared_tool_has_a_definition_and_every_definition_is_declared() {
        let defined: Vec<String> = McpServer::tool_definitions()
            .iter()
            .map(|t| t.name.to_string())
            .collect();
        let declared: Vec<String> = catalog::entries_of(Kind::Tool)
            .map(|e| e.name.to_owned())
            .collect();
        let mut sorted_declared = declared;
        sorted_declared.sort();
        assert_eq!(defined, sorted_declared);
    }

    #[test]
    fn structured_tools_publish_an_output_schema() {
        let tools = McpServer::tool_definitions();
        let schema_of = |name: &str| tools.iter().find(|t| t.name == name)?.output_schema.clone();
        assert!(schema_of("calculator").is_some());
        assert!(schema_of("system_info").is_some());
        assert!(schema_of("echo").is_none());
        assert!(
            tools
                .iter()
                .all(|t| t.title.is_some() && t.annotations.is_some())
        );
    }

    #[tokio::test]
    async fn echo_returns_the_message() {
        let caller = caller_with(&["mcp:tools"]);
        let result = server()
            .call_tool_for(&caller, "echo", json!({"message": "hello"}))
            .await
            .expect("echo runs");
        assert_eq!(text_of(&result), "hello");
        assert_eq!(result.is_error, Some(false));
    }

    #[tokio::test]
    async fn calculator_returns_structured_content() {
        let caller = caller_with(&["mcp:tools"]);
        let result = server()
            .call_tool_for(&caller, "calculator", json!({"expression": "2 * (3 + 4)"}))
            .await
            .expect("calculator runs");
        let structured = result.structured_content.expect("structured");
        assert_eq!(structured["value"], json!(14.0));
        assert_eq!(structured["formatted"], json!("14"));
    }

    #[tokio::test]
    async fn calculator_failures_are_tool_errors_not_protocol_errors() {
        let caller = caller_with(&["mcp:tools"]);
        for expression in ["1 / 0", "sqrt(-1)", "frobnicate(2)", "2 +"] {
            let result = server()
                .call_tool_for(&caller, "calculator", json!({ "expression": expression }))
                .await
                .expect("a failed calculation is still a tool result");
            assert_eq!(result.is_error, Some(true), "{expression}");
            assert!(
                text_of(&result).starts_with("Cannot evaluate"),
                "{expression}"
            );
        }
    }

    #[tokio::test]
    async fn bad_arguments_are_reported_as_such() {
        let caller = caller_with(&["mcp:tools"]);
        let missing = server().call_tool_for(&caller, "echo", json!({})).await;
        assert!(matches!(missing, Err(CallError::InvalidArguments(m)) if m.contains("message")));
        let not_object = server().call_tool_for(&caller, "echo", json!("hi")).await;
        assert!(matches!(not_object, Err(CallError::InvalidArguments(_))));
    }

    #[tokio::test]
    async fn unknown_tools_are_reported_as_unknown() {
        let caller = caller_with(&["mcp:tools"]);
        let result = server().call_tool_for(&caller, "rm_rf", json!({})).await;
        assert!(matches!(result, Err(CallError::UnknownTool(name)) if name == "rm_rf"));
    }

    #[tokio::test]
    async fn system_info_needs_system_read_as_well_as_mcp_tools() {
        let tools_only = caller_with(&["mcp:tools"]);
        let listed = server().list_tools_for(&tools_only).expect("may list");
        assert!(listed.iter().all(|t| t.name != "system_info"));
        assert_eq!(listed.len(), 2);
        let refused = server()
            .call_tool_for(&tools_only, "system_info", json!({}))
            .await;
        assert!(
            matches!(refused, Err(CallError::InsufficientScope(m)) if m == vec!["system:read"])
        );

        let both = caller_with(&["mcp:tools", "system:read"]);
        assert_eq!(server().list_tools_for(&both).expect("may list").len(), 3);
        let result = server()
            .call_tool_for(&both, "system_info", Value::Null)
            .await
            .expect("system_info runs");
        let structured = result.structured_content.expect("structured");
        assert!(structured["cpu_count"].as_u64().is_some_and(|n| n > 0));
    }

    #[tokio::test]
    async fn system_read_alone_opens_no_tools() {
        let caller = caller_with(&["system:read"]);
        let listed = server().list_tools_for(&caller);
        assert!(matches!(listed, Err(CallError::InsufficientScope(m)) if m == vec!["mcp:tools"]));
        let called = server()
            .call_tool_for(&caller, "echo", json!({"message": "x"}))
            .await;
        assert!(matches!(called, Err(CallError::InsufficientScope(_))));
    }
}
