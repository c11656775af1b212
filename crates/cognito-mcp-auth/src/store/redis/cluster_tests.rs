//! [`RedisStore`] against a real three-master Redis Cluster (`cognito_mcp_testkit::redis::
//! cluster`: Debian's `redis-server`, `redis-cli --cluster create`), one per test: the store's
//! contract, one slot per kind, the one-command revocation check, and a node killed and
//! restarted mid-flow.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cognito_mcp_testkit::redis::cluster::RedisCluster;
use cognito_mcp_testkit::redis::tls::TestCa;

use super::tests::RedisTime;
use super::*;
use crate::store::contract::{self, Elapse as _};

async fn connect(cluster: &RedisCluster) -> RedisStore {
    RedisStore::connect_with(
        &cluster.url(),
        "test",
        &RedisOptions::default().cluster(true),
    )
    .await
    .expect("connect to the cluster")
}

/// The commands a node ran since `CONFIG RESETSTAT`, by name, but those of the test's own
/// redis-cli (`config`, `info`, `command`, `cluster`).
fn commands_of(node: &cognito_mcp_testkit::redis::RedisServer) -> Vec<(String, u64)> {
    node.cli(&["info", "commandstats"])
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
            Some((name.to_owned(), n))
        })
        .filter(|(name, _)| {
            !["info", "config", "command", "cluster"]
                .iter()
                .any(|own| name == own || name.starts_with(&format!("{own}|")))
        })
        .collect()
}

#[tokio::test]
async fn cluster_store_keeps_the_contract() {
    let cluster = RedisCluster::start();
    let store = connect(&cluster).await;
    assert!(store.is_cluster());
    contract::run(&store, &RedisTime(&store)).await;
    contract::take_is_atomic(Arc::new(connect(&cluster).await)).await;
    contract::replace_is_atomic(Arc::new(connect(&cluster).await)).await;
    contract::replace_is_atomic(Arc::new(crate::store::SealedStore::new(
        connect(&cluster).await,
        &crate::store::StateKey::generate(),
    )))
    .await;
}

/// Every entry of a kind and the kind's index hash to one slot (so every script runs on one
/// node), and the kinds spread over the nodes.
#[tokio::test]
async fn each_kind_lives_in_one_slot_and_kinds_spread_over_the_nodes() {
    let cluster = RedisCluster::start();
    let store = connect(&cluster).await;
    let slot = |key: &str| cluster.nodes()[0].cli(&["cluster", "keyslot", key]);
    let mut nodes = std::collections::BTreeSet::new();
    for kind in Kind::ALL {
        let index = slot(&store.index(kind));
        for key in ["a", "jti:t1", "sid:f1", "{other}", "index"] {
            assert_eq!(
                slot(&store.key(kind, key)),
                index,
                "{kind:?}'s entry {key:?} and its index share a slot"
            );
        }
        assert_ne!(store.key(kind, "index"), store.index(kind));
        nodes.insert(cluster.node_of(&store.index(kind)));
    }
    assert_eq!(
        nodes.len(),
        3,
        "the 14 kinds of namespace \"test\" land on every node"
    );
}

/// The revocation check asks about a token and its family at once: in a cluster too, one
/// `EXISTS` on one node, since both keys are of one kind, under one hash tag.
#[tokio::test]
async fn cluster_any_live_is_one_command_on_one_node() {
    let cluster = RedisCluster::start();
    let store = connect(&cluster).await;
    store
        .put(
            Kind::Revoked,
            "sid:f1",
            b"1".to_vec(),
            Some(Duration::from_secs(60)),
        )
        .await
        .expect("put");
    for node in cluster.nodes() {
        node.cli(&["config", "resetstat"]);
    }
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
    let owner = cluster.node_of(&store.key(Kind::Revoked, "jti:t1"));
    for (i, node) in cluster.nodes().iter().enumerate() {
        let expected = if i == owner {
            vec![("exists".to_owned(), 2)]
        } else {
            vec![]
        };
        assert_eq!(
            commands_of(node),
            expected,
            "node {i} (revocations on {owner})"
        );
    }
}

/// The purge trims every kind's index, one script per index: the indexes sit on different
/// nodes, which one script could not span.
#[tokio::test]
async fn cluster_purge_trims_every_index() {
    let cluster = RedisCluster::start();
    let store = connect(&cluster).await;
    let short = Some(Duration::from_secs(30));
    for kind in Kind::ALL {
        store
            .put(kind, "gone", b"x".to_vec(), short)
            .await
            .expect("put");
        store
            .put(kind, "kept", b"x".to_vec(), None)
            .await
            .expect("put");
    }
    RedisTime(&store).elapse(Duration::from_secs(31)).await;
    assert_eq!(
        store.purge_expired().await.expect("purge"),
        u64::try_from(Kind::ALL.len()).expect("small")
    );
    assert_eq!(store.purge_expired().await.expect("purge"), 0);
    for kind in Kind::ALL {
        assert_eq!(store.count(kind).await.expect("count"), 1, "{kind:?}");
    }
}

