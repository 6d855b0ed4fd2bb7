//! Upstream MCP servers served behind this server's OAuth (`[[mcp.upstreams]]`): how to reach
//! each one, the scopes its tools need, which tools are offered and the limits that keep a slow
//! or hostile upstream from hurting anyone else. Checked here before start-up goes on.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use url::Url;

use super::secret::Secret;

/// How the gateway talks to an upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UpstreamTransport {
    /// A child process speaking newline-delimited JSON-RPC on stdin/stdout.
    Stdio,
    /// A Streamable HTTP endpoint.
    Http,
}

/// One upstream MCP server (`[[mcp.upstreams]]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamSettings {
    /// Names the upstream in logs, metrics and `/readyz`, and is the default prefix.
    pub name: String,
    /// Tools and prompts are offered as `{prefix}__{name}`; `""` offers them unprefixed (a name
    /// that collides with another item is then skipped and reported).
    #[serde(default)]
    pub prefix: Option<String>,
    pub transport: UpstreamTransport,
    /// stdio: the program, its arguments, extra environment and working directory.
    #[serde(default)]
    pub command: Option<String>,
    #[serde(default)]
    pub args: Vec<String>,
    /// Values may name environment variables: `"${GITHUB_TOKEN}"`. The child inherits only
    /// HOME, PATH, the user, shell, terminal and locale from this process; the rest comes from here.
    #[serde(default)]
    pub env: BTreeMap<String, Secret>,
    #[serde(default)]
    pub cwd: Option<PathBuf>,
    /// http: the Streamable HTTP endpoint and static headers (values may be `"${VAR}"`).
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, Secret>,
    /// Scopes every item of this upstream needs besides `mcp:tools` / `mcp:resources` /
    /// `mcp:prompts`. Each must be declared (built-in or `[[scopes.custom]]`).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Per-tool scopes (upstream tool name → scopes), used instead of `scopes` for that tool.
    #[serde(default)]
    pub tool_scopes: BTreeMap<String, Vec<String>>,
    /// Only these upstream tool names are offered (empty: all of them).
    #[serde(default)]
    pub allow: Vec<String>,
    /// These upstream tool names are never offered.
    #[serde(default)]
    pub deny: Vec<String>,
    /// Offer the upstream's resources and prompts too.
    #[serde(default = "yes")]
    pub resources: bool,
    #[serde(default = "yes")]
    pub prompts: bool,
    /// http only: send the verified subject and scopes in this header (`X-MCP-Subject`). Trust
    /// it only where nobody else can reach the upstream.
    #[serde(default)]
    pub subject_header: Option<String>,
    /// A forwarded request that takes longer is cut off (and cancelled upstream).
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Forwarded requests in flight at once; more wait (within the timeout), then get an error.
    #[serde(default = "default_concurrency")]
    pub max_concurrent: usize,
    /// The largest message accepted from the upstream.
    #[serde(default = "default_response_bytes")]
    pub max_response_bytes: usize,
    /// How often the upstream is pinged; a failed ping marks it down and reconnects.
    #[serde(default = "default_health")]
    pub health_check_secs: u64,
}

fn yes() -> bool {
    true
}
fn default_timeout() -> u64 {
    30
}
fn default_concurrency() -> usize {
    16
}
fn default_response_bytes() -> usize {
    4 * 1024 * 1024
}
fn default_health() -> u64 {
    30
}

impl UpstreamSettings {
    /// The tool and prompt name prefix, `""` when none.
    pub fn prefix(&self) -> &str {
        self.prefix.as_deref().unwrap_or(&self.name)
    }

    /// The name a client sees for the upstream's tool or prompt `name`.
    pub fn offered_name(&self, name: &str) -> String {
        match self.prefix() {
            "" => name.to_owned(),
            prefix => format!("{prefix}__{name}"),
        }
    }

    /// Whether the allow and deny lists let `tool` through.
    pub fn offers_tool(&self, tool: &str) -> bool {
        (self.allow.is_empty() || self.allow.iter().any(|a| a == tool))
            && !self.deny.iter().any(|d| d == tool)
    }

    /// The scopes `tool` needs besides `mcp:tools`.
    pub fn scopes_for_tool(&self, tool: &str) -> &[String] {
        self.tool_scopes.get(tool).unwrap_or(&self.scopes)
    }

    fn validate(&self) -> anyhow::Result<()> {
        let name = &self.name;
        let simple = |s: &str| {
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        if name.is_empty() || !simple(name) {
            bail!("mcp.upstreams: name {name:?} must be letters, digits, '-' or '_'");
        }
        if !simple(self.prefix()) || self.prefix().len() > 64 {
            bail!("mcp.upstreams[{name}].prefix must be letters, digits, '-' or '_'");
        }
        match self.transport {
            UpstreamTransport::Stdio => {
                if self.command.as_deref().is_none_or(str::is_empty) {
                    bail!("mcp.upstreams[{name}]: transport = \"stdio\" needs a command");
                }
                if self.url.is_some() || !self.headers.is_empty() {
                    bail!("mcp.upstreams[{name}]: url and headers are for transport = \"http\"");
                }
                if self.subject_header.is_some() {
                    bail!(
                        "mcp.upstreams[{name}]: subject_header needs transport = \"http\" \
                         (a stdio upstream serves every caller through one pipe)"
                    );
                }
            }
            UpstreamTransport::Http => {
                let url = self.url.as_deref().unwrap_or_default();
                let parsed = Url::parse(url)
                    .with_context(|| format!("mcp.upstreams[{name}].url {url:?}"))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    bail!("mcp.upstreams[{name}].url must be http(s), got {url:?}");
                }
                if self.command.is_some() || !self.args.is_empty() || !self.env.is_empty() {
                    bail!(
                        "mcp.upstreams[{name}]: command, args and env are for transport = \"stdio\""
                    );
                }
                for header in self.headers.keys().chain(&self.subject_header) {
                    if http::HeaderName::from_bytes(header.as_bytes()).is_err() {
                        bail!("mcp.upstreams[{name}]: {header:?} is not a header name");
                    }
                }
                if self
                    .subject_header
                    .as_deref()
                    .is_some_and(|h| h.eq_ignore_ascii_case("authorization"))
                {
                    bail!("mcp.upstreams[{name}].subject_header may not be Authorization");
                }
            }
        }
        if self.timeout_secs == 0 || self.max_concurrent == 0 || self.max_response_bytes < 1024 {
            bail!(
                "mcp.upstreams[{name}]: timeout_secs and max_concurrent must be at least 1, \
                 max_response_bytes at least 1024"
            );
        }
        if self.health_check_secs == 0 {
            bail!("mcp.upstreams[{name}].health_check_secs must be at least 1");
        }
        Ok(())
    }
}

