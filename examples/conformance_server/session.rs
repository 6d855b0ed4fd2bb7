//! Tools that talk back to the client while they run: log and progress notifications, and
//! (2025-11-25 sessions only) sampling and elicitation requests sent mid-call.
// rmcp deprecates sampling and logging (SEP-2577); the 2025-11-25 scenarios still test them.
#![allow(deprecated)]

use std::time::Duration;

use mcp_oauth::mcp::{CatalogBuilder, ToolCall, log_message};
use rmcp::RoleServer;
use rmcp::model::{
    CreateMessageRequestParams, ElicitRequestParams, LoggingLevel, ProgressNotificationParam,
    SamplingMessage,
};
use rmcp::service::RequestContext;
use serde_json::{Value, json};

use crate::fixture::{no_arguments, one_string_argument, string_argument, text, tool};

const STEP: Duration = Duration::from_millis(50);

pub fn register(catalog: CatalogBuilder) -> CatalogBuilder {
    catalog
        .tool(
            tool(
                no_arguments(
                    "test_tool_with_logging",
                    "Tests tool that emits log messages during execution",
                ),
                |call| async move {
                    if let Some(context) = &call.context {
                        for (i, message) in [
                            "Tool execution started",
                            "Tool processing data",
                            "Tool execution completed",
                        ]
                        .into_iter()
                        .enumerate()
                        {
                            if i > 0 {
                                tokio::time::sleep(STEP).await;
                            }
                            log_message(context, LoggingLevel::Info, json!(message)).await;
                        }
                    }
                    text("Tool with logging executed successfully")
                },
            ),
            &[],
        )
        .tool(
            tool(
                no_arguments(
                    "test_tool_with_progress",
                    "Tests tool that reports progress notifications",
                ),
                |call| async move { report_progress(&call).await },
            ),
            &[],
        )
        .tool(
            tool(
                one_string_argument(
                    "test_sampling",
                    "Tests server-initiated sampling (LLM completion request)",
                    "prompt",
                    "The prompt to send to the LLM",
                ),
                |call| async move {
                    let prompt = string_argument(&call, "prompt")?;
                    match sample(call.context.as_ref(), prompt).await {
                        Ok(response) => text(format!("LLM response: {response}")),
                        Err(error) => text(format!("Sampling not supported or error: {error}")),
                    }
                },
            ),
            &[],
        )
        .tool(
            tool(
                one_string_argument(
                    "test_elicitation",
                    "Tests server-initiated elicitation (user input request)",
                    "message",
                    "The message to show the user",
                ),
                |call| async move {
                    let message = string_argument(&call, "message")?;
                    let schema = json!({
                        "type": "object",
                        "properties": {
                            "username": { "type": "string", "description": "User's response" },
                            "email": { "type": "string", "description": "User's email address" }
                        },
                        "required": ["username", "email"]
                    });
                    elicitation_text(&call, "User response", message, schema).await
                },
            ),
            &[],
        )
        .tool(
            tool(
                no_arguments(
                    "test_elicitation_sep1034_defaults",
                    "Tests elicitation with default values per SEP-1034",
                ),
                |call| async move {
                    let message = "Please review and update the form fields with defaults";
                    elicitation_text(&call, "Elicitation completed", message, defaults_schema())
                        .await
                },
            ),
            &[],
        )
        .tool(
            tool(
                no_arguments(
                    "test_elicitation_sep1330_enums",
                    "Tests elicitation with enum schema improvements per SEP-1330",
                ),
                |call| async move {
                    let message = "Please select options from the enum fields";
                    elicitation_text(&call, "Elicitation completed", message, enums_schema()).await
                },
            ),
            &[],
        )
}

/// 0, 50 and 100 of 100, 50 ms apart, when the request carries a progress token.
async fn report_progress(call: &ToolCall) -> crate::fixture::ToolResult {
    let context = call.context.as_ref();
    let token = context.and_then(|c| c.meta.get_progress_token());
    for (i, step) in [0u32, 50, 100].into_iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(STEP).await;
        }
        if let (Some(context), Some(token)) = (context, &token) {
            let progress = ProgressNotificationParam::new(token.clone(), f64::from(step))
                .with_total(100.0)
                .with_message(format!("Completed step {step} of 100"));
            // A client that went away gets no more progress; the result still follows.
            let _ = context.peer.notify_progress(progress).await;
        }
    }
    let shown = match token.map(|t| serde_json::to_value(t.0)) {
        Some(Ok(Value::String(token))) => token,
        Some(Ok(other)) => other.to_string(),
        _ => "no progress token".to_owned(),
    };
    text(shown)
}

