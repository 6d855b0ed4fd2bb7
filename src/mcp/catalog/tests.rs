//! The catalogue's rules on the built-in declaration: scopes per request, consent wording,
//! builder refusals.

use serde_json::json;

use super::*;
use crate::mcp::builtin::{METRICS_URI, PLATFORM_URI, SYSTEM_MONITOR, SYSTEM_READ};
use crate::mcp::test_support::monitor;

fn builtin() -> Catalog {
    Catalog::builtin(monitor())
}

#[test]
fn every_entry_starts_with_its_base_scope_and_uses_only_declared_scopes() {
    let catalog = builtin();
    for e in catalog.entries() {
        assert_eq!(
            e.scopes.first().map(String::as_str),
            Some(e.kind.base_scope()),
            "{e}"
        );
        for s in &e.scopes {
            assert!(
                catalog.scope_info(s).is_some(),
                "{e} uses undeclared scope {s}"
            );
        }
    }
}

#[test]
fn requests_need_the_scopes_of_what_they_name() {
    let cases: &[(&str, Value, &[&str])] = &[
        ("tools/list", Value::Null, &[MCP_TOOLS]),
        ("tools/call", json!({"name": "echo"}), &[MCP_TOOLS]),
        (
            "tools/call",
            json!({"name": "system_info"}),
            &[MCP_TOOLS, SYSTEM_READ],
        ),
        ("resources/list", Value::Null, &[MCP_RESOURCES]),
        ("resources/templates/list", Value::Null, &[MCP_RESOURCES]),
        (
            "resources/read",
            json!({"uri": METRICS_URI}),
            &[MCP_RESOURCES, SYSTEM_MONITOR],
        ),
        (
            "resources/read",
            json!({"uri": PLATFORM_URI}),
            &[MCP_RESOURCES, SYSTEM_READ],
        ),
        ("prompts/list", Value::Null, &[MCP_PROMPTS]),
        (
            "prompts/get",
            json!({"name": "explain_calculation"}),
            &[MCP_PROMPTS],
        ),
        (
            "completion/complete",
            json!({"ref": {"type": "ref/prompt", "name": "system_health_report"}}),
            &[MCP_PROMPTS, SYSTEM_MONITOR],
        ),
        // Unknown or malformed names fall back to the family's base scope.
        ("tools/call", json!({"name": "rm_rf"}), &[MCP_TOOLS]),
        ("tools/call", json!({"name": 42}), &[MCP_TOOLS]),
        ("prompts/get", Value::Null, &[MCP_PROMPTS]),
        // Lifecycle methods and notifications need nothing.
        ("initialize", json!({}), &[]),
        ("ping", Value::Null, &[]),
        ("notifications/initialized", Value::Null, &[]),
        ("server/discover", Value::Null, &[]),
    ];
    for (method, params, expected) in cases {
        let params = (!params.is_null()).then_some(params);
        assert_eq!(
            &builtin().required_scopes(method, params),
            expected,
            "{method} {params:?}"
        );
    }
}

#[test]
fn unlocked_by_names_what_a_scope_opens() {
    let names: Vec<String> = builtin()
        .unlocked_by(SYSTEM_READ)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        names,
        vec!["tool system_info", "resource system://platform"]
    );
    assert_eq!(builtin().unlocked_by(MCP_TOOLS).len(), 3);
}

#[test]
fn resources_are_found_by_short_name() {
    let catalog = builtin();
    let found = catalog
        .resource_by_short_name("metrics")
        .map(|e| e.name.as_str());
    assert_eq!(found, Some(METRICS_URI));
    assert!(catalog.resource_by_short_name(METRICS_URI).is_none());
}

/// A tool that is only a name, for declaration checks.
struct Named(&'static str);

impl ToolHandler for Named {
    fn definition(&self) -> Tool {
        Tool::new(self.0, "test", serde_json::Map::new())
    }

    fn call(
        &self,
        _call: ToolCall,
    ) -> BoxFuture<'_, Result<rmcp::model::CallToolResponse, crate::mcp::CallError>> {
        Box::pin(async { Err(crate::mcp::CallError::UnknownTool(self.0.to_owned())) })
    }
}

#[test]
fn a_declaration_with_a_mistake_is_refused_at_build_with_the_reason() {
    let undeclared = CatalogBuilder::new()
        .tool(Named("t"), &["billing:read"])
        .build();
    assert_eq!(
        undeclared.err(),
        Some(CatalogError::UndeclaredScope(
            "tool t".into(),
            "billing:read".into()
        ))
    );
    let twice = CatalogBuilder::new()
        .tool(Named("t"), &[])
        .tool(Named("t"), &[])
        .build();
    assert_eq!(twice.err(), Some(CatalogError::Duplicate("tool t".into())));
    let bad_name = CatalogBuilder::new().tool(Named("run me"), &[]).build();
    assert_eq!(
        bad_name.err(),
        Some(CatalogError::BadToolName("run me".into()))
    );
    let bad_scope = CatalogBuilder::new().scope("a\"b", "quote").build();
    assert_eq!(
        bad_scope.err(),
        Some(CatalogError::MalformedScope("a\"b".into()))
    );
    let scope_twice = CatalogBuilder::new().scope(MCP_TOOLS, "again").build();
    assert_eq!(
        scope_twice.err(),
        Some(CatalogError::DuplicateScope(MCP_TOOLS.into()))
    );
}

#[test]
fn an_items_scopes_start_with_its_base_scope_and_list_each_scope_once() {
    let catalog = CatalogBuilder::new()
        .scope("billing:read", "See invoices.")
        .tool(Named("t"), &["billing:read", MCP_TOOLS, "billing:read"])
        .build()
        .expect("valid");
    let entry = catalog.entry(Kind::Tool, "t").expect("declared");
    assert_eq!(entry.scopes, vec![MCP_TOOLS, "billing:read"]);
    assert_eq!(
        catalog.required_scopes("tools/call", Some(&json!({"name": "t"}))),
        vec![MCP_TOOLS, "billing:read"]
    );
    assert_eq!(catalog.unlocked_by("billing:read").len(), 1);
}
