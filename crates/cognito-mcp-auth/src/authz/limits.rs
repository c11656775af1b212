//! Limits against state exhaustion: how often `/register` and `/authorize` may be called, per
//! client address and in total, and how many sign-ins may wait for consent or for the
//! upstream at once ([`super::pending`]).
//!
//! The rate limit is a GCRA (a token bucket kept as one "theoretical arrival time" per key):
//! `N` per minute allows a burst of `N`, then one every `60/N` seconds. A request counts
//! against its address and the total together, and only when both admit it, so a refused
//! request costs nothing and keys are only created by admitted requests: the table holds at
//! most about twice the total per-minute budget, whatever an attacker sends.
//!
//! Time comes from the server's injectable clock, in milliseconds, passed in by the caller.
//! The limiters live in the process: each instance counts its own requests (behind a load
//! balancer, the budgets add up across instances).

use std::collections::HashMap;
use std::sync::Mutex;

use axum::response::Response;
use http::{HeaderValue, header};

use super::address::ClientAddress;
use super::error::OAuthError;
use super::pages;

/// The limits on authorization requests and pending sign-ins: the `[auth.limits]` table.
///
/// Each counts per server instance. The registration limits are in
/// [`DcrPolicy`](super::DcrPolicy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Most `/authorize` requests per client address (IPv6: per /64) per minute, as a burst
    /// and then evenly; then 429. Default: 60.
    pub authorize_per_minute: u64,
    /// Most `/authorize` requests per minute from everyone; then 503. Default: 600.
    pub authorize_per_minute_total: u64,
    /// Most sign-ins waiting for consent or for the upstream (consent and transaction records)
    /// started from one client address; then 429. Default: 100.
    pub pending_per_address: u64,
    /// Most sign-ins waiting for consent or for the upstream, from everyone; then 503.
    /// Default: 10,000.
    pub pending_total: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            authorize_per_minute: 60,
            authorize_per_minute_total: 600,
            pending_per_address: 100,
            pending_total: 10_000,
        }
    }
}

/// A refused request: whose budget ran out, and in how many seconds to try again (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// This client address's budget: 429.
    Address { retry_after: u64 },
    /// Everyone's budget (or the store's room): 503.
    Total { retry_after: u64 },
}

impl Refusal {
    /// Seconds to wait.
    pub(crate) fn retry_after(self) -> u64 {
        match self {
            Self::Address { retry_after } | Self::Total { retry_after } => retry_after,
        }
    }

