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
        use tracing::field::Empty;
        let span = tracing::info_span!(
            "mcp.dispatch",
            otel.name = Empty,
            mcp.method.name = Empty,
            gen_ai.tool.name = Empty,
            gen_ai.prompt.name = Empty,
            mcp.resource.uri = Empty,
            jsonrpc.request.id = Empty,
        );
        // The attributes cost allocations; compute them only for a span someone will see.
        if !span.is_disabled() {
            record(&span, message);
        }
        Self(span)
    }
}

fn record(span: &tracing::Span, message: &Value) {
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
    span.record("otel.name", name.as_str());
    span.record("mcp.method.name", method.as_str());
    if let Some(tool) = tool {
        span.record("gen_ai.tool.name", tool.as_str());
    }
    if let Some(prompt) = prompt {
        span.record("gen_ai.prompt.name", prompt.as_str());
    }
    if let Some(resource) = resource {
        span.record("mcp.resource.uri", resource.as_str());
    }
    if let Some(id) = id {
        span.record("jsonrpc.request.id", id.as_str());
    }
}
