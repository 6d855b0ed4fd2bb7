//! Resource indicators (RFC 8707): which audiences a token may be issued for.

/// Why a requested resource was refused (`invalid_target`); the text is what the client is told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResourceError {
    #[error("resource must not contain a fragment (RFC 8707 §2)")]
    Fragment,
    #[error("resource {requested:?} is not served by this server; use {served}")]
    NotServed { requested: String, served: String },
}

/// Resolves a requested `resource` to the audience to put in the token. The only resource
/// served is the MCP endpoint; a request naming it, a path below it, or the origin itself
/// (compared after dropping one trailing slash, on path-segment boundaries) gets the MCP
/// endpoint as audience. Anything else is `invalid_target`.
pub fn resolve(
    requested: Option<&str>,
    mcp_resource: &str,
    public_url: &str,
) -> Result<String, ResourceError> {
    let Some(requested) = requested.filter(|r| !r.is_empty()) else {
        return Ok(mcp_resource.to_string());
    };
    if requested.contains('#') {
        return Err(ResourceError::Fragment);
    }
    let normalized = normalize_origin(requested);
    let trimmed = normalized.strip_suffix('/').unwrap_or(&normalized);
    let (served, public_url) = (normalize_origin(mcp_resource), normalize_origin(public_url));
    let on_boundary = |base: &str| {
        trimmed == base
            || trimmed
                .strip_prefix(base)
                .is_some_and(|rest| rest.starts_with('/') && !rest.split('/').any(is_dot_segment))
    };
    if on_boundary(&served) || trimmed == public_url {
        Ok(mcp_resource.to_string())
    } else {
        Err(ResourceError::NotServed {
            requested: requested.to_string(),
            served: mcp_resource.to_string(),
        })
    }
}

/// RFC 3986 §6.2.2.1 and §6.2.3: scheme and host compare case-insensitively and a default
/// port is the same as none. Everything after the authority stays as written (paths are
/// case-sensitive, and dot segments must stay visible to the check above).
fn normalize_origin(uri: &str) -> String {
    let Some((scheme, rest)) = uri.split_once("://") else {
        return uri.to_string();
    };
    let scheme = scheme.to_ascii_lowercase();
    let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    if authority.contains('@') {
        return uri.to_string();
    }
    let mut authority = authority.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => Some(":443"),
        "http" => Some(":80"),
        _ => None,
    };
    if let Some(port) = default_port
        && let Some(stripped) = authority.strip_suffix(port)
    {
        authority = stripped.to_string();
    }
    format!("{scheme}://{authority}{path}")
}

/// `.` or `..`, also percent-encoded (`%2e`, `.%2E`, …): URL parsers resolve those too.
fn is_dot_segment(segment: &str) -> bool {
    let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
    decoded == "." || decoded == ".."
}

#[cfg(test)]
mod tests {
    use super::resolve;

    const MCP: &str = "https://mcp.example/mcp";
    const ORIGIN: &str = "https://mcp.example";

    #[test]
    fn the_mcp_endpoint_with_or_without_a_slash_and_paths_below_it_resolve() {
        for ok in [
            None,
            Some(""),
            Some(MCP),
            Some("https://mcp.example/mcp/"),
            Some("https://mcp.example/mcp/tools"),
            Some(ORIGIN),
            Some("https://mcp.example/"),
        ] {
            assert_eq!(resolve(ok, MCP, ORIGIN).as_deref(), Ok(MCP), "{ok:?}");
        }
    }

    #[test]
    fn scheme_and_host_case_and_a_default_port_name_the_same_resource() {
        for ok in [
            "HTTPS://MCP.EXAMPLE/mcp",
            "https://Mcp.Example/mcp/",
            "https://mcp.example:443/mcp",
            "HTTPS://MCP.EXAMPLE:443",
        ] {
            assert_eq!(resolve(Some(ok), MCP, ORIGIN).as_deref(), Ok(MCP), "{ok}");
        }
        let local = "http://localhost:5000/mcp";
        assert_eq!(
            resolve(
                Some("HTTP://LOCALHOST:5000/mcp"),
                local,
                "http://localhost:5000"
            )
            .as_deref(),
            Ok(local)
        );
    }

    #[test]
    fn the_path_stays_case_sensitive_and_other_ports_are_other_resources() {
        for bad in [
            "https://mcp.example/MCP",
            "https://mcp.example:8443/mcp",
            "https://user@mcp.example/mcp",
            "http://mcp.example:443/mcp",
        ] {
            assert!(resolve(Some(bad), MCP, ORIGIN).is_err(), "{bad}");
        }
    }

    #[test]
    fn other_hosts_prefix_tricks_and_dot_segments_are_invalid_targets() {
        for bad in [
            "https://evil.example/mcp",
            "https://mcp.example/mcpx",
            "https://mcp.example/mcp/../admin",
            "https://mcp.example/mcp/%2e%2e/admin",
            "https://mcp.example/mcp/.%2E/admin",
            "https://mcp.example/mcp/%2E",
            "https://mcp.example.evil/mcp",
            "https://mcp.example/mcp#frag",
            "http://mcp.example/mcp",
            "https://mcp.example/other",
        ] {
            assert!(resolve(Some(bad), MCP, ORIGIN).is_err(), "{bad}");
        }
    }
}
