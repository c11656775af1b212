//! Trusted proxies: whose forwarded-for header the per-address rules believe.
//!
//! Behind a load balancer every request's TCP peer is the balancer, so per-address rules
//! keyed on the peer put every caller in one budget: one attacker locks everyone out. The
//! balancer says who its client was in a header, but anyone can send that header too. So the
//! header is read only when the peer is a trusted proxy, and only through trusted hops:
//!
//! - the header's addresses are read **right to left** (each proxy appends the address it
//!   saw, so the rightmost entry is the one the nearest proxy wrote);
//! - an address inside a trusted network is one more proxy: keep walking left;
//! - the first address outside them is the client (everything left of it came from the
//!   client, and the client may have written it);
//! - an entry that is not an address (`unknown`, an obfuscated name, garbage) ends the walk,
//!   and the client is the last proxy that was trusted;
//! - when every entry is trusted, the client is the leftmost of them.
//!
//! One header is read, the one the deployment's balancer writes: `X-Forwarded-For` (AWS ALB,
//! API Gateway, CloudFront; the default) or `Forwarded` (RFC 7239). The other is never read:
//! a balancer that writes `X-Forwarded-For` passes a client's own `Forwarded` header through
//! untouched, so believing it would let the client pick its address.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

use http::HeaderMap;

/// A network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`); a bare address is the network
/// of that one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

/// Why a trusted-proxy setting cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustedProxyError {
    /// Not an address or `address/prefix`.
    #[error(
        "{0:?} is not a network: write an address with a prefix length, like 10.0.0.0/8 or \
         2001:db8::/32 (or one address, like 10.0.0.7)"
    )]
    NotANetwork(String),
    /// The prefix length is more than the address has bits.
    #[error("{entry:?} has prefix length {prefix}; an {family} prefix is at most {max}")]
    PrefixTooLong {
        /// The entry as written.
        entry: String,
        /// Its prefix length.
        prefix: u32,
        /// `IPv4` or `IPv6`.
        family: &'static str,
        /// The family's bits.
        max: u8,
    },
    /// Bits set past the prefix: probably a typo for the network or for one address.
    #[error(
        "{entry:?} has bits set past its prefix length; write the network, {network}, or the \
         one address without a prefix"
    )]
    HostBitsSet {
        /// The entry as written.
        entry: String,
        /// The network it is probably meant to be.
        network: String,
    },
    /// A network of every address (`0.0.0.0/0`, `::/0`): every hop would be trusted, so the
    /// client could name any address it likes.
    #[error(
        "{0:?} trusts every address, so any client could claim any address and dodge every \
         per-address limit; list only your load balancers' networks, like 10.0.0.0/8"
    )]
    EveryAddress(String),
    /// A forwarded header the server does not read.
    #[error(
        "server.forwarded_header is {0:?}; use \"x-forwarded-for\" (AWS ALB, API Gateway, \
         CloudFront) or \"forwarded\" (RFC 7239), whichever your load balancer writes"
    )]
    UnknownHeader(String),
}

impl FromStr for Cidr {
    type Err = TrustedProxyError;

    fn from_str(entry: &str) -> Result<Self, Self::Err> {
        let s = entry.trim();
        let not_a_network = || TrustedProxyError::NotANetwork(entry.to_owned());
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => {
                let addr: IpAddr = a.parse().map_err(|_| not_a_network())?;
                if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 3 {
                    return Err(not_a_network());
                }
                (addr, Some(p.parse::<u32>().map_err(|_| not_a_network())?))
            }
            None => (s.parse().map_err(|_| not_a_network())?, None),
        };
        let addr = canonical(addr);
        let (family, max) = match addr {
            IpAddr::V4(_) => ("IPv4", 32u8),
            IpAddr::V6(_) => ("IPv6", 128u8),
        };
        let prefix = match prefix {
            None => max,
            Some(p) if p > u32::from(max) => {
                return Err(TrustedProxyError::PrefixTooLong {
                    entry: entry.to_owned(),
                    prefix: p,
                    family,
                    max,
                });
            }
            Some(p) => p as u8,
        };
        if prefix == 0 {
            return Err(TrustedProxyError::EveryAddress(entry.to_owned()));
        }
        let cidr = Cidr { net: addr, prefix };
        let network = cidr.masked(addr);
        if network != addr {
            return Err(TrustedProxyError::HostBitsSet {
                entry: entry.to_owned(),
                network: format!("{network}/{prefix}"),
            });
        }
        Ok(cidr)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.net, self.prefix)
    }
}

