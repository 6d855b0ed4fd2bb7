//! Redirect URI rules: what may be registered, and how a request's URI matches.

use url::{Host, Url};

/// The out-of-band URI of the original README: the code is shown on a page.
pub const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";

/// Whether `uri` may be registered: https anywhere, http only on loopback,
/// a private-use scheme for native apps (RFC 8252 §7.1), or the OOB URN. No fragments.
pub fn validate_for_registration(uri: &str) -> Result<(), String> {
    if uri == OOB {
        return Ok(());
    }
    let parsed = Url::parse(uri).map_err(|e| format!("redirect URI {uri:?} is not a URL: {e}"))?;
    if parsed.fragment().is_some() || uri.contains('#') {
        return Err(format!("redirect URI {uri:?} must not contain a fragment"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(format!(
            "redirect URI {uri:?} must not contain user information"
        ));
    }
    match parsed.scheme() {
        "https" if parsed.host().is_some() => Ok(()),
        "http" if is_loopback(&parsed) => Ok(()),
        "http" => Err(format!(
            "redirect URI {uri:?} uses http on a non-loopback host; use https"
        )),
        "javascript" | "data" | "file" | "vbscript" | "about" | "blob" => {
            Err(format!("redirect URI {uri:?} uses a forbidden scheme"))
        }
        // Private-use schemes must look like a reversed domain name (RFC 8252 §7.1).
        scheme if scheme.contains('.') => Ok(()),
        scheme => Err(format!(
            "redirect URI {uri:?} has scheme {scheme:?}; use https, http on loopback, or a reverse-domain private-use scheme"
        )),
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

/// Whether a requested redirect URI matches a registered one: exactly, except
/// that loopback http URIs match on any port (RFC 8252 §7.3).
pub fn matches_registered(requested: &str, registered: &str) -> bool {
    if requested == registered {
        return true;
    }
    let (Ok(req), Ok(reg)) = (Url::parse(requested), Url::parse(registered)) else {
        return false;
    };
    reg.scheme() == "http"
        && req.scheme() == "http"
        && is_loopback(&reg)
        && req.host() == reg.host()
        && req.path() == reg.path()
        && req.query() == reg.query()
        && req.fragment().is_none()
        && req.username().is_empty()
        && req.password().is_none()
}
