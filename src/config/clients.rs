//! Which OAuth clients exist and who may add them: seeding, registration, metadata documents.

use std::fmt;
use std::path::PathBuf;

use anyhow::bail;
use serde::{Deserialize, Serialize};

use super::secret::{Secret, redacted};

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
    #[serde(default)]
    pub registration_token: Option<Secret>,
}

impl fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSettings")
            .field("seed_documented", &self.seed_documented)
            .field("seed_documented_secrets", &self.seed_documented_secrets)
            .field("introspect_any", &self.introspect_any)
            .field("registration", &self.registration)
            .field(
                "registration_token",
                &redacted(self.registration_token.as_ref()),
            )
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

impl ClientSettings {
    pub(super) fn validate(&self) -> anyhow::Result<()> {
        if self.metadata_documents_stale_secs < 0 {
            bail!("clients.metadata_documents_stale_secs must not be negative");
        }
        for pinned in &self.pinned_metadata_documents {
            if !pinned.url.starts_with("https://") {
                bail!(
                    "clients.pinned_metadata_documents: {:?} is not an https URL",
                    pinned.url
                );
            }
        }
        let token_missing = self
            .registration_token
            .as_ref()
            .map(Secret::expose)
            .is_none_or(|t| t.len() < 16);
        if self.registration == Registration::Token && token_missing {
            bail!(
                "clients.registration = \"token\" needs clients.registration_token (at least 16 characters)"
            );
        }
        Ok(())
    }
}
