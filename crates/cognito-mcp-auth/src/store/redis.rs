//! [`RedisStore`]: state in Redis, so several instances of the server share one state.
//!
//! Each entry is one Redis string under `{namespace}:{kind}:{key}`, with a native TTL (`PX`), so
//! Redis itself drops what has expired. One-time reads are `GETDEL`, atomic in the server (Redis
//! 6.2 or newer). [`Store::count`] must not scan the keyspace, so each kind also has a sorted set,
//! `{namespace}:index:{kind}`, holding its keys scored by their expiry in milliseconds (`+inf`
//! for none); every write keeps it in step in the same Lua script, one round trip each, and a
//! count first trims the members whose expiry has passed.
//!
//! The connection is a [`ConnectionManager`]: after the server restarts or the connection drops
//! it reconnects by itself, and the same [`RedisStore`] works again. Connecting and every answer
//! have short timeouts, so an outage is an error within seconds ([`StoreError::Backend`], naming
//! the address, never the password), never a hang.
//!
//! Values arrive here already sealed by [`super::SealedStore`]; this backend stores plain bytes.
//! Not for Redis Cluster: an entry and its kind's index live in different hash slots.

use std::future::Future;
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{
    Client, ErrorKind, FromRedisValue, IntoConnectionInfo as _, ProtocolVersion, RedisError,
    RedisResult, Script,
};

use super::{Kind, Store, StoreError, StoreFuture};

/// How long one attempt to connect may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one command may wait for its answer.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one store operation may take in all, reconnecting included.
const DEADLINE: Duration = Duration::from_secs(5);

/// `SET` (with `NX` when ARGV[3] is 1, `PX` when ARGV[2] > 0) and the index entry, together.
/// KEYS: entry, index. ARGV: key, ttl ms (0 for none), nx, value. Returns 1 when written.
const PUT: &str = r"
local ttl = tonumber(ARGV[2])
local set = {'SET', KEYS[1], ARGV[4]}
if ARGV[3] == '1' then table.insert(set, 'NX') end
if ttl > 0 then
  table.insert(set, 'PX')
  table.insert(set, ttl)
end
if not redis.call(unpack(set)) then return 0 end
local score = '+inf'
if ttl > 0 then
  local t = redis.call('TIME')
  score = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + ttl
end
redis.call('ZADD', KEYS[2], score, ARGV[1])
return 1
";

/// Compare and set: `SET` (with `PX` when ARGV[2] > 0) only when the entry is exactly ARGV[3],
/// and the index entry. KEYS: entry, index. ARGV: key, ttl ms (0 for none), expected, value.
/// Returns 1 when written.
const REPLACE: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[3] then return 0 end
local ttl = tonumber(ARGV[2])
local score = '+inf'
if ttl > 0 then
  redis.call('SET', KEYS[1], ARGV[4], 'PX', ttl)
  local t = redis.call('TIME')
  score = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + ttl
else
  redis.call('SET', KEYS[1], ARGV[4])
end
redis.call('ZADD', KEYS[2], score, ARGV[1])
return 1
";

/// `GETDEL` and the index entry's removal. KEYS: entry, index. ARGV: key.
const TAKE: &str = r"
local v = redis.call('GETDEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return v
";

/// `DEL` and the index entry's removal. KEYS: entry, index. ARGV: key. Returns 1 when deleted.
const REMOVE: &str = r"
local n = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return n
";

/// `INCRBY`; a counter it creates gets the TTL and an index entry. KEYS: entry, index.
/// ARGV: key, by, ttl ms. Returns the new value.
const INCR: &str = r"
local fresh = redis.call('EXISTS', KEYS[1]) == 0
local n = redis.call('INCRBY', KEYS[1], ARGV[2])
if fresh then
  local ttl = tonumber(ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ttl)
  local t = redis.call('TIME')
  redis.call('ZADD', KEYS[2], tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + ttl, ARGV[1])
end
return n
";

/// Trims the expired members of every index in KEYS; returns how many went.
const TRIM: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = 0
for _, index in ipairs(KEYS) do
  n = n + redis.call('ZREMRANGEBYSCORE', index, '-inf', now)
end
return n
";

/// Trims the expired members of the index in KEYS[1], then counts the rest.
const COUNT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])
";