    /// 429 for one address's budget, 503 for everyone's.
    pub(crate) fn status(self) -> http::StatusCode {
        match self {
            Self::Address { .. } => http::StatusCode::TOO_MANY_REQUESTS,
            Self::Total { .. } => http::StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl Refusal {
    /// The answer at a JSON endpoint (`/register`): `temporarily_unavailable`, `Retry-After`.
    /// `budget` says what the limit is.
    pub(crate) fn oauth_error(self, budget: &str) -> OAuthError {
        let whose = match self {
            Self::Address { .. } => "this address is over its budget",
            Self::Total { .. } => "the server is over its budget for everyone",
        };
        OAuthError::new(
            self.status(),
            "temporarily_unavailable",
            format!(
                "{whose} ({budget}); retry in {} seconds",
                self.retry_after()
            ),
        )
        .retry_after(self.retry_after())
    }

    /// The answer at a browser page (`/authorize`): an error page with `Retry-After`, saying
    /// which budget ran out.
    pub(crate) fn page(self, counted: Counted) -> Response {
        let (title, why) = match (counted, self) {
            (Counted::Requests, Self::Address { .. }) => (
                "Too many sign-in requests",
                "Too many sign-in requests came from your network.",
            ),
            (Counted::Requests, Self::Total { .. }) => (
                "The server is busy",
                "This server is receiving too many sign-in requests.",
            ),
            (Counted::Waiting, Self::Address { .. }) => (
                "Too many sign-ins waiting",
                "Too many sign-ins started from your network have not finished yet.",
            ),
            (Counted::Waiting, Self::Total { .. }) => (
                "The server is busy",
                "Too many sign-ins are waiting to finish on this server.",
            ),
        };
        let secs = self.retry_after();
        let mut resp = pages::error(
            self.status(),
            title,
            &format!("{why} Try again in {secs} seconds."),
        );
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        resp
    }
}

/// Which budget a refusal at a page is about.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Counted {
    /// Requests per minute.
    Requests,
    /// Sign-ins waiting for consent or for the upstream.
    Waiting,
}

/// Milliseconds to whole seconds, rounded up, at least 1.
pub(crate) fn ceil_secs(ms: u64) -> u64 {
    ms.div_ceil(1000).max(1)
}

const MINUTE_MS: u64 = 60_000;

/// One bucket's arithmetic: `per_minute` requests a minute, all of them as a burst.
#[derive(Debug, Clone, Copy)]
struct Rate {
    /// Milliseconds one request costs (rounded up, so the rate is never exceeded).
    cost: u64,
    /// How far ahead of now the arrival time may run: the whole budget.
    burst: u64,
}

impl Rate {
    fn per_minute(n: u64) -> Self {
        let n = n.max(1);
        let cost = MINUTE_MS.div_ceil(n);
        Self {
            cost,
            burst: cost.saturating_mul(n),
        }
    }

    /// The next arrival time if a request at `now` is admitted, or how many milliseconds it
    /// must wait.
    fn admit(self, tat: u64, now: u64) -> Result<u64, u64> {
        let next = tat.max(now) + self.cost;
        // The bucket holds the whole budget: admitted while `next` is at most that far ahead.
        let allowed_from = next.saturating_sub(self.burst);
        if now < allowed_from {
            Err(allowed_from - now)
        } else {
            Ok(next)
        }
    }
}

#[derive(Debug, Default)]
struct RateState {
    total: u64,
    per: HashMap<ClientAddress, u64>,
    prune_at: usize,
}

/// A rate limit per client address and in total.
#[derive(Debug)]
pub(crate) struct RateLimit {
    per_address: Rate,
    total: Rate,
    state: Mutex<RateState>,
}

impl RateLimit {
    pub(crate) fn new(per_address_per_minute: u64, total_per_minute: u64) -> Self {
        Self {
            per_address: Rate::per_minute(per_address_per_minute),
            total: Rate::per_minute(total_per_minute),
            state: Mutex::new(RateState {
                prune_at: 1024,
                ..RateState::default()
            }),
        }
    }

    /// Counts one request from `addr` at `now` (milliseconds), or says why not.
    pub(crate) fn check(&self, addr: ClientAddress, now: u64) -> Result<(), Refusal> {
        let Ok(mut st) = self.state.lock() else {
            // A thread panicked holding the lock; refuse rather than count nothing.
            return Err(Refusal::Total { retry_after: 1 });
        };
        let tat = st.per.get(&addr).copied().unwrap_or(0);
        let mine = self.per_address.admit(tat, now);
        let all = self.total.admit(st.total, now);
        match (mine, all) {
            (Ok(mine), Ok(all)) => {
                st.total = all;
                st.per.insert(addr, mine);
                if st.per.len() >= st.prune_at {
                    // Keys whose arrival time has passed are as good as new: drop them.
                    st.per.retain(|_, tat| *tat > now);
                    st.prune_at = (st.per.len() * 2).max(1024);
                }
                Ok(())
            }
            (Err(wait), other) => Err(Refusal::Address {
                retry_after: ceil_secs(wait.max(other.err().unwrap_or(0))),
            }),
            (Ok(_), Err(wait)) => Err(Refusal::Total {
                retry_after: ceil_secs(wait),
            }),
        }
    }

    #[cfg(test)]
    fn keys(&self) -> usize {
        self.state.lock().map(|s| s.per.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(ip: &str) -> ClientAddress {
        ClientAddress::of(ip.parse().expect("ip"))
    }

    const T0: u64 = 1_700_000_000_000;

    #[test]
    fn a_burst_of_the_minute_budget_then_refused_fails() {
        let l = RateLimit::new(3, 1000);
        for _ in 0..3 {
            l.check(a("192.0.2.1"), T0).expect("within the burst");
        }
        assert_eq!(
            l.check(a("192.0.2.1"), T0),
            Err(Refusal::Address { retry_after: 20 }),
            "3 a minute: the next one in 20 s"
        );
    }

    #[test]
    fn the_budget_refills_evenly() {
        let l = RateLimit::new(3, 1000);
        for _ in 0..3 {
            l.check(a("192.0.2.1"), T0).expect("burst");
        }
        assert!(l.check(a("192.0.2.1"), T0 + 19_999).is_err());
        l.check(a("192.0.2.1"), T0 + 20_000)
            .expect("one more after 20 s");
        assert_eq!(
            l.check(a("192.0.2.1"), T0 + 20_000),
            Err(Refusal::Address { retry_after: 20 })
        );
        for _ in 0..3 {
            l.check(a("192.0.2.1"), T0 + 200_000)
                .expect("a full burst again after a quiet minute");
        }
    }

    #[test]
    fn retry_after_rounds_up() {
        let l = RateLimit::new(3, 1000);
        for _ in 0..3 {
            l.check(a("192.0.2.1"), T0).expect("burst");
        }
        assert_eq!(
            l.check(a("192.0.2.1"), T0 + 19_001),
            Err(Refusal::Address { retry_after: 1 })
        );
        assert_eq!(
            l.check(a("192.0.2.1"), T0 + 1),
            Err(Refusal::Address { retry_after: 20 })
        );
    }

    #[test]
    fn one_ipv6_64_shares_one_budget_fails() {
        let l = RateLimit::new(2, 1000);
        l.check(a("2001:db8:5:6::1"), T0).expect("first");
        l.check(a("2001:db8:5:6::2"), T0).expect("second");
        assert!(
            matches!(
                l.check(a("2001:db8:5:6:abcd::9"), T0),
                Err(Refusal::Address { .. })
            ),
            "a third address of the same /64 is over the /64's budget"
        );
        l.check(a("2001:db8:5:7::1"), T0)
            .expect("another /64 has its own budget");
    }

    #[test]
    fn other_addresses_keep_their_budget() {
        let l = RateLimit::new(1, 1000);
        l.check(a("192.0.2.1"), T0).expect("first");
        assert!(l.check(a("192.0.2.1"), T0).is_err());
        l.check(a("192.0.2.2"), T0)
            .expect("a neighbour is not limited");
    }

    #[test]
    fn the_total_budget_is_shared_fails() {
        let l = RateLimit::new(100, 4);
        for i in 1..=4 {
            l.check(a(&format!("192.0.2.{i}")), T0)
                .expect("within total");
        }
        assert_eq!(
            l.check(a("192.0.2.99"), T0),
            Err(Refusal::Total { retry_after: 15 }),
            "4 a minute in all: the next in 15 s"
        );
        l.check(a("192.0.2.99"), T0 + 15_000)
            .expect("room again after 15 s");
    }

    #[test]
    fn refused_requests_cost_nothing() {
        let l = RateLimit::new(1, 2);
        l.check(a("192.0.2.1"), T0).expect("first");
        for _ in 0..100 {
            assert!(l.check(a("192.0.2.1"), T0).is_err());
        }
        l.check(a("192.0.2.2"), T0)
            .expect("an address's refusals did not spend the total");
        // The total is now spent; a new address is refused and adds no key.
        assert!(matches!(
            l.check(a("192.0.2.3"), T0),
            Err(Refusal::Total { .. })
        ));
        assert_eq!(l.keys(), 2);
    }

    #[test]
    fn the_table_stays_small_under_many_addresses() {
        let l = RateLimit::new(10, 600);
        let mut now = T0;
        for i in 0..200_000u64 {
            let ip = std::net::Ipv6Addr::from((0x2001_0db8_u128 << 96) | (u128::from(i) << 64));
            let _ = l.check(ClientAddress::of(ip.into()), now);
            now += 10;
        }
        assert!(l.keys() <= 2048, "{} keys kept", l.keys());
    }

    #[test]
    fn a_rate_above_one_per_millisecond_still_counts() {
        let l = RateLimit::new(120_000, 1_000_000);
        for _ in 0..120_000 {
            l.check(a("192.0.2.1"), T0).expect("burst");
        }
        assert!(l.check(a("192.0.2.1"), T0).is_err());
    }
}
