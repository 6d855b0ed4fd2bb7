//! The bearer token check every protected endpoint shares (RFC 6750, RFC 9068): signature,
//! ES256, `iss`, `aud`, `exp`, `nbf`, then the revocation set; no HTTP types.

use super::AuthServer;
use crate::tokens::{AccessClaims, VerifyError};

/// Why a bearer token was refused; its text is the `error_description` of `invalid_token`.
#[derive(Debug, thiserror::Error)]
pub enum BearerError {
    #[error(transparent)]
    Invalid(#[from] VerifyError),
    #[error("the token has been revoked")]
    Revoked,
}

impl AuthServer {
    /// The claims of `token` when it is a live access token of this issuer for `audience`;
    /// otherwise why not.
    pub fn verify_bearer(&self, token: &str, audience: &str) -> Result<AccessClaims, BearerError> {
        let claims =
            self.verified_tokens
                .verify(&self.keys, token, self.settings.issuer(), audience)?;
        if self.revocations.contains(&claims.jti) {
            return Err(BearerError::Revoked);
        }
        Ok(claims)
    }
}
