//! [`RedisStore`] against a real `redis-server` on a free loopback port, one per test
//! (`cognito_mcp_testkit::redis`).

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cognito_mcp_testkit::redis::RedisServer as Redis;

use super::*;
use crate::store::contract::{self, Elapse};

async fn connect(redis: &Redis) -> RedisStore {
    RedisStore::connect(&redis.url(), "test")
        .await
        .expect("connect")
}

/// Lets time pass inside Redis without waiting: every entry with a TTL (every finite member of
/// the index) has `ARGV[1]` ms taken off its remaining TTL and its index score, and is deleted
/// when that reaches zero, as the server would have after so long. KEYS[1]: one kind's index;
/// ARGV[2]: the key prefix of its entries. Entry and index share the kind's hash tag, so this
/// runs in a cluster too, one kind at a time.
const ELAPSE: &str = r"
local by = tonumber(ARGV[1])
local prefix = ARGV[2]
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(+inf', 'WITHSCORES')
for j = 1, #members, 2 do
  local member, score = members[j], tonumber(members[j + 1])
  redis.call('ZADD', KEYS[1], score - by, member)
  local key = prefix .. member
  local left = redis.call('PTTL', key)
  if left > by then
    redis.call('PEXPIRE', key, left - by)
  elseif left > 0 then
    redis.call('DEL', key)
  end
end
return 0
";

/// The time of one [`RedisStore`]'s namespace, moved by [`ELAPSE`].
pub(super) struct RedisTime<'a>(pub(super) &'a RedisStore);

impl Elapse for RedisTime<'_> {
    fn elapse(
        &self,
        by: Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            let store = self.0;
            let elapse = Script::new(ELAPSE);
            for kind in Kind::ALL {
                let mut script = elapse.prepare_invoke();
                script
                    .key(store.index(kind))
                    .arg(millis(by))
                    .arg(store.key(kind, ""));
                let mut c = store.conn.clone();
                let _: i64 = script.invoke_async(&mut c).await.expect("elapse");
            }
        })
    }
}

/// The remaining TTL Redis reports for an entry, in ms (-1: none, -2: no such key).
async fn pttl(store: &RedisStore, kind: Kind, key: &str) -> i64 {
    let mut c = store.conn.clone();
    ::redis::cmd("PTTL")
        .arg(store.key(kind, key))
        .query_async(&mut c)
        .await
        .expect("pttl")
}

#[tokio::test]
async fn redis_store_keeps_the_contract() {
    let redis = Redis::start();
    let store = connect(&redis).await;
    contract::run(&store, &RedisTime(&store)).await;
    contract::take_is_atomic(Arc::new(connect(&redis).await)).await;
    contract::replace_is_atomic(Arc::new(connect(&redis).await)).await;
    contract::replace_is_atomic(Arc::new(crate::store::SealedStore::new(
        connect(&redis).await,
        &crate::store::StateKey::generate(),
    )))
    .await;
}

/// The revocation check of every request bearing our token asks about the token (`jti:`) and
/// its family (`sid:`): one command, so one round trip, whichever of them is revoked.
#[tokio::test]
async fn any_live_is_one_command() {
    let redis = Redis::start();
    let store = connect(&redis).await;
    store
        .put(
            Kind::Revoked,
            "sid:f1",
            b"1".to_vec(),
            Some(Duration::from_secs(60)),
        )
        .await
        .expect("put");
    let mut c = store.conn.clone();
    let _: () = ::redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query_async(&mut c)
        .await
        .expect("resetstat");
    assert!(
        store
            .any_live(Kind::Revoked, &["jti:t1", "sid:f1"])
            .await
            .expect("any_live")
    );
    assert!(
        !store
            .any_live(Kind::Revoked, &["jti:t2", "sid:f2"])
            .await
            .expect("any_live")
    );
    let stats: String = ::redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut c)
        .await
        .expect("info");
    // Every command since the reset but the reset and INFO themselves: the two checks.
    let calls: Vec<(&str, u64)> = stats
        .lines()
        .filter_map(|l| l.strip_prefix("cmdstat_"))
        .filter_map(|l| {
            let (name, rest) = l.split_once(':')?;
            let n = rest
                .strip_prefix("calls=")?
                .split(',')
                .next()?
                .parse()
                .ok()?;
            Some((name, n))
        })
        .filter(|(name, _)| *name != "info" && !name.starts_with("config"))
        .collect();
    assert_eq!(calls, vec![("exists", 2)], "{stats}");
}

