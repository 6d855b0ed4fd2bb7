//! Which database to use and how many connections to hold; the URL itself is a secret.

use anyhow::bail;
use serde::{Deserialize, Serialize};

use super::secret::DatabaseUrl;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: DatabaseUrl,
    pub max_connections: u32,
    pub connect_timeout_secs: u64,
    pub migrate_on_start: bool,
}

impl DatabaseSettings {
    pub(super) fn validate(&self) -> anyhow::Result<()> {
        if !(self.url.expose().starts_with("sqlite:") || self.url.is_postgres()) {
            bail!(
                "database.url must start with sqlite: or postgres://, got {:?}",
                self.url.redacted()
            );
        }
        if self.max_connections == 0 {
            bail!("database.max_connections must be at least 1");
        }
        Ok(())
    }
}
