//! Access tokens verified recently, so a client's steady traffic with one token skips the
//! ES256 signature check: the load benchmark measured that check at about half the CPU of a
//! protected REST call and a third of an MCP `tools/call`.
//!
//! Only success is cached, and a hit needs the very same token bytes (looked up by SHA-256),
//! the same issuer and audience, a signing key that is still published, and exp/nbf still
//! valid now; anything else goes through the full `jwt::verify`. Revocation is not cached:
//! the caller consults the revocation set on every request, hit or miss.

use std::collections::HashMap;
use std::sync::RwLock;

use sha2::{Digest, Sha256};

use super::jwt::{self, AccessClaims, LEEWAY_SECS, VerifyError};
use super::keys::KeyRing;
use crate::storage;

/// Bounds memory (an entry is a few hundred bytes); when full, expired entries go first.
const CAPACITY: usize = 4_096;

struct Entry {
    claims: AccessClaims,
    kid: String,
}

#[derive(Default)]
pub struct VerifiedTokens {
    entries: RwLock<HashMap<[u8; 32], Entry>>,
}

impl std::fmt::Debug for VerifiedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VerifiedTokens { .. }")
    }
}

impl VerifiedTokens {
    /// `jwt::verify`, answered from the cache when this exact token verified before.
    pub fn verify(
        &self,
        keys: &KeyRing,
        token: &str,
        issuer: &str,
        audience: &str,
    ) -> Result<AccessClaims, VerifyError> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let now = storage::unix_now();
        if let Some(claims) = self.hit(&digest, keys, issuer, audience, now) {
            return Ok(claims);
        }
        let claims = jwt::verify(keys, token, issuer, audience)?;
        // A verified token has a kid (verify looked its key up by it).
        if let Some(kid) = jsonwebtoken::decode_header(token).ok().and_then(|h| h.kid) {
            self.remember(digest, claims.clone(), kid, now);
        }
        Ok(claims)
    }

    fn hit(
        &self,
        digest: &[u8; 32],
        keys: &KeyRing,
        issuer: &str,
        audience: &str,
        now: i64,
    ) -> Option<AccessClaims> {
        let entries = self
            .entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = entries.get(digest)?;
        let leeway = LEEWAY_SECS as i64;
        let valid = entry.claims.iss == issuer
            && entry.claims.aud == audience
            && entry.claims.exp >= now - leeway
            && entry.claims.nbf <= now + leeway
            && keys.verifying_key(&entry.kid).is_some();
        valid.then(|| entry.claims.clone())
    }

    fn remember(&self, digest: [u8; 32], claims: AccessClaims, kid: String, now: i64) {
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= CAPACITY {
            let leeway = LEEWAY_SECS as i64;
            entries.retain(|_, e| e.claims.exp >= now - leeway);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(digest, Entry { claims, kid });
    }

    pub fn len(&self) -> usize {
        self.entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Overrides, Settings};
    use crate::storage::Store;
    use crate::tokens::keys;

    const ISSUER: &str = "http://localhost:5000";
    const AUDIENCE: &str = "http://localhost:5000/mcp";

    async fn ring() -> (KeyRing, Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/t.db", dir.path().display());
        let env = [("MCP_OAUTH__DATABASE__URL".to_string(), url)];
        let settings = Settings::load_from(&Overrides::default(), env).unwrap();
        let store = Store::connect(&settings.database).await.unwrap();
        store.migrate().await.unwrap();
        keys::ensure_active_key(&store).await.unwrap();
        (KeyRing::load(&store).await.unwrap(), store, dir)
    }

    fn claims(exp_in: i64) -> AccessClaims {
        let now = storage::unix_now();
        AccessClaims {
            iss: ISSUER.into(),
            sub: "s".into(),
            aud: AUDIENCE.into(),
            exp: now + exp_in,
            iat: now,
            nbf: now,
            jti: crate::crypto::random_token(16),
            client_id: "c".into(),
            scope: "mcp:tools".into(),
        }
    }

    #[tokio::test]
    async fn a_verified_token_is_answered_from_the_cache_with_the_same_claims() {
        let (ring, _store, _dir) = ring().await;
        let cache = VerifiedTokens::default();
        let token = jwt::sign(&ring, &claims(600)).unwrap();
        let first = cache.verify(&ring, &token, ISSUER, AUDIENCE).unwrap();
        assert_eq!(cache.len(), 1);
        assert_eq!(
            cache.verify(&ring, &token, ISSUER, AUDIENCE).unwrap(),
            first
        );
    }

    #[tokio::test]
    async fn other_bytes_audiences_and_failures_are_never_answered_from_the_cache() {
        let (ring, _store, _dir) = ring().await;
        let cache = VerifiedTokens::default();
        let token = jwt::sign(&ring, &claims(600)).unwrap();
        cache.verify(&ring, &token, ISSUER, AUDIENCE).unwrap();
        let mut tampered = token.clone();
        tampered.pop();
        tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert!(cache.verify(&ring, &tampered, ISSUER, AUDIENCE).is_err());
        let other = cache.verify(&ring, &token, ISSUER, "http://elsewhere/mcp");
        assert_eq!(other, Err(VerifyError::WrongAudience));
        let expired = jwt::sign(&ring, &claims(-120)).unwrap();
        assert_eq!(
            cache.verify(&ring, &expired, ISSUER, AUDIENCE),
            Err(VerifyError::Expired)
        );
        assert_eq!(cache.len(), 1, "only the good token was remembered");
    }

    #[tokio::test]
    async fn a_cached_token_whose_key_is_no_longer_published_is_refused() {
        let (ring, store, _dir) = ring().await;
        let cache = VerifiedTokens::default();
        let token = jwt::sign(&ring, &claims(600)).unwrap();
        cache.verify(&ring, &token, ISSUER, AUDIENCE).unwrap();
        // Rotate with no grace: the old key leaves the JWKS at once.
        keys::rotate(&store, -1).await.unwrap();
        ring.reload(&store).await.unwrap();
        assert_eq!(
            cache.verify(&ring, &token, ISSUER, AUDIENCE),
            Err(VerifyError::UnknownKey)
        );
    }
}
