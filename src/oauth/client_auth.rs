//! Client authentication (RFC 6749 §2.3): secret_basic, secret_post or none, with a
//! short-lived cache of successful argon2 verifications; `impl AuthServer` here authenticates
//! and audits failures.
//!
//! Argon2 is the expensive part, so an unauthenticated caller must not be able to queue
//! much of it: an unknown client id is refused without any (client ids are not secrets,
//! RFC 6749 §2.2, so there is nothing to hide by spending time on it), and when too many
//! distinct verifications are already waiting the request is refused at once with
//! `temporarily_unavailable` (503) instead of joining the queue.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::error::{ErrorCode, OAuthError};
use crate::crypto;
use crate::storage::{ClientRecord, Store};

/// How the client presented itself on this request.
#[derive(Clone, PartialEq, Eq)]
pub enum Presented {
    Basic {
        client_id: String,
        secret: String,
    },
    Post {
        client_id: String,
        secret: String,
    },
    /// Only a client_id: a public client (or a confidential one that forgot its secret).
    None {
        client_id: String,
    },
}

impl std::fmt::Debug for Presented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Presented({} {})", self.method(), self.client_id())
    }
}

impl Presented {
    pub fn client_id(&self) -> &str {
        match self {
            Presented::Basic { client_id, .. }
            | Presented::Post { client_id, .. }
            | Presented::None { client_id } => client_id,
        }
    }
    fn method(&self) -> &'static str {
        match self {
            Presented::Basic { .. } => "client_secret_basic",
            Presented::Post { .. } => "client_secret_post",
            Presented::None { .. } => "none",
        }
    }
    fn secret(&self) -> Option<&str> {
        match self {
            Presented::Basic { secret, .. } | Presented::Post { secret, .. } => Some(secret),
            Presented::None { .. } => None,
        }
    }
}

/// Remembers (client, stored hash, secret) triples that verified, keyed by an HMAC under a
/// per-process key, so steady traffic skips argon2. Binding the stored hash into the key
/// means a rotated secret can never match an old entry, even one cached by this process.
pub struct SecretCache {
    key: [u8; 32],
    ttl: Duration,
    entries: Mutex<HashMap<[u8; 32], Instant>>,
    /// One argon2 run per fingerprint at a time: when a client's first burst arrives (64
    /// requests at once in the load benchmark) one request verifies and the rest find the
    /// cache filled, instead of 64 argon2 runs queueing for the cores.
    in_flight: Mutex<HashMap<[u8; 32], Arc<tokio::sync::Mutex<()>>>>,
    /// Distinct verifications allowed to wait or run at once (`server.client_auth_queue_max`).
    queue_max: usize,
    /// Argon2 runs this authenticator started, for operators and tests.
    argon2_runs: AtomicU64,
}

const CACHE_CAPACITY: usize = 10_000;
/// The queue bound when none is configured (benchmarks).
const DEFAULT_QUEUE_MAX: usize = 64;

/// Too many verifications are waiting: the caller should come back shortly.
#[derive(Debug)]
pub struct Busy;

impl SecretCache {
    pub fn new(ttl: Duration) -> Self {
        Self::with_queue_max(ttl, DEFAULT_QUEUE_MAX)
    }

    pub fn with_queue_max(ttl: Duration, queue_max: usize) -> Self {
        let mut key = [0u8; 32];
        aws_lc_rs::rand::fill(&mut key).expect("the OS random number generator failed");
        Self {
            key,
            ttl,
            entries: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
            queue_max: queue_max.max(1),
            argon2_runs: AtomicU64::new(0),
        }
    }

    /// How many argon2 verifications client authentication has run so far.
    pub fn argon2_runs(&self) -> u64 {
        self.argon2_runs.load(Ordering::Relaxed)
    }

    fn fingerprint(&self, client_id: &str, stored_hash: &str, secret: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("any key length");
        for part in [client_id, stored_hash, secret] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.finalize().into_bytes().into()
    }

    fn hit(&self, fingerprint: &[u8; 32]) -> bool {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries
            .get(fingerprint)
            .is_some_and(|expiry| *expiry > Instant::now())
    }

