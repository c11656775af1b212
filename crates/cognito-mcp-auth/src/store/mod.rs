//! Where the authorization server keeps its state: registrations, transactions, codes,
//! refresh-token families, revocations and its signing key.
//!
//! [`Store`] is a small key-value trait with TTLs and an atomic [`Store::take`] for one-time
//! values, so a backend can be an embedded database ([`RedbStore`]), process memory
//! ([`MemoryStore`]) or Redis, shared by several instances (`RedisStore`, with the cargo
//! feature `redis`: one server or a Redis Cluster, plain or TLS; native TTLs, `GETDEL` for
//! one-time values).
//! [`SealedStore`] wraps any backend: it encrypts every value (AES-256-GCM) and replaces every
//! key with a keyed hash, so neither codes nor tokens are readable at rest.
//!
//! The embedded backends read the time from a [`Clock`] (the system clock unless
//! `with_clock` gives another), so tests move time by hand instead of sleeping through TTLs.
//! Redis keeps its own time: its TTLs are the server's.

mod memory;
mod metered;
mod redb;
#[cfg(feature = "redis")]
mod redis;
mod sealed;
mod state_keys;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

#[cfg(feature = "redis")]
pub use self::redis::{RedisOptions, RedisStore};
pub use cognito_jwt::{Clock, SystemClock};
pub use memory::MemoryStore;
pub use metered::MeteredStore;
pub use redb::RedbStore;
pub use sealed::{SealedStore, StateKey, StateKeyError};
pub use state_keys::{StateKeySet, StateKeys};

/// The kinds of entries, each its own namespace (a table, or a key prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Kind {
    /// A registered client (no TTL).
    Client,
    /// An authorization request waiting for the user's consent (one-time).
    Consent,
    /// A sign-in under way at the upstream, keyed by the upstream `state` (one-time).
    Transaction,
    /// An authorization code (one-time, at most 5 minutes).
    Code,
    /// An authorization code already redeemed, naming the family it started: presenting it
    /// again revokes that family (RFC 6749 §4.1.2). Lives as long as the family can.
    SpentCode,
    /// A live refresh token (one-time: each use rotates it).
    Refresh,
    /// A refresh token already used; replaying it revokes its family.
    SpentRefresh,
    /// A refresh-token family: one sign-in of one user at one client; once revoked, a tombstone
    /// that no refresh can overwrite (see [`Store::replace`]).
    Family,
    /// A revoked access token (`jti:`) or family (`sid:`), until its tokens expire.
    Revoked,
    /// A remembered consent.
    Remembered,
    /// Server metadata: the signing key.
    Meta,
    /// Counters of the rate limits (registrations, failed sign-ins) and sign-in lockouts.
    RateLimit,
    /// A sign-in under way on the server's own sign-in page: its form token and Cognito
    /// challenge session, keyed by the transaction.
    Login,
    /// A finished sign-in of the sign-in page, waiting for the callback (one-time).
    LoginGrant,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 14] = [
        Kind::Client,
        Kind::Consent,
        Kind::Transaction,
        Kind::Code,
        Kind::SpentCode,
        Kind::Refresh,
        Kind::SpentRefresh,
        Kind::Family,
        Kind::Revoked,
        Kind::Remembered,
        Kind::Meta,
        Kind::RateLimit,
        Kind::Login,
        Kind::LoginGrant,
    ];

    /// A stable name (table name, key prefix).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Client => "client",
            Kind::Consent => "consent",
            Kind::Transaction => "transaction",
            Kind::Code => "code",
            Kind::SpentCode => "spent_code",
            Kind::Refresh => "refresh",
            Kind::SpentRefresh => "spent_refresh",
            Kind::Family => "family",
            Kind::Revoked => "revoked",
            Kind::Remembered => "remembered",
            Kind::Meta => "meta",
            Kind::RateLimit => "rate_limit",
            Kind::Login => "login",
            Kind::LoginGrant => "login_grant",
        }
    }
}

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend failed (I/O, connection, corruption).
    #[error("the state store failed: {0}")]
    Backend(String),
    /// An entry could not be decrypted: the state key changed, or the entry was tampered with.
    #[error("a stored entry could not be decrypted (wrong state key, or tampered data)")]
    Decrypt,
    /// A stored entry is not what the server wrote.
    #[error("a stored entry is corrupt: {0}")]
    Corrupt(String),
}

