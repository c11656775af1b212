//! [`RedbStore`]: the embedded default, one file in the state directory.
//!
//! Why redb rather than SQLite: it is pure Rust (no C toolchain, no bundled C library in the
//! binary), its transactions are ACID with a copy-on-write B-tree that a `kill -9` cannot leave
//! half-written, and a key-value table per [`Kind`] is all this state needs. Every write commits
//! with immediate durability before the server answers, so an acknowledged registration or
//! refresh token survives a crash.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cognito_jwt::{Clock, SystemClock};
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};

use super::{Kind, Store, StoreError, StoreFuture, expiry};

/// State in a redb database file.
#[derive(Clone)]
pub struct RedbStore {
    db: Arc<Database>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStore").finish_non_exhaustive()
    }
}

fn table(kind: Kind) -> TableDefinition<'static, &'static str, &'static [u8]> {
    TableDefinition::new(kind.as_str())
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// An entry is its expiry (8 bytes, big-endian seconds since the epoch, 0 for none) and the value.
fn encode(value: &[u8], expires: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + value.len());
    out.extend_from_slice(&expires.to_be_bytes());
    out.extend_from_slice(value);
    out
}

fn decode(raw: &[u8], now: u64) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
    let (head, value) = raw
        .split_at_checked(8)
        .ok_or_else(|| StoreError::Corrupt("an entry is shorter than its header".into()))?;
    let mut exp = [0u8; 8];
    exp.copy_from_slice(head);
    let exp = u64::from_be_bytes(exp);
    Ok((exp == 0 || exp > now).then(|| (exp, value.to_vec())))
}

impl RedbStore {
    /// Opens (or creates) the database at `path`. Its directory must exist.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let db = Database::create(path.as_ref()).map_err(|e| {
            StoreError::Backend(format!(
                "cannot open the state database {}: {e}",
                path.as_ref().display()
            ))
        })?;
        // Create every table up front so reads never meet a missing one.
        let tx = db.begin_write().map_err(backend)?;
        for kind in Kind::ALL {
            tx.open_table(table(kind)).map_err(backend)?;
        }
        tx.commit().map_err(backend)?;
        Ok(Self {
            db: Arc::new(db),
            clock: Arc::new(SystemClock),
        })
    }

    /// The same store with its TTLs on `clock` (default: the system clock).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    fn now(&self) -> u64 {
        self.clock.now_secs()
    }

    /// Runs a write transaction on a blocking thread; it commits durably when `f` succeeds.
    fn write<T: Send + 'static>(
        &self,
        kind: Kind,
        f: impl FnOnce(&mut redb::Table<'_, &'static str, &'static [u8]>, u64) -> Result<T, StoreError>
        + Send
        + 'static,
    ) -> StoreFuture<'static, T> {
        let (db, now) = (self.db.clone(), self.now());
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let tx = db.begin_write().map_err(backend)?;
                let out = {
                    let mut t = tx.open_table(table(kind)).map_err(backend)?;
                    f(&mut t, now)?
                };
                tx.commit().map_err(backend)?;
                Ok(out)
            })
            .await
            .map_err(backend)?
        })
    }

    fn read(&self, kind: Kind, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let tx = self.db.begin_read().map_err(backend)?;
        let t = tx.open_table(table(kind)).map_err(backend)?;
        let Some(raw) = t.get(key).map_err(backend)? else {
            return Ok(None);
        };
        Ok(decode(raw.value(), self.now())?.map(|(_, v)| v))
    }
}

impl Store for RedbStore {
    fn put<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, ()> {
        let key = key.to_owned();
        self.write(kind, move |t, now| {
            t.insert(key.as_str(), encode(&value, expiry(ttl, now)).as_slice())
                .map_err(backend)?;
            Ok(())
        })
    }

    fn put_new<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool> {
        let key = key.to_owned();
        self.write(kind, move |t, now| {
            let exists = match t.get(key.as_str()).map_err(backend)? {
                Some(raw) => decode(raw.value(), now)?.is_some(),
                None => false,
            };
            if exists {
                return Ok(false);
            }
            t.insert(key.as_str(), encode(&value, expiry(ttl, now)).as_slice())
                .map_err(backend)?;
            Ok(true)
        })
    }

    fn replace<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        expected: &'a [u8],
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool> {
        let (key, expected) = (key.to_owned(), expected.to_vec());
        // One write transaction compares and writes: redb runs one writer at a time.
        self.write(kind, move |t, now| {
            let matches = match t.get(key.as_str()).map_err(backend)? {
                Some(raw) => decode(raw.value(), now)?.is_some_and(|(_, v)| v == expected),
                None => false,
            };
            if !matches {
                return Ok(false);
            }
            t.insert(key.as_str(), encode(&value, expiry(ttl, now)).as_slice())
                .map_err(backend)?;
            Ok(true)
        })
    }

