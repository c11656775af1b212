//! Addresses a client ID metadata document fetch must never reach (SSRF): the IANA IPv4 and
//! IPv6 special-purpose address registries, and IPv6 forms that carry an IPv4 address.
//!
//! [`special_range`] names the range an address falls in, or `None` for an address the fetch
//! may reach. IPv6 addresses that embed an IPv4 address and reach it (IPv4-mapped, NAT64,
//! 6to4) are judged by the embedded address; every other special range is refused whole.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IPv4 special-purpose ranges (IANA registry, with the ones it marks globally reachable too:
/// no metadata document lives on anycast infrastructure).
const V4: &[(u32, u8, &str)] = &[
    (0x0000_0000, 8, "0.0.0.0/8 this network"),
    (0x0a00_0000, 8, "10.0.0.0/8 private"),
    (0x6440_0000, 10, "100.64.0.0/10 shared (CGNAT)"),
    (0x7f00_0000, 8, "127.0.0.0/8 loopback"),
    (0xa9fe_0000, 16, "169.254.0.0/16 link local"),
    (0xac10_0000, 12, "172.16.0.0/12 private"),
    (0xc000_0000, 24, "192.0.0.0/24 IETF protocol assignments"),
    (0xc000_0200, 24, "192.0.2.0/24 documentation (TEST-NET-1)"),
    (0xc01f_c400, 24, "192.31.196.0/24 AS112-v4"),
    (0xc034_c100, 24, "192.52.193.0/24 AMT"),
    (0xc058_6300, 24, "192.88.99.0/24 6to4 relay anycast"),
    (0xc0a8_0000, 16, "192.168.0.0/16 private"),
    (0xc0af_3000, 24, "192.175.48.0/24 AS112 direct delegation"),
    (0xc612_0000, 15, "198.18.0.0/15 benchmarking"),
    (
        0xc633_6400,
        24,
        "198.51.100.0/24 documentation (TEST-NET-2)",
    ),
    (0xcb00_7100, 24, "203.0.113.0/24 documentation (TEST-NET-3)"),
    (0xe000_0000, 4, "224.0.0.0/4 multicast"),
    (0xffff_ffff, 32, "255.255.255.255/32 limited broadcast"),
    (0xf000_0000, 4, "240.0.0.0/4 reserved"),
];

/// IPv6 ranges refused whole, most specific first. The ones that embed a reachable IPv4
/// address are handled before this table.
const V6: &[(u128, u8, &str)] = &[
    (0, 128, "::/128 unspecified"),
    (1, 128, "::1/128 loopback"),
    (0, 96, "::/96 IPv4-compatible (deprecated)"),
    (
        0x0064_ff9b_0001_u128 << 80,
        48,
        "64:ff9b:1::/48 local-use NAT64 (only its ::/96 form is judged)",
    ),
    (0x0100_u128 << 112, 64, "100::/64 discard only"),
    (
        (0x0100_u128 << 112) | (1 << 64),
        64,
        "100:0:0:1::/64 dummy prefix",
    ),
    (0x2001_0db8_u128 << 96, 32, "2001:db8::/32 documentation"),
    (
        0x2001_u128 << 112,
        23,
        "2001::/23 IETF protocol assignments",
    ),
    (0x3fff_u128 << 112, 20, "3fff::/20 documentation"),
    (
        0x5f00_u128 << 112,
        16,
        "5f00::/16 segment routing (SRv6) SIDs",
    ),
    (0xfc00_u128 << 112, 7, "fc00::/7 unique local"),
    (0xfe80_u128 << 112, 10, "fe80::/10 link local"),
    (0xfec0_u128 << 112, 10, "fec0::/10 site local (deprecated)"),
    (0xff00_u128 << 112, 8, "ff00::/8 multicast"),
    // Everything outside global unicast (2000::/3) is unallocated or special; the named
    // ranges above say which when they apply.
    (0x0000_u128 << 112, 3, "outside 2000::/3 global unicast"),
    (0x4000_u128 << 112, 2, "outside 2000::/3 global unicast"),
    (0x8000_u128 << 112, 1, "outside 2000::/3 global unicast"),
];

fn in_v4(ip: u32, (net, len, _): &(u32, u8, &str)) -> bool {
    let mask = if *len == 0 { 0 } else { u32::MAX << (32 - len) };
    ip & mask == *net
}

fn in_v6(ip: u128, (net, len, _): &(u128, u8, &str)) -> bool {
    let mask = if *len == 0 {
        0
    } else {
        u128::MAX << (128 - len)
    };
    ip & mask == *net
}

