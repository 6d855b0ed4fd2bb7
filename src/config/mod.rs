//! Typed settings: compiled defaults → TOML file → `MCP_OAUTH__SECTION__KEY` env → CLI flags.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use config::{Config, Environment, File, FileFormat};
use serde::{Deserialize, Serialize, Serializer};
use url::Url;

mod telemetry;
pub use telemetry::{OtlpProtocol, TelemetrySettings};

/// The defaults, as TOML: the same text `print-config` starts from.
const DEFAULTS: &str = r#"
[server]
bind = "127.0.0.1:5000"
public_url = "http://localhost:5000"
log_format = "auto"
log_filter = "info"
shutdown_timeout_secs = 10
trusted_proxies = []
oauth_concurrency_per_core = 4
client_auth_queue_max = 64
header_read_timeout_secs = 10
max_connections = 1024

[database]
url = "sqlite://data/mcp-oauth.db"
max_connections = 10
connect_timeout_secs = 10
migrate_on_start = true

[tokens]
access_ttl_secs = 3600
refresh_ttl_secs = 2592000
code_ttl_secs = 600
refresh_reuse_grace_secs = 3600
allow_plain_pkce = true
secret_cache_ttl_secs = 300
signing_key_lifetime_secs = 7776000

[mcp]
allowed_hosts = []
allowed_origins = ["https://claude.ai", "https://claude.com"]
stateful = false
max_body_bytes = 1048576

[clients]
seed_documented = true
seed_documented_secrets = false
introspect_any = []
registration = "open"
metadata_documents = true
metadata_documents_allow_private = false
metadata_documents_stale_secs = 604800
pinned_metadata_documents = []

[metrics]
enabled = true
bind = "127.0.0.1:9464"

[rate_limits]
enabled = true
token = { burst = 60, period_ms = 100 }
token_client = { burst = 60, period_ms = 50 }
token_failures = { burst = 30, period_ms = 2000 }
authorize = { burst = 30, period_ms = 500 }
login = { burst = 5, period_ms = 12000 }
register = { burst = 10, period_ms = 6000 }
introspect = { burst = 100, period_ms = 100 }
revoke = { burst = 30, period_ms = 500 }
mcp = { burst = 60, period_ms = 100 }

[maintenance]
interval_secs = 300
batch_size = 500
access_token_grace_secs = 86400
audit_retention_secs = 7776000
unused_client_ttl_secs = 2592000

[telemetry]
trace_filter = "info"

