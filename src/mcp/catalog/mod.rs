//! The public seam for tools, resources and prompts: one [`Catalog`] declares every item with its
//! handler and the OAuth scopes it needs, built once at start-up with [`CatalogBuilder`].
//!
//! Everything that needs to know about scopes reads it, so they cannot drift apart: the HTTP
//! guard (403 before rmcp), the MCP handler (list filtering, defence in depth), the consent page,
//! `scopes_supported` and the 401/403 challenges.

mod builder;
mod extend;
mod handler;
mod live;
mod template;

use std::fmt;
use std::sync::Arc;

use rmcp::model::{Prompt, Resource, ResourceTemplate, Tool};
use serde_json::Value;

pub use builder::{CatalogBuilder, CatalogError};
pub(crate) use extend::Namespace;
pub use handler::{
    BoxFuture, PromptGet, PromptHandler, ResourceHandler, ResourceRead, ResourceTemplateHandler,
    ToolCall, ToolHandler,
};
pub use live::LiveCatalog;
pub use template::UriTemplate;

pub const MCP_TOOLS: &str = "mcp:tools";
pub const MCP_RESOURCES: &str = "mcp:resources";
pub const MCP_PROMPTS: &str = "mcp:prompts";

/// A scope and the sentence the consent page shows for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeInfo {
    pub name: String,
    pub description: String,
}

/// Which MCP primitive an [`Entry`] describes. Resource templates are resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Tool,
    Resource,
    Prompt,
}

impl Kind {
    /// The scope every item of this kind needs, and which guards its list method.
    pub fn base_scope(self) -> &'static str {
        match self {
            Kind::Tool => MCP_TOOLS,
            Kind::Resource => MCP_RESOURCES,
            Kind::Prompt => MCP_PROMPTS,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Tool => "tool",
            Kind::Resource => "resource",
            Kind::Prompt => "prompt",
        }
    }
}

/// The definition and the code behind one entry.
#[derive(Clone)]
pub(crate) enum Item {
    Tool(Tool, Arc<dyn ToolHandler>),
    Resource(Resource, Arc<dyn ResourceHandler>),
    Template(
        ResourceTemplate,
        UriTemplate,
        Arc<dyn ResourceTemplateHandler>,
    ),
    Prompt(Prompt, Arc<dyn PromptHandler>),
}

impl Item {
    /// The definition as clients receive it in a list.
    pub(crate) fn definition_json(&self) -> Value {
        let definition = match self {
            Item::Tool(tool, _) => serde_json::to_value(tool),
            Item::Resource(resource, _) => serde_json::to_value(resource),
            Item::Template(template, _, _) => serde_json::to_value(template),
            Item::Prompt(prompt, _) => serde_json::to_value(prompt),
        };
        definition.unwrap_or_default()
    }
}

/// One tool, resource (or resource template) or prompt: `name` is the tool or prompt name, the
/// resource URI or the URI template.
#[derive(Clone)]
pub struct Entry {
    pub kind: Kind,
    pub name: String,
    pub title: String,
    /// Every scope a token must hold to see or use this item; the kind's base scope comes first.
    pub scopes: Vec<String>,
    pub(crate) item: Item,
}

impl Entry {
    /// The short name: a resource's URI without its scheme (`metrics`), otherwise the name.
    pub fn short_name(&self) -> &str {
        match self.kind {
            Kind::Resource => self
                .name
                .split_once("://")
                .map_or(self.name.as_str(), |(_, rest)| rest),
            Kind::Tool | Kind::Prompt => &self.name,
        }
    }
}

/// Renders as the consent page names things: "tool echo", "resource system://metrics".
impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.label(), self.name)
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// The validated declaration of everything this server offers; cheap to share (`Arc`).
#[derive(Debug, Clone)]
pub struct Catalog {
    scopes: Vec<ScopeInfo>,
    entries: Vec<Entry>,
    /// Name prefixes whose unknown items still need known scopes (upstream servers).
    namespaces: Vec<Namespace>,
}

impl Catalog {
    /// Every scope this server defines, for `scopes_supported` and the consent page.
    pub fn scopes(&self) -> &[ScopeInfo] {
        &self.scopes
    }

    /// The scope names, in declaration order.
    pub fn scope_names(&self) -> Vec<&str> {
        self.scopes.iter().map(|s| s.name.as_str()).collect()
    }