    fn get<'a>(&'a self, kind: Kind, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        // A read is a snapshot of memory-mapped pages: cheap enough to run inline.
        let r = self.read(kind, key);
        Box::pin(async move { r })
    }

    fn take<'a>(&'a self, kind: Kind, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        let key = key.to_owned();
        // One write transaction reads and removes: redb runs one writer at a time, so two
        // takes cannot both see the entry.
        self.write(kind, move |t, now| {
            let Some(raw) = t.remove(key.as_str()).map_err(backend)? else {
                return Ok(None);
            };
            Ok(decode(raw.value(), now)?.map(|(_, v)| v))
        })
    }

    fn remove<'a>(&'a self, kind: Kind, key: &'a str) -> StoreFuture<'a, bool> {
        let key = key.to_owned();
        self.write(kind, move |t, now| {
            let Some(raw) = t.remove(key.as_str()).map_err(backend)? else {
                return Ok(false);
            };
            Ok(decode(raw.value(), now)?.is_some())
        })
    }

    fn incr<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        by: u64,
        ttl: Duration,
    ) -> StoreFuture<'a, u64> {
        let key = key.to_owned();
        self.write(kind, move |t, now| {
            let current = match t.get(key.as_str()).map_err(backend)? {
                Some(raw) => decode(raw.value(), now)?,
                None => None,
            };
            let (next, exp) = match current {
                Some((exp, v)) => {
                    let n = <[u8; 8]>::try_from(v.as_slice())
                        .map(u64::from_be_bytes)
                        .map_err(|_| StoreError::Corrupt("a counter is not 8 bytes".into()))?;
                    (n.saturating_add(by), exp)
                }
                None => (by, expiry(Some(ttl), now)),
            };
            t.insert(key.as_str(), encode(&next.to_be_bytes(), exp).as_slice())
                .map_err(backend)?;
            Ok(next)
        })
    }

    fn count(&self, kind: Kind) -> StoreFuture<'_, u64> {
        let r = (|| {
            let tx = self.db.begin_read().map_err(backend)?;
            let t = tx.open_table(table(kind)).map_err(backend)?;
            // Entries with a TTL may be expired but not yet purged; count only live ones when
            // the table can have them (registrations have a TTL: unused and idle ones expire).
            if matches!(kind, Kind::Meta) {
                return t.len().map_err(backend);
            }
            let now = self.now();
            let mut n = 0;
            for item in t.iter().map_err(backend)? {
                let (_, v) = item.map_err(backend)?;
                if decode(v.value(), now)?.is_some() {
                    n += 1;
                }
            }
            Ok(n)
        })();
        Box::pin(async move { r })
    }

    fn purge_expired(&self) -> StoreFuture<'_, u64> {
        let (db, now) = (self.db.clone(), self.now());
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let tx = db.begin_write().map_err(backend)?;
                let mut purged = 0u64;
                for kind in Kind::ALL {
                    let mut t = tx.open_table(table(kind)).map_err(backend)?;
                    let before = t.len().map_err(backend)?;
                    t.retain(|_, v| matches!(decode(v, now), Ok(Some(_))))
                        .map_err(backend)?;
                    purged += before - t.len().map_err(backend)?;
                }
                tx.commit().map_err(backend)?;
                Ok(purged)
            })
            .await
            .map_err(backend)?
        })
    }
}

#[cfg(test)]
mod tests {
    use cognito_jwt::testing::ManualClock;

    use super::*;

    fn temp_path(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "cognito-mcp-auth-redb-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir.join("state.redb")
    }

    #[tokio::test]
    async fn redb_store_keeps_the_contract() {
        let clock = ManualClock::now();
        let store = RedbStore::open(temp_path("contract"))
            .expect("open")
            .with_clock(Arc::new(clock.clone()));
        super::super::contract::run(&store, &clock).await;
        let store = Arc::new(store);
        super::super::contract::take_is_atomic(store.clone()).await;
        super::super::contract::replace_is_atomic(store).await;
    }

    #[tokio::test]
    async fn entries_survive_reopening() {
        let path = temp_path("reopen");
        {
            let store = RedbStore::open(&path).expect("open");
            store
                .put(Kind::Client, "c1", b"reg".to_vec(), None)
                .await
                .expect("put");
        }
        let store = RedbStore::open(&path).expect("reopen");
        assert_eq!(
            store.get(Kind::Client, "c1").await.expect("get"),
            Some(b"reg".to_vec())
        );
    }

    #[tokio::test]
    async fn purge_drops_only_expired_entries() {
        let clock = ManualClock::now();
        let store = RedbStore::open(temp_path("purge"))
            .expect("open")
            .with_clock(Arc::new(clock.clone()));
        store
            .put(
                Kind::Code,
                "old",
                b"x".to_vec(),
                Some(Duration::from_secs(1)),
            )
            .await
            .expect("put");
        store
            .put(
                Kind::Code,
                "new",
                b"y".to_vec(),
                Some(Duration::from_secs(600)),
            )
            .await
            .expect("put");
        assert_eq!(store.purge_expired().await.expect("purge"), 0);
        clock.advance(Duration::from_secs(1));
        assert_eq!(store.purge_expired().await.expect("purge"), 1);
        assert_eq!(store.count(Kind::Code).await.expect("count"), 1);
    }
}
