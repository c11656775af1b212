//! [`MemoryStore`]: state in process memory. For tests and single-process use where losing
//! registrations and refresh tokens at restart is acceptable.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cognito_jwt::{Clock, SystemClock};

use super::{Kind, Store, StoreError, StoreFuture, expiry};

type Entries = HashMap<(Kind, String), (Vec<u8>, u64)>;

/// State in process memory; lost at exit.
#[derive(Debug)]
pub struct MemoryStore {
    entries: Mutex<Entries>,
    clock: Arc<dyn Clock>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::with_clock(Arc::new(SystemClock))
    }
}

impl MemoryStore {
    /// An empty store on the system clock.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store whose TTLs run on `clock`.
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            clock,
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Entries, u64) -> T) -> Result<T, StoreError> {
        let mut entries = self
            .entries
            .lock()
            .map_err(|_| StoreError::Backend("a thread panicked holding the store".into()))?;
        Ok(f(&mut entries, self.clock.now_secs()))
    }
}

fn live(entry: &(Vec<u8>, u64), now: u64) -> bool {
    entry.1 == 0 || entry.1 > now
}

impl Store for MemoryStore {
    fn put<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, ()> {
        let r = self.with(|m, now| {
            m.insert((kind, key.to_owned()), (value, expiry(ttl, now)));
        });
        Box::pin(async move { r })
    }

    fn put_new<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool> {
        let r = self.with(|m, now| {
            let k = (kind, key.to_owned());
            if m.get(&k).is_some_and(|e| live(e, now)) {
                return false;
            }
            m.insert(k, (value, expiry(ttl, now)));
            true
        });
        Box::pin(async move { r })
    }

    fn replace<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        expected: &'a [u8],
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool> {
        let r = self.with(|m, now| {
            let k = (kind, key.to_owned());
            if !m
                .get(&k)
                .is_some_and(|e| live(e, now) && e.0.as_slice() == expected)
            {
                return false;
            }
            m.insert(k, (value, expiry(ttl, now)));
            true
        });
        Box::pin(async move { r })
    }

    fn get<'a>(&'a self, kind: Kind, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        let r = self.with(|m, now| {
            m.get(&(kind, key.to_owned()))
                .filter(|e| live(e, now))
                .map(|e| e.0.clone())
        });
        Box::pin(async move { r })
    }

    fn take<'a>(&'a self, kind: Kind, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        let r = self.with(|m, now| {
            m.remove(&(kind, key.to_owned()))
                .filter(|e| live(e, now))
                .map(|e| e.0)
        });
        Box::pin(async move { r })
    }

    fn remove<'a>(&'a self, kind: Kind, key: &'a str) -> StoreFuture<'a, bool> {
        let r = self.with(|m, now| {
            m.remove(&(kind, key.to_owned()))
                .is_some_and(|e| live(&e, now))
        });
        Box::pin(async move { r })
    }

    fn incr<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        by: u64,
        ttl: Duration,
    ) -> StoreFuture<'a, u64> {
        let r = self.with(|m, now| {
            let k = (kind, key.to_owned());
            let current = m
                .get(&k)
                .filter(|e| live(e, now))
                .and_then(|e| <[u8; 8]>::try_from(e.0.as_slice()).ok())
                .map(u64::from_be_bytes);
            let (next, exp) = match current {
                Some(n) => (n.saturating_add(by), m.get(&k).map_or(0, |e| e.1)),
                None => (by, expiry(Some(ttl), now)),
            };
            m.insert(k, (next.to_be_bytes().to_vec(), exp));
            next
        });
        Box::pin(async move { r })
    }

    fn count(&self, kind: Kind) -> StoreFuture<'_, u64> {
        let r = self.with(|m, now| {
            m.iter()
                .filter(|((k, _), e)| *k == kind && live(e, now))
                .count() as u64
        });
        Box::pin(async move { r })
    }

    fn purge_expired(&self) -> StoreFuture<'_, u64> {
        let r = self.with(|m, now| {
            let before = m.len();
            m.retain(|_, e| live(e, now));
            (before - m.len()) as u64
        });
        Box::pin(async move { r })
    }
}

#[cfg(test)]
mod tests {
    use cognito_jwt::testing::ManualClock;

    use super::*;

    #[tokio::test]
    async fn memory_store_keeps_the_contract() {
        let clock = ManualClock::now();
        super::super::contract::run(&MemoryStore::with_clock(Arc::new(clock.clone())), &clock)
            .await;
        super::super::contract::take_is_atomic(Arc::new(MemoryStore::new())).await;
        super::super::contract::replace_is_atomic(Arc::new(MemoryStore::new())).await;
    }
}