/// The Lua scripts, each sent once and then run by its hash (`EVALSHA`, reloaded after a
/// server restart empties the script cache).
struct Scripts {
    put: Script,
    replace: Script,
    take: Script,
    remove: Script,
    incr: Script,
    trim: Script,
    count: Script,
}

impl Scripts {
    fn new() -> Self {
        Self {
            put: Script::new(PUT),
            replace: Script::new(REPLACE),
            take: Script::new(TAKE),
            remove: Script::new(REMOVE),
            incr: Script::new(INCR),
            trim: Script::new(TRIM),
            count: Script::new(COUNT),
        }
    }
}

/// State in a Redis server (6.2 or newer), shared by every instance that names the same server
/// and namespace. Its `Debug` shows the address and namespace, never the URL's password.
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    namespace: String,
    address: String,
    scripts: std::sync::Arc<Scripts>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("address", &self.address)
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

/// Where `url` points, without its credentials: `host:port`, or a socket path.
fn address_of(url: &str) -> Result<String, StoreError> {
    // Never echo the URL: it may hold a password.
    let parsed = url::Url::parse(url).map_err(|_| {
        StoreError::Backend(
            "the Redis URL is not a URL; write it as redis://[user:password@]host[:port][/db] \
             (rediss:// for TLS)"
                .into(),
        )
    })?;
    match parsed.scheme() {
        "redis" | "rediss" | "valkey" | "valkeys" => {
            let host = parsed
                .host_str()
                .filter(|h| !h.is_empty())
                .ok_or_else(|| StoreError::Backend("the Redis URL names no host".into()))?;
            Ok(format!("{host}:{}", parsed.port().unwrap_or(6379)))
        }
        "redis+unix" | "unix" => Ok(parsed.path().to_owned()),
        other => Err(StoreError::Backend(format!(
            "the Redis URL's scheme is {other:?}; use redis:// or rediss://"
        ))),
    }
}

