//! The scope gate every tool, resource and prompt request goes through. It sits below the three
//! primitive files so each can check its own requests without reaching back into `server.rs`.

use super::caller::Caller;
use super::catalog::{self, Entry, Kind};
use super::error::CallError;

/// Checks `caller` against the declared scopes; the single gate every MCP request goes through.
pub(super) fn authorize(caller: &Caller, required: &[&'static str]) -> Result<(), CallError> {
    let missing = caller.missing(required);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(CallError::InsufficientScope(missing))
    }
}

/// The base scope is checked before the lookup, as `catalog::required_scopes` does, so a token
/// without `mcp:tools` learns nothing about which tools exist.
pub(super) fn authorized_entry(
    caller: &Caller,
    kind: Kind,
    name: &str,
) -> Result<&'static Entry, CallError> {
    authorize(caller, &[kind.base_scope()])?;
    let entry = catalog::entry(kind, name).ok_or_else(|| match kind {
        Kind::Tool => CallError::UnknownTool(name.to_owned()),
        Kind::Resource => CallError::UnknownResource(name.to_owned()),
        Kind::Prompt => CallError::UnknownPrompt(name.to_owned()),
    })?;
    authorize(caller, entry.scopes)?;
    Ok(entry)
}

/// Undeclared items are never visible: forgetting a catalog entry hides a tool, it cannot leak it.
pub(super) fn visible(caller: &Caller, kind: Kind, name: &str) -> bool {
    catalog::entry(kind, name).is_some_and(|e| caller.has_all(e.scopes))
}