[bootstrap]
"#;

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
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: SocketAddr,
    /// Public base URL: the issuer and the root of every advertised endpoint.
    pub public_url: String,
    pub log_format: LogFormat,
    pub log_filter: String,
    pub shutdown_timeout_secs: u64,
    /// Proxies (IPs or CIDRs) whose `X-Forwarded-For` / `Forwarded` headers are believed.
    pub trusted_proxies: Vec<String>,
    /// Token, introspection and revocation calls allowed to run at once, per core: lower keeps
    /// MCP calls fast under token load, higher lets the token endpoint use more of the machine.
    pub oauth_concurrency_per_core: u32,
    /// Distinct client-secret verifications (argon2) allowed to wait at once; beyond it the
    /// token, introspection and revocation endpoints answer 503 with `Retry-After`.
    pub client_auth_queue_max: u32,
    /// A connection that has not sent a request's headers within this time is closed
    /// (also an idle keep-alive connection): half-sent requests cannot hold sockets.
    pub header_read_timeout_secs: u64,
    /// Connections served at once; further ones wait in the listen backlog.
    pub max_connections: u32,
    /// Optional TLS termination in-process (PEM files); both or neither.
    #[serde(default)]
    pub tls: TlsSettings,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Auto,
    Pretty,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: DatabaseUrl,
    pub max_connections: u32,
    pub connect_timeout_secs: u64,
    pub migrate_on_start: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSettings {
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
    pub code_ttl_secs: i64,
    /// A rotated refresh token presented again within this window gets the same successor.
    pub refresh_reuse_grace_secs: i64,
    pub allow_plain_pkce: bool,
    pub secret_cache_ttl_secs: u64,
    /// How long a signing key signs before `keys rotate` is due (informational).
    pub signing_key_lifetime_secs: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpSettings {
    /// Extra `Host` values the MCP endpoint accepts, besides the public URL's host and
    /// loopback names (DNS-rebinding protection). `["*"]` accepts any host.
    pub allowed_hosts: Vec<String>,
    /// Browser origins allowed to call the MCP endpoint, besides the public URL's origin and
    /// loopback origins. A present `Origin` outside the list gets 403. `["*"]` allows any.
    pub allowed_origins: Vec<String>,
    /// Keep `Mcp-Session-Id` sessions instead of serving each request on its own.
    pub stateful: bool,
    pub max_body_bytes: usize,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSettings {
    pub seed_documented: bool,
    /// On an https public URL, seed the documented clients with their publicly documented
    /// secrets instead of fresh random ones (printed once). Off by default; http keeps them.
    pub seed_documented_secrets: bool,
    /// Clients allowed to introspect tokens issued to any client.
    pub introspect_any: Vec<String>,
    /// Who may use dynamic client registration (RFC 7591).
    pub registration: Registration,
    /// Accept https `client_id`s that name a Client ID Metadata Document (MCP 2025-11-25).
    pub metadata_documents: bool,
    /// TEST ONLY: let metadata documents live on loopback/private addresses and plain http.
    pub metadata_documents_allow_private: bool,
    /// How long the last validated copy of a document stands in when a fetch fails by
    /// transport error or 5xx (Claude's documents are sometimes unreachable from data centres).
    pub metadata_documents_stale_secs: i64,
    /// Documents read from local files instead of fetched, for locked-down networks.
    pub pinned_metadata_documents: Vec<PinnedMetadataDocument>,
    /// The initial access token `registration = "token"` requires (RFC 7591 §3).
    #[serde(default, serialize_with = "redact_option")]
    pub registration_token: Option<String>,
}

impl fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let token = self.registration_token.as_ref().map(|_| "<redacted>");
        f.debug_struct("ClientSettings")
            .field("seed_documented", &self.seed_documented)
            .field("seed_documented_secrets", &self.seed_documented_secrets)
            .field("introspect_any", &self.introspect_any)
            .field("registration", &self.registration)
            .field("registration_token", &token)
            .field("metadata_documents", &self.metadata_documents)
            .field(
                "metadata_documents_allow_private",
                &self.metadata_documents_allow_private,
            )
            .field(
                "metadata_documents_stale_secs",
                &self.metadata_documents_stale_secs,
            )
            .field("pinned_metadata_documents", &self.pinned_metadata_documents)
            .finish()
    }
}

/// A Client ID Metadata Document served from a local file: `url` is the client id it
/// describes, `file` a JSON document that must pass the same validation as a fetched one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinnedMetadataDocument {
    pub url: String,
    pub file: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Registration {
    /// Anyone may register (what Claude.ai and MCP Inspector expect).
    Open,
    /// Only callers presenting `clients.registration_token` as a Bearer token.
    Token,
    Off,
}

/// The Prometheus listener: separate from the public one and loopback by default, so
/// metrics are never exposed by accident.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    pub enabled: bool,
    pub bind: SocketAddr,
}

