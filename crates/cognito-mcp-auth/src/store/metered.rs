//! A store that counts its operations for the metrics: `cognito_mcp_store_operations_total`
//! by operation and outcome (`ok`, `error`) and `cognito_mcp_store_operation_duration_seconds`
//! by operation, whatever the backend. Keys, values and kinds are never labels.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Kind, Store, StoreFuture};

/// [`Store`] around another one, counting each call.
#[derive(Debug, Clone)]
pub struct MeteredStore {
    inner: Arc<dyn Store>,
}

impl MeteredStore {
    /// Counts the operations of `inner`.
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self { inner }
    }
}

/// Runs `op`, recording its outcome and latency under `name`.
fn observed<'a, T: Send + 'a>(name: &'static str, op: StoreFuture<'a, T>) -> StoreFuture<'a, T> {
    Box::pin(async move {
        let started = Instant::now();
        let result = op.await;
        metrics::histogram!("cognito_mcp_store_operation_duration_seconds", "operation" => name)
            .record(started.elapsed().as_secs_f64());
        let outcome = if result.is_ok() { "ok" } else { "error" };
        metrics::counter!("cognito_mcp_store_operations_total", "operation" => name, "outcome" => outcome)
            .increment(1);
        result
    })
}

impl Store for MeteredStore {
    fn put<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, ()> {
        observed("put", self.inner.put(kind, key, value, ttl))
    }

    fn put_new<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool> {
        observed("put_new", self.inner.put_new(kind, key, value, ttl))
    }

    fn replace<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        expected: &'a [u8],
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool> {
        observed(
            "replace",
            self.inner.replace(kind, key, expected, value, ttl),
        )
    }

    fn get<'a>(&'a self, kind: Kind, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        observed("get", self.inner.get(kind, key))
    }

    fn any_live<'a>(&'a self, kind: Kind, keys: &'a [&'a str]) -> StoreFuture<'a, bool> {
        observed("any_live", self.inner.any_live(kind, keys))
    }

    fn take<'a>(&'a self, kind: Kind, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        observed("take", self.inner.take(kind, key))
    }

    fn remove<'a>(&'a self, kind: Kind, key: &'a str) -> StoreFuture<'a, bool> {
        observed("remove", self.inner.remove(kind, key))
    }

    fn incr<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        by: u64,
        ttl: Duration,
    ) -> StoreFuture<'a, u64> {
        observed("incr", self.inner.incr(kind, key, by, ttl))
    }

    fn count(&self, kind: Kind) -> StoreFuture<'_, u64> {
        observed("count", self.inner.count(kind))
    }

    fn purge_expired(&self) -> StoreFuture<'_, u64> {
        observed("purge_expired", self.inner.purge_expired())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    #[tokio::test]
    async fn the_metered_store_keeps_the_contract() {
        let clock = cognito_jwt::testing::ManualClock::now();
        super::super::contract::take_is_atomic(Arc::new(MeteredStore::new(Arc::new(
            MemoryStore::new(),
        ))))
        .await;
        let store = MeteredStore::new(Arc::new(MemoryStore::with_clock(Arc::new(clock.clone()))));
        super::super::contract::run(&store, &clock).await;
    }
}