/// The special-purpose range `ip` is in (named for the log), or `None` when a metadata
/// document fetch may connect to it.
pub(crate) fn special_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => special_v4(v4),
        IpAddr::V6(v6) => special_v6(v6),
    }
}

fn special_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let n = u32::from(ip);
    V4.iter().find(|r| in_v4(n, r)).map(|r| r.2)
}

fn special_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let n = u128::from(ip);
    let low32 = Ipv4Addr::from((n & 0xffff_ffff) as u32);
    // ::ffff:0:0/96 IPv4-mapped: a dual-stack socket connects to the IPv4 address.
    if n >> 32 == 0xffff {
        return special_v4(low32);
    }
    // 64:ff9b::/96 (well-known NAT64 prefix) and the /96 form of the local-use 64:ff9b:1::/48:
    // the translator connects to the IPv4 address in the last 32 bits (RFC 6052).
    if n >> 32 == 0x0064_ff9b_u128 << 64 || n >> 32 == 0x0064_ff9b_0001_u128 << 48 {
        return special_v4(low32);
    }
    // 2002::/16 6to4: the IPv4 address in bits 16..48 is the relay that is reached.
    if n >> 112 == 0x2002 {
        return special_v4(Ipv4Addr::from((n >> 80) as u32));
    }
    V6.iter().find(|r| in_v6(n, r)).map(|r| r.2)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The range `first`, `last` and `middle` fall in, which must be the one named `range`.
    fn refused(range: &str, addrs: [&str; 3]) {
        for a in addrs {
            let ip: IpAddr = a.parse().expect("address");
            let got = special_range(ip);
            assert!(
                got.is_some_and(|g| g.contains(range)),
                "{a} must be refused as {range}, got {got:?}"
            );
        }
    }

    macro_rules! refused {
        ($($name:ident: $range:literal [$first:literal, $last:literal, $mid:literal];)*) => {
            $(#[test] fn $name() { refused($range, [$first, $last, $mid]); })*
        };
    }

    refused! {
        v4_this_network_fails: "0.0.0.0/8" ["0.0.0.0", "0.255.255.255", "0.1.2.3"];
        v4_private_10_fails: "10.0.0.0/8" ["10.0.0.0", "10.255.255.255", "10.20.30.40"];
        v4_cgnat_fails: "100.64.0.0/10" ["100.64.0.0", "100.127.255.255", "100.100.1.1"];
        v4_loopback_fails: "127.0.0.0/8" ["127.0.0.0", "127.255.255.255", "127.0.0.1"];
        v4_link_local_fails: "169.254.0.0/16" ["169.254.0.0", "169.254.255.255", "169.254.169.254"];
        v4_private_172_fails: "172.16.0.0/12" ["172.16.0.0", "172.31.255.255", "172.20.1.1"];
        v4_ietf_assignments_fails: "192.0.0.0/24" ["192.0.0.0", "192.0.0.255", "192.0.0.170"];
        v4_test_net_1_fails: "192.0.2.0/24" ["192.0.2.0", "192.0.2.255", "192.0.2.77"];
        v4_as112_fails: "192.31.196.0/24" ["192.31.196.0", "192.31.196.255", "192.31.196.1"];
        v4_amt_fails: "192.52.193.0/24" ["192.52.193.0", "192.52.193.255", "192.52.193.9"];
        v4_6to4_relay_fails: "192.88.99.0/24" ["192.88.99.0", "192.88.99.255", "192.88.99.1"];
        v4_private_192_168_fails: "192.168.0.0/16" ["192.168.0.0", "192.168.255.255", "192.168.1.1"];
        v4_as112_direct_fails: "192.175.48.0/24" ["192.175.48.0", "192.175.48.255", "192.175.48.6"];
        v4_benchmarking_fails: "198.18.0.0/15" ["198.18.0.0", "198.19.255.255", "198.19.0.1"];
        v4_test_net_2_fails: "198.51.100.0/24" ["198.51.100.0", "198.51.100.255", "198.51.100.10"];
        v4_test_net_3_fails: "203.0.113.0/24" ["203.0.113.0", "203.0.113.255", "203.0.113.50"];
        v4_multicast_fails: "224.0.0.0/4" ["224.0.0.0", "239.255.255.255", "230.1.2.3"];
        v4_reserved_fails: "240.0.0.0/4" ["240.0.0.0", "255.255.255.254", "250.1.2.3"];
        v4_broadcast_fails: "255.255.255.255" ["255.255.255.255", "255.255.255.255", "255.255.255.255"];

        v6_unspecified_fails: "::/128" ["::", "::", "0:0:0:0:0:0:0:0"];
        v6_loopback_fails: "::1/128" ["::1", "::1", "0:0:0:0:0:0:0:1"];
        v6_ipv4_compatible_fails: "::/96" ["::0.0.0.2", "::255.255.255.255", "::8.8.8.8"];
        v6_ipv4_mapped_private_fails: "10.0.0.0/8" ["::ffff:10.0.0.0", "::ffff:10.255.255.255", "::ffff:a01:203"];
        v6_ipv4_mapped_loopback_fails: "127.0.0.0/8" ["::ffff:127.0.0.0", "::ffff:127.255.255.255", "::ffff:127.0.0.1"];
        v6_ipv4_mapped_metadata_fails: "169.254.0.0/16" ["::ffff:169.254.0.0", "::ffff:169.254.255.255", "::ffff:169.254.169.254"];
        v6_nat64_private_fails: "10.0.0.0/8" ["64:ff9b::10.0.0.0", "64:ff9b::10.255.255.255", "64:ff9b::a01:203"];
        v6_nat64_loopback_fails: "127.0.0.0/8" ["64:ff9b::127.0.0.0", "64:ff9b::127.255.255.255", "64:ff9b::7f00:1"];
        v6_nat64_local_use_private_fails: "192.168.0.0/16" ["64:ff9b:1::192.168.0.0", "64:ff9b:1::192.168.255.255", "64:ff9b:1::c0a8:101"];
        v6_nat64_local_use_other_forms_fails: "64:ff9b:1::/48" ["64:ff9b:1:0:1::", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", "64:ff9b:1:a00:1::"];
        v6_discard_fails: "100::/64" ["100::", "100::ffff:ffff:ffff:ffff", "100::1"];
        v6_dummy_prefix_fails: "100:0:0:1::/64" ["100:0:0:1::", "100:0:0:1:ffff:ffff:ffff:ffff", "100:0:0:1::1"];
        v6_ietf_assignments_fails: "2001::/23" ["2001::", "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", "2001:0:4136:e378:8000:63bf:3fff:fdd2"];
        v6_documentation_fails: "2001:db8::/32" ["2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::1"];
        v6_6to4_private_fails: "192.168.0.0/16" ["2002:c0a8::", "2002:c0a8:ffff:ffff:ffff:ffff:ffff:ffff", "2002:c0a8:101::1"];
        v6_6to4_loopback_fails: "127.0.0.0/8" ["2002:7f00::", "2002:7fff:ffff:ffff:ffff:ffff:ffff:ffff", "2002:7f00:1::"];
        v6_documentation_3fff_fails: "3fff::/20" ["3fff::", "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", "3fff:123::1"];
        v6_srv6_fails: "5f00::/16" ["5f00::", "5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "5f00:1::1"];
        v6_unique_local_fails: "fc00::/7" ["fc00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fd12:3456::1"];
        v6_link_local_fails: "fe80::/10" ["fe80::", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe80::1"];
        v6_site_local_fails: "fec0::/10" ["fec0::", "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fec0::1"];
        v6_multicast_fails: "ff00::/8" ["ff00::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ff02::1"];
        v6_outside_global_unicast_fails: "outside 2000::/3" ["4000::", "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "8000::1"];
        v6_below_global_unicast_fails: "outside 2000::/3" ["::1:0:0:0", "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "1000::1"];
    }

    /// Public addresses pass, including IPv6 forms that embed a public IPv4 address.
    #[test]
    fn public_addresses_pass() {
        for a in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "9.255.255.255",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "126.255.255.255",
            "128.0.0.0",
            "169.253.255.255",
            "169.255.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.0.1.0",
            "192.0.3.0",
            "192.88.98.255",
            "192.167.255.255",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "203.0.112.255",
            "223.255.255.255",
            "2606:4700::1111",
            "2a00:1450:4001:80b::200e",
            "2001:200::1",
            "2001:db7:ffff::1",
            "2001:db9::1",
            "2003::1",
            "3ffe:ffff::1",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
            "64:ff9b:1::1.1.1.1",
            "2002:808:808::1",
        ] {
            let ip: IpAddr = a.parse().expect("address");
            assert_eq!(special_range(ip), None, "{a} is public");
        }
    }
}
