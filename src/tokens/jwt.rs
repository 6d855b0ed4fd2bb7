//! RFC 9068 JWT access tokens: signed with the active key, verified with the algorithm pinned.

use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};

use super::keys::KeyRing;

/// Media type of RFC 9068 access tokens (`typ` header).
pub const TOKEN_TYPE: &str = "at+jwt";
/// Clock skew tolerated on exp/nbf/iat, in seconds; revocations are kept this long past `exp`.
pub const LEEWAY_SECS: u64 = crate::storage::EXPIRY_LEEWAY_SECS as u64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub jti: String,
    pub client_id: String,
    pub scope: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token is not an at+jwt signed with ES256")]
    WrongAlgorithmOrType,
    #[error("the token was signed by an unknown key")]
    UnknownKey,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token is not for this resource")]
    WrongAudience,
    #[error("the token was not issued by this server")]
    WrongIssuer,
    #[error("the token signature is invalid")]
    BadSignature,
}

/// Signs claims with the active key.
pub fn sign(keys: &KeyRing, claims: &AccessClaims) -> anyhow::Result<String> {
    let _span = tracing::info_span!("jwt.sign").entered();
    let (kid, key) = keys
        .signing_key()
        .ok_or_else(|| anyhow::anyhow!("no active signing key"))?;
    let mut header = Header::new(Algorithm::ES256);
    header.typ = Some(TOKEN_TYPE.into());
    header.kid = Some(kid);
    Ok(jsonwebtoken::encode(&header, claims, &key)?)
}

/// Verifies signature, algorithm (pinned to ES256, so `none` and HS/RS confusion fail),
/// `typ`, kid, issuer, audience, exp and nbf.
pub fn verify(
    keys: &KeyRing,
    token: &str,
    issuer: &str,
    audience: &str,
) -> Result<AccessClaims, VerifyError> {
    verify_inner(keys, token, issuer, Some(audience), true)
}

/// Verifies signature and issuer only: for revocation, which must accept expired tokens
/// and tokens for any audience this server issued.
pub fn verify_signature_only(
    keys: &KeyRing,
    token: &str,
    issuer: &str,
) -> Result<AccessClaims, VerifyError> {
    verify_inner(keys, token, issuer, None, false)
}

fn verify_inner(
    keys: &KeyRing,
    token: &str,
    issuer: &str,
    audience: Option<&str>,
    check_times: bool,
) -> Result<AccessClaims, VerifyError> {
    let _span = tracing::info_span!("jwt.verify").entered();
    let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Malformed)?;
    if header.alg != Algorithm::ES256
        || !header.typ.as_deref().is_some_and(|t| {
            t.eq_ignore_ascii_case(TOKEN_TYPE) || t.eq_ignore_ascii_case("application/at+jwt")
        })
    {
        return Err(VerifyError::WrongAlgorithmOrType);
    }
    let kid = header.kid.ok_or(VerifyError::UnknownKey)?;
    let key = keys.verifying_key(&kid).ok_or(VerifyError::UnknownKey)?;
    let mut validation = Validation::new(Algorithm::ES256);
    validation.leeway = LEEWAY_SECS;
    validation.set_issuer(&[issuer]);
    validation.validate_exp = check_times;
    validation.validate_nbf = check_times;
    match audience {
        Some(aud) => validation.set_audience(&[aud]),
        None => validation.validate_aud = false,
    }
    validation.set_required_spec_claims(&["exp", "iss", "sub", "aud", "nbf", "iat"]);
    jsonwebtoken::decode::<AccessClaims>(token, &key, &validation)
        .map(|data| data.claims)
        .map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::ExpiredSignature => VerifyError::Expired,
                ErrorKind::ImmatureSignature => VerifyError::NotYetValid,
                ErrorKind::InvalidAudience => VerifyError::WrongAudience,
                ErrorKind::InvalidIssuer => VerifyError::WrongIssuer,
                ErrorKind::InvalidSignature => VerifyError::BadSignature,
                ErrorKind::InvalidAlgorithm => VerifyError::WrongAlgorithmOrType,
                _ => VerifyError::Malformed,
            }
        })
}
