//! The built-in resources: live metrics and static platform facts, served as JSON documents.

use std::sync::Arc;

use rmcp::model::{ReadResourceResponse, ReadResourceResult, Resource, ResourceContents};
use serde::Serialize;

use super::{METRICS_URI, PLATFORM_URI};
use crate::mcp::catalog::{BoxFuture, ResourceHandler, ResourceRead};
use crate::mcp::error::CallError;
use crate::mcp::system::SystemMonitor;

/// `system://metrics`.
pub(super) struct Metrics(pub(super) Arc<SystemMonitor>);

impl ResourceHandler for Metrics {
    fn definition(&self) -> Resource {
        Resource::new(METRICS_URI, "metrics")
            .with_title("Live system metrics")
            .with_mime_type("application/json")
            .with_description(
                "Live host metrics as JSON: CPU use overall and per core, load average, memory \
                 and swap, disks, network byte totals and process count. Refreshed at most once \
                 a second.",
            )
    }

    fn read(&self, _read: ResourceRead) -> BoxFuture<'_, Result<ReadResourceResponse, CallError>> {
        Box::pin(async move { json_contents(METRICS_URI, metrics_json(&self.0).await?) })
    }
}

/// `system://platform`.
pub(super) struct Platform(pub(super) Arc<SystemMonitor>);

impl ResourceHandler for Platform {
    fn definition(&self) -> Resource {
        Resource::new(PLATFORM_URI, "platform")
            .with_title("Platform facts")
            .with_mime_type("application/json")
            .with_description(
                "Static facts about the host as JSON: operating system, kernel, architecture, \
                 hostname, CPU model and counts, total memory and boot time.",
            )
    }

    fn read(&self, _read: ResourceRead) -> BoxFuture<'_, Result<ReadResourceResponse, CallError>> {
        Box::pin(async move { json_contents(PLATFORM_URI, to_json(&*self.0.platform())?) })
    }
}

fn json_contents(uri: &str, text: String) -> Result<ReadResourceResponse, CallError> {
    let contents = ResourceContents::text(text, uri).with_mime_type("application/json");
    Ok(ReadResourceResult::new(vec![contents]).into())
}

/// The current metrics as pretty JSON; the health report prompt embeds the same document.
pub(super) async fn metrics_json(monitor: &Arc<SystemMonitor>) -> Result<String, CallError> {
    let metrics = monitor.metrics().await.map_err(CallError::internal)?;
    to_json(&*metrics)
}

fn to_json(value: &impl Serialize) -> Result<String, CallError> {
    serde_json::to_string_pretty(value).map_err(CallError::internal)
}
