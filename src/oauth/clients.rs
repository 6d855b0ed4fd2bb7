//! Client registration rules and the two documented clients of the original README.

use anyhow::{Context, bail};

use super::redirect_uri::{self, RedirectUriError};
use super::scope::{ScopeError, ScopeSet};
use crate::crypto;
use crate::storage::{self, ClientRecord, Store};

pub const GRANT_AUTHORIZATION_CODE: &str = "authorization_code";
pub const GRANT_REFRESH_TOKEN: &str = "refresh_token";
pub const GRANT_CLIENT_CREDENTIALS: &str = "client_credentials";
const KNOWN_GRANTS: [&str; 3] = [
    GRANT_AUTHORIZATION_CODE,
    GRANT_REFRESH_TOKEN,
    GRANT_CLIENT_CREDENTIALS,
];

/// What a caller asks to register. `secret: None` with `confidential` generates one.
#[derive(Clone)]
pub struct NewClient {
    pub id: String,
    pub name: String,
    pub confidential: bool,
    pub secret: Option<String>,
    pub redirect_uris: Vec<String>,
    pub scopes: Vec<String>,
    pub grant_types: Vec<String>,
    pub origin: &'static str,
    /// RFC 7591 `application_type`, when the registration named one.
    pub application_type: Option<String>,
}

/// A registered client and, once only, the plaintext secret it was given.
pub struct Registered {
    pub record: ClientRecord,
    pub secret: Option<String>,
}