/// A boxed future returned by [`Store`] methods.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// A key-value store with TTLs and atomic one-time reads.
///
/// Keys are strings; values are bytes. An entry past its TTL is never returned. Implementations
/// must make [`Store::take`] atomic: of two concurrent takes of one key, at most one gets the
/// value.
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// Writes `value` under `key`, replacing any entry; `ttl` of `None` keeps it until removed.
    fn put<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, ()>;

    /// Writes `value` only when no live entry has `key`; tells whether it wrote.
    fn put_new<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool>;

    /// Writes `value` only when the live entry under `key` is exactly `expected` (compare and
    /// set, atomic like [`Store::take`]); tells whether it wrote. A missing or expired entry
    /// matches nothing. Callers make every version of a record unique (it carries a fresh random
    /// token or a counter), so an old version can never match again.
    fn replace<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        expected: &'a [u8],
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool>;

    /// Reads the entry.
    fn get<'a>(&'a self, kind: Kind, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>>;

    /// Whether any of `keys` has a live entry. Backends across a network answer in one round
    /// trip (the revocation check of every request asks about a token and its family at once);
    /// the default asks key by key, which costs nothing in process.
    fn any_live<'a>(&'a self, kind: Kind, keys: &'a [&'a str]) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            for key in keys {
                if self.get(kind, key).await?.is_some() {
                    return Ok(true);
                }
            }
            Ok(false)
        })
    }

    /// Reads and removes the entry in one atomic step.
    fn take<'a>(&'a self, kind: Kind, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>>;

    /// Removes the entry; tells whether there was one.
    fn remove<'a>(&'a self, kind: Kind, key: &'a str) -> StoreFuture<'a, bool>;

    /// Adds `by` to the counter under `key` (created at 0 with `ttl`) and returns the new value.
    fn incr<'a>(&'a self, kind: Kind, key: &'a str, by: u64, ttl: Duration)
    -> StoreFuture<'a, u64>;

    /// How many live entries of `kind` there are.
    fn count(&self, kind: Kind) -> StoreFuture<'_, u64>;

    /// Deletes expired entries (backends with native TTLs do nothing); returns how many.
    fn purge_expired(&self) -> StoreFuture<'_, u64> {
        Box::pin(async { Ok(0) })
    }
}

impl<S: Store + ?Sized> Store for std::sync::Arc<S> {
    fn put<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, ()> {
        (**self).put(kind, key, value, ttl)
    }
    fn put_new<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool> {
        (**self).put_new(kind, key, value, ttl)
    }
    fn replace<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        expected: &'a [u8],
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool> {
        (**self).replace(kind, key, expected, value, ttl)
    }
    fn get<'a>(&'a self, kind: Kind, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        (**self).get(kind, key)
    }
    fn any_live<'a>(&'a self, kind: Kind, keys: &'a [&'a str]) -> StoreFuture<'a, bool> {
        (**self).any_live(kind, keys)
    }
    fn take<'a>(&'a self, kind: Kind, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        (**self).take(kind, key)
    }
    fn remove<'a>(&'a self, kind: Kind, key: &'a str) -> StoreFuture<'a, bool> {
        (**self).remove(kind, key)
    }
    fn incr<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        by: u64,
        ttl: Duration,
    ) -> StoreFuture<'a, u64> {
        (**self).incr(kind, key, by, ttl)
    }
    fn count(&self, kind: Kind) -> StoreFuture<'_, u64> {
        (**self).count(kind)
    }
    fn purge_expired(&self) -> StoreFuture<'_, u64> {
        (**self).purge_expired()
    }
}

/// The absolute expiry (seconds since the epoch) of a TTL starting at `now`, or 0 for none.
pub(crate) fn expiry(ttl: Option<Duration>, now: u64) -> u64 {
    ttl.map_or(0, |t| now.saturating_add(t.as_secs().max(1)))
}

