//! [`LiveCatalog`]: the catalogue as it is right now. Built-in and team items never change;
//! upstream MCP servers' items come and go as the upstreams start, stop and announce
//! `list_changed`. Readers take a snapshot, so one request sees one consistent catalogue.

use std::sync::{Arc, PoisonError, RwLock};

use serde_json::Value;

use super::{Catalog, Kind};
use crate::mcp::notify::ListChanges;

/// A shared, replaceable [`Catalog`]; cheap to clone. Replacing it tells listening MCP
/// clients which lists changed.
#[derive(Clone)]
pub struct LiveCatalog {
    current: Arc<RwLock<Arc<Catalog>>>,
    list_changes: ListChanges,
}

impl LiveCatalog {
    pub fn new(catalog: Catalog) -> Self {
        Self {
            current: Arc::new(RwLock::new(Arc::new(catalog))),
            list_changes: ListChanges::default(),
        }
    }

    /// The catalogue now; later replacements do not affect it.
    pub fn current(&self) -> Arc<Catalog> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Swaps in `next` and announces each kind whose items differ.
    pub fn replace(&self, next: Catalog) {
        let previous = {
            let mut slot = self.current.write().unwrap_or_else(PoisonError::into_inner);
            std::mem::replace(&mut *slot, Arc::new(next))
        };
        let now = self.current();
        for kind in [Kind::Tool, Kind::Resource, Kind::Prompt] {
            if listed(&previous, kind) != listed(&now, kind) {
                match kind {
                    Kind::Tool => self.list_changes.tools_changed(),
                    Kind::Resource => self.list_changes.resources_changed(),
                    Kind::Prompt => self.list_changes.prompts_changed(),
                }
            }
        }
    }

    /// The fan-out `replace` announces on, shared with the MCP server.
    pub fn list_changes(&self) -> &ListChanges {
        &self.list_changes
    }
}

/// What a client's copy of a list depends on: each item's name, scopes and whole definition (a
/// new description or schema is a change too, not only a new name).
fn listed(catalog: &Catalog, kind: Kind) -> Vec<(&str, &[String], Value)> {
    catalog
        .entries_of(kind)
        .map(|e| {
            (
                e.name.as_str(),
                e.scopes.as_slice(),
                e.item.definition_json(),
            )
        })
        .collect()
}

impl std::fmt::Debug for LiveCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("LiveCatalog").field(&self.current()).finish()
    }
}

#[cfg(test)]
mod tests {
    use rmcp::model::{CallToolResponse, Tool};
    use tokio::sync::broadcast::error::TryRecvError;

    use super::*;
    use crate::mcp::notify::ListChange;
    use crate::mcp::{BoxFuture, CallError, CatalogBuilder, ToolCall, ToolHandler};

    /// A tool `t` with this description.
    struct Described(&'static str);

    impl ToolHandler for Described {
        fn definition(&self) -> Tool {
            Tool::new("t", self.0, serde_json::Map::new())
        }

        fn call(&self, _call: ToolCall) -> BoxFuture<'_, Result<CallToolResponse, CallError>> {
            Box::pin(async { Err(CallError::UnknownTool("t".into())) })
        }
    }

    fn with_tool(description: &'static str) -> Catalog {
        CatalogBuilder::new()
            .tool(Described(description), &[])
            .build()
            .expect("a valid declaration")
    }

    #[test]
    fn a_changed_definition_under_the_same_name_is_announced_and_an_identical_one_is_not() {
        let live = LiveCatalog::new(with_tool("first"));
        let mut changes = live.list_changes().listen();
        live.replace(with_tool("first"));
        assert_eq!(changes.try_recv(), Err(TryRecvError::Empty));
        live.replace(with_tool("second"));
        assert_eq!(changes.try_recv(), Ok(ListChange::Tools));
        assert_eq!(
            changes.try_recv(),
            Err(TryRecvError::Empty),
            "resources and prompts stayed"
        );
    }
}