/// Token buckets per group: `burst` requests at once, one more every `period_ms`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    pub enabled: bool,
    /// Per client address on the token endpoint.
    pub token: RateLimit,
    /// Per authenticated `client_id` on the token endpoint, whatever the address.
    pub token_client: RateLimit,
    /// Per address, failed client authentications at the token endpoint.
    pub token_failures: RateLimit,
    pub authorize: RateLimit,
    pub login: RateLimit,
    pub register: RateLimit,
    pub introspect: RateLimit,
    pub revoke: RateLimit,
    /// Per token subject on `/mcp` and `/mcp/protected/*`.
    pub mcp: RateLimit,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    pub burst: u32,
    pub period_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceSettings {
    /// How often expired rows are purged; the first run is one interval after start.
    pub interval_secs: u64,
    /// Rows deleted per statement, so a large backlog never holds long locks.
    pub batch_size: u32,
    /// Expired access-token rows are kept this long for investigation before purging.
    pub access_token_grace_secs: i64,
    /// Audit events older than this are purged.
    pub audit_retention_secs: i64,
    /// Registered and metadata-document clients that never got a grant or a token in this
    /// long after registering are removed.
    pub unused_client_ttl_secs: i64,
}

#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapSettings {
    #[serde(serialize_with = "redact_option")]
    pub admin_password: Option<String>,
}

impl fmt::Debug for BootstrapSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.admin_password.as_ref().map(|_| "<redacted>");
        f.debug_struct("BootstrapSettings")
            .field("admin_password", &shown)
            .finish()
    }
}

fn redact_option<S: Serializer>(value: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(_) => s.serialize_str("<redacted>"),
        None => s.serialize_none(),
    }
}

/// A database URL whose password never reaches a log or `print-config`.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn redacted(&self) -> String {
        match Url::parse(&self.0) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("redacted"));
                url.to_string()
            }
            _ => self.0.clone(),
        }
    }
    pub fn is_postgres(&self) -> bool {
        self.0.starts_with("postgres://") || self.0.starts_with("postgresql://")
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

impl Serialize for DatabaseUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.redacted())
    }
}

/// The settings given as comma-separated lists in environment variables.
const LIST_KEYS: [&str; 4] = [
    "clients.introspect_any",
    "mcp.allowed_hosts",
    "mcp.allowed_origins",
    "server.trusted_proxies",
];

/// Values given on the command line; they win over every other layer.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub bind: Option<String>,
    pub public_url: Option<String>,
    pub database_url: Option<String>,
}

impl Settings {
    /// Loads every layer from the real environment.
    pub fn load(overrides: &Overrides) -> anyhow::Result<Self> {
        Self::load_from(overrides, std::env::vars())
    }

