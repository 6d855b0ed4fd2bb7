//! What `mcp-oauth serve` offers out of the box, declared through the same [`CatalogBuilder`]
//! a team uses for its own tools: echo, calculator and host facts behind `system:read`, live
//! metrics behind `system:monitor`.

mod prompts;
mod resources;
mod tools;

use std::sync::Arc;

use super::catalog::{Catalog, CatalogBuilder, MCP_PROMPTS, MCP_RESOURCES, MCP_TOOLS};
use super::system::SystemMonitor;

pub use tools::{
    CalculatorArgs, CalculatorOutput, EchoArgs, MemorySummary, SystemInfo, ToolFailure,
};

pub const SYSTEM_READ: &str = "system:read";
pub const SYSTEM_MONITOR: &str = "system:monitor";

/// Every scope the built-in catalogue declares (the base three first).
pub const SCOPES: [&str; 5] = [
    MCP_TOOLS,
    MCP_RESOURCES,
    MCP_PROMPTS,
    SYSTEM_READ,
    SYSTEM_MONITOR,
];

pub const METRICS_URI: &str = "system://metrics";
pub const PLATFORM_URI: &str = "system://platform";

impl CatalogBuilder {
    /// Adds the built-in tools, resources and prompts and the two host scopes they use.
    #[must_use]
    pub fn with_builtins(self, monitor: Arc<SystemMonitor>) -> Self {
        self.scope(
            SYSTEM_READ,
            "See facts about the host: operating system, kernel, hostname, CPU and memory size.",
        )
        .scope(
            SYSTEM_MONITOR,
            "See live host metrics: CPU load, memory and swap use, disks, network traffic and \
             process count.",
        )
        .tool(tools::Echo, &[])
        .tool(tools::Calculator, &[])
        .tool(tools::SystemInfoTool(Arc::clone(&monitor)), &[SYSTEM_READ])
        .resource(resources::Metrics(Arc::clone(&monitor)), &[SYSTEM_MONITOR])
        .resource(resources::Platform(Arc::clone(&monitor)), &[SYSTEM_READ])
        // The health report embeds live metrics, so it needs what reading them needs.
        .prompt(prompts::HealthReport(monitor), &[SYSTEM_MONITOR])
        .prompt(prompts::ExplainCalculation, &[])
    }
}

impl Catalog {
    /// The built-in catalogue alone: what `mcp-oauth serve` runs.
    pub fn builtin(monitor: Arc<SystemMonitor>) -> Self {
        CatalogBuilder::new()
            .with_builtins(monitor)
            .build()
            .expect("the built-in catalogue is valid")
    }
}