#[tokio::test]
async fn keys_and_ttls_are_native() {
    let redis = Redis::start();
    let store = connect(&redis).await;
    store
        .put(
            Kind::Code,
            "c1",
            b"v".to_vec(),
            Some(Duration::from_secs(60)),
        )
        .await
        .expect("put");
    store
        .put(Kind::Client, "k1", b"v".to_vec(), None)
        .await
        .expect("put");
    let mut c = store.conn.clone();
    let pttl: i64 = ::redis::cmd("PTTL")
        .arg("{test:code}:c1")
        .query_async(&mut c)
        .await
        .expect("pttl");
    assert!((1..=60_000).contains(&pttl), "native TTL, got {pttl}");
    let pttl: i64 = ::redis::cmd("PTTL")
        .arg("{test:client}:k1")
        .query_async(&mut c)
        .await
        .expect("pttl");
    assert_eq!(pttl, -1, "no TTL for a client");
    let score: Option<String> = ::redis::cmd("ZSCORE")
        .arg("{test:client}/index")
        .arg("k1")
        .query_async(&mut c)
        .await
        .expect("zscore");
    assert_eq!(score.as_deref(), Some("inf"));
}

#[tokio::test]
async fn take_is_atomic_under_concurrency() {
    let redis = Redis::start();
    // Several stores, so the takes race over separate connections as separate instances would.
    let mut stores = Vec::new();
    for _ in 0..4 {
        stores.push(Arc::new(connect(&redis).await));
    }
    for round in 0..10 {
        let key = format!("code{round}");
        stores[0]
            .put(
                Kind::Code,
                &key,
                b"v".to_vec(),
                Some(Duration::from_secs(60)),
            )
            .await
            .expect("put");
        let mut tasks = Vec::new();
        for i in 0..32 {
            let (store, key) = (stores[i % stores.len()].clone(), key.clone());
            tasks.push(tokio::spawn(async move {
                store.take(Kind::Code, &key).await.expect("take").is_some()
            }));
        }
        let mut winners = 0;
        for t in tasks {
            winners += usize::from(t.await.expect("join"));
        }
        assert_eq!(winners, 1, "exactly one of 32 concurrent takes wins");
    }
    assert_eq!(stores[0].count(Kind::Code).await.expect("count"), 0);
}

#[tokio::test]
async fn count_ignores_expired_entries() {
    let redis = Redis::start();
    let store = connect(&redis).await;
    let time = RedisTime(&store);
    let short = Some(Duration::from_secs(30));
    store
        .put(Kind::Consent, "gone1", b"x".to_vec(), short)
        .await
        .expect("put");
    assert!(
        store
            .put_new(Kind::Consent, "gone2", b"x".to_vec(), short)
            .await
            .expect("put_new")
    );
    // Written with a TTL, then overwritten without one: it stays.
    store
        .put(Kind::Consent, "kept", b"x".to_vec(), short)
        .await
        .expect("put");
    store
        .put(Kind::Consent, "kept", b"x".to_vec(), None)
        .await
        .expect("put");
    store
        .put(
            Kind::Consent,
            "later",
            b"x".to_vec(),
            Some(Duration::from_secs(60)),
        )
        .await
        .expect("put");
    store
        .incr(Kind::RateLimit, "ip", 1, Duration::from_secs(30))
        .await
        .expect("incr");
    assert_eq!(store.count(Kind::Consent).await.expect("count"), 4);
    assert_eq!(store.count(Kind::RateLimit).await.expect("count"), 1);
    time.elapse(Duration::from_secs(31)).await;
    assert_eq!(store.get(Kind::Consent, "gone1").await.expect("get"), None);
    assert_eq!(store.count(Kind::Consent).await.expect("count"), 2);
    assert_eq!(store.count(Kind::RateLimit).await.expect("count"), 0);
    // take and remove leave the count too.
    assert!(
        store
            .take(Kind::Consent, "later")
            .await
            .expect("take")
            .is_some()
    );
    assert!(store.remove(Kind::Consent, "kept").await.expect("remove"));
    assert_eq!(store.count(Kind::Consent).await.expect("count"), 0);
    // purge trims expired members of every index; Redis already dropped the values.
    store
        .put(Kind::Code, "c", b"x".to_vec(), short)
        .await
        .expect("put");
    store
        .put(Kind::Refresh, "r", b"x".to_vec(), short)
        .await
        .expect("put");
    store
        .put(Kind::Client, "k", b"x".to_vec(), None)
        .await
        .expect("put");
    time.elapse(Duration::from_secs(31)).await;
    assert_eq!(store.purge_expired().await.expect("purge"), 2);
    assert_eq!(store.purge_expired().await.expect("purge"), 0);
    assert_eq!(store.count(Kind::Client).await.expect("count"), 1);
}