    pub fn scope_info(&self, name: &str) -> Option<&ScopeInfo> {
        self.scopes.iter().find(|s| s.name == name)
    }

    /// Every tool, resource and prompt, in declaration order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn entries_of(&self, kind: Kind) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(move |e| e.kind == kind)
    }

    /// The tool or prompt called `name`, or the resource with exactly this URI (templates are
    /// not matched here; see [`Catalog::resource_for`]).
    pub fn entry(&self, kind: Kind, name: &str) -> Option<&Entry> {
        self.entries_of(kind).find(|e| e.name == name)
    }

    /// The resource a URI names: a fixed resource first, then the first template it fits.
    pub fn resource_for(&self, uri: &str) -> Option<&Entry> {
        self.entry(Kind::Resource, uri).or_else(|| {
            self.entries_of(Kind::Resource).find(
                |e| matches!(&e.item, Item::Template(_, template, _) if template.matches(uri)),
            )
        })
    }

    /// The item a request names: a resource URI may fit a template.
    pub fn lookup(&self, kind: Kind, name: &str) -> Option<&Entry> {
        match kind {
            Kind::Resource => self.resource_for(name),
            Kind::Tool | Kind::Prompt => self.entry(kind, name),
        }
    }

    /// The fixed resource whose short name (URI without scheme) is `short_name`, for
    /// `/mcp/protected/resources/{name}`.
    pub fn resource_by_short_name(&self, short_name: &str) -> Option<&Entry> {
        self.entries_of(Kind::Resource)
            .filter(|e| matches!(e.item, Item::Resource(..)))
            .find(|e| e.short_name() == short_name)
    }

    /// The items that need `scope`, for the consent page. Some also need another scope (see
    /// [`Entry::scopes`]); `Display` on an entry gives "tool echo", `title` the human title.
    pub fn unlocked_by(&self, scope: &str) -> Vec<&Entry> {
        self.entries
            .iter()
            .filter(|e| e.scopes.iter().any(|s| s == scope))
            .collect()
    }

    /// A tool's definition by name, whatever the caller; rmcp uses it to check request headers.
    pub fn tool_definition(&self, name: &str) -> Option<&Tool> {
        match &self.entry(Kind::Tool, name)?.item {
            Item::Tool(definition, _) => Some(definition),
            _ => None,
        }
    }

    /// The scopes a JSON-RPC request needs, given its `method` and `params`.
    ///
    /// Requests naming a known item need that item's scopes; any other request in the `tools/`,
    /// `resources/` or `prompts/` family needs the family's base scope (an unknown name is then
    /// answered by the handler). Lifecycle methods and notifications need nothing.
    pub fn required_scopes(&self, method: &str, params: Option<&Value>) -> Vec<String> {
        let text = |value: Option<&Value>, key: &str| value?.get(key)?.as_str().map(str::to_owned);
        let (kind, item) = match method {
            "tools/call" => (Kind::Tool, text(params, "name")),
            "prompts/get" => (Kind::Prompt, text(params, "name")),
            "resources/read" | "resources/subscribe" | "resources/unsubscribe" => {
                (Kind::Resource, text(params, "uri"))
            }
            // Completions name their target in `ref`; the target's scopes decide.
            "completion/complete" => {
                let reference = params.and_then(|p| p.get("ref"));
                match text(reference, "type").as_deref() {
                    Some("ref/prompt") => (Kind::Prompt, text(reference, "name")),
                    Some("ref/resource") => (Kind::Resource, text(reference, "uri")),
                    _ => return Vec::new(),
                }
            }
            _ => match method_family(method) {
                Some(kind) => (kind, None),
                None => return Vec::new(),
            },
        };
        match item.as_deref().and_then(|name| self.lookup(kind, name)) {
            Some(found) => found.scopes.clone(),
            None => {
                let mut scopes = vec![kind.base_scope().to_owned()];
                let namespaced = item.as_deref().filter(|_| kind != Kind::Resource);
                if let Some(extra) = namespaced.and_then(|name| self.namespace_scopes(name)) {
                    for scope in extra {
                        if !scopes.contains(scope) {
                            scopes.push(scope.clone());
                        }
                    }
                }
                scopes
            }
        }
    }
}

fn method_family(method: &str) -> Option<Kind> {
    if method.starts_with("tools/") {
        Some(Kind::Tool)
    } else if method.starts_with("resources/") {
        Some(Kind::Resource)
    } else if method.starts_with("prompts/") {
        Some(Kind::Prompt)
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
