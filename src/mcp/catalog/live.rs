//! [`LiveCatalog`]: the catalogue as it is right now. Built-in and team items never change;
//! upstream MCP servers' items come and go as the upstreams start, stop and announce
//! `list_changed`. Readers take a snapshot, so one request sees one consistent catalogue.

use std::sync::{Arc, PoisonError, RwLock};

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
        let names = |catalog: &Catalog, kind| -> Vec<String> {
            catalog.entries_of(kind).map(|e| e.name.clone()).collect()
        };
        for kind in [Kind::Tool, Kind::Resource, Kind::Prompt] {
            if names(&previous, kind) != names(&now, kind) {
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

impl std::fmt::Debug for LiveCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("LiveCatalog").field(&self.current()).finish()
    }
}
