//! The layers and their order: compiled defaults → TOML file → `MCP_OAUTH__SECTION__KEY`
//! environment → command-line flags, last wins.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use config::{Config, Environment, File, FileFormat};

use super::Settings;

/// The defaults, as TOML: the documented example, and what `print-config` mirrors.
const DEFAULTS: &str = include_str!("defaults.toml");

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
        let env: HashMap<String, String> = env.into_iter().collect();
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
}

fn file_source(path: &Path) -> anyhow::Result<File<config::FileSourceFile, FileFormat>> {
    if !path.exists() {
        bail!("config file {} does not exist", path.display());
    }
    Ok(File::from(path).format(FileFormat::Toml).required(true))
}
