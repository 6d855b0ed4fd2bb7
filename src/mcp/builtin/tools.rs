//! The built-in tools: `echo`, `calculator` and `system_info`, each a [`ToolHandler`] whose
//! schema is derived from its argument and output types.

use std::sync::Arc;

use rmcp::handler::server::tool::{schema_for_output, schema_for_type};
use rmcp::model::{
    CallToolResponse, CallToolResult, ContentBlock, IntoContents, JsonObject, Tool, ToolAnnotations,
};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::mcp::calculator::{self, CalcError, MAX_EXPRESSION_CHARS};
use crate::mcp::catalog::{BoxFuture, ToolCall, ToolHandler};
use crate::mcp::error::CallError;
use crate::mcp::system::SystemMonitor;

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

/// Read-only, no side effects, nothing outside this host.
fn read_only(idempotent: bool) -> ToolAnnotations {
    let annotations = ToolAnnotations::new()
        .read_only(true)
        .destructive(false)
        .open_world(false);
    if idempotent {
        annotations.idempotent(true)
    } else {
        annotations
    }
}

/// `echo`.
pub(super) struct Echo;

impl ToolHandler for Echo {
    fn definition(&self) -> Tool {
        Tool::new(
            "echo",
            "Returns the message unchanged; handy to check that the connection and \
             authorization work.",
            schema_for_type::<EchoArgs>(),
        )
        .with_title("Echo")
        .with_annotations(read_only(true))
    }

    fn call(&self, call: ToolCall) -> BoxFuture<'_, Result<CallToolResponse, CallError>> {
        Box::pin(async move {
            let args: EchoArgs = parse(call.arguments)?;
            Ok(CallToolResult::success(vec![ContentBlock::text(args.message)]).into())
        })
    }
}

/// `calculator`.
pub(super) struct Calculator;

impl ToolHandler for Calculator {
    fn definition(&self) -> Tool {
        Tool::new(
            "calculator",
            "Evaluates an arithmetic expression exactly as written and returns its value. \
             Invalid expressions, division by zero and results that are not finite real \
             numbers are reported as tool errors with the reason.",
            schema_for_type::<CalculatorArgs>(),
        )
        .with_title("Calculator")
        .with_raw_output_schema(schema_for_output::<CalculatorOutput>())
        .with_annotations(read_only(true))
    }

    fn call(&self, call: ToolCall) -> BoxFuture<'_, Result<CallToolResponse, CallError>> {
        Box::pin(async move {
            let args: CalculatorArgs = parse(call.arguments)?;
            let outcome = calculator::evaluate(&args.expression)
                .map_err(ToolFailure::from)
                // JSON has no NaN or infinity; the calculator promises finite results.
                .and_then(|value| {
                    value.is_finite().then_some(value).ok_or(ToolFailure::NotFinite)
                });
            Ok(match outcome {
                Ok(value) => structured(&CalculatorOutput {
                    formatted: calculator::format_number(value),
                    value,
                    expression: args.expression,
                })?,
                Err(failure) => CallToolResult::error(failure.into_contents()).into(),
            })
        })
    }
}

/// `system_info`.
pub(super) struct SystemInfoTool(pub(super) Arc<SystemMonitor>);

impl ToolHandler for SystemInfoTool {
    fn definition(&self) -> Tool {
        Tool::new(
            "system_info",
            "Describes the host this server runs on: operating system, kernel, architecture, \
             hostname, CPU model and count, memory, uptime, and this service's version.",
            Arc::new(JsonObject::from_iter([
                ("type".to_owned(), Value::from("object")),
                ("properties".to_owned(), Value::Object(JsonObject::new())),
            ])),
        )
        .with_title("System information")
        .with_raw_output_schema(schema_for_output::<SystemInfo>())
        .with_annotations(read_only(false))
    }

    fn call(&self, _call: ToolCall) -> BoxFuture<'_, Result<CallToolResponse, CallError>> {
        Box::pin(async move {
            let metrics = match self.0.metrics().await {
                Ok(metrics) => metrics,
                Err(e) => {
                    tracing::error!(error = %e, "system_info sampling failed");
                    let failure = ToolFailure::ReadingsUnavailable;
                    return Ok(CallToolResult::error(failure.into_contents()).into());
                }
            };
            let platform = self.0.platform();
            structured(&SystemInfo {
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
                service_version: env!("CARGO_PKG_VERSION").to_owned(),
            })
        })
    }
}

/// A structured result: the JSON as `structuredContent` and, for older clients, as text.
fn structured(value: &impl Serialize) -> Result<CallToolResponse, CallError> {
    let json = serde_json::to_value(value).map_err(CallError::internal)?;
    Ok(CallToolResult::structured(json).into())
}

fn parse<T: DeserializeOwned>(arguments: JsonObject) -> Result<T, CallError> {
    serde_json::from_value(Value::Object(arguments))
        .map_err(|e| CallError::InvalidArguments(e.to_string()))
}
