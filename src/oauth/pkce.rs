//! PKCE (RFC 7636): challenge methods and verifier checks.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub const S256: &str = "S256";
pub const PLAIN: &str = "plain";

/// Why a PKCE parameter was refused; the text is what the client is told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PkceError {
    #[error("code_verifier must be 43-128 characters of A-Z a-z 0-9 - . _ ~")]
    Verifier,
    #[error("code_challenge_method plain is disabled; use S256")]
    PlainDisabled,
    #[error("unsupported code_challenge_method {0:?}")]
    UnsupportedMethod(String),
    #[error("code_challenge must be 43-128 characters of A-Z a-z 0-9 - . _ ~")]
    Challenge,
}

fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

/// A verifier is 43-128 unreserved characters (RFC 7636 §4.1).
pub fn validate_verifier(verifier: &str) -> Result<(), PkceError> {
    let len = verifier.len();
    if !(43..=128).contains(&len) || !verifier.chars().all(is_unreserved) {
        return Err(PkceError::Verifier);
    }
    Ok(())
}

/// Checks an authorization request's challenge and returns the method to store.
pub fn validate_challenge(
    challenge: &str,
    method: Option<&str>,
    allow_plain: bool,
) -> Result<&'static str, PkceError> {
    let method = match method.unwrap_or(PLAIN) {
        S256 => S256,
        PLAIN if allow_plain => PLAIN,
        PLAIN => return Err(PkceError::PlainDisabled),
        other => return Err(PkceError::UnsupportedMethod(other.to_string())),
    };
    let len = challenge.len();
    if !(43..=128).contains(&len) || !challenge.chars().all(is_unreserved) {
        return Err(PkceError::Challenge);
    }
    Ok(method)
}

/// Whether `verifier` answers `challenge`; compared in constant time.
pub fn verify(method: &str, challenge: &str, verifier: &str) -> bool {
    let computed = match method {
        S256 => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
        PLAIN => verifier.to_string(),
        _ => return false,
    };
    computed.as_bytes().ct_eq(challenge.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7636_appendix_b_example_verifies() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(verify(S256, challenge, verifier));
        assert!(!verify(
            S256,
            challenge,
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx"
        ));
        assert!(!verify(PLAIN, challenge, verifier));
    }

    #[test]
    fn verifiers_outside_43_to_128_unreserved_characters_are_refused() {
        assert!(validate_verifier(&"a".repeat(42)).is_err());
        assert!(validate_verifier(&"a".repeat(43)).is_ok());
        assert!(validate_verifier(&"a".repeat(128)).is_ok());
        assert!(validate_verifier(&"a".repeat(129)).is_err());
        assert!(validate_verifier(&format!("{}+", "a".repeat(43))).is_err());
    }

    #[test]
    fn plain_can_be_disabled_and_unknown_methods_are_refused() {
        let challenge = "a".repeat(43);
        assert_eq!(validate_challenge(&challenge, None, true), Ok(PLAIN));
        assert!(validate_challenge(&challenge, Some("plain"), false).is_err());
        assert!(validate_challenge(&challenge, Some("S512"), true).is_err());
    }
}
