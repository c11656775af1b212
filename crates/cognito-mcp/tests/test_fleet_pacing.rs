//! One quota for the fleet: three instances of the real binary doing bulk work at once,
//! against moto behind a fault proxy that throttles AdminCreateUser past Cognito's quota the
//! way Cognito does (any one-second window). With `pacing.shared = "redis"` they take their
//! slots from one schedule in a real `redis-server` and are never throttled; each pacing on
//! its own, the same run is. The spacing is measured where it matters: at the proxy, from the
//! requests' arrival times.

mod common;

use std::time::{Duration, Instant};

use common::fault::FaultProxy;
use common::redis::RedisServer;
use common::{Pool, Server, moto, new_pool, serve};
use serde_json::{Value, json};

/// AdminCreateUser requests a second the proxy lets through: Cognito's quota in this test.
const QUOTA: f64 = 10.0;
/// The rate every instance is configured with: under the quota, with room for the jitter
/// between a slot and its request's arrival on a loaded machine.
const RATE: f64 = 6.0;
const INSTANCES: usize = 3;
const USERS_EACH: usize = 12;

fn users(prefix: &str) -> Vec<Value> {
    (0..USERS_EACH)
        .map(|i| {
            json!({
                "username": format!("{prefix}-{i:03}"),
                "email": format!("{prefix}-{i:03}@example.com"),
                "suppress_invitation": true,
            })
        })
        .collect()
}

/// `INSTANCES` servers behind the quota proxy, with `pacing` added to their config.
async fn fleet(pool: &Pool, proxy: &FaultProxy, pacing: &str, env: &[(&str, &str)]) -> Vec<Server> {
    let mut servers = Vec::new();
    for _ in 0..INSTANCES {
        let dir = tempfile::tempdir().expect("dir");
        let config = dir.path().join("cognito-mcp.toml");
        std::fs::write(
            &config,
            format!(
                "[pacing]\nuser_creation = {RATE}\n{pacing}\n[safety]\nbulk_confirm_threshold = 1000\n"
            ),
        )
        .expect("config");
        let mut all = vec![(
            "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
            proxy.base.as_str(),
        )];
        all.extend_from_slice(env);
        servers.push(serve(pool, &["--config", &config.display().to_string()], &all).await);
        // The config's directory may go: the server has read it.
        drop(dir);
    }
    servers
}

/// Every instance creates its own users at once; the reports, in order.
async fn create_together(servers: &[Server], prefix: &str) -> Vec<Value> {
    let [a, b, c] = servers else {
        panic!("a fleet of {INSTANCES}")
    };
    let (ra, rb, rc) = tokio::join!(
        a.ok(
            "create_users",
            json!({ "users": users(&format!("{prefix}a")) })
        ),
        b.ok(
            "create_users",
            json!({ "users": users(&format!("{prefix}b")) })
        ),
        c.ok(
            "create_users",
            json!({ "users": users(&format!("{prefix}c")) })
        ),
    );
    vec![ra, rb, rc]
}

/// The most requests the proxy saw in any one-second window.
fn busiest_second(log: &[(Instant, String, bool)]) -> usize {
    let times: Vec<Instant> = log.iter().map(|(t, _, _)| *t).collect();
    (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|t| t.duration_since(times[i]) < Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0)
}

fn quota_proxy(proxy: &FaultProxy) {
    proxy.targets(&["AdminCreateUser"]);
    proxy.quota(QUOTA);
}

#[tokio::test]
async fn instances_sharing_one_schedule_keep_to_one_quota_together() {
    let redis = RedisServer::start();
    let pool = new_pool().await;
    let proxy = FaultProxy::start(&moto().endpoint, "/").await;
    quota_proxy(&proxy);
    let url = redis.url();
    let servers = fleet(
        &pool,
        &proxy,
        "shared = \"redis\"",
        &[("COGNITO_MCP_REDIS_URL", url.as_str())],
    )
    .await;
    let reports = create_together(&servers, "shared").await;
    for r in &reports {
        assert_eq!(
            r["counts"]["done"].as_u64(),
            Some(USERS_EACH as u64),
            "{r:#}"
        );
        assert_eq!(r["throttled"], 0, "{r:#}");
    }
    let log = proxy.log();
    assert_eq!(
        log.len(),
        INSTANCES * USERS_EACH,
        "one request per user, no retries"
    );
    assert!(
        log.iter().all(|(_, _, throttled)| !throttled),
        "the proxy throttled {} requests",
        log.iter().filter(|(_, _, t)| *t).count()
    );
    // At most the quota in any second, where the three pacing alone send three times the
    // rate (the next test).
    let busiest = busiest_second(&log);
    assert!(
        busiest as f64 <= QUOTA,
        "{busiest} requests in one second from the fleet, configured for {RATE}"
    );
    // The schedule is in Redis, under the store's namespace and hash tag.
    let keys = redis.cli(&["--scan", "--pattern", "{cognito-mcp:slot}:*"]);
    assert!(keys.contains("pace:user_creation"), "{keys}");
}

#[tokio::test]
async fn instances_pacing_on_their_own_send_the_quota_several_times_over() {
    // The negative of the test above: the same fleet without the shared schedule sends
    // INSTANCES times the rate, past the quota.
    let pool = new_pool().await;
    let proxy = FaultProxy::start(&moto().endpoint, "/").await;
    quota_proxy(&proxy);
    let servers = fleet(&pool, &proxy, "", &[]).await;
    let reports = create_together(&servers, "alone").await;
    let throttled: u64 = reports
        .iter()
        .map(|r| r["throttled"].as_u64().unwrap_or(0))
        .sum();
    assert!(throttled > 0, "{reports:#?}");
    assert!(busiest_second(&proxy.log()) > QUOTA as usize);
}

#[tokio::test]
async fn an_unreachable_schedule_falls_back_to_pacing_alone_and_says_so() {
    let pool = new_pool().await;
    let proxy = FaultProxy::start(&moto().endpoint, "/").await;
    let nobody = format!("redis://127.0.0.1:{}", common::redis::free_port());
    let servers = fleet(
        &pool,
        &proxy,
        "shared = \"redis\"",
        &[("COGNITO_MCP_REDIS_URL", nobody.as_str())],
    )
    .await;
    let server = &servers[0];
    let report = server
        .ok("create_users", json!({ "users": users("fallback") }))
        .await;
    assert_eq!(
        report["counts"]["done"].as_u64(),
        Some(USERS_EACH as u64),
        "{report:#}"
    );
    let stderr = server.file("stderr.log");
    assert!(
        stderr.contains("the shared pacing schedule cannot be reached"),
        "{stderr}"
    );
    assert!(
        stderr.contains("127.0.0.1"),
        "the warning names where: {stderr}"
    );
}
