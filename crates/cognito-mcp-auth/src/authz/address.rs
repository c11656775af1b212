//! The client address every per-address rule counts by: the registration and authorization
//! rate limits, the caps on pending sign-ins, and the sign-in page's lockout.
//!
//! One function, [`client_address`], decides it, so every rule agrees on who a caller is. It
//! is the socket's peer address (axum's `ConnectInfo`, which `serve --transport lambda` fills
//! from the event's source IP), unless that peer is a trusted proxy
//! ([`TrustedProxies`], `server.trusted_proxies`): then it is the client the proxies name in
//! their forwarded-for header, read right to left through trusted hops only
//! (`trusted_proxies.rs`). With no trusted proxies (the default), forwarded headers are never
//! read: anyone can write them.
//!
//! IPv4 addresses count one by one. IPv6 addresses count by their /64 prefix, the smallest
//! network a site is given: one host can pick any of 2^64 addresses in its /64, so counting
//! by address would give it as many budgets.

use std::convert::Infallible;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use http::HeaderMap;
use http::request::Parts;

use super::trusted_proxies::TrustedProxies;

/// Who a request comes from, as the per-address rules count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ClientAddress {
    /// An IPv4 address (IPv4-mapped IPv6 addresses count as their IPv4 address).
    V4(Ipv4Addr),
    /// The /64 prefix of an IPv6 address: its upper 64 bits.
    V6Net(u64),
    /// No peer address is known (a server served without `ConnectInfo`): every such request
    /// shares one budget.
    Unknown,
}

impl ClientAddress {
    /// The group `ip` counts in.
    pub(crate) fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self::V4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self::V4(v4),
                None => Self::V6Net((u128::from(v6) >> 64) as u64),
            },
        }
    }
}

impl fmt::Display for ClientAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::V4(v4) => write!(f, "{v4}"),
            Self::V6Net(net) => write!(f, "{}/64", Ipv6Addr::from(u128::from(*net) << 64)),
            Self::Unknown => f.write_str("unknown"),
        }
    }
}

/// The client address of a request: the one place that decides it. The trusted proxies are
/// the ones the authorization server's routes put in the request's extensions; without them
/// the peer is the client.
pub(crate) fn client_address(headers: &HeaderMap, extensions: &http::Extensions) -> ClientAddress {
    let Some(ConnectInfo(peer)) = extensions.get::<ConnectInfo<SocketAddr>>() else {
        return ClientAddress::Unknown;
    };
    let ip = match extensions.get::<TrustedProxies>() {
        Some(trusted) => trusted.client(peer.ip(), headers),
        None => peer.ip(),
    };
    ClientAddress::of(ip)
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(client_address(&parts.headers, &parts.extensions))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(ip: &str) -> ClientAddress {
        ClientAddress::of(ip.parse().expect("ip"))
    }

    #[test]
    fn ipv6_addresses_of_one_64_are_one_client() {
        assert_eq!(
            of("2001:db8:1:2::1"),
            of("2001:db8:1:2:ffff:ffff:ffff:ffff")
        );
        assert_eq!(of("2001:db8:1:2::1").to_string(), "2001:db8:1:2::/64");
    }

    #[test]
    fn ipv6_addresses_of_different_64s_are_different_clients() {
        assert_ne!(of("2001:db8:1:2::1"), of("2001:db8:1:3::1"));
        assert_ne!(of("2001:db8:1:2::1"), of("2001:db9:1:2::1"));
    }

    #[test]
    fn ipv4_addresses_count_one_by_one() {
        assert_ne!(of("192.0.2.1"), of("192.0.2.2"));
        assert_eq!(of("192.0.2.1").to_string(), "192.0.2.1");
        assert_eq!(
            of("::ffff:192.0.2.1"),
            of("192.0.2.1"),
            "IPv4-mapped is IPv4"
        );
    }

    /// The attack: behind a balancer, a client sends `X-Forwarded-For` to get a new budget
    /// per request; without trusted proxies nothing reads it.
    #[test]
    fn forwarded_headers_are_not_trusted_without_trusted_proxies() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "198.51.100.9".parse().expect("hv"));
        headers.insert("forwarded", "for=198.51.100.9".parse().expect("hv"));
        let mut ext = http::Extensions::new();
        assert_eq!(client_address(&headers, &ext), ClientAddress::Unknown);
        ext.insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 7], 4000))));
        assert_eq!(client_address(&headers, &ext), of("192.0.2.7"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_forwarded_client_counts() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "2001:db8:1:2::9".parse().expect("hv"));
        let mut ext = http::Extensions::new();
        ext.insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 2], 4000))));
        ext.insert(TrustedProxies::parse(&["10.0.0.0/8"], None).expect("valid"));
        assert_eq!(client_address(&headers, &ext), of("2001:db8:1:2::ffff"));
        // Spoofed from a peer that is not a trusted proxy: the peer counts.
        ext.insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 7], 4000))));
        assert_eq!(client_address(&headers, &ext), of("192.0.2.7"));
    }
}
