//! Scope strings (RFC 6749 §3.3): parsing, validation and subset rules.

use std::collections::BTreeSet;

/// The scopes this server knows (interim list until the MCP catalog declares them).
pub fn supported() -> Vec<&'static str> {
    vec![
        "mcp:tools",
        "mcp:resources",
        "mcp:prompts",
        "system:read",
        "system:monitor",
    ]
}

/// A set of scope tokens; order-free and duplicate-free.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeSet(BTreeSet<String>);

impl ScopeSet {
    /// Parses a space-separated scope string, tolerating stray whitespace.
    /// Rejects characters outside RFC 6749's scope-token grammar.
    pub fn parse(value: &str) -> Result<Self, String> {
        let mut set = BTreeSet::new();
        for token in value
            .split([' ', '\t', '\n', '\r'])
            .filter(|t| !t.is_empty())
        {
            let valid = token
                .chars()
                .all(|c| c == '!' || ('#'..='[').contains(&c) || (']'..='~').contains(&c));
            if !valid {
                return Err(format!(
                    "scope {token:?} contains characters a scope may not have"
                ));
            }
            set.insert(token.to_string());
        }
        Ok(Self(set))
    }

    pub fn from_list<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> Self {
        Self(items.into_iter().map(Into::into).collect())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn is_subset_of(&self, other: &ScopeSet) -> bool {
        self.0.is_subset(&other.0)
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Scopes in `self` that are not in `other`.
    pub fn missing_from(&self, other: &ScopeSet) -> Vec<String> {
        self.0.difference(&other.0).cloned().collect()
    }

    /// Every token must be one this server supports.
    pub fn ensure_supported(&self) -> Result<(), String> {
        let supported = supported();
        match self.0.iter().find(|s| !supported.contains(&s.as_str())) {
            Some(unknown) => Err(format!("unknown scope {unknown:?}")),
            None => Ok(()),
        }
    }
}

impl std::fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let joined: Vec<&str> = self.iter().collect();
        f.write_str(&joined.join(" "))
    }
}
