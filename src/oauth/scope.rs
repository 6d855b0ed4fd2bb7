//! Scope strings (RFC 6749 §3.3): parsing, validation and subset rules.

use std::collections::BTreeSet;

/// Why a scope string or request was refused; the text is what the client is told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("scope {0:?} contains characters a scope may not have")]
    Malformed(String),
    #[error("too many scope values (at most {MAX_REQUESTED})")]
    TooMany,
    #[error("unknown scope {0:?}")]
    Unknown(String),
}

/// A set of scope tokens; order-free and duplicate-free.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeSet(BTreeSet<String>);

impl ScopeSet {
    /// Parses a space-separated scope string, tolerating stray whitespace.
    /// Rejects characters outside RFC 6749's scope-token grammar.
    pub fn parse(value: &str) -> Result<Self, ScopeError> {
        let mut set = BTreeSet::new();
        for token in value
            .split([' ', '\t', '\n', '\r'])
            .filter(|t| !t.is_empty())
        {
            let valid = token
                .chars()
                .all(|c| c == '!' || ('#'..='[').contains(&c) || (']'..='~').contains(&c));
            if !valid {
                return Err(ScopeError::Malformed(token.to_string()));
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

    /// Splits into the scopes this server knows and the names it does not (RFC 6749 §3.3 lets
    /// the server ignore those: real clients send foreign values such as Claude.ai's
    /// `claudeai`). The unknown names are returned so the caller can report them.
    pub fn split_known(self, supported: &ScopeSet) -> (ScopeSet, Vec<String>) {
        let (known, unknown): (BTreeSet<String>, BTreeSet<String>) =
            self.0.into_iter().partition(|s| supported.contains(s));
        (Self(known), unknown.into_iter().collect())
    }

    /// What a token request may have out of `self` (what was granted or is allowed):
    /// `Ok(None)` when nothing was requested, so all of it; `Ok(Some(requested))` when the
    /// request only narrows; otherwise `Err` with the requested names outside `self`.
    pub fn narrow(&self, requested: ScopeSet) -> Result<Option<ScopeSet>, Vec<String>> {
        if !requested.is_subset_of(self) {
            return Err(requested.missing_from(self));
        }
        Ok((!requested.is_empty()).then_some(requested))
    }

    /// The scopes in both sets.
    pub fn intersection(&self, other: &ScopeSet) -> ScopeSet {
        Self(self.0.intersection(&other.0).cloned().collect())
    }

    /// Every token must be one this server supports.
    pub fn ensure_supported(&self, supported: &ScopeSet) -> Result<(), ScopeError> {
        match self.0.iter().find(|s| !supported.contains(s)) {
            Some(unknown) => Err(ScopeError::Unknown(unknown.clone())),
            None => Ok(()),
        }
    }
}

/// The most scope values one request may carry; real clients send a handful.
const MAX_REQUESTED: usize = 64;

/// A requested scope after unknown names were dropped: what remains (maybe empty, meaning
/// "the default") and what was dropped, for the audit log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requested {
    pub known: ScopeSet,
    pub dropped: Vec<String>,
}

impl Requested {
    /// Parses a request's `scope` parameter leniently: malformed tokens are still an error,
    /// names outside `supported` are dropped.
    pub fn parse(value: Option<&str>, supported: &ScopeSet) -> Result<Self, ScopeError> {
        let (known, dropped) = match value {
            Some(raw) => {
                let set = ScopeSet::parse(raw)?;
                // Leniency is for a client's stray names, not for a list that only fills logs.
                if set.0.len() > MAX_REQUESTED {
                    return Err(ScopeError::TooMany);
                }
                set.split_known(supported)
            }
            None => (ScopeSet::default(), Vec::new()),
        };
        Ok(Self { known, dropped })
    }

    /// The known scopes, or `default` when none remain.
    pub fn or(self, default: &ScopeSet) -> ScopeSet {
        if self.known.is_empty() {
            default.clone()
        } else {
            self.known
        }
    }
}

impl std::fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let joined: Vec<&str> = self.iter().collect();
        f.write_str(&joined.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn supported() -> ScopeSet {
        ScopeSet::from_list([
            "mcp:tools",
            "mcp:resources",
            "mcp:prompts",
            "system:read",
            "system:monitor",
        ])
    }

    #[test]
    fn unknown_names_are_dropped_and_reported_while_known_ones_stay() {
        let requested =
            Requested::parse(Some("claudeai mcp:tools  offline_access"), &supported()).unwrap();
        assert_eq!(requested.known.to_string(), "mcp:tools");
        assert_eq!(requested.dropped, vec!["claudeai", "offline_access"]);
    }

    #[test]
    fn nothing_known_falls_back_to_the_default() {
        let default = ScopeSet::from_list(["mcp:tools", "mcp:prompts"]);
        assert_eq!(
            Requested::parse(Some("claudeai"), &supported())
                .unwrap()
                .or(&default),
            default
        );
        assert_eq!(
            Requested::parse(None, &supported()).unwrap().or(&default),
            default
        );
    }

    #[test]
    fn a_request_with_more_values_than_any_client_sends_is_an_error() {
        let many: Vec<String> = (0..65).map(|i| format!("x:{i}")).collect();
        assert!(Requested::parse(Some(&many.join(" ")), &supported()).is_err());
        assert!(Requested::parse(Some(&many[..64].join(" ")), &supported()).is_ok());
    }

    #[test]
    fn narrowing_keeps_all_for_nothing_requested_and_refuses_more_than_allowed() {
        let allowed = ScopeSet::from_list(["mcp:tools", "mcp:prompts"]);
        assert_eq!(allowed.narrow(ScopeSet::default()), Ok(None));
        let tools = ScopeSet::from_list(["mcp:tools"]);
        assert_eq!(allowed.narrow(tools.clone()), Ok(Some(tools)));
        let more = ScopeSet::from_list(["mcp:tools", "system:read"]);
        assert_eq!(allowed.narrow(more), Err(vec!["system:read".to_string()]));
    }

    #[test]
    fn malformed_scope_tokens_are_still_an_error() {
        assert!(Requested::parse(Some("mcp:tools bad\"quote"), &supported()).is_err());
    }
}
