//! The bearer token check every protected endpoint shares (RFC 6750, RFC 9068): signature,
//! ES256, `iss`, `aud`, `exp`, `nbf`, then the revocation set; no HTTP types.

use super::AuthServer;
use crate::tokens::AccessClaims;

impl AuthServer {
    /// The claims of `token` when it is a live access token of this issuer for `audience`;
    /// otherwise a description fit for the `error_description` of an `invalid_token`.
    pub fn verify_bearer(&self, token: &str, audience: &str) -> Result<AccessClaims, String> {
        let claims = self
            .verified_tokens
            .verify(&self.keys, token, self.settings.issuer(), audience)
            .map_err(|e| e.to_string())?;
        if self.revocations.contains(&claims.jti) {
            return Err("the token has been revoked".into());
        }
        Ok(claims)
    }
}
