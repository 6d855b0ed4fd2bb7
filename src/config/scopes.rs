//! Scopes declared in configuration (`[[scopes.custom]]`, for upstream MCP servers' tools) and
//! who may grant which scope: the `[[scopes.policy]]` rules. A scope no rule names may be
//! granted by anyone (the default); a scope some rules name only by the users and groups those
//! rules list. Scope names are checked against the MCP catalogue when the server starts.

use anyhow::bail;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeSettings {
    /// Scopes beyond the catalogue's, each with the sentence the consent page shows.
    #[serde(default)]
    pub custom: Vec<CustomScope>,
    #[serde(default)]
    pub policy: Vec<ScopePolicyRule>,
}

/// A scope declared in configuration (`[[scopes.custom]]`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CustomScope {
    pub name: String,
    /// What the consent page says granting it allows.
    pub description: String,
}

/// "Only these users and members of these groups may grant these scopes."
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ScopePolicyRule {
    pub scopes: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub users: Vec<String>,
}

impl ScopeSettings {
    pub(super) fn validate(&self) -> anyhow::Result<()> {
        for (i, rule) in self.policy.iter().enumerate() {
            if rule.scopes.is_empty() {
                bail!("scopes.policy[{i}].scopes: name at least one scope");
            }
            if rule.groups.is_empty() && rule.users.is_empty() {
                bail!(
                    "scopes.policy[{i}]: name the groups or users who may grant {} \
                     (a rule with neither would let nobody grant them)",
                    rule.scopes.join(" ")
                );
            }
        }
        Ok(())
    }
}
