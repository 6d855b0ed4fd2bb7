//! The listeners: the public HTTP server (address, URL, TLS, proxies, limits) and metrics.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::bail;
use serde::{Deserialize, Serialize};
use url::Url;

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

/// The Prometheus listener: separate from the public one and loopback by default, so
/// metrics are never exposed by accident.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    pub enabled: bool,
    pub bind: SocketAddr,
}

/// One `server.trusted_proxies` entry: a CIDR, or a bare address as a single-host network.
pub fn parse_trusted_proxy(entry: &str) -> Option<ipnet::IpNet> {
    let entry = entry.trim();
    entry
        .parse::<ipnet::IpNet>()
        .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .ok()
}

impl ServerSettings {
    pub(super) fn validate(&self) -> anyhow::Result<()> {
        self.validate_public_url()?;
        self.validate_tls()?;
        self.validate_limits()?;
        for entry in &self.trusted_proxies {
            if parse_trusted_proxy(entry).is_none() {
                bail!(
                    "server.trusted_proxies: {:?} is neither an IP address nor a CIDR",
                    entry.trim()
                );
            }
        }
        Ok(())
    }

    fn validate_public_url(&self) -> anyhow::Result<()> {
        let url = Url::parse(&self.public_url)
            .map_err(|e| anyhow::anyhow!("server.public_url: {e} ({:?})", self.public_url))?;
        if !matches!(url.scheme(), "http" | "https")
            || url.host().is_none()
            || url.query().is_some()
            || url.fragment().is_some()
            || self.public_url.ends_with('/')
        {
            bail!(
                "server.public_url must be an absolute http(s) URL without query, fragment or trailing slash, got {:?}",
                self.public_url
            );
        }
        Ok(())
    }

    fn validate_tls(&self) -> anyhow::Result<()> {
        match (&self.tls.cert, &self.tls.key) {
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
        Ok(())
    }

    fn validate_limits(&self) -> anyhow::Result<()> {
        if self.oauth_concurrency_per_core == 0 {
            bail!("server.oauth_concurrency_per_core must be at least 1");
        }
        for (key, value) in [
            (
                "server.client_auth_queue_max",
                self.client_auth_queue_max as u64,
            ),
            (
                "server.header_read_timeout_secs",
                self.header_read_timeout_secs,
            ),
            ("server.max_connections", self.max_connections as u64),
        ] {
            if value == 0 {
                bail!("{key} must be at least 1");
            }
        }
        Ok(())
    }
}
