//! The MCP resources: live metrics and static platform facts, served as JSON documents, each
//! behind its scopes.

use rmcp::model::{ReadResourceResult, Resource, ResourceContents};
use serde::Serialize;

use super::access::{authorize, authorized_entry};
use super::caller::Caller;
use super::catalog::{self, Entry, Kind, METRICS_URI, PLATFORM_URI};
use super::error::CallError;
use super::server::McpServer;

impl McpServer {
    // https://modelcontextprotocol.io/specification/2025-11-25/server/resources#listing-resources
    pub fn list_resources_for(&self, caller: &Caller) -> Result<Vec<Resource>, CallError> {
        authorize(caller, &[Kind::Resource.base_scope()])?;
        Ok(catalog::entries_of(Kind::Resource)
            .filter(|e| caller.has_all(e.scopes))
            .map(resource_definition)
            .collect())
    }

    /// Reads a resource by URI (`system://metrics`).
    // https://modelcontextprotocol.io/specification/2025-11-25/server/resources#reading-resources
    pub async fn read_resource_for(
        &self,
        caller: &Caller,
        uri: &str,
    ) -> Result<ReadResourceResult, CallError> {
        let entry = authorized_entry(caller, Kind::Resource, uri)?;
        self.read_resource_contents(entry).await
    }

    /// Reads a resource by short name (`metrics`), as `GET /mcp/protected/resources/{name}` has
    /// it.
    pub async fn read_resource_named_for(
        &self,
        caller: &Caller,
        short_name: &str,
    ) -> Result<ReadResourceResult, CallError> {
        authorize(caller, &[Kind::Resource.base_scope()])?;
        match catalog::resource_by_short_name(short_name) {
            Some(entry) => self.read_resource_for(caller, entry.name).await,
            None => Err(CallError::UnknownResource(short_name.to_owned())),
        }
    }
}

fn resource_definition(entry: &Entry) -> Resource {
    let resource = Resource::new(entry.name, entry.short_name())
        .with_title(entry.title)
        .with_mime_type("application/json");
    match description(entry.name) {
        Some(text) => resource.with_description(text),
        None => resource,
    }
}

/// What resources/list says about each resource.
fn description(uri: &str) -> Option<&'static str> {
    match uri {
        METRICS_URI => Some(
            "Live host metrics as JSON: CPU use overall and per core, load average, memory and \
             swap, disks, network byte totals and process count. Refreshed at most once a second.",
        ),
        PLATFORM_URI => Some(
            "Static facts about the host as JSON: operating system, kernel, architecture, \
             hostname, CPU model and counts, total memory and boot time.",
        ),
        _ => None,
    }
}

impl McpServer {
    /// Reads a declared resource; the caller's scopes have already been checked.
    async fn read_resource_contents(&self, entry: &Entry) -> Result<ReadResourceResult, CallError> {
        let text = match entry.name {
            METRICS_URI => self.metrics_json().await?,
            PLATFORM_URI => to_json(&*self.monitor.platform())?,
            other => return Err(CallError::UnknownResource(other.to_owned())),
        };
        let contents = ResourceContents::text(text, entry.name).with_mime_type("application/json");
        Ok(ReadResourceResult::new(vec![contents]))
    }

    /// The current metrics as pretty JSON; prompts embed the same document.
    pub(super) async fn metrics_json(&self) -> Result<String, CallError> {
        let metrics = self.monitor.metrics().await.map_err(CallError::internal)?;
        to_json(&*metrics)
    }
}

fn to_json(value: &impl Serialize) -> Result<String, CallError> {
    serde_json::to_string_pretty(value).map_err(CallError::internal)
}

#[cfg(test)]
mod tests {
    use rmcp::ErrorData;
    use rmcp::model::ErrorCode;
    use serde_json::Value;

    use super::super::test_support::{caller_with, server};
    use super::*;

    fn json_of(result: &ReadResourceResult) -> Value {
        match result.contents.first() {
            Some(ResourceContents::TextResourceContents {
                text, mime_type, ..
            }) => {
                assert_eq!(mime_type.as_deref(), Some("application/json"));
                serde_json::from_str(text).expect("resource text is JSON")
            }
            other => panic!("expected one text content, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn metrics_need_system_monitor_and_platform_needs_system_read() {
        let monitor = caller_with(&["mcp:resources", "system:monitor"]);
        let listed = server().list_resources_for(&monitor).expect("may list");
        let uris: Vec<&str> = listed.iter().map(|r| r.uri.as_str()).collect();
        assert_eq!(uris, vec![METRICS_URI]);
        let metrics = server()
            .read_resource_for(&monitor, METRICS_URI)
            .await
            .expect("readable");
        assert!(json_of(&metrics)["cpu"]["per_core_percent"].is_array());
        let platform = server().read_resource_for(&monitor, PLATFORM_URI).await;
        assert!(
            matches!(platform, Err(CallError::InsufficientScope(m)) if m == vec!["system:read"])
        );

        let reader = caller_with(&["mcp:resources", "system:read"]);
        let platform = server()
            .read_resource_named_for(&reader, "platform")
            .await
            .expect("readable by short name");
        assert!(json_of(&platform)["architecture"].is_string());
    }

    #[tokio::test]
    async fn an_unknown_uri_is_the_specs_resource_not_found() {
        let caller = caller_with(&["mcp:resources", "system:read", "system:monitor"]);
        let error = server()
            .read_resource_for(&caller, "system://nope")
            .await
            .expect_err("unknown");
        assert!(matches!(&error, CallError::UnknownResource(uri) if uri == "system://nope"));
        let data = ErrorData::from(error);
        assert_eq!(data.code, ErrorCode::RESOURCE_NOT_FOUND);
        assert_eq!(data.message, "Resource not found");
        assert_eq!(data.data, Some(serde_json::json!({"uri": "system://nope"})));
    }

    #[tokio::test]
    async fn resources_need_mcp_resources() {
        let caller = caller_with(&["system:read", "system:monitor"]);
        assert!(server().list_resources_for(&caller).is_err());
        let read = server().read_resource_for(&caller, METRICS_URI).await;
        assert!(matches!(read, Err(CallError::InsufficientScope(m)) if m == vec!["mcp:resources"]));
    }
}