#[tokio::test]
async fn counters_keep_their_first_ttl() {
    let redis = Redis::start();
    let store = connect(&redis).await;
    let time = RedisTime(&store);
    let ttl = Duration::from_secs(40);
    assert_eq!(
        store
            .incr(Kind::RateLimit, "ip", 1, ttl)
            .await
            .expect("incr"),
        1
    );
    time.elapse(Duration::from_secs(25)).await;
    // A later increment does not extend the window: Redis still reports what is left of the
    // first TTL (15 s at most), not the 60 s asked for now.
    assert_eq!(
        store
            .incr(Kind::RateLimit, "ip", 1, Duration::from_secs(60))
            .await
            .expect("incr"),
        2
    );
    let left = pttl(&store, Kind::RateLimit, "ip").await;
    assert!(
        (1..=15_000).contains(&left),
        "the first window's TTL, got {left} ms"
    );
    time.elapse(Duration::from_secs(30)).await;
    assert_eq!(
        store
            .incr(Kind::RateLimit, "ip", 1, ttl)
            .await
            .expect("incr"),
        1
    );
    let left = pttl(&store, Kind::RateLimit, "ip").await;
    assert!(
        (15_001..=40_000).contains(&left),
        "a new window, its own TTL: got {left} ms"
    );
}

#[tokio::test]
async fn redis_outage_gives_clear_error_then_recovers() {
    let mut redis = Redis::start();
    let store = connect(&redis).await;
    store
        .put(Kind::Client, "before", b"x".to_vec(), None)
        .await
        .expect("put");
    redis.stop();
    for _ in 0..3 {
        let started = Instant::now();
        let e = store
            .get(Kind::Client, "before")
            .await
            .expect_err("the server is down");
        assert!(
            started.elapsed() < DEADLINE + Duration::from_secs(1),
            "an outage answers quickly, took {:?}",
            started.elapsed()
        );
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("redis at 127.0.0.1:{} is unreachable", redis.port))
                && msg.contains("reconnects by itself"),
            "{msg}"
        );
    }
    redis.restart();
    // The same store object, not rebuilt: the first operation after the restart works.
    store
        .put(Kind::Client, "after", b"y".to_vec(), None)
        .await
        .expect("put after the restart");
    assert_eq!(
        store.get(Kind::Client, "after").await.expect("get"),
        Some(b"y".to_vec())
    );
}

#[tokio::test]
async fn registration_survives_redis_restart_with_appendonly() {
    let mut redis = Redis::start_persistent();
    let store = connect(&redis).await;
    store
        .put(Kind::Client, "client-1", b"registration".to_vec(), None)
        .await
        .expect("put");
    redis.restart();
    assert_eq!(
        store.get(Kind::Client, "client-1").await.expect("get"),
        Some(b"registration".to_vec())
    );
    assert_eq!(store.count(Kind::Client).await.expect("count"), 1);
}

