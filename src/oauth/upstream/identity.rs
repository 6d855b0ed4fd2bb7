//! Who the validated ID token says signed in, read through the provider's settings
//! (`username_claim`, `groups_claim`), and whether its allow-lists let them in.

use serde_json::{Map, Value};

use crate::config::OidcProvider;

/// A person the provider vouched for: (`issuer`, `subject`) names them for good; the
/// e-mail address and groups are as the provider said at this sign-in.
#[derive(Debug, Clone)]
pub struct UpstreamIdentity {
    pub issuer: String,
    pub subject: String,
    /// What `username_claim` held: the name of a user created on first sign-in.
    pub username: Option<String>,
    pub email: Option<String>,
    pub email_verified: bool,
    pub groups: Vec<String>,
}

/// Why an authentic identity may still not sign in; the text is what the page says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("This sign-in needs an e-mail address the provider has verified.")]
    EmailNotVerified,
    #[error("Your e-mail address is not in a domain allowed to sign in here.")]
    EmailDomain,
    #[error("You are not in a group allowed to sign in here.")]
    Group,
    #[error("The provider did not say who you are (no {0} claim).")]
    MissingClaim(String),
}

impl UpstreamIdentity {
    /// Reads the identity from every claim of a validated ID token.
    pub(super) fn from_claims(settings: &OidcProvider, claims: &Map<String, Value>) -> Self {
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_string);
        let groups = settings
            .groups_claim
            .as_deref()
            .and_then(|name| claims.get(name))
            .map(group_names)
            .unwrap_or_default();
        Self {
            issuer: text("iss").unwrap_or_default(),
            subject: text("sub").unwrap_or_default(),
            username: text(&settings.username_claim).filter(|u| !u.trim().is_empty()),
            email: text("email"),
            // Some providers send the boolean as a string.
            email_verified: matches!(claims.get("email_verified"), Some(Value::Bool(true)))
                || claims.get("email_verified").and_then(Value::as_str) == Some("true"),
            groups,
        }
    }

    /// The provider's allow-lists: a verified e-mail in an allowed domain, membership of an
    /// allowed group. Empty lists allow everyone.
    pub fn check(&self, settings: &OidcProvider) -> Result<(), Refusal> {
        if !settings.allowed_email_domains.is_empty() {
            let email = self
                .email
                .as_deref()
                .ok_or_else(|| Refusal::MissingClaim("email".into()))?;
            if !self.email_verified {
                return Err(Refusal::EmailNotVerified);
            }
            let domain = email.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase());
            let allowed = settings
                .allowed_email_domains
                .iter()
                .any(|d| domain.as_deref() == Some(d.to_ascii_lowercase().as_str()));
            if !allowed {
                return Err(Refusal::EmailDomain);
            }
        }
        if !settings.allowed_groups.is_empty()
            && !self
                .groups
                .iter()
                .any(|g| settings.allowed_groups.contains(g))
        {
            return Err(Refusal::Group);
        }
        Ok(())
    }

    /// The groups as stored (space-separated).
    pub fn groups_text(&self) -> String {
        self.groups.join(" ")
    }
}

/// A groups claim as a list of names: a JSON array of strings, or one space- or
/// comma-separated string. Names with whitespace cannot be stored and are dropped.
fn group_names(value: &Value) -> Vec<String> {
    let names: Vec<String> = match value {
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .filter(|g| !g.chars().any(char::is_whitespace))
            .map(str::to_string)
            .collect(),
        Value::String(text) => text
            .split(|c: char| c == ',' || c.is_whitespace())
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    names.into_iter().filter(|g| !g.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(domains: &[&str], groups: &[&str]) -> OidcProvider {
        let text = format!(
            r#"{{"id": "idp", "display_name": "IdP", "issuer": "https://idp.example",
            "client_id": "c", "client_secret": "s", "groups_claim": "groups",
            "allowed_email_domains": {domains:?}, "allowed_groups": {groups:?}}}"#
        );
        serde_json::from_str(&text).unwrap()
    }

    fn identity(claims: Value) -> UpstreamIdentity {
        let Value::Object(claims) = claims else {
            unreachable!()
        };
        UpstreamIdentity::from_claims(&provider(&[], &[]), &claims)
    }

    #[test]
    fn the_allow_lists_need_a_verified_address_in_a_listed_domain_and_a_listed_group() {
        let alice = identity(serde_json::json!({"iss": "https://idp.example", "sub": "1",
            "email": "alice@Example.com", "email_verified": true, "groups": ["staff", "ops"]}));
        assert_eq!(alice.username.as_deref(), Some("alice@Example.com"));
        assert_eq!(alice.groups_text(), "staff ops");
        assert_eq!(alice.check(&provider(&["example.com"], &["ops"])), Ok(()));
        assert_eq!(
            alice.check(&provider(&["example.org"], &[])),
            Err(Refusal::EmailDomain)
        );
        assert_eq!(
            alice.check(&provider(&[], &["admins"])),
            Err(Refusal::Group)
        );
        let unverified = identity(serde_json::json!({"sub": "2", "email": "bob@example.com",
            "email_verified": false, "groups": "staff,ops"}));
        assert_eq!(unverified.groups, ["staff", "ops"]);
        assert_eq!(unverified.check(&provider(&[], &["ops"])), Ok(()));
        assert_eq!(
            unverified.check(&provider(&["example.com"], &[])),
            Err(Refusal::EmailNotVerified)
        );
    }
}
