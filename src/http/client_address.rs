//! Who is calling: the socket peer, or the client a trusted proxy forwarded for. Rate limits
//! key on it and the request span records it, so it is resolved once, before either.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use ipnet::IpNet;

use crate::config::{Settings, parse_trusted_proxy};

/// The resolved caller, in request extensions.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress {
    pub ip: IpAddr,
    /// The scheme the client used: `https` only when a trusted proxy says so.
    pub scheme: &'static str,
}

#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(nets: Vec<IpNet>) -> Self {
        Self(nets)
    }

    /// The proxies `server.trusted_proxies` names.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        settings.trusted_proxy_nets().map(Self::new)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The rightmost hop that is not a trusted proxy. Headers from an untrusted peer are
    /// ignored: anyone can send them.
    pub fn resolve(&self, peer: IpAddr, headers: &HeaderMap) -> ClientAddress {
        let mut client = ClientAddress {
            ip: peer,
            scheme: "http",
        };
        if !self.trusts(peer) {
            return client;
        }
        if forwarded_proto(headers).is_some_and(|p| p.eq_ignore_ascii_case("https")) {
            client.scheme = "https";
        }
        for hop in forwarded_hops(headers).iter().rev() {
            if !self.trusts(client.ip) {
                break;
            }
            match parse_hop(hop) {
                Some(ip) => client.ip = ip,
                // An unparsable hop (`unknown`, an obfuscated id) ends what we can believe.
                None => break,
            }
        }
        client
    }
}

impl Settings {
    /// `server.trusted_proxies` parsed; a bare address is a single-host network.
    pub fn trusted_proxy_nets(&self) -> anyhow::Result<Vec<IpNet>> {
        self.server
            .trusted_proxies
            .iter()
            .map(|entry| {
                parse_trusted_proxy(entry).ok_or_else(|| {
                    anyhow::anyhow!(
                        "server.trusted_proxies: {:?} is neither an IP address nor a CIDR",
                        entry.trim()
                    )
                })
            })
            .collect()
    }
}

/// `Forwarded: for=…` (RFC 7239) when present, else `X-Forwarded-For`, in order.
fn forwarded_hops(headers: &HeaderMap) -> Vec<String> {
    let forwarded: Vec<String> = header_items(headers, "forwarded")
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (key, value) = pair.split_once('=')?;
                key.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| value.trim().trim_matches('"').to_string())
            })
        })
        .collect();
    if !forwarded.is_empty() {
        return forwarded;
    }
    header_items(headers, "x-forwarded-for")
        .map(str::to_string)
        .collect()
}

fn forwarded_proto(headers: &HeaderMap) -> Option<String> {
    let from_forwarded = header_items(headers, "forwarded").find_map(|element| {
        element.split(';').find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case("proto")
                .then(|| value.trim().trim_matches('"').to_string())
        })
    });
    from_forwarded.or_else(|| {
        header_items(headers, "x-forwarded-proto")
            .last()
            .map(str::to_string)
    })
}

/// Comma-separated items across every instance of a header, skipping non-ASCII values.
fn header_items<'a>(headers: &'a HeaderMap, name: &str) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// `192.0.2.1`, `192.0.2.1:443`, `[2001:db8::1]`, `[2001:db8::1]:443` or `2001:db8::1`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = hop.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    hop.strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(ip, _)| ip.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(list.iter().map(|n| n.parse().unwrap()).collect())
    }

    #[test]
    fn an_untrusted_peers_headers_are_ignored() {
        let h = headers(&[("x-forwarded-for", "203.0.113.9")]);
        let peer: IpAddr = "198.51.100.1".parse().unwrap();
        assert_eq!(proxies(&["10.0.0.0/8"]).resolve(peer, &h).ip, peer);
    }

    #[test]
    fn the_rightmost_untrusted_hop_wins_so_a_spoofed_left_entry_does_not() {
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.9, 10.0.0.2")]);
        let client = proxies(&["10.0.0.0/8"]).resolve("10.0.0.1".parse().unwrap(), &h);
        assert_eq!(client.ip, "203.0.113.9".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn forwarded_is_parsed_with_ports_brackets_and_proto() {
        let h = headers(&[(
            "forwarded",
            r#"for="[2001:db8::7]:4711";proto=https, for=10.0.0.2"#,
        )]);
        let client = proxies(&["10.0.0.0/8"]).resolve("10.0.0.1".parse().unwrap(), &h);
        assert_eq!(client.ip, "2001:db8::7".parse::<IpAddr>().unwrap());
        assert_eq!(client.scheme, "https");
    }

    #[test]
    fn an_unparsable_hop_stops_at_the_last_trusted_one() {
        let h = headers(&[("x-forwarded-for", "unknown, 10.0.0.2")]);
        let client = proxies(&["10.0.0.0/8"]).resolve("10.0.0.1".parse().unwrap(), &h);
        assert_eq!(client.ip, "10.0.0.2".parse::<IpAddr>().unwrap());
    }
}