/// Checks every upstream on its own, then that names and prefixes are unique.
pub(super) fn validate_all(upstreams: &[UpstreamSettings]) -> anyhow::Result<()> {
    for (i, upstream) in upstreams.iter().enumerate() {
        upstream.validate()?;
        let earlier = &upstreams[..i];
        if earlier.iter().any(|u| u.name == upstream.name) {
            bail!("mcp.upstreams: name {:?} is used twice", upstream.name);
        }
        if !upstream.prefix().is_empty() && earlier.iter().any(|u| u.prefix() == upstream.prefix())
        {
            bail!(
                "mcp.upstreams: prefix {:?} is used twice",
                upstream.prefix()
            );
        }
    }
    Ok(())
}

/// Replaces each `${NAME}` in `value` with the environment variable `NAME`; a variable that is
/// not set is an error (a missing token should stop start-up, not send an empty header).
pub fn expand_env(value: &str) -> anyhow::Result<String> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .with_context(|| format!("an unclosed ${{ in {value:?}"))?;
        let name = &after[..end];
        let found = std::env::var(name)
            .with_context(|| format!("environment variable {name} is not set"))?;
        out.push_str(&found);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stdio(name: &str) -> UpstreamSettings {
        let text = format!("name = {name:?}\ntransport = \"stdio\"\ncommand = \"server\"\n");
        toml_de(&text)
    }

    fn toml_de(text: &str) -> UpstreamSettings {
        let config = config::Config::builder()
            .add_source(config::File::from_str(text, config::FileFormat::Toml))
            .build()
            .expect("parse");
        config.try_deserialize().expect("an upstream")
    }

    #[test]
    fn the_name_is_the_default_prefix_and_an_empty_prefix_means_none() {
        let mut upstream = stdio("time");
        assert_eq!(
            upstream.offered_name("get_current_time"),
            "time__get_current_time"
        );
        upstream.prefix = Some(String::new());
        assert_eq!(
            upstream.offered_name("get_current_time"),
            "get_current_time"
        );
    }

    #[test]
    fn allow_and_deny_lists_filter_tools_and_overrides_replace_scopes() {
        let mut upstream = stdio("fs");
        upstream.scopes = vec!["files:read".into()];
        upstream.allow = vec!["read".into(), "write".into()];
        upstream.deny = vec!["write".into()];
        upstream
            .tool_scopes
            .insert("write".into(), vec!["files:write".into()]);
        assert!(upstream.offers_tool("read"));
        assert!(!upstream.offers_tool("write"));
        assert!(!upstream.offers_tool("delete"));
        assert_eq!(upstream.scopes_for_tool("read"), ["files:read"]);
        assert_eq!(upstream.scopes_for_tool("write"), ["files:write"]);
    }

    #[test]
    fn a_stdio_upstream_without_a_command_or_with_a_url_is_refused() {
        let mut upstream = stdio("a");
        upstream.command = None;
        assert!(upstream.validate().is_err());
        let mut upstream = stdio("a");
        upstream.url = Some("http://127.0.0.1:1/mcp".into());
        assert!(upstream.validate().is_err());
        let mut upstream = stdio("a");
        upstream.subject_header = Some("X-MCP-Subject".into());
        assert!(upstream.validate().is_err());
    }

    #[test]
    fn an_http_upstream_needs_an_http_url() {
        let upstream =
            toml_de("name = \"h\"\ntransport = \"http\"\nurl = \"ftp://example.com/mcp\"\n");
        assert!(upstream.validate().is_err());
        let upstream = toml_de("name = \"h\"\ntransport = \"http\"\n");
        assert!(upstream.validate().is_err());
        let upstream =
            toml_de("name = \"h\"\ntransport = \"http\"\nurl = \"http://127.0.0.1:9/mcp\"\n");
        assert!(upstream.validate().is_ok());
    }

    #[test]
    fn names_and_prefixes_must_be_unique() {
        assert!(validate_all(&[stdio("a"), stdio("a")]).is_err());
        let mut b = stdio("b");
        b.prefix = Some("a".into());
        assert!(validate_all(&[stdio("a"), b]).is_err());
        assert!(validate_all(&[stdio("a"), stdio("b")]).is_ok());
    }

    #[test]
    fn environment_references_expand_and_a_missing_one_is_an_error() {
        // PATH is set wherever tests run.
        let path = std::env::var("PATH").expect("PATH");
        assert_eq!(
            expand_env("x${PATH}y").expect("expands"),
            format!("x{path}y")
        );
        assert_eq!(expand_env("plain").expect("no reference"), "plain");
        assert!(expand_env("${MCP_OAUTH_SURELY_UNSET_VARIABLE}").is_err());
        assert!(expand_env("${PATH").is_err());
    }
}
