//! ES256 signing keys: generated on first start, kept in the database, rotated by operators.
//!
//! ES256 rather than RS256: signing is ~50× cheaper (the token endpoint signs on every
//! call), keys are generated in microseconds with no extra crate, tokens are shorter, and
//! P-256 verification on aws-lc is still a few tens of microseconds per MCP request.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use anyhow::{Context, bail};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{DecodingKey, EncodingKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::storage::{self, SigningKeyRecord, Store};

pub const ALGORITHM: &str = "ES256";

/// The key that signs now, and every published key that may verify.
struct Loaded {
    signing: Option<(String, Arc<EncodingKey>)>,
    verifying: HashMap<String, Arc<DecodingKey>>,
    jwks: Value,
}

/// In-memory view of the signing keys, reloaded from the database on change.
pub struct KeyRing {
    loaded: RwLock<Arc<Loaded>>,
    /// One reload at a time, so a slower reload cannot install an older view over a newer
    /// one (and drop a key that already signed tokens) when a rotation and a poll overlap.
    reloading: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyRing { .. }")
    }
}

/// A fresh P-256 key as a database row (not yet stored).
pub fn generate_key(now: i64, active: bool) -> anyhow::Result<SigningKeyRecord> {
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .map_err(|_| anyhow::anyhow!("generating a P-256 key failed"))?;
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
        .map_err(|_| anyhow::anyhow!("reading the generated key failed"))?;
    // Uncompressed SEC1 point: 0x04 || x (32 bytes) || y (32 bytes).
    let point = pair.public_key().as_ref();
    if point.len() != 65 {
        bail!("unexpected P-256 public key length {}", point.len());
    }
    let x = URL_SAFE_NO_PAD.encode(&point[1..33]);
    let y = URL_SAFE_NO_PAD.encode(&point[33..65]);
    // RFC 7638 thumbprint: members in lexicographic order, no whitespace.
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
    let jwk = json!({
        "kty": "EC", "crv": "P-256", "x": x, "y": y,
        "kid": kid, "use": "sig", "alg": ALGORITHM,
    });
    Ok(SigningKeyRecord {
        kid,
        algorithm: ALGORITHM.into(),
        private_key: STANDARD.encode(pkcs8.as_ref()),
        public_jwk: jwk.to_string(),
        created_at: now,
        activated_at: active.then_some(now),
        retired_at: None,
        publish_until: None,
    })
}

/// Makes sure one key is active, generating the first key on first start.
pub async fn ensure_active_key(store: &Store) -> anyhow::Result<()> {
    let keys = store.all_signing_keys().await?;
    if keys
        .iter()
        .any(|k| k.activated_at.is_some() && k.retired_at.is_none())
    {
        return Ok(());
    }
    let now = storage::unix_now();
    if let Some(pending) = keys
        .iter()
        .find(|k| k.activated_at.is_none() && k.retired_at.is_none())
    {
        store.activate_signing_key(&pending.kid, now, now).await?;
        return Ok(());
    }
    store.insert_signing_key(&generate_key(now, true)?).await?;
    // Two instances starting at once may both insert; keep the oldest active key.
    let active: Vec<_> = store
        .all_signing_keys()
        .await?
        .into_iter()
        .filter(|k| k.activated_at.is_some() && k.retired_at.is_none())
        .collect();
    if let Some(oldest) = active.first()
        && active.len() > 1
    {
        store.activate_signing_key(&oldest.kid, now, now).await.ok();
    }
    Ok(())
}

/// Rotates: activates a pre-published key if there is one, else a new key. The old key
/// stays published until every token it signed has expired (`retire_grace` seconds).
pub async fn rotate(store: &Store, retire_grace: i64) -> anyhow::Result<String> {
    let now = storage::unix_now();
    let keys = store.all_signing_keys().await?;
    let next = match keys
        .iter()
        .find(|k| k.activated_at.is_none() && k.retired_at.is_none())
    {
        Some(pending) => pending.kid.clone(),
        None => {
            let key = generate_key(now, false)?;
            store.insert_signing_key(&key).await?;
            key.kid
        }
    };
    if !store
        .activate_signing_key(&next, now, now + retire_grace)
        .await?
    {
        bail!("key {next} could not be activated (rotated concurrently?)");
    }
    Ok(next)
}

