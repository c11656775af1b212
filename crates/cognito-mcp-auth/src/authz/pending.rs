//! The cap on sign-ins under way: the consent records `/authorize` writes and the transaction
//! records `/consent` writes, before anyone has signed in.
//!
//! Each record is reserved here before it is written, and released when it is taken (or when
//! its lifetime ends), so at most [`Limits::pending_per_address`](super::Limits) are waiting for
//! one client address and [`Limits::pending_total`](super::Limits) in all. A full ledger refuses
//! the new sign-in; it never drops a waiting one. The ledger is the instance's own: it counts
//! the records this instance wrote (a record taken by another instance is released here when
//! its lifetime ends).
//!
//! Records are known by a hash of their key, not the key. Time is the server's clock in
//! milliseconds, passed in by the caller.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use super::address::ClientAddress;
use super::crypto;
use super::limits::{Refusal, ceil_secs};

#[derive(Debug, Default)]
struct State {
    /// Each live reservation: its address and expiry.
    by_key: HashMap<String, (ClientAddress, u64)>,
    /// The same, ordered by expiry, to drop the expired ones cheaply.
    by_expiry: BTreeSet<(u64, String)>,
    /// Live reservations per address.
    per: HashMap<ClientAddress, u64>,
}

impl State {
    fn drop_key(&mut self, key: &str) {
        if let Some((addr, until)) = self.by_key.remove(key) {
            self.by_expiry.remove(&(until, key.to_owned()));
            if let Some(n) = self.per.get_mut(&addr) {
                *n -= 1;
                if *n == 0 {
                    self.per.remove(&addr);
                }
            }
        }
    }

    fn expire(&mut self, now: u64) {
        while let Some((until, key)) = self.by_expiry.first().cloned() {
            if until > now {
                break;
            }
            self.drop_key(&key);
        }
    }
}

/// The ledger of pending sign-ins.
#[derive(Debug)]
pub(crate) struct Pending {
    per_address: u64,
    total: u64,
    state: Mutex<State>,
}

impl Pending {
    pub(crate) fn new(per_address: u64, total: u64) -> Self {
        Self {
            per_address,
            total,
            state: Mutex::new(State::default()),
        }
    }

    /// Reserves room for the record `key` from `addr`, living until `until` (milliseconds).
    pub(crate) fn reserve(
        &self,
        key: &str,
        addr: ClientAddress,
        now: u64,
        until: u64,
    ) -> Result<(), Refusal> {
        let Ok(mut st) = self.state.lock() else {
            return Err(Refusal::Total { retry_after: 1 });
        };
        st.expire(now);
        let wait = |st: &State, of: Option<ClientAddress>| {
            let first = st
                .by_expiry
                .iter()
                .find(|(_, k)| of.is_none_or(|a| st.by_key.get(k).is_some_and(|e| e.0 == a)))
                .map_or(now + 1000, |(until, _)| *until);
            ceil_secs(first.saturating_sub(now))
        };
        if st.per.get(&addr).copied().unwrap_or(0) >= self.per_address {
            return Err(Refusal::Address {
                retry_after: wait(&st, Some(addr)),
            });
        }
        if st.by_key.len() as u64 >= self.total {
            return Err(Refusal::Total {
                retry_after: wait(&st, None),
            });
        }
        let key = crypto::sha256_b64(key.as_bytes());
        st.drop_key(&key);
        st.by_expiry.insert((until, key.clone()));
        st.by_key.insert(key, (addr, until));
        *st.per.entry(addr).or_insert(0) += 1;
        Ok(())
    }

    /// Releases the record `key` (taken, or never written).
    pub(crate) fn release(&self, key: &str) {
        if let Ok(mut st) = self.state.lock() {
            st.drop_key(&crypto::sha256_b64(key.as_bytes()));
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.state.lock().map(|s| s.by_key.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(ip: &str) -> ClientAddress {
        ClientAddress::of(ip.parse().expect("ip"))
    }

    const T0: u64 = 1_700_000_000_000;
    const TTL: u64 = 600_000;

    #[test]
    fn pending_past_the_address_cap_fails() {
        let p = Pending::new(2, 100);
        p.reserve("k1", a("192.0.2.1"), T0, T0 + TTL).expect("1");
        p.reserve("k2", a("192.0.2.1"), T0 + 5000, T0 + 5000 + TTL)
            .expect("2");
        assert_eq!(
            p.reserve("k3", a("192.0.2.1"), T0 + 10_000, T0 + 10_000 + TTL),
            Err(Refusal::Address { retry_after: 590 }),
            "the oldest of this address's records ends in 590 s"
        );
        p.reserve("k4", a("192.0.2.2"), T0, T0 + TTL)
            .expect("another address has its own room");
    }

    #[test]
    fn pending_past_the_total_cap_fails() {
        let p = Pending::new(10, 3);
        for i in 1..=3 {
            p.reserve(&format!("k{i}"), a(&format!("192.0.2.{i}")), T0, T0 + TTL)
                .expect("room");
        }
        assert_eq!(
            p.reserve("k9", a("192.0.2.9"), T0 + 1000, T0 + 1000 + TTL),
            Err(Refusal::Total { retry_after: 599 })
        );
        assert_eq!(p.len(), 3, "nothing waiting was dropped to make room");
    }

    #[test]
    fn a_taken_record_frees_its_room() {
        let p = Pending::new(1, 100);
        p.reserve("k1", a("192.0.2.1"), T0, T0 + TTL).expect("1");
        assert!(p.reserve("k2", a("192.0.2.1"), T0, T0 + TTL).is_err());
        p.release("k1");
        p.reserve("k2", a("192.0.2.1"), T0, T0 + TTL)
            .expect("room after the first was taken");
        p.release("never-reserved");
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn an_expired_record_frees_its_room() {
        let p = Pending::new(1, 1);
        p.reserve("k1", a("192.0.2.1"), T0, T0 + TTL).expect("1");
        assert!(
            p.reserve("k2", a("192.0.2.1"), T0 + TTL - 1, T0 + 2 * TTL)
                .is_err()
        );
        p.reserve("k2", a("192.0.2.1"), T0 + TTL, T0 + 2 * TTL)
            .expect("room once the first record's lifetime ended");
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn one_ipv6_64_shares_one_cap_fails() {
        let p = Pending::new(1, 100);
        p.reserve("k1", a("2001:db8:1:1::1"), T0, T0 + TTL)
            .expect("1");
        assert!(matches!(
            p.reserve("k2", a("2001:db8:1:1::2"), T0, T0 + TTL),
            Err(Refusal::Address { .. })
        ));
        p.reserve("k3", a("2001:db8:1:2::1"), T0, T0 + TTL)
            .expect("another /64");
    }
}
