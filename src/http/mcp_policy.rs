//! Who may reach the MCP endpoint from where: the `Host` names it answers to (DNS-rebinding
//! protection) and the browser origins it lets in, from `[mcp]` and the public URL.

use url::Url;

use crate::config::Settings;
use crate::oauth::redirect_uri::is_loopback;

/// Host names the MCP endpoint answers to (empty means any).
pub fn allowed_hosts(settings: &Settings) -> Vec<String> {
    if settings.mcp.allowed_hosts.iter().any(|h| h == "*") {
        return Vec::new();
    }
    let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "[::1]"]
        .map(String::from)
        .to_vec();
    if let Ok(url) = Url::parse(&settings.server.public_url)
        && let Some(host) = url.host_str()
    {
        hosts.push(host.to_string());
    }
    hosts.extend(settings.mcp.allowed_hosts.iter().cloned());
    hosts
}

/// Whether a browser `Origin` may call the MCP endpoint.
pub fn origin_allowed(settings: &Settings, origin: &str) -> bool {
    if settings
        .mcp
        .allowed_origins
        .iter()
        .any(|o| o == "*" || o == origin)
    {
        return true;
    }
    let public = Url::parse(&settings.server.public_url).map(|u| u.origin().ascii_serialization());
    if public.as_deref() == Ok(origin) {
        return true;
    }
    Url::parse(origin).is_ok_and(|url| url.scheme() == "http" && is_loopback(&url))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Overrides;

    fn settings(env: &[(&str, &str)]) -> Settings {
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        Settings::load_from(&Overrides::default(), env).unwrap()
    }

    #[test]
    fn the_public_origin_loopback_and_listed_origins_are_allowed_and_nothing_else() {
        let s = settings(&[("MCP_OAUTH__SERVER__PUBLIC_URL", "https://mcp.example")]);
        assert!(origin_allowed(&s, "https://mcp.example"));
        assert!(origin_allowed(&s, "http://localhost:6274"));
        assert!(origin_allowed(&s, "https://claude.ai"));
        assert!(!origin_allowed(&s, "https://evil.example"));
        assert!(!origin_allowed(&s, "https://localhost:6274"));
    }

    #[test]
    fn hosts_are_loopback_and_the_public_host_unless_any_is_allowed() {
        let s = settings(&[("MCP_OAUTH__SERVER__PUBLIC_URL", "https://mcp.example")]);
        assert_eq!(
            allowed_hosts(&s),
            ["localhost", "127.0.0.1", "[::1]", "mcp.example"]
        );
        let any = settings(&[("MCP_OAUTH__MCP__ALLOWED_HOSTS", "*")]);
        assert!(allowed_hosts(&any).is_empty());
    }
}
