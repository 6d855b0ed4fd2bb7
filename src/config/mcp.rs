//! What the MCP endpoint accepts: hosts, browser origins, sessions, body size; and the upstream
//! MCP servers it serves behind OAuth.

use serde::{Deserialize, Serialize};

use super::upstreams::UpstreamSettings;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpSettings {
    /// Extra `Host` values the MCP endpoint accepts, besides the public URL's host and
    /// loopback names (DNS-rebinding protection). `["*"]` accepts any host.
    pub allowed_hosts: Vec<String>,
    /// Browser origins allowed to call the MCP endpoint, besides the public URL's origin and
    /// loopback origins. A present `Origin` outside the list gets 403. `["*"]` allows any.
    pub allowed_origins: Vec<String>,
    /// Keep `Mcp-Session-Id` sessions instead of serving each request on its own.
    pub stateful: bool,
    pub max_body_bytes: usize,
    /// How long start-up waits for the upstreams' first lists before serving without them.
    #[serde(default = "default_upstream_start_wait")]
    pub upstream_start_wait_secs: u64,
    /// Upstream MCP servers whose tools, resources and prompts are offered here.
    #[serde(default)]
    pub upstreams: Vec<UpstreamSettings>,
}

fn default_upstream_start_wait() -> u64 {
    10
}

impl McpSettings {
    pub(super) fn validate(&self) -> anyhow::Result<()> {
        super::upstreams::validate_all(&self.upstreams)
    }
}
