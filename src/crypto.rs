//! Shared primitives: random tokens, fingerprints, and argon2id off the async runtime.

use std::sync::{Arc, LazyLock};

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::Instrument;

/// Argon2 runs at most one per core at a time. Each run holds 19 MiB and a whole core, so a
/// burst of logins or cold client authentications waits here instead of multiplying memory
/// (64 at once measured 1.2 GiB RSS) and making every one of them slow.
static ARGON2_SLOTS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    Arc::new(Semaphore::new(cores))
});

/// A slot moved into the blocking task, so it is held until argon2 finishes even if the
/// request that asked for it is dropped.
async fn argon2_slot() -> OwnedSemaphorePermit {
    ARGON2_SLOTS
        .clone()
        .acquire_owned()
        .await
        .expect("the argon2 semaphore is never closed")
}

/// `bytes` of OS randomness, base64url without padding (32 bytes → 256 bits).
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    fill_random(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// Fills `buf` from aws-lc's CSPRNG (seeded from the OS; no system call per use).
pub fn fill_random(buf: &mut [u8]) {
    // aws-lc's generator only fails if the OS has no entropy source at all.
    aws_lc_rs::rand::fill(buf).expect("the OS random number generator failed");
}

/// SHA-256 as lowercase hex: how high-entropy codes and tokens are stored.
/// (Argon2 is for low-entropy secrets; a 256-bit random token needs no stretching.)
pub fn sha256_hex(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// Hashes a password or client secret with argon2id on the blocking pool.
pub async fn hash_secret(secret: String) -> anyhow::Result<String> {
    let span = tracing::info_span!("argon2.hash");
    let slot = argon2_slot().await;
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        let _slot = slot;
        Argon2::default()
            .hash_password(secret.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))
    })
    .in_current_span()
    .await?
}

/// Verifies a secret against an argon2id PHC string on the blocking pool.
/// A malformed stored hash verifies as false rather than erroring.
pub async fn verify_secret(secret: String, phc: String) -> bool {
    let span = tracing::info_span!("argon2.verify");
    let slot = argon2_slot().await;
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        let _slot = slot;
        Argon2::default()
            .verify_password(secret.as_bytes(), phc.as_str())
            .is_ok()
    })
    .await
    .unwrap_or(false)
}

/// Whether a PHC string is an argon2id hash (used by tests and seeding checks).
pub fn is_argon2id(phc: &str) -> bool {
    phc.starts_with("$argon2id$")
}

/// SHA-256 as raw bytes (to turn a stored secret into a fixed-size key).
pub fn sha256_bytes(value: &str) -> [u8; 32] {
    Sha256::digest(value.as_bytes()).into()
}

/// HMAC-SHA256 of `message` under `key`, base64url: deterministic derived tokens.
pub fn hmac_token(key: &[u8; 32], message: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
    mac.update(message.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}
