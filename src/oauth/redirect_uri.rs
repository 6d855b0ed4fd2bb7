//! Redirect URI rules: what may be registered, and how a request's URI matches.

use url::{Host, Url};

/// The out-of-band URI of the original README: the code is shown on a page.
pub const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";

/// Why a redirect URI may not be registered; the text is what the registrant is told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectUriError {
    #[error("redirect URI {uri:?} is not a URL: {source}")]
    NotAUrl {
        uri: String,
        source: url::ParseError,
    },
    #[error("redirect URI {0:?} must not contain a fragment")]
    Fragment(String),
    #[error("redirect URI {0:?} must not contain user information")]
    UserInfo(String),
    #[error("redirect URI {0:?} uses http on a non-loopback host; use https")]
    PlainHttp(String),
    #[error("redirect URI {0:?} uses a forbidden scheme")]
    ForbiddenScheme(String),
    #[error(
        "redirect URI {uri:?} has scheme {scheme:?}; use https, http on loopback, or a reverse-domain private-use scheme"
    )]
    UnknownScheme { uri: String, scheme: String },
}

/// Whether `uri` may be registered: https anywhere, http only on loopback,
/// a private-use scheme for native apps (RFC 8252 §7.1), or the OOB URN. No fragments.
pub fn validate_for_registration(uri: &str) -> Result<(), RedirectUriError> {
    if uri == OOB {
        return Ok(());
    }
    let parsed = Url::parse(uri).map_err(|source| RedirectUriError::NotAUrl {
        uri: uri.to_string(),
        source,
    })?;
    if parsed.fragment().is_some() || uri.contains('#') {
        return Err(RedirectUriError::Fragment(uri.to_string()));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(RedirectUriError::UserInfo(uri.to_string()));
    }
    match parsed.scheme() {
        "https" if parsed.host().is_some() => Ok(()),
        "http" if is_loopback(&parsed) => Ok(()),
        "http" => Err(RedirectUriError::PlainHttp(uri.to_string())),
        "javascript" | "data" | "file" | "vbscript" | "about" | "blob" => {
            Err(RedirectUriError::ForbiddenScheme(uri.to_string()))
        }
        // Private-use schemes must look like a reversed domain name (RFC 8252 §7.1).
        scheme if scheme.contains('.') => Ok(()),
        scheme => Err(RedirectUriError::UnknownScheme {
            uri: uri.to_string(),
            scheme: scheme.to_string(),
        }),
    }
}

/// Whether a URL points at a loopback host by name or address.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Whether a requested redirect URI matches a registered one: exactly, except that
/// loopback http URIs match on any port (RFC 8252 §7.3). Everything but the port is
/// compared as written, so no spelling that a URL parser would normalise (upper case,
/// fullwidth letters, dot segments) passes for the registered URI.
pub fn matches_registered(requested: &str, registered: &str) -> bool {
    if requested == registered {
        return true;
    }
    let (Some((req_host, req_rest)), Some((reg_host, reg_rest))) =
        (loopback_parts(requested), loopback_parts(registered))
    else {
        return false;
    };
    req_host == reg_host
        && req_rest == reg_rest
        && Url::parse(registered).is_ok_and(|url| is_loopback(&url))
        && Url::parse(requested).is_ok_and(|url| url.fragment().is_none())
}

/// `http://host[:port]rest` as written: the host and what follows the authority.
fn loopback_parts(uri: &str) -> Option<(&str, &str)> {
    let after = uri.strip_prefix("http://")?;
    let (authority, rest) = after.split_at(after.find(['/', '?', '#']).unwrap_or(after.len()));
    let host = match authority.rsplit_once(':') {
        Some((host, port))
            if port.bytes().all(|b| b.is_ascii_digit())
                && host.starts_with('[') == host.ends_with(']') =>
        {
            host
        }
        _ => authority,
    };
    Some((host, rest))
}
