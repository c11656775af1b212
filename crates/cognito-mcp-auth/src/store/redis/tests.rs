//! [`RedisStore`] against a real `redis-server` on a free loopback port, one per test.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;
use crate::store::contract;

/// A `redis-server` child on a fixed loopback port, in its own directory; killed when dropped.
struct Redis {
    port: u16,
    dir: PathBuf,
    extra: Vec<String>,
    child: Option<Child>,
}

impl Redis {
    /// No persistence: what a restart loses.
    fn start(name: &str) -> Self {
        Self::start_with(name, &["--appendonly", "no"])
    }

    /// Every write fsynced to the append-only file before Redis answers.
    fn start_persistent(name: &str) -> Self {
        Self::start_with(name, &["--appendonly", "yes", "--appendfsync", "always"])
    }

    fn start_with(name: &str, extra: &[&str]) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "cognito-mcp-auth-redis-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut redis = Self {
            port,
            dir,
            extra: extra.iter().map(|s| (*s).to_owned()).collect(),
            child: None,
        };
        redis.spawn();
        redis
    }

    fn spawn(&mut self) {
        let log = std::fs::File::create(self.dir.join("redis.log")).expect("log file");
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--daemonize", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .args(&self.extra)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start redis-server ({e}); it is a test peer: run scripts/setup-peers \
                     to install it"
                )
            });
        self.child = Some(child);
        self.wait_ready();
    }

    /// Waits until the server answers PING (with PONG, or NOAUTH when it wants a password; not
    /// LOADING).
    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("redis-server exited ({status}): {}", self.log());
            }
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
                let mut buf = [0u8; 64];
                if s.write_all(b"PING\r\n").is_ok()
                    && s.read(&mut buf).is_ok_and(|n| {
                        buf[..n].starts_with(b"+PONG") || buf[..n].starts_with(b"-NOAUTH")
                    })
                {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not start: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default()
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (SIGKILL: a crash, not a clean shutdown).
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the server and starts it again on the same port and directory.
    fn restart(&mut self) {
        self.stop();
        self.spawn();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn connect(redis: &Redis) -> RedisStore {
    RedisStore::connect(&redis.url(), "test")
        .await
        .expect("connect")
}

#[tokio::test]
async fn redis_store_keeps_the_contract() {
    let redis = Redis::start("contract");
    contract::run(&connect(&redis).await).await;
    contract::take_is_atomic(Arc::new(connect(&redis).await)).await;
    contract::replace_is_atomic(Arc::new(connect(&redis).await)).await;
    contract::replace_is_atomic(Arc::new(crate::store::SealedStore::new(
        connect(&redis).await,
        &crate::store::StateKey::generate(),
    )))
    .await;
}

#[tokio::test]
async fn keys_and_ttls_are_native() {
    let redis = Redis::start("layout");
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
        .arg("test:code:c1")
        .query_async(&mut c)
        .await
        .expect("pttl");
    assert!((1..=60_000).contains(&pttl), "native TTL, got {pttl}");
    let pttl: i64 = ::redis::cmd("PTTL")
        .arg("test:client:k1")
        .query_async(&mut c)
        .await
        .expect("pttl");
    assert_eq!(pttl, -1, "no TTL for a client");
    let score: Option<String> = ::redis::cmd("ZSCORE")
        .arg("test:index:client")
        .arg("k1")
        .query_async(&mut c)
        .await
        .expect("zscore");
    assert_eq!(score.as_deref(), Some("inf"));
}

#[tokio::test]
async fn take_is_atomic_under_concurrency() {
    let redis = Redis::start("take");
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
    let redis = Redis::start("count");
    let store = connect(&redis).await;
    let short = Some(Duration::from_millis(300));
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
        .incr(Kind::RateLimit, "ip", 1, Duration::from_millis(300))
        .await
        .expect("incr");
    assert_eq!(store.count(Kind::Consent).await.expect("count"), 4);
    assert_eq!(store.count(Kind::RateLimit).await.expect("count"), 1);
    tokio::time::sleep(Duration::from_millis(700)).await;
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
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(store.purge_expired().await.expect("purge"), 2);
    assert_eq!(store.purge_expired().await.expect("purge"), 0);
    assert_eq!(store.count(Kind::Client).await.expect("count"), 1);
}

#[tokio::test]
async fn counters_keep_their_first_ttl() {
    let redis = Redis::start("incr");
    let store = connect(&redis).await;
    let ttl = Duration::from_millis(400);
    assert_eq!(
        store
            .incr(Kind::RateLimit, "ip", 1, ttl)
            .await
            .expect("incr"),
        1
    );
    tokio::time::sleep(Duration::from_millis(250)).await;
    // A later increment does not extend the window.
    assert_eq!(
        store
            .incr(Kind::RateLimit, "ip", 1, Duration::from_secs(60))
            .await
            .expect("incr"),
        2
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        store
            .incr(Kind::RateLimit, "ip", 1, ttl)
            .await
            .expect("incr"),
        1
    );
}

#[tokio::test]
async fn redis_outage_gives_clear_error_then_recovers() {
    let mut redis = Redis::start("outage");
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
    let mut redis = Redis::start_persistent("aof");
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
    let mut redis = Redis::start_with("auth", &["--appendonly", "no", "--requirepass", PASSWORD]);
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
    let redis = Redis::start_with("getdel", &["--rename-command", "GETDEL", ""]);
    let msg = RedisStore::connect(&redis.url(), "test")
        .await
        .expect_err("no GETDEL")
        .to_string();
    assert!(msg.contains("needs Redis 6.2 or newer"), "{msg}");
}