#[tokio::test]
async fn password_not_in_debug_or_errors() {
    const PASSWORD: &str = "hunter2-redis-password";
    let mut redis = Redis::start_with(&["--appendonly", "no", "--requirepass", PASSWORD]);
    let good = format!("redis://:{PASSWORD}@127.0.0.1:{}", redis.port);
    let store = RedisStore::connect(&good, "test").await.expect("connect");
    let debug = format!("{store:?}");
    assert!(!debug.contains(PASSWORD), "{debug}");
    assert!(
        debug.contains(&format!("127.0.0.1:{}", redis.port)),
        "{debug}"
    );
    store
        .put(Kind::Client, "a", b"x".to_vec(), None)
        .await
        .expect("put");

    let wrong = format!("redis://default:wrong-{PASSWORD}@127.0.0.1:{}", redis.port);
    let e = RedisStore::connect(&wrong, "test")
        .await
        .expect_err("wrong password");
    let msg = e.to_string();
    assert!(!msg.contains(PASSWORD), "{msg}");
    assert!(msg.contains("credentials"), "{msg}");

    let free = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let e = RedisStore::connect(&format!("redis://:{PASSWORD}@127.0.0.1:{free}"), "test")
        .await
        .expect_err("nobody listens");
    let msg = e.to_string();
    assert!(!msg.contains(PASSWORD), "{msg}");
    assert!(
        msg.contains(&format!("127.0.0.1:{free} is unreachable")),
        "{msg}"
    );

    for bad in [
        format!("redis//:{PASSWORD}@127.0.0.1"),
        format!("http://:{PASSWORD}@127.0.0.1"),
        format!("redis://:{PASSWORD}@127.0.0.1/not-a-db"),
    ] {
        let msg = RedisStore::connect(&bad, "test")
            .await
            .expect_err("bad URL")
            .to_string();
        assert!(!msg.contains(PASSWORD), "{msg}");
    }

    redis.stop();
    let msg = store
        .get(Kind::Client, "a")
        .await
        .expect_err("down")
        .to_string();
    assert!(!msg.contains(PASSWORD), "{msg}");
    assert!(!format!("{store:?}").contains(PASSWORD));
}

#[tokio::test]
async fn redis_without_getdel_fails() {
    // Redis before 6.2 has no GETDEL; a server with the command renamed away answers the same.
    let redis = Redis::start_with(&["--rename-command", "GETDEL", ""]);
    let msg = RedisStore::connect(&redis.url(), "test")
        .await
        .expect_err("no GETDEL")
        .to_string();
    assert!(msg.contains("needs Redis 6.2 or newer"), "{msg}");
}

/// Redis's own clock, in microseconds: the clock [`RedisStore::take_slot`] decides by.
pub(super) async fn redis_now_us(store: &RedisStore) -> u64 {
    let mut c = store.conn.clone();
    let (secs, micros): (u64, u64) = ::redis::cmd("TIME")
        .query_async(&mut c)
        .await
        .expect("time");
    secs * 1_000_000 + micros
}

/// Four claimers on two connections (standing for two processes) take slots of one spaced
/// schedule for a while, each asking again when told to: by Redis's clock, no more slots are
/// given than the spacing allows. A loaded machine can only make them fewer.
pub(super) async fn slots_keep_their_spacing(a: &RedisStore, b: &RedisStore) {
    let spacing = Duration::from_millis(40);
    let started = redis_now_us(a).await;
    let deadline = Instant::now() + Duration::from_millis(800);
    let mut claimers = tokio::task::JoinSet::new();
    for i in 0..4 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        claimers.spawn(async move {
            let mut taken = 0u64;
            while Instant::now() < deadline {
                match store
                    .take_slot("user_creation", spacing)
                    .await
                    .expect("slot")
                {
                    None => taken += 1,
                    Some(wait) => {
                        assert!(wait <= spacing, "told to wait {wait:?}, past the spacing");
                        tokio::time::sleep(wait).await;
                    }
                }
            }
            taken
        });
    }
    let taken: u64 = claimers.join_all().await.iter().sum();
    let ended = redis_now_us(a).await;
    let allowed = (ended - started) / u64::try_from(spacing.as_micros()).expect("small") + 1;
    assert!(taken >= 1, "some slot was given");
    assert!(
        taken <= allowed,
        "{taken} slots in {} ms at one per {spacing:?}: at most {allowed}",
        (ended - started) / 1000
    );
    // Another schedule is not held up by this one.
    assert_eq!(
        a.take_slot("user_update", spacing).await.expect("slot"),
        None
    );
}

#[tokio::test]
async fn spaced_slots_are_shared_and_never_given_twice() {
    let redis = Redis::start();
    let (a, b) = (connect(&redis).await, connect(&redis).await);
    slots_keep_their_spacing(&a, &b).await;
    // The schedule is one key with a TTL, in the store's namespace.
    let mut c = a.conn.clone();
    let ttl: i64 = ::redis::cmd("PTTL")
        .arg("{test:slot}:user_creation")
        .query_async(&mut c)
        .await
        .expect("pttl");
    assert!((0..=1040).contains(&ttl), "the schedule expires: {ttl}");
}
