//! [`RedisStore`] over TLS (`rediss://`) against a real `redis-server` that serves only TLS,
//! its certificate signed by a CA made in the test (`cognito_mcp_testkit::redis::tls`): the
//! contract with the CA configured, and every way a certificate is refused (another CA, the
//! system's roots, another host), each with a clear error and no connection.

use std::sync::Arc;

use cognito_mcp_testkit::redis::RedisServer as Redis;
use cognito_mcp_testkit::redis::cluster::RedisCluster;
use cognito_mcp_testkit::redis::tls::TestCa;

use super::tests::RedisTime;
use super::*;
use crate::store::contract;

fn trusting(ca: &TestCa) -> RedisOptions {
    RedisOptions::default().ca_file(ca.file())
}

#[tokio::test]
async fn tls_store_keeps_the_contract() {
    let ca = TestCa::new("redis test CA");
    let redis = Redis::start_tls(&ca, &["--appendonly", "no"]);
    assert!(redis.url().starts_with("rediss://127.0.0.1:"));
    let store = RedisStore::connect_with(&redis.url(), "test", &trusting(&ca))
        .await
        .expect("connect over TLS");
    assert!(format!("{store:?}").contains("tls: true"));
    contract::run(&store, &RedisTime(&store)).await;
    contract::take_is_atomic(Arc::new(
        RedisStore::connect_with(&redis.url(), "test", &trusting(&ca))
            .await
            .expect("connect"),
    ))
    .await;
}

/// The server's certificate is signed by a CA other than the one configured: refused, naming
/// the CA file and the reason, and nothing is sent.
#[tokio::test]
async fn tls_certificate_of_another_ca_is_refused() {
    let ours = TestCa::new("our CA");
    let theirs = TestCa::new("another CA");
    let redis = Redis::start_tls(&theirs, &["--appendonly", "no"]);
    let msg = RedisStore::connect_with(&redis.url(), "test", &trusting(&ours))
        .await
        .expect_err("a certificate our CA did not sign")
        .to_string();
    assert!(
        msg.contains(&format!(
            "redis at 127.0.0.1:{} presented a TLS certificate that was refused",
            redis.port
        )) && msg.contains(&format!(
            "not signed by the CA in {}",
            ours.file().display()
        )) && msg.contains("UnknownIssuer"),
        "{msg}"
    );
    assert!(!msg.contains("reconnects by itself"), "{msg}");
    assert_eq!(
        redis.cli(&["dbsize"]).trim(),
        "0",
        "nothing was written through a refused connection"
    );
}

/// Without a CA file only the system's roots are trusted, and they never signed the test CA:
/// verification is on by default, never silently off.
#[tokio::test]
async fn tls_without_ca_file_trusts_only_the_system_roots() {
    let ca = TestCa::new("a CA the system does not know");
    let redis = Redis::start_tls(&ca, &["--appendonly", "no"]);
    let msg = RedisStore::connect(&redis.url(), "test")
        .await
        .expect_err("not signed by a system root")
        .to_string();
    assert!(
        msg.contains("presented a TLS certificate that was refused")
            && msg.contains("the system's trusted roots")
            && msg.contains("auth.redis_ca_file"),
        "{msg}"
    );
}

/// A certificate from the right CA, for another host: refused too (the host name is checked).
#[tokio::test]
async fn tls_certificate_for_another_host_is_refused() {
    let ca = TestCa::new("redis test CA");
    let redis = Redis::start_tls_for(&ca, &["redis.example.com"], &["--appendonly", "no"]);
    let msg = RedisStore::connect_with(&redis.url(), "test", &trusting(&ca))
        .await
        .expect_err("a certificate for another host")
        .to_string();
    assert!(
        msg.contains("presented a TLS certificate that was refused")
            && msg.contains("does not name the host of the Redis URL"),
        "{msg}"
    );
}

/// A Redis Cluster over TLS whose nodes' certificates another CA signed: refused with the same
/// clear error, though the cluster client reports it through its own error.
#[tokio::test]
async fn tls_cluster_of_another_ca_is_refused() {
    let ours = TestCa::new("our CA");
    let theirs = TestCa::new("another CA");
    let cluster = RedisCluster::start_tls(&theirs);
    let options = trusting(&ours).cluster(true);
    let msg = RedisStore::connect_with(&cluster.url(), "test", &options)
        .await
        .expect_err("certificates our CA did not sign")
        .to_string();
    assert!(
        msg.contains("redis cluster at 127.0.0.1:")
            && msg.contains("presented a TLS certificate that was refused")
            && msg.contains(&format!(
                "not signed by the CA in {}",
                ours.file().display()
            )),
        "{msg}"
    );
}

/// A CA file that holds no certificate would trust nothing and refuse every server with a
/// misleading reason; it is refused itself, by name.
#[tokio::test]
async fn tls_ca_file_without_certificates_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("empty.pem");
    std::fs::write(&path, "not a certificate\n").expect("write");
    let msg = RedisStore::connect_with(
        "rediss://127.0.0.1:1",
        "test",
        &RedisOptions::default().ca_file(&path),
    )
    .await
    .expect_err("no certificate in the CA file")
    .to_string();
    assert!(
        msg.contains(&format!(
            "{} (auth.redis_ca_file) holds no PEM certificate",
            path.display()
        )),
        "{msg}"
    );
}
