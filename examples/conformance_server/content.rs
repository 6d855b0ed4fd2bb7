//! Tools that only return content: one per content type, the error result, the JSON Schema
//! 2020-12 listing, the `x-mcp-header` tool and the SSE reconnection probe.

use std::time::Duration;

use mcp_oauth::mcp::CatalogBuilder;
use rmcp::model::{CallToolResult, ContentBlock, ResourceContents, Tool};
use serde_json::{Value, json};

use crate::fixture::{ToolResult, no_arguments, schema, text, tool};
use crate::media::{PNG_MIME, WAV_MIME, png_base64, wav_base64};

pub fn register(catalog: CatalogBuilder) -> CatalogBuilder {
    catalog
        .tool(
            tool(
                no_arguments("test_simple_text", "Tests simple text content response"),
                |_| async { text("This is a simple text response for testing.") },
            ),
            &[],
        )
        .tool(
            tool(
                no_arguments("test_image_content", "Tests image content response"),
                |_| async { content(vec![ContentBlock::image(png_base64(), PNG_MIME)]) },
            ),
            &[],
        )
        .tool(
            tool(
                no_arguments("test_audio_content", "Tests audio content response"),
                |_| async { content(vec![ContentBlock::audio(wav_base64(), WAV_MIME)]) },
            ),
            &[],
        )
        .tool(
            tool(
                no_arguments(
                    "test_embedded_resource",
                    "Tests embedded resource content response",
                ),
                |_| async {
                    let embedded = ResourceContents::text(
                        "This is an embedded resource content.",
                        "test://embedded-resource",
                    )
                    .with_mime_type("text/plain");
                    content(vec![ContentBlock::resource(embedded)])
                },
            ),
            &[],
        )
        .tool(
            tool(
                no_arguments(
                    "test_multiple_content_types",
                    "Tests response with multiple content types (text, image, resource)",
                ),
                |_| async {
                    let data = json!({ "test": "data", "value": 123 }).to_string();
                    let embedded = ResourceContents::text(data, "test://mixed-content-resource")
                        .with_mime_type("application/json");
                    content(vec![
                        ContentBlock::text("Multiple content types test:"),
                        ContentBlock::image(png_base64(), PNG_MIME),
                        ContentBlock::resource(embedded),
                    ])
                },
            ),
            &[],
        )
        .tool(
            tool(
                no_arguments("test_error_handling", "Tests error response handling"),
                |_| async {
                    let message = "This tool intentionally returns an error for testing";
                    Ok(CallToolResult::error(vec![ContentBlock::text(message)]).into())
                },
            ),
            &[],
        )
        .tool(
            tool(json_schema_2020_12_tool(), |call| async move {
                let arguments = Value::Object(call.arguments);
                text(format!("JSON Schema 2020-12 tool called with: {arguments}"))
            }),
            &[],
        )
        .tool(
            tool(custom_headers_tool(), |call| async move {
                let region = call.arguments.get("region").and_then(Value::as_str);
                text(format!("Region: {}", region.unwrap_or("none")))
            }),
            &[],
        )
        .tool(
            tool(
                no_arguments(
                    "test_reconnection",
                    "Tests SSE stream disconnection and client reconnection (SEP-1699). Server \
                     will close the stream mid-call and send the result after client reconnects.",
                ),
                // We keep no SSE event store, so the stream is not closed early: the result comes
                // on the POST's own stream, which the scenario accepts (with a note).
                |_| async {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    text(
                        "Reconnection test completed successfully. If you received this, the \
                         client properly reconnected after stream closure.",
                    )
                },
            ),
            &[],
        )
}

fn content(blocks: Vec<ContentBlock>) -> ToolResult {
    Ok(CallToolResult::success(blocks).into())
}

/// SEP-1613 / SEP-2106: the listing must keep every 2020-12 keyword as written.
fn json_schema_2020_12_tool() -> Tool {
    let input = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {
            "address": {
                "$anchor": "addressDef",
                "type": "object",
                "properties": { "street": { "type": "string" }, "city": { "type": "string" } }
            }
        },
        "properties": {
            "name": { "type": "string" },
            "address": { "$ref": "#/$defs/address" },
            "contactMethod": { "type": "string", "enum": ["phone", "email"] },
            "phone": { "type": "string" },
            "email": { "type": "string" }
        },
        "allOf": [{ "anyOf": [{ "required": ["phone"] }, { "required": ["email"] }] }],
        "if": {
            "properties": { "contactMethod": { "const": "phone" } },
            "required": ["contactMethod"]
        },
        "then": { "required": ["phone"] },
        "else": { "required": ["email"] },
        "additionalProperties": false
    });
    Tool::new(
        "json_schema_2020_12_tool",
        "Tool with JSON Schema 2020-12 features for conformance testing (SEP-1613)",
        schema(input),
    )
}

/// SEP-2243: `region` is mirrored into an `Mcp-Param-Region` header, which rmcp checks against
/// the body before the tool runs.
fn custom_headers_tool() -> Tool {
    let input = json!({
        "type": "object",
        "properties": {
            "region": {
                "type": "string",
                "description": "Region to run in; sent as the Mcp-Param-Region header too",
                "x-mcp-header": "Region"
            }
        },
        "required": ["region"]
    });
    Tool::new(
        "test_custom_headers",
        "A tool with an x-mcp-header annotation, for custom header validation (SEP-2243)",
        schema(input),
    )
}
