//! Listing and calling tools for a caller: the scope checks, argument shape and outcome rules
//! both the JSON-RPC handler and the REST endpoint use, over whatever the catalogue declares.

use rmcp::model::{CallToolResponse, CallToolResult, InputResponses, JsonObject, Tool};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};
use serde_json::Value;

use super::access::{authorize, authorized_entry};
use super::caller::Caller;
use super::catalog::{Item, Kind, ToolCall};
use super::error::CallError;
use super::server::McpServer;

/// A tools/call as the JSON-RPC handler received it.
pub(super) struct ToolRequest {
    pub name: String,
    pub arguments: Value,
    pub input_responses: Option<InputResponses>,
    pub request_state: Option<String>,
    pub context: Option<RequestContext<RoleServer>>,
}

impl McpServer {
    /// A tool's definition by name, whatever the caller; rmcp uses it to check request headers.
    pub(super) fn tool(&self, name: &str) -> Option<Tool> {
        self.catalog().tool_definition(name).cloned()
    }

    /// The tools `caller` may use; errors if it lacks `mcp:tools` altogether.
    // https://modelcontextprotocol.io/specification/2025-11-25/server/tools#listing-tools
    pub fn list_tools_for(&self, caller: &Caller) -> Result<Vec<Tool>, CallError> {
        authorize(caller, &[Kind::Tool.base_scope()])?;
        Ok(self
            .catalog()
            .entries_of(Kind::Tool)
            .filter(|e| caller.has_all(&e.scopes))
            .filter_map(|e| match &e.item {
                Item::Tool(definition, _) => Some(definition.clone()),
                _ => None,
            })
            .collect())
    }

    /// Runs a tool for `caller` outside an MCP session (the REST endpoint). `arguments` must be
    /// a JSON object (or null for none). A tool that runs but fails (bad expression, division
    /// by zero) is `Ok` with `is_error: Some(true)`; a tool that needs input from an MCP client
    /// is refused.
    // https://modelcontextprotocol.io/specification/2025-11-25/server/tools#calling-tools
    pub async fn call_tool_for(
        &self,
        caller: &Caller,
        name: &str,
        arguments: Value,
    ) -> Result<CallToolResult, CallError> {
        let request = ToolRequest {
            name: name.to_owned(),
            arguments,
            input_responses: None,
            request_state: None,
            context: None,
        };
        match self.run_tool(caller, request).await? {
            CallToolResponse::Complete(result) => Ok(result),
            _ => Err(CallError::Protocol(ErrorData::invalid_request(
                format!("tool {name} needs an MCP client; call it over /mcp"),
                None,
            ))),
        }
    }

    /// Checks scopes and argument shape, then hands the call to the tool's handler.
    pub(super) async fn run_tool(
        &self,
        caller: &Caller,
        request: ToolRequest,
    ) -> Result<CallToolResponse, CallError> {
        let catalog = self.catalog();
        let entry = authorized_entry(&catalog, caller, Kind::Tool, &request.name)?;
        let Item::Tool(_, handler) = &entry.item else {
            return Err(CallError::UnknownTool(request.name));
        };
        let arguments = match request.arguments {
            Value::Object(map) => map,
            Value::Null => JsonObject::new(),
            _ => {
                let message = "tool arguments must be a JSON object".to_owned();
                return Err(CallError::InvalidArguments(message));
            }
        };
        let call = ToolCall {
            caller: caller.clone(),
            arguments,
            input_responses: request.input_responses,
            request_state: request.request_state,
            context: request.context,
        };
        handler.call(call).await
    }
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
    fn structured_tools_publish_an_output_schema() {
        let caller = caller_with(&["mcp:tools", "system:read"]);
        let tools = server().list_tools_for(&caller).expect("may list");
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
