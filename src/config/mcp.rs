//! What the MCP endpoint accepts: hosts, browser origins, sessions, body size.

use serde::{Deserialize, Serialize};

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
}