impl RedisStore {
    /// Connects to the Redis server at `url` (`redis://[user:password@]host[:port][/db]`,
    /// `rediss://` for TLS) and keeps every key under `namespace`.
    ///
    /// Fails when the server cannot be reached now, or lacks `GETDEL` (Redis before 6.2); once
    /// connected, the store reconnects by itself whenever the connection is lost.
    pub async fn connect(url: &str, namespace: &str) -> Result<Self, StoreError> {
        let address = address_of(url)?;
        let invalid = |e: RedisError| {
            StoreError::Backend(format!("the Redis URL for {address} is not usable: {e}"))
        };
        let mut info = url.into_connection_info().map_err(invalid)?;
        // RESP3 lets the connection notice a dropped server at once and reconnect before the
        // next command, unless the URL chose a protocol itself.
        let chose_protocol = url::Url::parse(url)
            .map(|u| u.query_pairs().any(|(k, _)| k == "protocol"))
            .unwrap_or(false);
        if !chose_protocol {
            let settings = info
                .redis_settings()
                .clone()
                .set_protocol(ProtocolVersion::RESP3);
            info = info.set_redis_settings(settings);
        }
        let client = Client::open(info).map_err(invalid)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(100))
            .set_max_delay(Duration::from_millis(500));
        let conn = match tokio::time::timeout(
            DEADLINE,
            ConnectionManager::new_with_config(client, config),
        )
        .await
        {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => return Err(describe(&address, &e, false)),
            Err(_) => return Err(no_answer(&address, false)),
        };
        // One-time values rely on GETDEL; find out now rather than at the first sign-in.
        let mut c = conn.clone();
        let mut probe = ::redis::cmd("GETDEL");
        probe.arg(format!("{namespace}:probe"));
        let probe = probe.query_async::<Option<Vec<u8>>>(&mut c);
        match tokio::time::timeout(DEADLINE, probe).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) if e.detail().is_some_and(|d| d.contains("unknown command")) => {
                return Err(StoreError::Backend(format!(
                    "redis at {address} has no GETDEL: the state store needs Redis 6.2 or newer"
                )));
            }
            Ok(Err(e)) => return Err(describe(&address, &e, false)),
            Err(_) => return Err(no_answer(&address, false)),
        }
        let store = Self {
            conn,
            namespace: namespace.to_owned(),
            address,
            scripts: std::sync::Arc::new(Scripts::new()),
        };
        Ok(store)
    }

    /// The server's address, without credentials (for logs).
    pub fn address(&self) -> &str {
        &self.address
    }

    fn key(&self, kind: Kind, key: &str) -> String {
        format!("{}:{}:{key}", self.namespace, kind.as_str())
    }

    fn index(&self, kind: Kind) -> String {
        format!("{}:index:{}", self.namespace, kind.as_str())
    }

    /// Runs `op` on the shared connection within [`DEADLINE`], mapping failures.
    ///
    /// A lost connection is tried once more, on the connection the manager is rebuilding: when
    /// it was refused, since the command never left (safe even for `take` and `incr`), and when
    /// it dropped, only if `op` is `idempotent`, since the server may have run it already. The
    /// second try is what lets the first operation after a Redis restart succeed, where the
    /// manager still holds the failure of an attempt made while the server was down.
    async fn call<T, F, Fut>(&self, idempotent: bool, op: F) -> Result<T, StoreError>
    where
        F: Fn(ConnectionManager) -> Fut,
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
            Ok(r) => r.map_err(|e| describe(&self.address, &e, true)),
            Err(_) => Err(no_answer(&self.address, true)),
        }
    }

    /// Runs `script` with `keys` and `args`; see [`Self::call`] for `idempotent`.
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

/// What follows an outage: after connecting, the store recovers by itself.
fn outage_hint(connected: bool) -> &'static str {
    if connected {
        "it reconnects by itself when the server is back"
    } else {
        "check the Redis URL and that the server runs"
    }
}

fn no_answer(address: &str, connected: bool) -> StoreError {
    StoreError::Backend(format!(
        "redis at {address} did not answer within {}s; {}",
        DEADLINE.as_secs(),
        outage_hint(connected)
    ))
}

/// A Redis failure as a [`StoreError`] naming the address (`connected` once the store has
/// connected). Redis's own messages carry no credentials, and the URL is never part of them.
fn describe(address: &str, e: &RedisError, connected: bool) -> StoreError {
    let unreachable = if e.is_connection_refusal() {
        Some("connection refused".to_owned())
    } else if e.is_timeout() {
        Some("no answer in time".to_owned())
    } else if e.is_connection_dropped() {
        Some("the connection was lost".to_owned())
    } else if e.is_io_error() {
        Some(e.to_string())
    } else {
        None
    };
    StoreError::Backend(match unreachable {
        Some(why) => format!(
            "redis at {address} is unreachable: {why}; {}",
            outage_hint(connected)
        ),
        None if e.kind() == ErrorKind::AuthenticationFailed
            || matches!(e.code(), Some("NOAUTH" | "WRONGPASS" | "NOPERM")) =>
        {
            format!("redis at {address} refused the credentials of the Redis URL: {e}")
        }
        None => format!("redis at {address} failed: {e}"),
    })
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

    /// One `EXISTS` for all the keys: one round trip.
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
    /// how many it trimmed.
    fn purge_expired(&self) -> StoreFuture<'_, u64> {
        Box::pin(async move {
            let indexes: Vec<String> = Kind::ALL.iter().map(|k| self.index(*k)).collect();
            self.run(true, &self.scripts.trim, &indexes, &[]).await
        })
    }
}

#[cfg(test)]
mod tests;