#[cfg(test)]
pub(crate) mod contract {
    //! The behaviour every backend must have.
    use cognito_jwt::testing::ManualClock;

    use super::*;

    /// How a test moves a backend's time forward: the manual clock of the embedded backends,
    /// or (Redis) shortening every TTL in the server.
    pub(crate) trait Elapse: Send + Sync {
        /// Lets `by` pass for the backend.
        fn elapse(&self, by: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
    }

    impl Elapse for ManualClock {
        fn elapse(&self, by: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
            self.advance(by);
            Box::pin(async {})
        }
    }

    pub(crate) async fn run(store: &dyn Store, time: &dyn Elapse) {
        // put / get / overwrite
        store
            .put(Kind::Client, "a", b"1".to_vec(), None)
            .await
            .expect("put");
        assert_eq!(
            store.get(Kind::Client, "a").await.expect("get"),
            Some(b"1".to_vec())
        );
        store
            .put(Kind::Client, "a", b"2".to_vec(), None)
            .await
            .expect("put");
        assert_eq!(
            store.get(Kind::Client, "a").await.expect("get"),
            Some(b"2".to_vec())
        );
        // kinds are separate namespaces
        assert_eq!(store.get(Kind::Code, "a").await.expect("get"), None);
        // put_new
        assert!(
            !store
                .put_new(Kind::Client, "a", b"3".to_vec(), None)
                .await
                .expect("put_new")
        );
        assert!(
            store
                .put_new(Kind::Client, "b", b"3".to_vec(), None)
                .await
                .expect("put_new")
        );
        assert_eq!(store.count(Kind::Client).await.expect("count"), 2);
        // take is one-time
        store
            .put(
                Kind::Code,
                "c",
                b"x".to_vec(),
                Some(Duration::from_secs(60)),
            )
            .await
            .expect("put");
        assert_eq!(
            store.take(Kind::Code, "c").await.expect("take"),
            Some(b"x".to_vec())
        );
        assert_eq!(store.take(Kind::Code, "c").await.expect("take"), None);
        // remove
        assert!(store.remove(Kind::Client, "b").await.expect("remove"));
        assert!(!store.remove(Kind::Client, "b").await.expect("remove"));
        // counters
        assert_eq!(
            store
                .incr(Kind::RateLimit, "ip", 1, Duration::from_secs(60))
                .await
                .expect("incr"),
            1
        );
        assert_eq!(
            store
                .incr(Kind::RateLimit, "ip", 2, Duration::from_secs(60))
                .await
                .expect("incr"),
            3
        );
        replace_compares_and_sets(store).await;
        // TTL: an expired entry is gone, for get, take, put_new and replace
        let minute = Some(Duration::from_secs(60));
        store
            .put(Kind::Consent, "t", b"y".to_vec(), minute)
            .await
            .expect("put");
        store
            .put(Kind::Family, "old", b"v1".to_vec(), minute)
            .await
            .expect("put");
        time.elapse(Duration::from_secs(30)).await;
        assert_eq!(
            store.get(Kind::Consent, "t").await.expect("get"),
            Some(b"y".to_vec()),
            "alive within its TTL"
        );
        // any_live: one live key among missing ones is enough; none, or no keys, is not
        assert!(
            store
                .any_live(Kind::Consent, &["missing", "t"])
                .await
                .expect("any_live")
        );
        assert!(
            !store
                .any_live(Kind::Consent, &["missing", "other"])
                .await
                .expect("any_live")
        );
        assert!(
            !store.any_live(Kind::Code, &["t"]).await.expect("any_live"),
            "kinds are separate namespaces"
        );
        assert!(!store.any_live(Kind::Consent, &[]).await.expect("any_live"));
        time.elapse(Duration::from_secs(30)).await;
        assert!(
            !store
                .replace(Kind::Family, "old", b"v1", b"v2".to_vec(), None)
                .await
                .expect("replace"),
            "an expired entry matches nothing"
        );
        assert_eq!(store.get(Kind::Family, "old").await.expect("get"), None);
        assert_eq!(store.get(Kind::Consent, "t").await.expect("get"), None);
        assert!(
            !store
                .any_live(Kind::Consent, &["t"])
                .await
                .expect("any_live"),
            "an expired entry is not live"
        );
        assert_eq!(store.take(Kind::Consent, "t").await.expect("take"), None);
        assert!(
            store
                .put_new(Kind::Consent, "t", b"z".to_vec(), None)
                .await
                .expect("put_new")
        );
    }

