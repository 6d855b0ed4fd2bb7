//! The span an MCP call runs in, named and attributed after the OpenTelemetry MCP conventions.
//! rmcp runs handlers in tasks of its own, which do not inherit the HTTP request's span, so the
//! span travels in the request's extensions and the handler enters it explicitly.

use serde_json::Value;

/// Longest method, tool, prompt or resource name recorded: callers choose these strings.
const MAX_NAME: usize = 128;

#[derive(Debug, Clone)]
pub struct DispatchSpan(pub tracing::Span);

impl DispatchSpan {
    /// A span for one JSON-RPC message (`tools/call echo`, `resources/read <uri>` …), created as
    /// a child of the current (request) span.
    pub fn for_message(message: &Value) -> Self {
        let text = |v: Option<&Value>| -> Option<String> {
            v.and_then(Value::as_str)
                .map(|s| s.chars().take(MAX_NAME).collect())
        };
        let method = text(message.get("method")).unwrap_or_default();
        let params = message.get("params");
        let field = |name| text(params.and_then(|p| p.get(name)));
        let (tool, prompt, resource) = match method.as_str() {
            "tools/call" => (field("name"), None, None),
            "prompts/get" => (None, field("name"), None),
            "resources/read" | "resources/subscribe" => (None, None, field("uri")),
            _ => (None, None, None),
        };
        let target = tool.as_ref().or(prompt.as_ref()).or(resource.as_ref());
        let name = match target {
            Some(target) => format!("{method} {target}"),
            None => method.clone(),
        };
        let id = message.get("id").map(|id| match id {
            Value::String(s) => s.chars().take(MAX_NAME).collect(),
            other => other.to_string(),
        });
        Self(tracing::info_span!(
            "mcp.dispatch",
            otel.name = name,
            mcp.method.name = method,
            gen_ai.tool.name = tool,
            gen_ai.prompt.name = prompt,
            mcp.resource.uri = resource,
            jsonrpc.request.id = id,
        ))
    }
}
