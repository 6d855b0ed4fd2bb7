//! The scope gate every tool, resource and prompt request goes through. It sits below the three
//! primitive files so each can check its own requests without reaching back into `server.rs`.

use super::caller::Caller;
use super::catalog::{Catalog, Entry, Kind};
use super::error::CallError;

/// Checks `caller` against the declared scopes; the single gate every MCP request goes through.
pub(super) fn authorize<S: AsRef<str>>(caller: &Caller, required: &[S]) -> Result<(), CallError> {
    let missing = caller.missing(required);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(CallError::InsufficientScope(missing))
    }
}

/// The base scope is checked before the lookup, as `Catalog::required_scopes` does, so a token
/// without `mcp:tools` learns nothing about which tools exist.
pub(super) fn authorized_entry<'c>(
    catalog: &'c Catalog,
    caller: &Caller,
    kind: Kind,
    name: &str,
) -> Result<&'c Entry, CallError> {
    authorize(caller, &[kind.base_scope()])?;
    let entry = catalog.lookup(kind, name).ok_or_else(|| match kind {
        Kind::Tool => CallError::UnknownTool(name.to_owned()),
        Kind::Resource => CallError::UnknownResource(name.to_owned()),
        Kind::Prompt => CallError::UnknownPrompt(name.to_owned()),
    })?;
    authorize(caller, &entry.scopes)?;
    Ok(entry)
}
