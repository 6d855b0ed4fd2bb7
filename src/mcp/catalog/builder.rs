//! [`CatalogBuilder`]: how a team declares its tools, resources and prompts with the scopes they
//! need. `build` checks the declaration once, so a typo in a scope name stops start-up instead
//! of hiding a tool or opening it to the wrong tokens.

use std::sync::Arc;

use super::{
    Catalog, Entry, Item, Kind, MCP_PROMPTS, MCP_RESOURCES, MCP_TOOLS, PromptHandler,
    ResourceHandler, ResourceTemplateHandler, ScopeInfo, ToolHandler, UriTemplate,
};

/// Why a declaration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("{0} needs scope {1:?}, which is not declared (add it with .scope(name, description))")]
    UndeclaredScope(String, String),
    #[error("scope {0:?} is declared twice")]
    DuplicateScope(String),
    #[error("scope {0:?} has characters a scope may not have (RFC 6749 §3.3)")]
    MalformedScope(String),
    #[error("{0} is declared twice")]
    Duplicate(String),
    #[error("tool name {0:?} must be 1 to 128 of A-Z a-z 0-9 _ - .")]
    BadToolName(String),
    #[error("{0} has an empty name or URI")]
    EmptyName(&'static str),
    #[error("resource template {0:?}: {1}")]
    BadTemplate(String, String),
}

/// Declares scopes and items, then [`build`](CatalogBuilder::build)s the [`Catalog`].
///
/// ```
/// use mcp_oauth::mcp::catalog::CatalogBuilder;
/// let catalog = CatalogBuilder::new()
///     .scope("billing:read", "See invoices and payment status.")
///     .build()
///     .unwrap();
/// assert!(catalog.scope_names().contains(&"billing:read"));
/// ```
pub struct CatalogBuilder {
    scopes: Vec<ScopeInfo>,
    entries: Vec<Entry>,
    /// The scope lists as given, checked in `build` once every scope is declared.
    requested: Vec<Vec<String>>,
}

impl Default for CatalogBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl CatalogBuilder {
    /// A catalogue with the three base scopes and nothing else.
    pub fn new() -> Self {
        Self {
            scopes: Vec::new(),
            entries: Vec::new(),
            requested: Vec::new(),
        }
        .scope(MCP_TOOLS, "List and run this server's tools.")
        .scope(MCP_RESOURCES, "List and read this server's resources.")
        .scope(MCP_PROMPTS, "List and use this server's prompt templates.")
    }

    /// Declares a scope with the sentence the consent page shows for it.
    #[must_use]
    pub fn scope(mut self, name: &str, description: &str) -> Self {
        self.scopes.push(ScopeInfo {
            name: name.to_owned(),
            description: description.to_owned(),
        });
        self
    }

    /// Adds a tool. `scopes` are what it needs besides `mcp:tools`.
    #[must_use]
    pub fn tool(self, handler: impl ToolHandler, scopes: &[&str]) -> Self {
        let mut definition = handler.definition();
        let title = settle_title(&mut definition.title, &definition.name);
        let name = definition.name.to_string();
        let item = Item::Tool(definition, Arc::new(handler));
        self.push(Kind::Tool, name, title, scopes, item)
    }

    /// Adds a resource with a fixed URI. `scopes` are what it needs besides `mcp:resources`.
    #[must_use]
    pub fn resource(self, handler: impl ResourceHandler, scopes: &[&str]) -> Self {
        let mut definition = handler.definition();
        let title = settle_title(&mut definition.title, &definition.name);
        let name = definition.uri.clone();
        let item = Item::Resource(definition, Arc::new(handler));
        self.push(Kind::Resource, name, title, scopes, item)
    }

    /// Adds a resource template. `scopes` are what it needs besides `mcp:resources`.
    #[must_use]
    pub fn resource_template(self, handler: impl ResourceTemplateHandler, scopes: &[&str]) -> Self {
        let mut definition = handler.definition();
        let title = settle_title(&mut definition.title, &definition.name);
        let name = definition.uri_template.clone();
        // A template that does not parse is reported by `build`; until then it matches nothing.
        let template = UriTemplate::parse(&name).unwrap_or_else(|_| UriTemplate::nothing());
        let item = Item::Template(definition, template, Arc::new(handler));
        self.push(Kind::Resource, name, title, scopes, item)
    }

    /// Adds a prompt. `scopes` are what it needs besides `mcp:prompts`.
    #[must_use]
    pub fn prompt(self, handler: impl PromptHandler, scopes: &[&str]) -> Self {
        let mut definition = handler.definition();
        let title = settle_title(&mut definition.title, &definition.name);
        let name = definition.name.clone();
        let item = Item::Prompt(definition, Arc::new(handler));
        self.push(Kind::Prompt, name, title, scopes, item)
    }

    fn push(mut self, kind: Kind, name: String, title: String, extra: &[&str], item: Item) -> Self {
        let mut scopes = vec![kind.base_scope().to_owned()];
        for scope in extra {
            if !scopes.iter().any(|s| s == scope) {
                scopes.push((*scope).to_owned());
            }
        }
        self.requested.push(scopes.clone());
        self.entries.push(Entry {
            kind,
            name,
            title,
            scopes,
            item,
        });
        self
    }

    /// Checks the declaration: scopes well-formed, declared once and used only if declared;
    /// names present, unique per kind and (for tools) in MCP's tool-name alphabet; templates
    /// parse.
    pub fn build(self) -> Result<Catalog, CatalogError> {
        for (i, scope) in self.scopes.iter().enumerate() {
            if !is_scope_name(&scope.name) {
                return Err(CatalogError::MalformedScope(scope.name.clone()));
            }
            if self.scopes[..i].iter().any(|s| s.name == scope.name) {
                return Err(CatalogError::DuplicateScope(scope.name.clone()));
            }
        }
        for (i, entry) in self.entries.iter().enumerate() {
            if entry.name.is_empty() {
                return Err(CatalogError::EmptyName(entry.kind.label()));
            }
            if entry.kind == Kind::Tool && !is_tool_name(&entry.name) {
                return Err(CatalogError::BadToolName(entry.name.clone()));
            }
            if let Item::Template(..) = &entry.item {
                UriTemplate::parse(&entry.name)
                    .map_err(|why| CatalogError::BadTemplate(entry.name.clone(), why))?;
            }
            let earlier = &self.entries[..i];
            if earlier
                .iter()
                .any(|e| e.kind == entry.kind && e.name == entry.name)
            {
                return Err(CatalogError::Duplicate(entry.to_string()));
            }
            for scope in &self.requested[i] {
                if !self.scopes.iter().any(|s| &s.name == scope) {
                    return Err(CatalogError::UndeclaredScope(
                        entry.to_string(),
                        scope.clone(),
                    ));
                }
            }
        }
        Ok(Catalog {
            scopes: self.scopes,
            entries: self.entries,
            namespaces: Vec::new(),
        })
    }
}

/// RFC 6749 §3.3: a scope token is one or more of %x21 / %x23-5B / %x5D-7E.
pub(super) fn is_scope_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c == '!' || ('#'..='[').contains(&c) || (']'..='~').contains(&c))
}

/// MCP 2025-11-25: tool names SHOULD be 1–128 characters of `A-Za-z0-9_-.`.
pub(super) fn is_tool_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The title the consent page shows: the definition's own, else its name (and the definition
/// then carries it too, so lists and the page agree).
fn settle_title(title: &mut Option<String>, name: &str) -> String {
    title.get_or_insert_with(|| name.to_owned()).clone()
}