    /// Loads with an explicit environment, so tests need not mutate the process's.
    pub fn load_from(
        overrides: &Overrides,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Self> {
        let env: std::collections::HashMap<String, String> = env.into_iter().collect();
        let mut builder = Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml));
        let file = overrides
            .config_file
            .clone()
            .or_else(|| env.get("MCP_OAUTH_CONFIG").map(PathBuf::from));
        if let Some(path) = file {
            builder = builder.add_source(file_source(&path)?);
        }
        let mut environment = Environment::with_prefix("MCP_OAUTH")
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .list_separator(",");
        for key in LIST_KEYS {
            environment = environment.with_list_parse_key(key);
        }
        builder = builder.add_source(environment.source(Some(env.clone().into_iter().collect())));
        // An empty list variable (`MCP_OAUTH__SERVER__TRUSTED_PROXIES=`, as in .env.example) is
        // an empty list: the list parser alone makes it a list of one empty string.
        for key in LIST_KEYS {
            let var = format!("MCP_OAUTH__{}", key.replace('.', "__").to_uppercase());
            if env.get(&var).is_some_and(|value| value.trim().is_empty()) {
                builder = builder.set_override(key, Vec::<String>::new())?;
            }
        }
        // The conventional variable sqlx-cli and docker images use; MCP_OAUTH__ wins.
        if let Some(url) = env.get("DATABASE_URL")
            && !env.contains_key("MCP_OAUTH__DATABASE__URL")
        {
            builder = builder.set_override("database.url", url.as_str())?;
        }
        for (key, value) in [
            ("server.bind", &overrides.bind),
            ("server.public_url", &overrides.public_url),
            ("database.url", &overrides.database_url),
        ] {
            if let Some(value) = value {
                builder = builder.set_override(key, value.as_str())?;
            }
        }
        let settings: Settings = builder
            .build()
            .context("invalid configuration")?
            .try_deserialize()
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> anyhow::Result<()> {
        let url = Url::parse(&self.server.public_url).map_err(|e| {
            anyhow::anyhow!("server.public_url: {e} ({:?})", self.server.public_url)
        })?;
        if !matches!(url.scheme(), "http" | "https")
            || url.host().is_none()
            || url.query().is_some()
            || url.fragment().is_some()
            || self.server.public_url.ends_with('/')
        {
            bail!(
                "server.public_url must be an absolute http(s) URL without query, fragment or trailing slash, got {:?}",
                self.server.public_url
            );
        }
        match (&self.server.tls.cert, &self.server.tls.key) {
            (Some(cert), Some(key)) => {
                for (name, path) in [("server.tls.cert", cert), ("server.tls.key", key)] {
                    if !path.is_file() {
                        bail!("{name}: {} is not a readable file", path.display());
                    }
                }
            }
            (None, None) => {}
            _ => bail!("server.tls.cert and server.tls.key must be set together"),
        }
        let db = self.database.url.expose();
        if !(db.starts_with("sqlite:") || self.database.url.is_postgres()) {
            bail!(
                "database.url must start with sqlite: or postgres://, got {:?}",
                self.database.url.redacted()
            );
        }
        if self.server.oauth_concurrency_per_core == 0 {
            bail!("server.oauth_concurrency_per_core must be at least 1");
        }
        for (key, value) in [
            (
                "server.client_auth_queue_max",
                self.server.client_auth_queue_max as u64,
            ),
            (
                "server.header_read_timeout_secs",
                self.server.header_read_timeout_secs,
            ),
            ("server.max_connections", self.server.max_connections as u64),
        ] {
            if value == 0 {
                bail!("{key} must be at least 1");
            }
        }
        if self.database.max_connections == 0 {
            bail!("database.max_connections must be at least 1");
        }
        let t = &self.tokens;
        for (key, value) in [
            ("tokens.access_ttl_secs", t.access_ttl_secs),
            ("tokens.refresh_ttl_secs", t.refresh_ttl_secs),
            ("tokens.code_ttl_secs", t.code_ttl_secs),
        ] {
            if value <= 0 {
                bail!("{key} must be positive, got {value}");
            }
        }
        if t.code_ttl_secs > 600 {
            bail!(
                "tokens.code_ttl_secs must be at most 600 (RFC 6749 §4.1.2), got {}",
                t.code_ttl_secs
            );
        }
        if t.refresh_reuse_grace_secs < 0 {
            bail!("tokens.refresh_reuse_grace_secs must not be negative");
        }
        if self.clients.metadata_documents_stale_secs < 0 {
            bail!("clients.metadata_documents_stale_secs must not be negative");
        }
        for pinned in &self.clients.pinned_metadata_documents {
            if !pinned.url.starts_with("https://") {
                bail!(
                    "clients.pinned_metadata_documents: {:?} is not an https URL",
                    pinned.url
                );
            }
        }
        let token_missing = self
            .clients
            .registration_token
            .as_deref()
            .is_none_or(|t| t.len() < 16);
        if self.clients.registration == Registration::Token && token_missing {
            bail!(
                "clients.registration = \"token\" needs clients.registration_token (at least 16 characters)"
            );
        }
        self.trusted_proxy_nets()?;
        let r = &self.rate_limits;
        for (group, limit) in [
            ("token", r.token),
            ("token_client", r.token_client),
            ("token_failures", r.token_failures),
            ("authorize", r.authorize),
            ("login", r.login),
            ("register", r.register),
            ("introspect", r.introspect),
            ("revoke", r.revoke),
            ("mcp", r.mcp),
        ] {
            if limit.burst == 0 || limit.period_ms == 0 {
                bail!("rate_limits.{group}: burst and period_ms must be at least 1");
            }
        }
        let m = &self.maintenance;
        if m.interval_secs == 0 || m.batch_size == 0 || m.access_token_grace_secs < 0 {
            bail!(
                "maintenance: interval_secs and batch_size must be at least 1, access_token_grace_secs not negative"
            );
        }
        if m.audit_retention_secs <= 0 || m.unused_client_ttl_secs <= 0 {
            bail!("maintenance: audit_retention_secs and unused_client_ttl_secs must be positive");
        }
        self.telemetry.validate()?;
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

    /// Host names the MCP endpoint answers to (empty means any).
    pub fn mcp_allowed_hosts(&self) -> Vec<String> {
        if self.mcp.allowed_hosts.iter().any(|h| h == "*") {
            return Vec::new();
        }
        let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "[::1]"]
            .map(String::from)
            .to_vec();
        if let Ok(url) = Url::parse(&self.server.public_url)
            && let Some(host) = url.host_str()
        {
            hosts.push(host.to_string());
        }
        hosts.extend(self.mcp.allowed_hosts.iter().cloned());
        hosts
    }