/// Mid-flow, the node that holds the registrations is killed (`kill -9`): what it serves fails
/// with a clear error within the deadline; restarted on its port and directory, it comes back
/// with every write it acknowledged (append-only file, fsynced before every answer), and the
/// same store object, not rebuilt, works again on every node.
#[tokio::test]
async fn cluster_node_restart_keeps_acknowledged_writes_and_the_store_recovers() {
    let mut cluster = RedisCluster::start_persistent();
    let store = connect(&cluster).await;
    let ttl = Some(Duration::from_secs(300));
    for n in 0..20 {
        store
            .put(Kind::Client, &format!("client-{n}"), b"reg".to_vec(), None)
            .await
            .expect("put");
    }
    // One entry of every kind, so on every node; a code and a counter under way.
    for kind in Kind::ALL {
        store
            .put(kind, "before", kind.as_str().as_bytes().to_vec(), ttl)
            .await
            .expect("put");
    }
    store
        .put(Kind::Code, "code-1", b"one-time".to_vec(), ttl)
        .await
        .expect("put");
    store
        .incr(Kind::RateLimit, "ip", 3, Duration::from_secs(60))
        .await
        .expect("incr");

    let down = cluster.node_of(&store.key(Kind::Client, "client-0"));
    cluster.stop(down);
    let started = Instant::now();
    let e = store
        .get(Kind::Client, "client-0")
        .await
        .expect_err("the node of the registrations is down");
    assert!(
        started.elapsed() < DEADLINE + Duration::from_secs(1),
        "an outage answers within the deadline, took {:?}",
        started.elapsed()
    );
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("redis cluster at {}", store.address()))
            && (msg.contains("is unreachable") || msg.contains("did not answer")),
        "{msg}"
    );

    cluster.restart(down);
    // The same store: the first operation after the restart works.
    assert_eq!(
        store.get(Kind::Client, "client-0").await.expect("get"),
        Some(b"reg".to_vec())
    );
    assert_eq!(store.count(Kind::Client).await.expect("count"), 21);
    for kind in Kind::ALL {
        assert_eq!(
            store.get(kind, "before").await.expect("get"),
            Some(kind.as_str().as_bytes().to_vec()),
            "{kind:?}"
        );
    }
    assert_eq!(
        store.take(Kind::Code, "code-1").await.expect("take"),
        Some(b"one-time".to_vec())
    );
    assert_eq!(store.take(Kind::Code, "code-1").await.expect("take"), None);
    assert_eq!(
        store
            .incr(Kind::RateLimit, "ip", 1, Duration::from_secs(60))
            .await
            .expect("incr"),
        4
    );
    store
        .put(Kind::Client, "after", b"new".to_vec(), None)
        .await
        .expect("put after the restart");
    assert_eq!(store.count(Kind::Client).await.expect("count"), 22);
}

/// The cluster over TLS on every link (ElastiCache's in-transit encryption), the CA the one
/// made here: the contract holds.
#[tokio::test]
async fn cluster_over_tls_keeps_the_contract() {
    let ca = TestCa::new("cluster test CA");
    let cluster = RedisCluster::start_tls(&ca);
    assert!(cluster.url().starts_with("rediss://"));
    let options = RedisOptions::default().cluster(true).ca_file(ca.file());
    let store = RedisStore::connect_with(&cluster.url(), "test", &options)
        .await
        .expect("connect over TLS");
    contract::run(&store, &RedisTime(&store)).await;
    contract::take_is_atomic(Arc::new(
        RedisStore::connect_with(&cluster.url(), "test", &options)
            .await
            .expect("connect"),
    ))
    .await;
}

/// No node of the cluster answers at start: a clear error naming the nodes, not the password.
#[tokio::test]
async fn cluster_unreachable_at_start_is_a_clear_error() {
    const PASSWORD: &str = "hunter2-cluster-password";
    let free = [
        cognito_mcp_testkit::redis::free_port(),
        cognito_mcp_testkit::redis::free_port(),
    ];
    let url = format!(
        "redis://:{PASSWORD}@127.0.0.1:{},redis://:{PASSWORD}@127.0.0.1:{}",
        free[0], free[1]
    );
    let msg = RedisStore::connect_with(&url, "test", &RedisOptions::default().cluster(true))
        .await
        .expect_err("nobody listens")
        .to_string();
    assert!(!msg.contains(PASSWORD), "{msg}");
    assert!(
        msg.contains(&format!(
            "redis cluster at 127.0.0.1:{},127.0.0.1:{} is unreachable: no node of the URL \
             answered",
            free[0], free[1]
        )) && msg.contains("check the Redis URL"),
        "{msg}"
    );
}

#[tokio::test]
async fn spaced_slots_work_in_a_cluster() {
    let cluster = RedisCluster::start();
    let (a, b) = (connect(&cluster).await, connect(&cluster).await);
    super::tests::slots_keep_their_spacing(&a, &b).await;
}
