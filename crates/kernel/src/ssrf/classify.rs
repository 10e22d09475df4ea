//! Which IP addresses an outbound request must never reach: every range that is
//! not a public unicast address, including IPv6 forms that carry an IPv4 address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why `ip` is no public unicast address (`"loopback"`, `"private"`, …), or `None`
/// when an outbound request may reach it. IPv6 addresses that embed an IPv4 one
/// (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`,
/// 6to4 `2002::/16`, Teredo `2001::/32`) are judged by the IPv4 address they carry.
pub fn blocked_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => v6_reason(v6),
    }
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, d] = ip.octets();
    let reason = if a == 0 {
        "unspecified" // 0.0.0.0/8, "this network": connecting to it reaches the host itself
    } else if ip.is_loopback() {
        "loopback"
    } else if ip.is_private() {
        "private"
    } else if a == 100 && (b & 0xc0) == 64 {
        "shared address space (CGNAT)" // 100.64.0.0/10
    } else if [a, b, c, d] == [169, 254, 169, 254] {
        "link-local (cloud metadata service)"
    } else if ip.is_link_local() {
        "link-local"
    } else if ip.is_multicast() {
        "multicast"
    } else if ip.is_broadcast() {
        "broadcast"
    } else if a >= 240 {
        "reserved" // 240.0.0.0/4
    } else if ip.is_documentation() {
        "documentation" // 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24
    } else if a == 198 && (b & 0xfe) == 18 {
        "benchmarking" // 198.18.0.0/15
    } else if (a, b, c) == (192, 0, 0) || (a, b, c) == (192, 88, 99) {
        "reserved" // IETF protocol assignments; the retired 6to4 relay anycast
    } else {
        return None;
    };
    Some(reason)
}

fn v6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    let o = ip.octets();
    let v4_at = |i: usize| Ipv4Addr::new(o[i], o[i + 1], o[i + 2], o[i + 3]);
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_reason(v4); // ::ffff:0:0/96
    }
    if s[..6] == [0; 6] {
        return v4_reason(v4_at(12)); // ::a.b.c.d, IPv4-compatible (deprecated)
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return v4_reason(v4_at(12)); // 64:ff9b::/96, NAT64 well-known prefix
    }
    if s[..3] == [0x64, 0xff9b, 1] {
        return Some("private"); // 64:ff9b:1::/48, local-use NAT64
    }
    if s[0] == 0x2002 {
        return v4_reason(v4_at(2)); // 2002:a.b.c.d::/48, 6to4
    }
    if s[..2] == [0x2001, 0] {
        // Teredo: the server's IPv4 in bits 32..64, the client's inverted in the last 32.
        let client = Ipv4Addr::from(!u32::from(v4_at(12)));
        return v4_reason(client).or_else(|| v4_reason(v4_at(4)));
    }
    let reason = if (s[0] & 0xffc0) == 0xfe80 {
        "link-local" // fe80::/10
    } else if (s[0] & 0xffc0) == 0xfec0 {
        "site-local" // fec0::/10 (deprecated)
    } else if (s[0] & 0xfe00) == 0xfc00 {
        "unique-local" // fc00::/7
    } else if (s[0] & 0xff00) == 0xff00 {
        "multicast" // ff00::/8
    } else if s[..2] == [0x2001, 0xdb8] || (s[0] == 0x3fff && s[1] < 0x1000) {
        "documentation" // 2001:db8::/32, 3fff::/20
    } else if s[..3] == [0x2001, 2, 0] {
        "benchmarking" // 2001:2::/48
    } else if (s[0] & 0xe000) != 0x2000 {
        "reserved" // outside 2000::/3, the only global unicast space allocated
    } else {
        return None;
    };
    Some(reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(ip: &str) -> Option<&'static str> {
        blocked_reason(ip.parse().unwrap())
    }

    #[test]
    fn ipv4_ranges_are_classified() {
        let cases = [
            ("0.0.0.0", "unspecified"),
            ("0.1.2.3", "unspecified"),
            ("127.0.0.1", "loopback"),
            ("127.255.255.254", "loopback"),
            ("10.0.0.1", "private"),
            ("172.16.5.4", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("100.64.0.1", "shared address space (CGNAT)"),
            ("100.127.255.255", "shared address space (CGNAT)"),
            ("169.254.169.254", "link-local (cloud metadata service)"),
            ("169.254.0.1", "link-local"),
            ("224.0.0.1", "multicast"),
            ("239.255.255.250", "multicast"),
            ("255.255.255.255", "broadcast"),
            ("240.0.0.1", "reserved"),
            ("192.0.0.8", "reserved"),
            ("192.88.99.1", "reserved"),
            ("192.0.2.1", "documentation"),
            ("198.51.100.7", "documentation"),
            ("203.0.113.9", "documentation"),
            ("198.18.0.1", "benchmarking"),
            ("198.19.255.255", "benchmarking"),
        ];
        for (ip, want) in cases {
            assert_eq!(reason(ip), Some(want), "{ip}");
        }
    }

    #[test]
    fn public_ipv4_addresses_pass() {
        for ip in
            ["93.184.216.34", "1.1.1.1", "8.8.8.8", "172.15.255.255", "172.32.0.1", "100.63.255.255", "100.128.0.1"]
        {
            assert_eq!(reason(ip), None, "{ip}");
        }
    }

    #[test]
    fn ipv6_ranges_are_classified() {
        let cases = [
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("fe80::1", "link-local"),
            ("febf::1", "link-local"),
            ("fec0::1", "site-local"),
            ("fc00::1", "unique-local"),
            ("fd12::1", "unique-local"),
            ("fd00:ec2::254", "unique-local"),
            ("ff02::1", "multicast"),
            ("ff0e::1", "multicast"),
            ("2001:db8::1", "documentation"),
            ("3fff::1", "documentation"),
            ("2001:2::1", "benchmarking"),
            ("100::1", "reserved"),
            ("4000::1", "reserved"),
            ("64:ff9b:1::1", "private"),
        ];
        for (ip, want) in cases {
            assert_eq!(reason(ip), Some(want), "{ip}");
        }
    }

    #[test]
    fn ipv6_forms_embedding_ipv4_are_judged_by_the_ipv4_address() {
        let cases = [
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:7f00:1", "loopback"),
            ("::ffff:10.0.0.1", "private"),
            ("::ffff:169.254.169.254", "link-local (cloud metadata service)"),
            ("::ffff:0.0.0.0", "unspecified"),
            ("::127.0.0.1", "loopback"),
            ("::192.168.0.1", "private"),
            ("::2", "unspecified"),
            ("64:ff9b::7f00:1", "loopback"),
            ("64:ff9b::a9fe:a9fe", "link-local (cloud metadata service)"),
            ("2002:7f00:1::1", "loopback"),
            ("2002:c0a8:101::", "private"),
            // Teredo, client 127.0.0.1 stored inverted; then a private server address.
            ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback"),
            ("2001:0:a00:1:8000:63bf:fe0c:bf5b", "private"),
        ];
        for (ip, want) in cases {
            assert_eq!(reason(ip), Some(want), "{ip}");
        }
    }

    #[test]
    fn public_ipv6_addresses_pass() {
        for ip in [
            "2606:4700::1111",
            "2a00:1450:4001:80b::200e",
            "::ffff:93.184.216.34",
            "64:ff9b::101:101",
            "2002:5db8:d822::1",
            // Teredo with public server 65.54.227.120 and client 1.1.1.1 (inverted: fefe:fefe).
            "2001:0:4136:e378:8000:63bf:fefe:fefe",
        ] {
            assert_eq!(reason(ip), None, "{ip}");
        }
    }
}
