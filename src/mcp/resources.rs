//! Listing and reading resources (and resource templates) for a caller, over whatever the
//! catalogue declares: a URI names a fixed resource first, then the first template it fits.

use rmcp::ErrorData;
use rmcp::model::{ReadResourceResponse, ReadResourceResult, Resource, ResourceTemplate};

use super::access::{authorize, authorized_entry};
use super::caller::Caller;
use super::catalog::{Item, Kind, ResourceRead};
use super::error::CallError;
use super::server::McpServer;

impl McpServer {
    // https://modelcontextprotocol.io/specification/2025-11-25/server/resources#listing-resources
    pub fn list_resources_for(&self, caller: &Caller) -> Result<Vec<Resource>, CallError> {
        authorize(caller, &[Kind::Resource.base_scope()])?;
        Ok(self
            .catalog()
            .entries_of(Kind::Resource)
            .filter(|e| caller.has_all(&e.scopes))
            .filter_map(|e| match &e.item {
                Item::Resource(definition, _) => Some(definition.clone()),
                _ => None,
            })
            .collect())
    }

    // https://modelcontextprotocol.io/specification/2025-11-25/server/resources#resource-templates
    pub fn list_resource_templates_for(
        &self,
        caller: &Caller,
    ) -> Result<Vec<ResourceTemplate>, CallError> {
        authorize(caller, &[Kind::Resource.base_scope()])?;
        Ok(self
            .catalog()
            .entries_of(Kind::Resource)
            .filter(|e| caller.has_all(&e.scopes))
            .filter_map(|e| match &e.item {
                Item::Template(definition, ..) => Some(definition.clone()),
                _ => None,
            })
            .collect())
    }

    /// Reads a resource by URI (`system://metrics`) outside an MCP session.
    // https://modelcontextprotocol.io/specification/2025-11-25/server/resources#reading-resources
    pub async fn read_resource_for(
        &self,
        caller: &Caller,
        uri: &str,
    ) -> Result<ReadResourceResult, CallError> {
        let read = ResourceRead {
            caller: caller.clone(),
            uri: uri.to_owned(),
            input_responses: None,
            request_state: None,
            context: None,
        };
        match self.run_read(read).await? {
            ReadResourceResponse::Complete(result) => Ok(result),
            _ => Err(CallError::Protocol(ErrorData::invalid_request(
                format!("resource {uri} needs an MCP client; read it over /mcp"),
                None,
            ))),
        }
    }

    /// Checks scopes, then hands the read to the resource's (or template's) handler.
    pub(super) async fn run_read(
        &self,
        read: ResourceRead,
    ) -> Result<ReadResourceResponse, CallError> {
        let catalog = self.catalog();
        let entry = authorized_entry(&catalog, &read.caller, Kind::Resource, &read.uri)?;
        match &entry.item {
            Item::Resource(_, handler) => handler.read(read).await,
            Item::Template(_, template, handler) => {
                let variables = template.variables(&read.uri).unwrap_or_default();
                handler.read(read, variables).await
            }
            _ => Err(CallError::UnknownResource(read.uri)),
        }
    }

    /// Reads a resource by short name (`metrics`), as `GET /mcp/protected/resources/{name}` has
    /// it.
    pub async fn read_resource_named_for(
        &self,
        caller: &Caller,
        short_name: &str,
    ) -> Result<ReadResourceResult, CallError> {
        authorize(caller, &[Kind::Resource.base_scope()])?;
        match self.catalog().resource_by_short_name(short_name) {
            Some(entry) => self.read_resource_for(caller, &entry.name).await,
            None => Err(CallError::UnknownResource(short_name.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use rmcp::ErrorData;
    use rmcp::model::ErrorCode;
    use serde_json::Value;

    use super::super::test_support::{caller_with, server};
    use super::*;
    use crate::mcp::builtin::{METRICS_URI, PLATFORM_URI};
    use rmcp::model::ResourceContents;

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
