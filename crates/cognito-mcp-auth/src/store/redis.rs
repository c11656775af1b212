//! [`RedisStore`]: state in Redis, so several instances of the server share one state: one
//! Redis server, or a Redis Cluster ([`RedisOptions::cluster`]), in plain TCP or TLS
//! (`rediss://`, with the CA of [`RedisOptions::ca_file`] or the system's roots).
//!
//! Each entry is one Redis string under `{namespace:kind}:key`, with a native TTL (`PX`), so
//! Redis itself drops what has expired. One-time reads are `GETDEL`, atomic in the server (Redis
//! 6.2 or newer). [`Store::count`] must not scan the keyspace, so each kind also has a sorted set,
//! `{namespace:kind}/index`, holding its keys scored by their expiry in milliseconds (`+inf`
//! for none); every write keeps it in step in the same Lua script, one round trip each, and a
//! count first trims the members whose expiry has passed.
//!
//! The braces are a hash tag: a Redis Cluster places a key by the part between them, so every
//! entry of a kind and the kind's index share one hash slot, and each script (entry and index,
//! or one index) runs on one node, atomically. The revocation check asks about a token and its
//! family, two keys of one kind, so in one slot: one `EXISTS`. The price is distribution: a
//! kind's entries all live on the node of its slot. The entry keys' pattern `{namespace:kind}:*`
//! never matches the index.
//!
//! The connection is a [`ConnectionManager`](::redis::aio::ConnectionManager) for one server,
//! or a cluster connection that routes each command to the node of its slot: after a server
//! restarts or a connection drops, either reconnects by itself, and the same [`RedisStore`]
//! works again. Connecting and every answer have short timeouts, so an outage is an error within
//! seconds ([`StoreError::Backend`], naming the address, never the password), never a hang.
//!
//! Values arrive here already sealed by [`super::SealedStore`]; this backend stores plain bytes.

mod conn;
mod scripts;

use std::future::Future;
use std::time::Duration;

use ::redis::{FromRedisValue, RedisResult, Script};

pub use self::conn::RedisOptions;
use self::conn::{Conn, DEADLINE, Target, describe, no_answer};
use self::scripts::Scripts;
use super::{Kind, Store, StoreError, StoreFuture};

/// State in Redis (6.2 or newer), shared by every instance that names the same server (or
/// cluster) and namespace. Its `Debug` shows the address and namespace, never the URL's
/// password.
#[derive(Clone)]
pub struct RedisStore {
    conn: Conn,
    namespace: String,
    target: std::sync::Arc<Target>,
    scripts: std::sync::Arc<Scripts>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("address", &self.target.address)
            .field("cluster", &self.target.cluster)
            .field("tls", &self.target.tls)
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to the Redis server at `url` (`redis://[user:password@]host[:port][/db]`,
    /// `rediss://` for TLS, trusting the system's roots) and keeps every key under `namespace`.
    ///
    /// Fails when the server cannot be reached now, or lacks `GETDEL` (Redis before 6.2); once
    /// connected, the store reconnects by itself whenever the connection is lost.
    pub async fn connect(url: &str, namespace: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, namespace, &RedisOptions::default()).await
    }

    /// [`Self::connect`], to a Redis Cluster when `options` say so (`url` then names one or
    /// more of its nodes, comma-separated), and for `rediss://` with the CA they name.
    ///
    /// Also fails when the server's certificate is not signed by that CA (or, without one, by
    /// the system's roots) or does not name its host: verification is never turned off, and a
    /// URL ending in `#insecure` is refused.
    pub async fn connect_with(
        url: &str,
        namespace: &str,
        options: &RedisOptions,
    ) -> Result<Self, StoreError> {
        let (conn, target) = conn::open(url, options).await?;
        let store = Self {
            conn,
            namespace: namespace.to_owned(),
            target: std::sync::Arc::new(target),
            scripts: std::sync::Arc::new(Scripts::new()),
        };
        // One-time values rely on GETDEL; find out now rather than at the first sign-in.
        let probe = store.key(Kind::Meta, "probe");
        let probed = store
            .call(true, |mut c| {
                let probe = probe.clone();
                async move {
                    ::redis::cmd("GETDEL")
                        .arg(probe)
                        .query_async::<Option<Vec<u8>>>(&mut c)
                        .await
                }
            })
            .await;
        match probed {
            Ok(_) => Ok(store),
            Err(StoreError::Backend(m)) if m.contains("unknown command") => {
                Err(StoreError::Backend(format!(
                    "{} has no GETDEL: the state store needs Redis 6.2 or newer",
                    store.target.label()
                )))
            }
            Err(e) => Err(e),
        }
    }