/// Publishes the next key in the JWKS without signing with it yet.
pub async fn prepublish(store: &Store) -> anyhow::Result<String> {
    let keys = store.all_signing_keys().await?;
    if let Some(pending) = keys
        .iter()
        .find(|k| k.activated_at.is_none() && k.retired_at.is_none())
    {
        return Ok(pending.kid.clone());
    }
    let key = generate_key(storage::unix_now(), false)?;
    store.insert_signing_key(&key).await?;
    Ok(key.kid)
}

impl KeyRing {
    pub async fn load(store: &Store) -> anyhow::Result<Self> {
        let ring = Self {
            loaded: RwLock::new(Arc::new(Loaded {
                signing: None,
                verifying: HashMap::new(),
                jwks: json!({ "keys": [] }),
            })),
            reloading: tokio::sync::Mutex::new(()),
        };
        ring.reload(store).await?;
        Ok(ring)
    }

    /// Re-reads the published keys (after a rotation by the CLI or another instance).
    pub async fn reload(&self, store: &Store) -> anyhow::Result<()> {
        let _one_at_a_time = self.reloading.lock().await;
        let records = store.published_signing_keys(storage::unix_now()).await?;
        let mut signing = None;
        let mut verifying = HashMap::new();
        let mut jwks = Vec::new();
        for record in records {
            let jwk: Value = serde_json::from_str(&record.public_jwk)
                .with_context(|| format!("stored JWK of key {} is not JSON", record.kid))?;
            let (Some(x), Some(y)) = (jwk["x"].as_str(), jwk["y"].as_str()) else {
                bail!("stored JWK of key {} lacks x or y", record.kid);
            };
            verifying.insert(
                record.kid.clone(),
                Arc::new(DecodingKey::from_ec_components(x, y)?),
            );
            if record.activated_at.is_some() && record.retired_at.is_none() {
                let der = STANDARD
                    .decode(&record.private_key)
                    .with_context(|| format!("private key of {} is not base64", record.kid))?;
                signing = Some((record.kid.clone(), Arc::new(EncodingKey::from_ec_der(&der))));
            }
            jwks.push(jwk);
        }
        let loaded = Loaded {
            signing,
            verifying,
            jwks: json!({ "keys": jwks }),
        };
        *self
            .loaded
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(loaded);
        Ok(())
    }

    fn current(&self) -> Arc<Loaded> {
        self.loaded
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub fn signing_key(&self) -> Option<(String, Arc<EncodingKey>)> {
        self.current().signing.clone()
    }

    pub fn verifying_key(&self, kid: &str) -> Option<Arc<DecodingKey>> {
        self.current().verifying.get(kid).cloned()
    }

    pub fn jwks(&self) -> Value {
        self.current().jwks.clone()
    }
}

/// Where a signing key is in its life, as `keys list` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Published in the JWKS, signs after the next rotation.
    PrePublished,
    Active,
    /// No longer signs, still published so the tokens it signed verify.
    Retired,
    /// Retired and past its publication window.
    Expired,
}

impl KeyState {
    pub fn of(key: &SigningKeyRecord, now: i64) -> Self {
        match (key.activated_at, key.retired_at, key.publish_until) {
            (_, Some(_), Some(until)) if until <= now => Self::Expired,
            (_, Some(_), _) => Self::Retired,
            (Some(_), None, _) => Self::Active,
            (None, None, _) => Self::PrePublished,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::Retired => "retired (still published)",
            Self::Active => "active",
            Self::PrePublished => "pre-published",
        }
    }
}

/// How long a retired key stays published: until the longest-lived token it signed has
/// expired, verification leeway included.
pub fn retire_grace(access_ttl_secs: i64) -> i64 {
    access_ttl_secs + storage::EXPIRY_LEEWAY_SECS
}

#[cfg(test)]
mod key_state_tests {
    use super::*;

    #[test]
    fn a_key_is_pre_published_then_active_then_retired_then_expired() {
        let mut key = generate_key(100, false).unwrap();
        assert_eq!(KeyState::of(&key, 100), KeyState::PrePublished);
        key.activated_at = Some(200);
        assert_eq!(KeyState::of(&key, 200), KeyState::Active);
        key.retired_at = Some(300);
        key.publish_until = Some(400);
        assert_eq!(KeyState::of(&key, 399).label(), "retired (still published)");
        assert_eq!(KeyState::of(&key, 400).label(), "expired");
    }
}