impl Cidr {
    /// `ip` with the bits past this network's prefix cleared.
    fn masked(&self, ip: IpAddr) -> IpAddr {
        match ip {
            IpAddr::V4(v4) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V4(Ipv4Addr::from(u32::from(v4) & mask))
            }
            IpAddr::V6(v6) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
            }
        }
    }

    /// Whether `ip` is in this network (an IPv4-mapped IPv6 address is its IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        ip.is_ipv4() == self.net.is_ipv4() && self.masked(ip) == self.net
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`, what a dual-stack socket reports) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Which header the trusted proxies write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (AWS ALB, API Gateway, CloudFront, nginx).
    #[default]
    XForwardedFor,
    /// `Forwarded: for=client, for=proxy1` (RFC 7239).
    Forwarded,
}

impl FromStr for ForwardedHeader {
    type Err = TrustedProxyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(Self::XForwardedFor),
            "forwarded" => Ok(Self::Forwarded),
            _ => Err(TrustedProxyError::UnknownHeader(s.to_owned())),
        }
    }
}

/// The proxies whose forwarded-for header is believed, and which header that is. The default
/// trusts no one: the client is the TCP peer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Arc<[Cidr]>,
    header: ForwardedHeader,
}

impl TrustedProxies {
    /// Trusts the proxies in `nets`, which write `header`.
    pub fn new(nets: impl IntoIterator<Item = Cidr>, header: ForwardedHeader) -> Self {
        Self {
            nets: nets.into_iter().collect(),
            header,
        }
    }

    /// Reads a list of networks (`["10.0.0.0/8", "2001:db8::/32"]`) and the header's name
    /// (default `x-forwarded-for`); every bad entry is one error.
    pub fn parse<S: AsRef<str>>(
        nets: &[S],
        header: Option<&str>,
    ) -> Result<Self, Vec<TrustedProxyError>> {
        let mut errors = Vec::new();
        let mut parsed = Vec::new();
        for entry in nets {
            match entry.as_ref().parse::<Cidr>() {
                Ok(c) => parsed.push(c),
                Err(e) => errors.push(e),
            }
        }
        let header = match header.map(str::parse::<ForwardedHeader>) {
            None => ForwardedHeader::default(),
            Some(Ok(h)) => h,
            Some(Err(e)) => {
                errors.push(e);
                ForwardedHeader::default()
            }
        };
        if errors.is_empty() {
            Ok(Self::new(parsed, header))
        } else {
            Err(errors)
        }
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    /// The trusted networks.
    pub fn networks(&self) -> &[Cidr] {
        &self.nets
    }

    /// The header read.
    pub fn header(&self) -> ForwardedHeader {
        self.header
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|n| n.contains(ip))
    }

    /// The client of a request from `peer` carrying `headers`, by the walk in the module docs.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let name = match self.header {
            ForwardedHeader::XForwardedFor => "x-forwarded-for",
            ForwardedHeader::Forwarded => "forwarded",
        };
        // Every line of the header, in order, is one list (RFC 9110, 5.3).
        let mut hops: Vec<Option<IpAddr>> = Vec::new();
        for value in headers.get_all(name) {
            let Ok(text) = value.to_str() else {
                hops.push(None);
                continue;
            };
            match self.header {
                ForwardedHeader::XForwardedFor => {
                    hops.extend(text.split(',').map(|e| address_of(e.trim())));
                }
                ForwardedHeader::Forwarded => hops.extend(forwarded_for(text)),
            }
        }
        let mut client = peer;
        for hop in hops.into_iter().rev() {
            match hop.map(canonical) {
                Some(ip) if self.trusts(ip) => client = ip,
                Some(ip) => return ip,
                None => return client,
            }
        }
        client
    }
}

/// The address of one hop: `192.0.2.1`, `2001:db8::1`, `[2001:db8::1]`, or either with a port.
fn address_of(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Ok(sock) = hop.parse::<SocketAddr>() {
        return Some(sock.ip());
    }
    hop.strip_prefix('[')?.strip_suffix(']')?.parse().ok()
}

/// The `for=` of each element of a `Forwarded` header, in order (`None` for an element
/// without one, or with `unknown` or an obfuscated name).
fn forwarded_for(text: &str) -> Vec<Option<IpAddr>> {
    split_outside_quotes(text, ',')
        .into_iter()
        .map(|element| {
            split_outside_quotes(element, ';')
                .into_iter()
                .find_map(|pair| {
                    let (name, value) = pair.split_once('=')?;
                    if !name.trim().eq_ignore_ascii_case("for") {
                        return None;
                    }
                    let value = value.trim();
                    let value = value
                        .strip_prefix('"')
                        .and_then(|v| v.strip_suffix('"'))
                        .unwrap_or(value);
                    Some(address_of(value))
                })?
        })
        .collect()
}

/// `text` split at each `sep` that is not inside a quoted string.
fn split_outside_quotes(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn trusted(nets: &[&str], header: ForwardedHeader) -> TrustedProxies {
        let names: Vec<&str> = nets.to_vec();
        let header = match header {
            ForwardedHeader::XForwardedFor => "x-forwarded-for",
            ForwardedHeader::Forwarded => "forwarded",
        };
        TrustedProxies::parse(&names, Some(header)).expect("valid")
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
                v.parse().expect("value"),
            );
        }
        h
    }

    #[test]
    fn networks_parse_and_contain() {
        let n: Cidr = "10.0.0.0/8".parse().expect("cidr");
        assert!(n.contains(ip("10.255.1.2")));
        assert!(!n.contains(ip("11.0.0.1")));
        assert!(n.contains(ip("::ffff:10.1.2.3")), "IPv4-mapped is IPv4");
        assert!(
            !n.contains(ip("::a00:1")),
            "an IPv6 address is not in an IPv4 network"
        );
        let v6: Cidr = "2001:db8::/32".parse().expect("cidr");
        assert!(v6.contains(ip("2001:db8:ffff::1")));
        assert!(!v6.contains(ip("2001:db9::1")));
        let one: Cidr = "192.0.2.7".parse().expect("one address");
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        assert_eq!(one.to_string(), "192.0.2.7/32");
    }

    #[test]
    fn bad_networks_are_refused_with_the_fix() {
        let err = |s: &str| s.parse::<Cidr>().expect_err(s).to_string();
        assert!(
            err("10.0.0.0/33").contains("at most 32"),
            "{}",
            err("10.0.0.0/33")
        );
        assert!(
            err("10.0.0.1/8").contains("10.0.0.0/8"),
            "{}",
            err("10.0.0.1/8")
        );
        assert!(err("ten/8").contains("is not a network"));
        assert!(err("10.0.0.0/").contains("is not a network"));
        assert!(err("10.0.0.0/+8").contains("is not a network"));
        assert!(err("2001:db8::/129").contains("at most 128"));
    }

    #[test]
    fn trusting_every_address_is_refused() {
        for every in ["0.0.0.0/0", "::/0"] {
            assert!(matches!(
                every.parse::<Cidr>(),
                Err(TrustedProxyError::EveryAddress(_))
            ));
        }
        let errors = TrustedProxies::parse(&["10.0.0.0/8", "0.0.0.0/0", "x"], Some("via"))
            .expect_err("three problems");
        assert_eq!(errors.len(), 3, "{errors:?}");
    }

    /// The attack: a client connects directly (not through the balancer) and claims another
    /// address in the header, to get a fresh budget per request.
    #[test]
    fn a_forwarded_header_from_an_untrusted_peer_is_ignored() {
        let t = trusted(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        let h = headers(&[("x-forwarded-for", "198.51.100.9")]);
        assert_eq!(t.client(ip("203.0.113.5"), &h), ip("203.0.113.5"));
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("10.0.0.2"), &h), ip("10.0.0.2"));
    }

    #[test]
    fn the_balancers_entry_names_the_client() {
        let t = trusted(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        let h = headers(&[("x-forwarded-for", "198.51.100.9")]);
        assert_eq!(t.client(ip("10.0.0.2"), &h), ip("198.51.100.9"));
    }

    /// The attack: through the balancer, a client writes its own `X-Forwarded-For`; the
    /// balancer appends the real address. Reading left to right would believe the client.
    #[test]
    fn a_spoofed_entry_left_of_the_balancers_is_ignored() {
        let t = trusted(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.9")]);
        assert_eq!(t.client(ip("10.0.0.2"), &h), ip("198.51.100.9"));
        // A spoofed trusted-looking entry does not help either: the walk stops at the client.
        let h = headers(&[("x-forwarded-for", "10.9.9.9, 198.51.100.9")]);
        assert_eq!(t.client(ip("10.0.0.2"), &h), ip("198.51.100.9"));
    }

    #[test]
    fn a_chain_of_trusted_proxies_is_walked() {
        let t = trusted(
            &["10.0.0.0/8", "172.16.0.0/12"],
            ForwardedHeader::XForwardedFor,
        );
        let h = headers(&[
            ("x-forwarded-for", "1.2.3.4, 198.51.100.9"),
            ("x-forwarded-for", "172.16.0.5"),
        ]);
        assert_eq!(t.client(ip("10.0.0.2"), &h), ip("198.51.100.9"));
        // Every hop trusted: the leftmost is the client (a caller inside the network).
        let h = headers(&[("x-forwarded-for", "10.1.1.1, 172.16.0.5")]);
        assert_eq!(t.client(ip("10.0.0.2"), &h), ip("10.1.1.1"));
        // No header: the proxy itself.
        assert_eq!(t.client(ip("10.0.0.2"), &HeaderMap::new()), ip("10.0.0.2"));
    }

    #[test]
    fn a_malformed_hop_ends_the_walk_at_the_last_trusted_proxy() {
        let t = trusted(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        let h = headers(&[("x-forwarded-for", "198.51.100.9, garbage, 10.0.0.9")]);
        assert_eq!(t.client(ip("10.0.0.2"), &h), ip("10.0.0.9"));
        let h = headers(&[("x-forwarded-for", "")]);
        assert_eq!(t.client(ip("10.0.0.2"), &h), ip("10.0.0.2"));
    }

    #[test]
    fn entries_with_ports_and_brackets_are_addresses() {
        let t = trusted(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        for (entry, want) in [
            ("198.51.100.9:4711", "198.51.100.9"),
            ("[2001:db8::17]:4711", "2001:db8::17"),
            ("[2001:db8::17]", "2001:db8::17"),
            ("2001:db8::17", "2001:db8::17"),
        ] {
            let h = headers(&[("x-forwarded-for", entry)]);
            assert_eq!(t.client(ip("10.0.0.2"), &h), ip(want), "{entry}");
        }
    }

    /// The attack: a balancer that writes `X-Forwarded-For` passes the client's own
    /// `Forwarded` header through; believing it would let the client choose its address.
    #[test]
    fn the_header_the_balancer_does_not_write_is_never_read() {
        let xff = trusted(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        let h = headers(&[
            ("forwarded", "for=1.2.3.4"),
            ("x-forwarded-for", "198.51.100.9"),
        ]);
        assert_eq!(xff.client(ip("10.0.0.2"), &h), ip("198.51.100.9"));
        let fwd = trusted(&["10.0.0.0/8"], ForwardedHeader::Forwarded);
        let h = headers(&[
            ("forwarded", "for=198.51.100.9"),
            ("x-forwarded-for", "1.2.3.4"),
        ]);
        assert_eq!(fwd.client(ip("10.0.0.2"), &h), ip("198.51.100.9"));
    }

    #[test]
    fn forwarded_elements_are_read_right_to_left() {
        let t = trusted(&["10.0.0.0/8"], ForwardedHeader::Forwarded);
        let h = headers(&[(
            "forwarded",
            "for=1.2.3.4, for=\"[2001:db8:cafe::17]:4711\";proto=https, for=10.0.0.9;by=10.0.0.2",
        )]);
        assert_eq!(t.client(ip("10.0.0.2"), &h), ip("2001:db8:cafe::17"));
        let h = headers(&[("forwarded", "for=unknown, for=10.0.0.9")]);
        assert_eq!(
            t.client(ip("10.0.0.2"), &h),
            ip("10.0.0.9"),
            "unknown ends the walk"
        );
        let h = headers(&[("forwarded", "for=_hidden;proto=http")]);
        assert_eq!(t.client(ip("10.0.0.2"), &h), ip("10.0.0.2"));
        let h = headers(&[("forwarded", "proto=https;by=\"a,b\", for=198.51.100.1")]);
        assert_eq!(t.client(ip("10.0.0.2"), &h), ip("198.51.100.1"));
    }

    #[test]
    fn an_ipv4_mapped_peer_is_its_ipv4_address() {
        let t = trusted(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        let h = headers(&[("x-forwarded-for", "198.51.100.9")]);
        assert_eq!(t.client(ip("::ffff:10.0.0.2"), &h), ip("198.51.100.9"));
    }
}