    /// The server's address (a cluster's seed nodes, comma-separated), without credentials
    /// (for logs).
    pub fn address(&self) -> &str {
        &self.target.address
    }

    /// Whether this store is connected to a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        self.target.cluster
    }

    /// Whether the connection is TLS (`rediss://`), the server's certificate verified.
    pub fn is_tls(&self) -> bool {
        self.target.tls
    }

    /// Takes the next slot of the spaced schedule `name` if it is due, and sets the one after
    /// it `spacing` later; else answers how long until it is due. Every process that names this
    /// server and namespace shares the schedule, and Redis's clock decides, so two processes
    /// never get one slot and clock skew between them does not matter. The schedule lives
    /// under `{namespace:slot}:name` (one key, so one script on one node of a cluster) and
    /// expires a second after its last slot.
    ///
    /// `cognito-mcp` keeps its shared quota pacing here, one schedule per quota category.
    pub async fn take_slot(
        &self,
        name: &str,
        spacing: Duration,
    ) -> Result<Option<Duration>, StoreError> {
        let key = format!("{{{}:slot}}:{name}", self.namespace);
        let spacing_us = u64::try_from(spacing.as_micros())
            .unwrap_or(u64::MAX)
            .max(1)
            .to_string();
        // A second run after a dropped connection can only find the slot taken and wait:
        // never two slots for one claim.
        let wait_us: i64 = self
            .run(true, &self.scripts.slot, &[key], &[spacing_us.as_bytes()])
            .await?;
        Ok(u64::try_from(wait_us)
            .ok()
            .filter(|us| *us > 0)
            .map(Duration::from_micros))
    }

    /// The hash tag of `kind`: `{namespace:kind}`, one hash slot for the kind's entries and
    /// index.
    fn tag(&self, kind: Kind) -> String {
        format!("{{{}:{}}}", self.namespace, kind.as_str())
    }

    fn key(&self, kind: Kind, key: &str) -> String {
        format!("{}:{key}", self.tag(kind))
    }

    fn index(&self, kind: Kind) -> String {
        format!("{}/index", self.tag(kind))
    }

    /// Runs `op` on the shared connection within [`DEADLINE`], mapping failures.
    ///
    /// A lost connection is tried once more, on the connection that is being rebuilt: when it
    /// was refused, since the command never left (safe even for `take` and `incr`), and when it
    /// dropped, only if `op` is `idempotent`, since the server may have run it already. The
    /// second try is what lets the first operation after a Redis restart succeed, where the
    /// connection still holds the failure of an attempt made while the server was down.
    async fn call<T, F, Fut>(&self, idempotent: bool, op: F) -> Result<T, StoreError>
    where
        F: Fn(Conn) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        let attempt = async {
            match op(self.conn.clone()).await {
                Err(e) if e.is_connection_refusal() || idempotent && e.is_connection_dropped() => {
                    op(self.conn.clone()).await
                }
                r => r,
            }
        };
        match tokio::time::timeout(DEADLINE, attempt).await {
            Ok(r) => r.map_err(|e| describe(&self.target, &e, true)),
            Err(_) => Err(no_answer(&self.target, true)),
        }
    }

    /// Runs `script` with `keys` (one hash slot) and `args`; see [`Self::call`] for
    /// `idempotent`.
    async fn run<T: FromRedisValue>(
        &self,
        idempotent: bool,
        script: &Script,
        keys: &[String],
        args: &[&[u8]],
    ) -> Result<T, StoreError> {
        self.call(idempotent, |mut c| {
            let mut inv = script.prepare_invoke();
            for k in keys {
                inv.key(k);
            }
            for a in args {
                inv.arg(*a);
            }
            async move { inv.invoke_async(&mut c).await }
        })
        .await
    }

    async fn write(
        &self,
        kind: Kind,
        key: &str,
        value: Vec<u8>,
        ttl: Option<Duration>,
        only_new: bool,
    ) -> Result<bool, StoreError> {
        let ttl_ms = ttl.map_or(0, millis).to_string();
        let written: i64 = self
            .run(
                !only_new,
                &self.scripts.put,
                &[self.key(kind, key), self.index(kind)],
                &[
                    key.as_bytes(),
                    ttl_ms.as_bytes(),
                    if only_new { b"1" } else { b"0" },
                    &value,
                ],
            )
            .await?;
        Ok(written == 1)
    }
}

