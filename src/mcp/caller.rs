//! Who is calling: the verified token's subject, client and scopes, as the bearer middleware
//! saw them.

use std::collections::BTreeSet;

/// The authenticated caller of an MCP request. The HTTP bearer-auth middleware inserts one into the
/// request extensions after verifying the access token; a request without one has no scopes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    pub subject: String,
    pub client_id: String,
    pub scopes: BTreeSet<String>,
}

impl Caller {
    /// A caller holding no scopes: what a request without a verified token amounts to.
    pub fn anonymous() -> Self {
        Self::default()
    }

    pub fn has(&self, scope: &str) -> bool {
        self.scopes.contains(scope)
    }

    /// The scopes from `required` this caller lacks, in the order given.
    pub fn missing<S: AsRef<str>>(&self, required: &[S]) -> Vec<String> {
        required
            .iter()
            .map(AsRef::as_ref)
            .filter(|s| !self.has(s))
            .map(str::to_owned)
            .collect()
    }

    pub fn has_all<S: AsRef<str>>(&self, required: &[S]) -> bool {
        required.iter().all(|s| self.has(s.as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller_with(scopes: &[&str]) -> Caller {
        Caller {
            subject: "alice".into(),
            client_id: "client".into(),
            scopes: scopes.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn missing_lists_only_the_scopes_not_held() {
        let caller = caller_with(&["mcp:tools"]);
        assert_eq!(
            caller.missing(&["mcp:tools", "system:read"]),
            vec!["system:read"]
        );
        assert!(!caller.has_all(&["mcp:tools", "system:read"]));
        assert!(caller.has_all(&["mcp:tools"]));
    }

    #[test]
    fn an_anonymous_caller_holds_nothing() {
        let caller = Caller::anonymous();
        assert!(!caller.has("mcp:tools"));
        assert!(caller.has_all::<&str>(&[]));
    }
}
