//! Which IP addresses a fetched Client ID Metadata Document may live at: the SSRF guard, kept
//! apart from the fetching so the classification can be read and tested on its own.
//!
//! IPv6 has several ways of carrying an IPv4 address (mapped, compatible, NAT64, 6to4); each
//! is judged by the IPv4 address inside, since a gateway or the kernel may deliver it there.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Addresses a public document may live at: not loopback, private, link-local, shared,
/// documentation, multicast or otherwise reserved, also not when wrapped in IPv6.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

/// Link-local addresses (cloud metadata lives there), refused even when private addresses
/// are allowed for tests.
pub fn is_link_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => v4.is_link_local(),
            None => (v6.segments()[0] & 0xffc0) == 0xfe80,
        },
    }
}

fn is_public_v4(v4: Ipv4Addr) -> bool {
    let [a, b, ..] = v4.octets();
    !(v4.is_private()
        || v4.is_loopback()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_documentation()
        || v4.is_multicast()
        || a == 0
        || a >= 240
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (18..20).contains(&b))
        || (a == 192 && b == 0))
}

fn is_public_v6(v6: Ipv6Addr) -> bool {
    let s = v6.segments();
    !(v6.is_loopback()
        || v6.is_unspecified()
        || v6.is_multicast()
        // Unique local fc00::/7, link-local fe80::/10, deprecated site-local fec0::/10.
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] & 0xffc0) == 0xfec0
        // The rest of the reserved ::/8 (IPv4-compatible and the like are handled above).
        || (s[0] & 0xff00) == 0
        // Documentation 2001:db8::/32, NAT64 local-use 64:ff9b:1::/48, 6to4 without an
        // address to check, and ORCHID/benchmarking ranges inside 2001::/23.
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        || (s[0] == 0x0064 && s[1] == 0xff9b && s[2] == 0x0001)
        || (s[0] == 0x2001 && s[1] < 0x0200))
}

/// The IPv4 address an IPv6 address carries, in the forms a packet may reach it by:
/// `::ffff:a.b.c.d` (mapped), `::a.b.c.d` (compatible, deprecated), `64:ff9b::a.b.c.d` (NAT64
/// well-known prefix) and `2002:aabb:ccdd::/48` (6to4).
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = v6.segments();
    let o = v6.octets();
    let last_four = || Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    if s[..6] == [0; 6] && !(v6.is_loopback() || v6.is_unspecified()) {
        return Some(last_four());
    }
    if s[..6] == [0x0064, 0xff9b, 0, 0, 0, 0] {
        return Some(last_four());
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "224.0.0.1",
            // IPv4-compatible, NAT64, 6to4 and site-local (issue #14, item 12).
            "::127.0.0.1",
            "::10.0.0.1",
            "::169.254.169.254",
            "64:ff9b::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2002:0a00:0001::1",
            "2002:a9fe:a9fe::",
            "fec0::1",
            "feff::1",
            "64:ff9b:1::1",
            "2001:db8::1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn public_addresses_stay_public_in_every_wrapping() {
        for ip in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700::1111",
            "::93.184.216.34",
            "64:ff9b::5db8:d822",
            "2002:5db8:d822::1",
            "2a00:1450:4001::1",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn link_local_is_recognised_inside_ipv6_wrappings_too() {
        for ip in [
            "169.254.169.254",
            "fe80::1",
            "::ffff:169.254.169.254",
            "::169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2002:a9fe:a9fe::",
        ] {
            assert!(is_link_local(ip.parse().unwrap()), "{ip}");
        }
        assert!(!is_link_local("10.0.0.1".parse().unwrap()));
    }
}