/// A TTL in whole milliseconds, at least 1 (Redis refuses `PX 0`).
fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl Store for RedisStore {
    fn put<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move { self.write(kind, key, value, ttl, false).await.map(|_| ()) })
    }

    fn put_new<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool> {
        Box::pin(self.write(kind, key, value, ttl, true))
    }

    fn replace<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        expected: &'a [u8],
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let ttl_ms = ttl.map_or(0, millis).to_string();
            // Not retried after a dropped connection: a second run would find its own write
            // and answer "not written".
            let written: i64 = self
                .run(
                    false,
                    &self.scripts.replace,
                    &[self.key(kind, key), self.index(kind)],
                    &[key.as_bytes(), ttl_ms.as_bytes(), expected, &value],
                )
                .await?;
            Ok(written == 1)
        })
    }

    fn get<'a>(&'a self, kind: Kind, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let k = self.key(kind, key);
            self.call(true, |mut c| {
                let k = k.clone();
                async move {
                    ::redis::cmd("GET")
                        .arg(k)
                        .query_async::<Option<Vec<u8>>>(&mut c)
                        .await
                }
            })
            .await
        })
    }

    /// One `EXISTS` for all the keys: one round trip, to one node in a cluster (the keys of one
    /// kind share its hash slot).
    fn any_live<'a>(&'a self, kind: Kind, keys: &'a [&'a str]) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            if keys.is_empty() {
                return Ok(false);
            }
            let ks: Vec<String> = keys.iter().map(|k| self.key(kind, k)).collect();
            let live = self
                .call(true, |mut c| {
                    let ks = ks.clone();
                    async move {
                        ::redis::cmd("EXISTS")
                            .arg(ks)
                            .query_async::<u64>(&mut c)
                            .await
                    }
                })
                .await?;
            Ok(live > 0)
        })
    }

    fn take<'a>(&'a self, kind: Kind, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            self.run(
                false,
                &self.scripts.take,
                &[self.key(kind, key), self.index(kind)],
                &[key.as_bytes()],
            )
            .await
        })
    }

    fn remove<'a>(&'a self, kind: Kind, key: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let n: i64 = self
                .run(
                    false,
                    &self.scripts.remove,
                    &[self.key(kind, key), self.index(kind)],
                    &[key.as_bytes()],
                )
                .await?;
            Ok(n > 0)
        })
    }

    fn incr<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        by: u64,
        ttl: Duration,
    ) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            // INCRBY takes a signed 64-bit step.
            let by = i64::try_from(by).map_err(|_| {
                StoreError::Backend(format!("a counter step of {by} is past Redis's range"))
            })?;
            let n: i64 = self
                .run(
                    false,
                    &self.scripts.incr,
                    &[self.key(kind, key), self.index(kind)],
                    &[
                        key.as_bytes(),
                        by.to_string().as_bytes(),
                        millis(ttl).to_string().as_bytes(),
                    ],
                )
                .await?;
            u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("a counter is {n}")))
        })
    }

    fn count(&self, kind: Kind) -> StoreFuture<'_, u64> {
        Box::pin(async move {
            self.run(true, &self.scripts.count, &[self.index(kind)], &[])
                .await
        })
    }

    /// Redis drops expired entries itself; this trims them from the kinds' indexes and returns
    /// how many it trimmed. One script per index, as each index has its own hash slot.
    fn purge_expired(&self) -> StoreFuture<'_, u64> {
        Box::pin(async move {
            let mut trimmed = 0;
            for kind in Kind::ALL {
                let n: u64 = self
                    .run(true, &self.scripts.trim, &[self.index(kind)], &[])
                    .await?;
                trimmed += n;
            }
            Ok(trimmed)
        })
    }
}

#[cfg(test)]
mod cluster_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tls_tests;