/// Asks the client's model (`sampling/createMessage`) and returns what it said.
async fn sample(
    context: Option<&RequestContext<RoleServer>>,
    prompt: &str,
) -> Result<String, String> {
    let context = context.ok_or("not called over MCP")?;
    let request = CreateMessageRequestParams::new(vec![SamplingMessage::user_text(prompt)], 100);
    let result = context
        .peer
        .create_message(request)
        .await
        .map_err(|e| e.to_string())?;
    let result = serde_json::to_value(result).map_err(|e| e.to_string())?;
    let said = result["content"]["text"].as_str().unwrap_or("No response");
    Ok(said.to_owned())
}

/// Sends `elicitation/create` with `schema` and words the answer as the suite expects:
/// `<label>: action=…, content={…}`.
async fn elicitation_text(
    call: &ToolCall,
    label: &str,
    message: &str,
    schema: Value,
) -> crate::fixture::ToolResult {
    match elicit(call.context.as_ref(), message, schema).await {
        Ok((action, content)) => text(format!("{label}: action={action}, content={content}")),
        Err(error) => text(format!("Elicitation not supported or error: {error}")),
    }
}

async fn elicit(
    context: Option<&RequestContext<RoleServer>>,
    message: &str,
    schema: Value,
) -> Result<(String, Value), String> {
    let context = context.ok_or("not called over MCP")?;
    let params = json!({ "mode": "form", "message": message, "requestedSchema": schema });
    let params: ElicitRequestParams = serde_json::from_value(params).map_err(|e| e.to_string())?;
    let result = context
        .peer
        .create_elicitation(params)
        .await
        .map_err(|e| e.to_string())?;
    let result = serde_json::to_value(result).map_err(|e| e.to_string())?;
    let action = result["action"].as_str().unwrap_or("unknown").to_owned();
    let content = result.get("content").cloned().unwrap_or_else(|| json!({}));
    Ok((action, content))
}

/// SEP-1034: a default for every primitive type.
fn defaults_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "name": { "type": "string", "description": "User name", "default": "John Doe" },
            "age": { "type": "integer", "description": "User age", "default": 30 },
            "score": { "type": "number", "description": "User score", "default": 95.5 },
            "status": {
                "type": "string",
                "description": "User status",
                "enum": ["active", "inactive", "pending"],
                "default": "active"
            },
            "verified": {
                "type": "boolean",
                "description": "Verification status",
                "default": true
            }
        },
        "required": []
    })
}

/// SEP-1330: the five enum shapes (plain, titled `oneOf`, legacy `enumNames`, multi-select
/// plain and titled).
fn enums_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "untitledSingle": {
                "type": "string",
                "description": "Select one option",
                "enum": ["option1", "option2", "option3"]
            },
            "titledSingle": {
                "type": "string",
                "description": "Select one option with titles",
                "oneOf": [
                    { "const": "value1", "title": "First Option" },
                    { "const": "value2", "title": "Second Option" },
                    { "const": "value3", "title": "Third Option" }
                ]
            },
            "legacyEnum": {
                "type": "string",
                "description": "Select one option (legacy)",
                "enum": ["opt1", "opt2", "opt3"],
                "enumNames": ["Option One", "Option Two", "Option Three"]
            },
            "untitledMulti": {
                "type": "array",
                "description": "Select multiple options",
                "minItems": 1,
                "maxItems": 3,
                "items": { "type": "string", "enum": ["option1", "option2", "option3"] }
            },
            "titledMulti": {
                "type": "array",
                "description": "Select multiple options with titles",
                "minItems": 1,
                "maxItems": 3,
                "items": {
                    "anyOf": [
                        { "const": "value1", "title": "First Choice" },
                        { "const": "value2", "title": "Second Choice" },
                        { "const": "value3", "title": "Third Choice" }
                    ]
                }
            }
        },
        "required": []
    })
}