    /// [`Store::replace`] writes only over the exact live value.
    async fn replace_compares_and_sets(store: &dyn Store) {
        let ttl = Some(Duration::from_secs(60));
        assert!(
            !store
                .replace(Kind::Family, "f", b"", b"v1".to_vec(), ttl)
                .await
                .expect("replace"),
            "a missing entry matches nothing, not even an empty value"
        );
        assert_eq!(store.get(Kind::Family, "f").await.expect("get"), None);
        store
            .put(Kind::Family, "f", b"v1".to_vec(), ttl)
            .await
            .expect("put");
        assert!(
            !store
                .replace(Kind::Family, "f", b"v0", b"v2".to_vec(), ttl)
                .await
                .expect("replace"),
            "another value does not match"
        );
        assert!(
            !store
                .replace(Kind::Family, "f", b"v", b"v2".to_vec(), ttl)
                .await
                .expect("replace"),
            "a prefix does not match"
        );
        assert_eq!(
            store.get(Kind::Family, "f").await.expect("get"),
            Some(b"v1".to_vec())
        );
        assert!(
            store
                .replace(Kind::Family, "f", b"v1", b"v2".to_vec(), ttl)
                .await
                .expect("replace")
        );
        assert_eq!(
            store.get(Kind::Family, "f").await.expect("get"),
            Some(b"v2".to_vec())
        );
        assert!(
            !store
                .replace(Kind::Family, "f", b"v1", b"v3".to_vec(), ttl)
                .await
                .expect("replace"),
            "the old version never matches again"
        );
        // Kinds stay separate namespaces.
        assert!(
            !store
                .replace(Kind::Code, "f", b"v2", b"x".to_vec(), ttl)
                .await
                .expect("replace")
        );
        assert_eq!(store.count(Kind::Family).await.expect("count"), 1);
        assert!(store.remove(Kind::Family, "f").await.expect("remove"));
    }

    /// Of concurrent replaces over the same value, exactly one wins.
    pub(crate) async fn replace_is_atomic(store: std::sync::Arc<dyn Store>) {
        for round in 0..20 {
            let key = format!("r{round}");
            store
                .put(Kind::Family, &key, b"v0".to_vec(), None)
                .await
                .expect("put");
            let mut tasks = Vec::new();
            for n in 0..8u8 {
                let (store, key) = (store.clone(), key.clone());
                tasks.push(tokio::spawn(async move {
                    store
                        .replace(Kind::Family, &key, b"v0", vec![b'w', n], None)
                        .await
                        .expect("replace")
                        .then_some(n)
                }));
            }
            let mut winners = Vec::new();
            for t in tasks {
                winners.extend(t.await.expect("join"));
            }
            assert_eq!(winners.len(), 1, "exactly one concurrent replace wins");
            assert_eq!(
                store.get(Kind::Family, &key).await.expect("get"),
                Some(vec![b'w', winners[0]]),
                "the winner's value stays"
            );
        }
    }

    pub(crate) async fn take_is_atomic(store: std::sync::Arc<dyn Store>) {
        for round in 0..20 {
            let key = format!("k{round}");
            store
                .put(Kind::Code, &key, b"v".to_vec(), None)
                .await
                .expect("put");
            let mut tasks = Vec::new();
            for _ in 0..8 {
                let (store, key) = (store.clone(), key.clone());
                tasks.push(tokio::spawn(async move {
                    store.take(Kind::Code, &key).await.expect("take").is_some()
                }));
            }
            let mut winners = 0;
            for t in tasks {
                winners += usize::from(t.await.expect("join"));
            }
            assert_eq!(winners, 1, "exactly one concurrent take wins");
        }
    }
}
