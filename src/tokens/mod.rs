//! Access tokens: ES256 signing keys (kid, rotation, JWKS), JWT issue and verify, revocation set.

pub mod jwt;
pub mod keys;
pub mod revocation;
pub mod verified;

pub use jwt::{AccessClaims, VerifyError};
pub use keys::KeyRing;
pub use revocation::RevocationList;
pub use verified::VerifiedTokens;
