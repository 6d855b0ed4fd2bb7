//! How people sign in: the password form and any number of upstream OpenID Connect
//! providers (`[[login.oidc]]`), each checked here before start-up goes on.

use std::fmt;

use anyhow::bail;
use serde::{Deserialize, Serialize};
use url::Url;

use super::secret::Secret;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginSettings {
    /// Show the username and password form. `false` leaves only the providers (the bootstrap
    /// admin still exists for the CLI).
    pub password: bool,
    /// Upstream OpenID Providers, one "Sign in with …" button each.
    #[serde(default)]
    pub oidc: Vec<OidcProvider>,
}

/// One upstream OpenID Provider (`[[login.oidc]]`).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcProvider {
    /// URL slug: `/login/oidc/{id}` and the redirect URI `/login/oidc/{id}/callback`.
    pub id: String,
    pub display_name: String,
    /// Discovered at `{issuer}/.well-known/openid-configuration`; must match its `issuer`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// The claim that names a user created on first login.
    #[serde(default = "default_username_claim")]
    pub username_claim: String,
    /// The claim holding the user's upstream groups (a list or a space-separated string).
    #[serde(default)]
    pub groups_claim: Option<String>,
    /// Only e-mail addresses in these domains (verified by the provider) may sign in.
    #[serde(default)]
    pub allowed_email_domains: Vec<String>,
    /// Only members of one of these upstream groups may sign in (needs `groups_claim`).
    #[serde(default)]
    pub allowed_groups: Vec<String>,
    #[serde(default)]
    pub provisioning: Provisioning,
}

/// What happens when someone signs in at a provider for the first time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provisioning {
    /// Create a user named by `username_claim` (never merged with an existing local user).
    #[default]
    Auto,
    /// Only users an operator linked to this provider (`users link`) may sign in.
    Existing,
}

fn default_scopes() -> Vec<String> {
    ["openid", "email", "profile"].map(String::from).to_vec()
}

fn default_username_claim() -> String {
    "email".to_string()
}

impl fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcProvider")
            .field("id", &self.id)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("scopes", &self.scopes)
            .field("provisioning", &self.provisioning)
            .finish_non_exhaustive()
    }
}

impl LoginSettings {
    pub(super) fn validate(&self) -> anyhow::Result<()> {
        for (index, provider) in self.oidc.iter().enumerate() {
            provider.validate()?;
            if self.oidc[..index].iter().any(|p| p.id == provider.id) {
                bail!("login.oidc: the id {:?} is used twice", provider.id);
            }
        }
        Ok(())
    }

    /// The provider whose slug is `id`.
    pub fn provider(&self, id: &str) -> Option<&OidcProvider> {
        self.oidc.iter().find(|p| p.id == id)
    }
}

impl OidcProvider {
    fn validate(&self) -> anyhow::Result<()> {
        let id = &self.id;
        let slug = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
        if id.is_empty() || id.len() > 32 || !id.chars().all(slug) {
            bail!("login.oidc: id {id:?} must be 1–32 of a-z, 0-9, '-' and '_'");
        }
        if self.display_name.trim().is_empty() {
            bail!("login.oidc {id}: display_name is empty");
        }
        let issuer = Url::parse(&self.issuer)
            .map_err(|e| anyhow::anyhow!("login.oidc {id}: issuer is not a URL: {e}"))?;
        let loopback = matches!(issuer.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        if issuer.scheme() != "https" && !(issuer.scheme() == "http" && loopback) {
            bail!("login.oidc {id}: issuer must be https (plain http only on loopback)");
        }
        if issuer.query().is_some() || issuer.fragment().is_some() {
            bail!("login.oidc {id}: issuer has no query or fragment");
        }
        if self.client_id.is_empty() || self.client_secret.expose().is_empty() {
            bail!("login.oidc {id}: client_id and client_secret are required");
        }
        if !self.scopes.iter().any(|s| s == "openid") {
            bail!("login.oidc {id}: scopes must include \"openid\"");
        }
        if self.username_claim.is_empty() {
            bail!("login.oidc {id}: username_claim is empty");
        }
        if !self.allowed_groups.is_empty() && self.groups_claim.is_none() {
            bail!("login.oidc {id}: allowed_groups needs groups_claim");
        }
        if self
            .allowed_email_domains
            .iter()
            .any(|d| d.contains('@') || d.is_empty())
        {
            bail!(
                "login.oidc {id}: allowed_email_domains are domains (example.com), not addresses"
            );
        }
        Ok(())
    }
}
