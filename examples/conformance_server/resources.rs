//! The resource fixtures: static text, a static PNG, the `test://template/{id}/data` template
//! and the resource the subscribe scenarios watch.

use mcp_oauth::mcp::CatalogBuilder;
use rmcp::model::{ReadResourceResult, Resource, ResourceContents, ResourceTemplate};
use serde::Serialize;

use crate::fixture::{ReadResult, resource, template};
use crate::media::{PNG_MIME, png_base64};

pub fn register(catalog: CatalogBuilder) -> CatalogBuilder {
    let static_text = Resource::new("test://static-text", "static-text")
        .with_title("Static Text Resource")
        .with_description("A static text resource for testing")
        .with_mime_type("text/plain");
    let static_binary = Resource::new("test://static-binary", "static-binary")
        .with_title("Static Binary Resource")
        .with_description("A static binary resource (image) for testing")
        .with_mime_type(PNG_MIME);
    let watched = Resource::new("test://watched-resource", "watched-resource")
        .with_title("Watched Resource")
        .with_description("A resource that auto-updates every 3 seconds")
        .with_mime_type("text/plain");
    let by_id = ResourceTemplate::new("test://template/{id}/data", "template")
        .with_title("Resource Template")
        .with_description("A resource template with parameter substitution")
        .with_mime_type("application/json");
    catalog
        .resource(
            resource(static_text, |read| async move {
                let text = "This is the content of the static text resource.";
                contents(ResourceContents::text(text, read.uri).with_mime_type("text/plain"))
            }),
            &[],
        )
        .resource(
            resource(static_binary, |read| async move {
                contents(ResourceContents::blob(png_base64(), read.uri).with_mime_type(PNG_MIME))
            }),
            &[],
        )
        .resource(
            resource(watched, |read| async move {
                let text = "Watched resource content";
                contents(ResourceContents::text(text, read.uri).with_mime_type("text/plain"))
            }),
            &[],
        )
        .resource_template(
            template(by_id, |read, variables| async move {
                let id = variables.get("id").map_or("", String::as_str);
                let data = TemplateData {
                    id,
                    template_test: true,
                    data: format!("Data for ID: {id}"),
                };
                let text = serde_json::to_string(&data).map_err(mcp_oauth::mcp::CallError::internal)?;
                contents(ResourceContents::text(text, read.uri).with_mime_type("application/json"))
            }),
            &[],
        )
}

/// What a template read returns, in the field order the suite's description shows.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TemplateData<'a> {
    id: &'a str,
    template_test: bool,
    data: String,
}

fn contents(contents: ResourceContents) -> ReadResult {
    Ok(ReadResourceResult::new(vec![contents]).into())
}