    fn remember(&self, fingerprint: [u8; 32]) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= CACHE_CAPACITY {
            let now = Instant::now();
            entries.retain(|_, expiry| *expiry > now);
            if entries.len() >= CACHE_CAPACITY {
                entries.clear();
            }
        }
        entries.insert(fingerprint, Instant::now() + self.ttl);
    }

    /// Verifies `secret` against `stored_hash` with argon2 unless a verification of the same
    /// triple is cached; concurrent calls for one triple share a single argon2 run. `Busy`
    /// when `queue_max` other triples are already waiting: callers of one triple queue behind
    /// one gate and use one core at most, so distinct triples are what measures the queue.
    async fn verify(&self, client_id: &str, stored_hash: &str, secret: &str) -> Result<bool, Busy> {
        let fingerprint = self.fingerprint(client_id, stored_hash, secret);
        if self.hit(&fingerprint) {
            crate::telemetry::metrics::secret_cache(true);
            return Ok(true);
        }
        let gate = {
            let mut in_flight = self
                .in_flight
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if in_flight.len() >= self.queue_max && !in_flight.contains_key(&fingerprint) {
                return Err(Busy);
            }
            in_flight.entry(fingerprint).or_default().clone()
        };
        let turn = gate.lock().await;
        // Whoever held the gate before us may have just filled the cache.
        let hit = self.hit(&fingerprint);
        crate::telemetry::metrics::secret_cache(hit);
        let verified = hit || {
            self.argon2_runs.fetch_add(1, Ordering::Relaxed);
            crypto::verify_secret(secret.to_string(), stored_hash.to_string()).await
        };
        if verified && !hit {
            self.remember(fingerprint);
        }
        drop(turn);
        let mut in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Only the map and this call hold the gate: nobody is waiting, so it can go.
        if Arc::strong_count(&gate) <= 2 {
            in_flight.remove(&fingerprint);
        }
        Ok(verified)
    }

    /// Forgets everything (after a rotation or removal in this process).
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }
}

fn invalid_client(presented: &Presented, description: impl Into<String>) -> OAuthError {
    let error = OAuthError::new(ErrorCode::InvalidClient, description);
    match presented {
        Presented::Basic { .. } => error.with_www_authenticate("Basic realm=\"mcp-oauth\""),
        _ => error,
    }
}

/// Authenticates the presented client. Every failure is `invalid_client` (401) with one
/// description, whatever the reason (unknown, disabled, wrong secret, a secret where none is
/// registered or none where one is): the answer says nothing about the client; the
/// registration and the discovery metadata say how a client authenticates.
pub async fn authenticate(
    store: &Store,
    cache: &SecretCache,
    presented: &Presented,
) -> Result<ClientRecord, OAuthError> {
    let refused = || invalid_client(presented, "client authentication failed");
    let Some(client) = store.get_client(presented.client_id()).await? else {
        return Err(refused());
    };
    if client.disabled_at.is_some() {
        return Err(refused());
    }
    match (&client.secret_hash, presented.secret()) {
        (None, None) => Ok(client),
        (None, Some(_)) | (Some(_), None) => Err(refused()),
        (Some(hash), Some(secret)) => match cache.verify(&client.id, hash, secret).await {
            Ok(true) => Ok(client),
            Ok(false) => Err(refused()),
            Err(Busy) => Err(OAuthError::new(
                ErrorCode::TemporarilyUnavailable,
                "too many client authentications are waiting; retry shortly",
            )),
        },
    }
}

/// A valid argon2id hash of a random value, verified against for unknown usernames at login.
pub(crate) const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$1mS3GKsvR0Dn6rJKvsFqSfc8Xf7m7H0eYkqV0h8y2sM";

impl super::AuthServer {
    /// Authenticates the client for `endpoint`, auditing failures (never the secret; the
    /// attacker-chosen client id bounded by `audit`).
    pub async fn authenticate_client(
        &self,
        presented: &Presented,
        endpoint: &'static str,
    ) -> Result<ClientRecord, OAuthError> {
        let result = authenticate(&self.store, &self.secret_cache, presented).await;
        if let Err(error) = &result
            && error.code == ErrorCode::InvalidClient
        {
            crate::audit::record(
                &self.store,
                "client_auth_failed",
                Some(presented.client_id()),
                None,
                serde_json::json!({ "endpoint": endpoint }),
            );
        }
        result
    }
}
