//! Growing a built [`Catalog`] after the fact: scopes declared in configuration, and entries an
//! upstream MCP server offers (which change while the server runs, see [`super::LiveCatalog`]).
//! The same rules as [`super::CatalogBuilder::build`] apply; what breaks them is skipped and
//! reported, never allowed to shadow what was there first.

use std::sync::Arc;

use rmcp::model::{Prompt, Resource, ResourceTemplate, Tool};

use super::builder::{is_scope_name, is_tool_name};
use super::{
    Catalog, CatalogError, Entry, Item, Kind, PromptHandler, ResourceHandler,
    ResourceTemplateHandler, ScopeInfo, ToolHandler, UriTemplate,
};

/// Unknown tools and prompts under `prefix` need `scopes` (besides their base scope): a call
/// to an upstream's tool while that upstream is down is refused for the right reason.
#[derive(Debug, Clone)]
pub(crate) struct Namespace {
    pub prefix: String,
    pub scopes: Vec<String>,
}

impl Catalog {
    /// This catalogue with more scopes (the operator's `[[scopes.custom]]`).
    pub fn with_scopes(
        mut self,
        extra: impl IntoIterator<Item = ScopeInfo>,
    ) -> Result<Catalog, CatalogError> {
        for scope in extra {
            if !is_scope_name(&scope.name) {
                return Err(CatalogError::MalformedScope(scope.name));
            }
            if self.scope_info(&scope.name).is_some() {
                return Err(CatalogError::DuplicateScope(scope.name));
            }
            self.scopes.push(scope);
        }
        Ok(self)
    }

    /// Checks that every scope in `scopes` is declared; `what` names the item for the error.
    pub(crate) fn check_scopes(&self, what: &str, scopes: &[String]) -> Result<(), CatalogError> {
        match scopes.iter().find(|s| self.scope_info(s).is_none()) {
            Some(missing) => Err(CatalogError::UndeclaredScope(
                what.to_owned(),
                missing.clone(),
            )),
            None => Ok(()),
        }
    }

    pub(crate) fn with_namespace(mut self, namespace: Namespace) -> Catalog {
        self.namespaces.push(namespace);
        self
    }

    /// This catalogue plus `extra`, each kept only if its scopes are declared, its name is
    /// valid and nothing before it has the same name. Returns what was skipped and why.
    pub(crate) fn with_entries(&self, extra: Vec<Entry>) -> (Catalog, Vec<String>) {
        let mut catalog = self.clone();
        let mut skipped = Vec::new();
        for entry in extra {
            let why = if entry.kind == Kind::Tool && !is_tool_name(&entry.name) {
                Some("its name is not a valid tool name".to_owned())
            } else if entry.name.is_empty() {
                Some("it has no name".to_owned())
            } else if catalog.entry(entry.kind, &entry.name).is_some() {
                Some("an item of that name is already offered".to_owned())
            } else {
                catalog
                    .check_scopes(&entry.to_string(), &entry.scopes)
                    .err()
                    .map(|e| e.to_string())
            };
            match why {
                Some(why) => skipped.push(format!("{entry}: {why}")),
                None => catalog.entries.push(entry),
            }
        }
        (catalog, skipped)
    }

    /// The scopes an unknown tool or prompt `name` needs beyond its base scope, when it falls
    /// under a namespace.
    pub(super) fn namespace_scopes(&self, name: &str) -> Option<&[String]> {
        self.namespaces
            .iter()
            .find(|n| !n.prefix.is_empty() && name.starts_with(&n.prefix))
            .map(|n| n.scopes.as_slice())
    }
}

/// The scopes of an item of `kind`: its base scope first, then `extra` without repeats.
fn scopes_of(kind: Kind, extra: &[String]) -> Vec<String> {
    let mut scopes = vec![kind.base_scope().to_owned()];
    for scope in extra {
        if !scopes.contains(scope) {
            scopes.push(scope.clone());
        }
    }
    scopes
}

fn title_of(title: Option<&String>, name: &str) -> String {
    title.map_or_else(|| name.to_owned(), Clone::clone)
}

impl Entry {
    pub(crate) fn tool(definition: Tool, handler: Arc<dyn ToolHandler>, extra: &[String]) -> Self {
        Self {
            kind: Kind::Tool,
            name: definition.name.to_string(),
            title: title_of(definition.title.as_ref(), &definition.name),
            scopes: scopes_of(Kind::Tool, extra),
            item: Item::Tool(definition, handler),
        }
    }

    pub(crate) fn resource(
        definition: Resource,
        handler: Arc<dyn ResourceHandler>,
        extra: &[String],
    ) -> Self {
        Self {
            kind: Kind::Resource,
            name: definition.uri.clone(),
            title: title_of(definition.title.as_ref(), &definition.name),
            scopes: scopes_of(Kind::Resource, extra),
            item: Item::Resource(definition, handler),
        }
    }

    /// `None` when the template is not one this server can match (RFC 6570 level 1).
    pub(crate) fn template(
        definition: ResourceTemplate,
        handler: Arc<dyn ResourceTemplateHandler>,
        extra: &[String],
    ) -> Option<Self> {
        let template = UriTemplate::parse(&definition.uri_template).ok()?;
        Some(Self {
            kind: Kind::Resource,
            name: definition.uri_template.clone(),
            title: title_of(definition.title.as_ref(), &definition.name),
            scopes: scopes_of(Kind::Resource, extra),
            item: Item::Template(definition, template, handler),
        })
    }

    pub(crate) fn prompt(
        definition: Prompt,
        handler: Arc<dyn PromptHandler>,
        extra: &[String],
    ) -> Self {
        Self {
            kind: Kind::Prompt,
            name: definition.name.clone(),
            title: title_of(definition.title.as_ref(), &definition.name),
            scopes: scopes_of(Kind::Prompt, extra),
            item: Item::Prompt(definition, handler),
        }
    }
}
