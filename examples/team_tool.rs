//! The README's "Add your own tools" example, compiled so it cannot rot: a team's binary that is
//! `mcp-oauth` plus one tool behind a scope of its own. `cargo run --example team_tool -- serve`.

use std::sync::Arc;

use clap::Parser;
use mcp_oauth::cli::{Cli, dispatch};
use mcp_oauth::mcp::{BoxFuture, CallError, CatalogBuilder, SystemMonitor, ToolCall, ToolHandler};
use rmcp::handler::server::tool::schema_for_type;
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock, Tool};

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct InvoiceArgs {
    /// The invoice number, e.g. INV-42.
    invoice: String,
}

struct InvoiceLookup;

impl ToolHandler for InvoiceLookup {
    fn definition(&self) -> Tool {
        Tool::new(
            "invoice_lookup",
            "Whether an invoice is paid.",
            schema_for_type::<InvoiceArgs>(),
        )
        .with_title("Invoice lookup")
    }

    fn call(&self, call: ToolCall) -> BoxFuture<'_, Result<CallToolResponse, CallError>> {
        Box::pin(async move {
            let args: InvoiceArgs = serde_json::from_value(call.arguments.into())
                .map_err(|e| CallError::InvalidArguments(e.to_string()))?;
            let text = format!(
                "{} is paid (asked by {})",
                args.invoice, call.caller.subject
            );
            Ok(CallToolResult::success(vec![ContentBlock::text(text)]).into())
        })
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    dispatch::run_with_catalog(Cli::parse(), || {
        CatalogBuilder::new()
            .with_builtins(Arc::new(SystemMonitor::new()))
            .scope("billing:read", "See invoices and whether they are paid.")
            .tool(InvoiceLookup, &["billing:read"])
            .build()
    })
    .await
}