    /// Whether a browser `Origin` may call the MCP endpoint.
    pub fn mcp_origin_allowed(&self, origin: &str) -> bool {
        if self
            .mcp
            .allowed_origins
            .iter()
            .any(|o| o == "*" || o == origin)
        {
            return true;
        }
        let public = Url::parse(&self.server.public_url).map(|u| u.origin().ascii_serialization());
        if public.as_deref() == Ok(origin) {
            return true;
        }
        Url::parse(origin).is_ok_and(|url| {
            url.scheme() == "http" && crate::oauth::redirect_uri::is_loopback(&url)
        })
    }

    /// `server.trusted_proxies` parsed; a bare address is a single-host network.
    pub fn trusted_proxy_nets(&self) -> anyhow::Result<Vec<ipnet::IpNet>> {
        self.server
            .trusted_proxies
            .iter()
            .map(|entry| {
                let entry = entry.trim();
                entry
                    .parse::<ipnet::IpNet>()
                    .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        anyhow::anyhow!(
                            "server.trusted_proxies: {entry:?} is neither an IP address nor a CIDR"
                        )
                    })
            })
            .collect()
    }

    pub fn is_https(&self) -> bool {
        self.server.public_url.starts_with("https://")
    }

    /// The effective configuration as TOML, secrets redacted.
    pub fn to_redacted_toml(&self) -> anyhow::Result<String> {
        toml_string(self)
    }
}

fn file_source(path: &Path) -> anyhow::Result<File<config::FileSourceFile, FileFormat>> {
    if !path.exists() {
        bail!("config file {} does not exist", path.display());
    }
    Ok(File::from(path).format(FileFormat::Toml).required(true))
}

fn toml_string(settings: &Settings) -> anyhow::Result<String> {
    // serde_json → toml-ish rendering keeps us off an extra TOML writer dependency.
    let value = serde_json::to_value(settings)?;
    let mut out = String::new();
    if let serde_json::Value::Object(sections) = value {
        for (section, fields) in sections {
            out.push_str(&format!("[{section}]\n"));
            if let serde_json::Value::Object(fields) = fields {
                for (key, value) in fields {
                    if !value.is_null() {
                        out.push_str(&format!("{key} = {}\n", toml_value(&value)));
                    }
                }
            }
            out.push('\n');
        }
    }
    Ok(out)
}

/// JSON scalars and arrays are valid TOML as written; objects become inline tables.
/// TOML has no null: unset values are left out, as in the top-level tables.
fn toml_value(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(fields) => {
            let inner: Vec<String> = fields
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| format!("{k} = {}", toml_value(v)))
                .collect();
            format!("{{ {} }}", inner.join(", "))
        }
        other => other.to_string(),
    }
}
