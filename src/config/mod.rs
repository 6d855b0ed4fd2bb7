//! Typed settings: one struct per section of `defaults.toml`, each validating itself, loaded
//! in layers (see `load`). Nothing here depends on the rest of the crate.

mod clients;
mod database;
mod load;
mod login;
mod mcp;
mod operations;
mod print;
mod scopes;
mod secret;
mod server;
mod telemetry;
mod tokens;
mod upstreams;

use serde::{Deserialize, Serialize};

pub use clients::{ClientSettings, PinnedMetadataDocument, Registration};
pub use database::DatabaseSettings;
pub use load::Overrides;
pub use login::{LoginSettings, OidcProvider, Provisioning};
pub use mcp::McpSettings;
pub use operations::{MaintenanceSettings, RateLimit, RateLimitSettings};
pub use scopes::{CustomScope, ScopePolicyRule, ScopeSettings};
pub use secret::{BootstrapSettings, DatabaseUrl, Secret};
pub use server::{LogFormat, MetricsSettings, ServerSettings, TlsSettings, parse_trusted_proxy};
pub use telemetry::{OtlpProtocol, TelemetrySettings};
pub use tokens::TokenSettings;
pub use upstreams::{UpstreamSettings, UpstreamTransport, expand_env};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub tokens: TokenSettings,
    pub mcp: McpSettings,
    pub clients: ClientSettings,
    pub metrics: MetricsSettings,
    pub rate_limits: RateLimitSettings,
    pub maintenance: MaintenanceSettings,
    pub telemetry: TelemetrySettings,
    pub bootstrap: BootstrapSettings,
    pub login: LoginSettings,
    /// Who may grant which scope; absent means everyone may grant everything.
    #[serde(default)]
    pub scopes: ScopeSettings,
}

impl Settings {
    /// Every section checks its own values; the first complaint stops start-up.
    fn validate(&self) -> anyhow::Result<()> {
        self.server.validate()?;
        self.database.validate()?;
        self.tokens.validate()?;
        self.mcp.validate()?;
        self.clients.validate()?;
        self.rate_limits.validate()?;
        self.maintenance.validate()?;
        self.telemetry.validate()?;
        self.login.validate()?;
        self.scopes.validate()?;
        Ok(())
    }

    /// The issuer: the public URL, byte-identical wherever it appears.
    pub fn issuer(&self) -> &str {
        &self.server.public_url
    }

    /// The MCP endpoint, which is also the audience of every access token.
    pub fn mcp_resource(&self) -> String {
        format!("{}/mcp", self.server.public_url)
    }

    pub fn is_https(&self) -> bool {
        self.server.public_url.starts_with("https://")
    }

    /// The effective configuration as TOML, secrets redacted.
    pub fn to_redacted_toml(&self) -> anyhow::Result<String> {
        print::toml_string(self)
    }
}
