//! The token request (RFC 6749 §4.1.3, §4.4.2, §6) as a type: what the form says, read once,
//! one [`Grant`] variant per grant type.

use super::Params;
use crate::oauth::clients::{
    GRANT_AUTHORIZATION_CODE, GRANT_CLIENT_CREDENTIALS, GRANT_REFRESH_TOKEN,
};
use crate::oauth::error::OAuthError;
use crate::telemetry::metrics;

/// A parameter's value; empty counts as absent.
fn param<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

/// The grant types this server implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

impl GrantType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => GRANT_AUTHORIZATION_CODE,
            Self::RefreshToken => GRANT_REFRESH_TOKEN,
            Self::ClientCredentials => GRANT_CLIENT_CREDENTIALS,
        }
    }
}

/// What the request asks for, one variant per grant with its own parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// RFC 6749 §4.1.3 with RFC 7636 §4.5.
    AuthorizationCode {
        code: String,
        redirect_uri: String,
        code_verifier: Option<String>,
    },
    /// RFC 6749 §6.
    RefreshToken { refresh_token: String },
    /// RFC 6749 §4.4.
    ClientCredentials,
    /// A grant type this server does not implement (the value as sent).
    Unsupported(String),
    /// A known grant without one of its required parameters. Reported after the client is
    /// authenticated and found allowed to use the grant, the order the endpoint has always had.
    Incomplete {
        grant: GrantType,
        missing: &'static str,
    },
}

/// A token request (RFC 6749 §4.1.3, §4.4.2, §6), parsed once from the form: the grant and
/// the parameters every grant may carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub grant: Grant,
    /// RFC 6749 §3.3.
    pub scope: Option<String>,
    /// RFC 8707 §2.
    pub resource: Option<String>,
}

impl TokenRequest {
    /// Reads the form; a missing `grant_type` is the only error at this point (repeated
    /// parameters were refused by the form parser already).
    pub fn parse(params: &Params) -> Result<Self, OAuthError> {
        let grant_type = param(params, "grant_type")
            .ok_or_else(|| OAuthError::invalid_request("missing grant_type"))?;
        let owned = |name| param(params, name).map(str::to_string);
        let grant = match grant_type {
            GRANT_AUTHORIZATION_CODE => match (owned("code"), owned("redirect_uri")) {
                (Some(code), Some(redirect_uri)) => Grant::AuthorizationCode {
                    code,
                    redirect_uri,
                    code_verifier: owned("code_verifier"),
                },
                (None, _) => Grant::Incomplete {
                    grant: GrantType::AuthorizationCode,
                    missing: "code",
                },
                (Some(_), None) => Grant::Incomplete {
                    grant: GrantType::AuthorizationCode,
                    missing: "redirect_uri",
                },
            },
            GRANT_REFRESH_TOKEN => match owned("refresh_token") {
                Some(refresh_token) => Grant::RefreshToken { refresh_token },
                None => Grant::Incomplete {
                    grant: GrantType::RefreshToken,
                    missing: "refresh_token",
                },
            },
            GRANT_CLIENT_CREDENTIALS => Grant::ClientCredentials,
            other => Grant::Unsupported(other.to_string()),
        };
        Ok(Self {
            grant,
            scope: owned("scope"),
            resource: owned("resource"),
        })
    }

    /// The grant type as sent (for metrics, only once it succeeded, so its values are bounded).
    pub fn grant_type(&self) -> &str {
        match &self.grant {
            Grant::AuthorizationCode { .. } => GRANT_AUTHORIZATION_CODE,
            Grant::RefreshToken { .. } => GRANT_REFRESH_TOKEN,
            Grant::ClientCredentials => GRANT_CLIENT_CREDENTIALS,
            Grant::Incomplete { grant, .. } => grant.as_str(),
            Grant::Unsupported(other) => other,
        }
    }
}

/// [`TokenRequest::parse`], counting a refusal in the token error metric.
pub fn parse_request(params: &Params) -> Result<TokenRequest, OAuthError> {
    TokenRequest::parse(params).inspect_err(|error| metrics::token_error(error.code.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::error::ErrorCode;

    fn params(pairs: &[(&str, &str)]) -> Params {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_missing_grant_type_is_refused_at_parse_and_empty_counts_as_missing() {
        for form in [params(&[]), params(&[("grant_type", "")])] {
            let error = TokenRequest::parse(&form).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidRequest);
            assert_eq!(error.description, "missing grant_type");
        }
    }

    #[test]
    fn a_grant_without_its_parameters_is_incomplete_not_an_error_yet() {
        let request = TokenRequest::parse(&params(&[
            ("grant_type", "authorization_code"),
            ("code", "c"),
        ]))
        .unwrap();
        assert_eq!(
            request.grant,
            Grant::Incomplete {
                grant: GrantType::AuthorizationCode,
                missing: "redirect_uri"
            }
        );
        let request = TokenRequest::parse(&params(&[("grant_type", "password")])).unwrap();
        assert_eq!(request.grant, Grant::Unsupported("password".into()));
        assert_eq!(request.grant_type(), "password");
    }
}
