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