/// Why a client may not be registered; the text is what the registrant is told. The rule
/// errors it wraps are no `source`: their text says it all, and `{:#}` (the CLI) prints it once.
#[derive(Debug, thiserror::Error)]
pub enum InvalidClient {
    #[error("client id {0:?} must be 1-255 visible ASCII characters")]
    Id(String),
    #[error("client name must be 1-200 characters")]
    Name,
    #[error("{0}")]
    RedirectUri(RedirectUriError),
    #[error("a client needs at least one scope")]
    NoScope,
    #[error("{0}")]
    Scope(ScopeError),
    #[error("unknown grant type {0:?}")]
    UnknownGrant(String),
    #[error("authorization_code clients need at least one redirect URI")]
    CodeWithoutRedirectUri,
    #[error("client_credentials is for confidential clients only")]
    PublicClientCredentials,
    #[error(
        "token_endpoint_auth_method {method:?} does not fit a {} client",
        if *confidential { "confidential" } else { "public" }
    )]
    AuthMethod {
        method: &'static str,
        confidential: bool,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error(transparent)]
    Invalid(#[from] InvalidClient),
    #[error("a client with id {0:?} already exists")]
    Duplicate(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl NewClient {
    fn validate(&self, known_scopes: &ScopeSet) -> Result<(), InvalidClient> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 255
            && self.id.chars().all(|c| c.is_ascii_graphic());
        if !id_ok {
            return Err(InvalidClient::Id(self.id.clone()));
        }
        if self.name.trim().is_empty() || self.name.len() > 200 {
            return Err(InvalidClient::Name);
        }
        for uri in &self.redirect_uris {
            redirect_uri::validate_for_registration(uri).map_err(InvalidClient::RedirectUri)?;
        }
        let scopes = ScopeSet::from_list(self.scopes.iter().cloned());
        if scopes.is_empty() {
            return Err(InvalidClient::NoScope);
        }
        scopes
            .ensure_supported(known_scopes)
            .map_err(InvalidClient::Scope)?;
        for grant in &self.grant_types {
            if !KNOWN_GRANTS.contains(&grant.as_str()) {
                return Err(InvalidClient::UnknownGrant(grant.clone()));
            }
        }
        let uses_code = self
            .grant_types
            .iter()
            .any(|g| g == GRANT_AUTHORIZATION_CODE);
        if uses_code && self.redirect_uris.is_empty() {
            return Err(InvalidClient::CodeWithoutRedirectUri);
        }
        let uses_cc = self
            .grant_types
            .iter()
            .any(|g| g == GRANT_CLIENT_CREDENTIALS);
        if uses_cc && !self.confidential {
            return Err(InvalidClient::PublicClientCredentials);
        }
        Ok(())
    }
}

/// Validates and stores a client, hashing its secret with argon2id.
/// `known_scopes`: what the client's scopes must come from (the catalogue's scopes).
pub async fn register(
    store: &Store,
    new: NewClient,
    known_scopes: &ScopeSet,
) -> Result<Registered, RegisterError> {
    let method = if new.confidential {
        AUTH_SECRET_BASIC
    } else {
        AUTH_NONE
    };
    register_with_method(store, new, method, known_scopes).await
}

pub const AUTH_SECRET_BASIC: &str = "client_secret_basic";
pub const AUTH_SECRET_POST: &str = "client_secret_post";
pub const AUTH_NONE: &str = "none";

/// [`register`] with the token endpoint auth method the client asked for (RFC 7591 §2).
pub async fn register_with_method(
    store: &Store,
    new: NewClient,
    method: &'static str,
    known_scopes: &ScopeSet,
) -> Result<Registered, RegisterError> {
    new.validate(known_scopes)?;
    if (method == AUTH_NONE) == new.confidential {
        return Err(InvalidClient::AuthMethod {
            method,
            confidential: new.confidential,
        }
        .into());
    }
    let secret = new.confidential.then(|| {
        new.secret
            .clone()
            .unwrap_or_else(|| crypto::random_token(32))
    });
    let secret_hash = match &secret {
        Some(secret) => Some(crypto::hash_secret(secret.clone()).await?),
        None => None,
    };
    let now = storage::unix_now();
    let record = ClientRecord {
        id: new.id.clone(),
        secret_hash,
        name: new.name.trim().to_string(),
        redirect_uris: new.redirect_uris.join(" "),
        scopes: ScopeSet::from_list(new.scopes).to_string(),
        grant_types: new.grant_types.join(" "),
        token_endpoint_auth_method: method.into(),
        origin: new.origin.into(),
        created_at: now,
        updated_at: now,
        disabled_at: None,
        application_type: new.application_type.clone(),
    };
    match store.insert_client(&record).await {
        Ok(()) => Ok(Registered { record, secret }),
        Err(e) if storage::is_unique_violation(&e) => Err(RegisterError::Duplicate(new.id)),
        Err(e) => Err(RegisterError::Internal(e.into())),
    }
}

/// Replaces a confidential client's secret; returns the new one (shown once).
pub async fn rotate_secret(store: &Store, id: &str) -> anyhow::Result<String> {
    let client = store
        .get_client(id)
        .await?
        .with_context(|| format!("no client with id {id:?}"))?;
    if !client.is_confidential() {
        bail!("client {id:?} is public and has no secret to rotate");
    }
    let secret = crypto::random_token(32);
    let hash = crypto::hash_secret(secret.clone()).await?;
    store
        .set_client_secret_hash(id, &hash, storage::unix_now())
        .await?;
    Ok(secret)
}

/// The clients of the original README, with their documented secrets.
pub fn documented_clients() -> Vec<NewClient> {
    let all_grants = vec![
        GRANT_AUTHORIZATION_CODE.to_string(),
        GRANT_REFRESH_TOKEN.to_string(),
        GRANT_CLIENT_CREDENTIALS.to_string(),
    ];
    vec![
        NewClient {
            id: "claude_ai_client".into(),
            name: "Claude.ai".into(),
            confidential: true,
            secret: Some("claude_secret_key_2024".into()),
            redirect_uris: [
                "https://claude.ai/oauth/callback",
                "http://localhost:8080/callback",
                redirect_uri::OOB,
                "https://claude.ai/api/mcp/auth_callback",
                "https://claude.com/api/mcp/auth_callback",
            ]
            .map(String::from)
            .to_vec(),
            scopes: [
                "mcp:tools",
                "mcp:resources",
                "mcp:prompts",
                "system:read",
                "system:monitor",
            ]
            .map(String::from)
            .to_vec(),
            grant_types: all_grants.clone(),
            origin: "seed",
            application_type: None,
        },
        NewClient {
            id: "mcp_test_client".into(),
            name: "MCP Test Client".into(),
            confidential: true,
            secret: Some("test_secret_key_2024".into()),
            redirect_uris: ["http://localhost:5000/oauth/callback", redirect_uri::OOB]
                .map(String::from)
                .to_vec(),
            scopes: ["mcp:tools", "mcp:resources", "system:read"]
                .map(String::from)
                .to_vec(),
            grant_types: all_grants,
            origin: "seed",
            application_type: None,
        },
    ]
}

/// A documented client seeded with a fresh random secret, to be shown to the operator once.
pub struct SeededSecret {
    pub client_id: String,
    pub secret: String,
}

/// Seeds the documented clients if absent; never overwrites an existing row, so a rotated
/// secret survives restarts. On an https public URL the secrets printed in the original
/// README would be live for anyone who read it, so the clients get fresh random secrets
/// (returned, to be printed once) unless `documented_secrets` asks for the documented ones;
/// and every start warns while a documented secret still works there.
pub async fn seed_documented(
    store: &Store,
    public_https: bool,
    documented_secrets: bool,
) -> anyhow::Result<Vec<SeededSecret>> {
    let mut generated = Vec::new();
    // The documented clients carry the built-in scopes, whatever else the catalogue adds.
    let builtin_scopes = ScopeSet::from_list(crate::mcp::builtin::SCOPES);
    for mut client in documented_clients() {
        let documented = client.secret.clone();
        if store.get_client(&client.id).await?.is_none() {
            if public_https && !documented_secrets {
                client.secret = None;
            }
            match register(store, client.clone(), &builtin_scopes).await {
                Ok(registered) => {
                    tracing::info!(client_id = %client.id, "seeded documented client");
                    if client.secret.is_none()
                        && let Some(secret) = registered.secret
                    {
                        generated.push(SeededSecret {
                            client_id: client.id.clone(),
                            secret,
                        });
                    }
                }
                // Another instance seeded it between our read and insert.
                Err(RegisterError::Duplicate(_)) => {}
                Err(e) => return Err(anyhow::anyhow!("seeding {}: {e}", client.id)),
            }
        }
        if !public_https {
            continue;
        }
        let hash = store
            .get_client(&client.id)
            .await?
            .and_then(|r| r.secret_hash);
        if let (Some(hash), Some(secret)) = (hash, documented)
            && crypto::verify_secret(secret, hash).await
        {
            tracing::warn!(
                client_id = %client.id,
                "SECURITY: the publicly documented secret of this client is live on a public https \
                 deployment; rotate it with `mcp-oauth clients rotate-secret {}`",
                client.id
            );
        }
    }
    Ok(generated)
}

/// The grant types a client gets when its registrar names none: the code flow with refresh,
/// and client credentials for a confidential client.
pub fn default_grant_types(confidential: bool) -> Vec<String> {
    let mut grants = vec![
        GRANT_AUTHORIZATION_CODE.to_string(),
        GRANT_REFRESH_TOKEN.to_string(),
    ];
    if confidential {
        grants.push(GRANT_CLIENT_CREDENTIALS.to_string());
    }
    grants
}

#[cfg(test)]
mod default_grant_tests {
    use super::*;

    #[test]
    fn only_confidential_clients_get_client_credentials_by_default() {
        assert_eq!(
            default_grant_types(false),
            [GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN]
        );
        assert!(default_grant_types(true).contains(&GRANT_CLIENT_CREDENTIALS.to_string()));
    }
}
