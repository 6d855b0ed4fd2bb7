//! The diagnostic tools the 2026-07-28 `server-stateless` scenario (SEP-2575) calls: a tool that
//! needs a client capability, response streams that must carry no requests and no unasked-for
//! logs, and hooks that change the tool and prompt lists while a `subscriptions/listen` stream
//! is open.
// rmcp deprecates logging (SEP-2577); the scenario checks its per-request `_meta` rule.
#![allow(deprecated)]

use mcp_oauth::mcp::{CallError, CatalogBuilder, ListChanges, log_message};
use rmcp::ErrorData;
use rmcp::model::{ClientCapabilities, LoggingLevel, ProgressNotificationParam};
use serde_json::json;

use crate::fixture::{no_arguments, text, tool};

pub fn register(catalog: CatalogBuilder) -> CatalogBuilder {
    catalog
        .tool(
            tool(
                no_arguments("test_missing_capability", "Test tool requiring sampling"),
                |call| async move {
                    let declared = call.context.as_ref().and_then(|c| c.client_capabilities());
                    if declared.and_then(|caps| caps.sampling).is_none() {
                        let needed = ClientCapabilities::builder().enable_sampling().build();
                        let refusal = ErrorData::missing_required_client_capability(needed);
                        return Err(CallError::Protocol(refusal));
                    }
                    text("Success")
                },
            ),
            &[],
        )
        .tool(
            tool(
                no_arguments(
                    "test_streaming_elicitation",
                    "Diagnostic tool validating response progress streams",
                ),
                // Progress on the response stream is fine; a request (elicitation) is not.
                |call| async move {
                    let context = call.context.as_ref();
                    if let Some((context, token)) =
                        context.and_then(|c| Some((c, c.meta.get_progress_token()?)))
                    {
                        let progress = ProgressNotificationParam::new(token, 50.0).with_total(100.0);
                        let _ = context.peer.notify_progress(progress).await;
                    }
                    text("Streaming complete")
                },
            ),
            &[],
        )
        .tool(
            tool(
                no_arguments("test_logging_tool", "Diagnostic logging validator tool"),
                // `log_message` sends nothing unless the request asked for this level.
                |call| async move {
                    if let Some(context) = &call.context {
                        let message = json!("Diagnostic trace logging activated");
                        log_message(context, LoggingLevel::Info, message).await;
                    }
                    text("Logging evaluated")
                },
            ),
            &[],
        )
        .tool(
            tool(
                no_arguments(
                    "test_trigger_tool_change",
                    "Diagnostic hook: tells open subscriptions that the tool list changed",
                ),
                |call| async move {
                    if let Some(changes) = list_changes(&call) {
                        changes.tools_changed();
                    }
                    text("Mutation triggered")
                },
            ),
            &[],
        )
        .tool(
            tool(
                no_arguments(
                    "test_trigger_prompt_change",
                    "Diagnostic hook: tells open subscriptions that the prompt list changed",
                ),
                |call| async move {
                    if let Some(changes) = list_changes(&call) {
                        changes.prompts_changed();
                    }
                    text("Mutation triggered")
                },
            ),
            &[],
        )
}

/// The server's list-change fan-out, which the MCP handler hands every call.
fn list_changes(call: &mcp_oauth::mcp::ToolCall) -> Option<ListChanges> {
    call.context.as_ref()?.extensions.get::<ListChanges>().cloned()
}
