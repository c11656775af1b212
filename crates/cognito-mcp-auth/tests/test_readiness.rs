//! `CognitoAuth::readiness` in proxy mode on Redis: ready while Redis answers, not ready
//! (`store_unreachable`) while it is down, ready again once it is back. A load balancer that
//! kept routing to an instance whose store is gone would fail every sign-in there.

mod common;

use cognito_mcp_auth::CheckState;
use cognito_mcp_testkit::redis::RedisServer;
use common::*;

#[tokio::test]
async fn a_server_whose_store_is_down_reported_ready_fails() {
    let pool = new_pool().await;
    let upstream = StandIn::start("alice", &["Admins"]).await;
    let mut redis = RedisServer::start();
    let server = serve_proxy_env(
        &pool,
        &upstream,
        "store = \"redis\"",
        "",
        &[
            ("COGNITO_MCP_REDIS_URL", redis.url().as_str()),
            // Any 32 bytes, base64: one key for every instance on this Redis.
            (
                "COGNITO_MCP_STATE_KEY",
                "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            ),
        ],
    )
    .await;
    let r = server.auth.readiness().await;
    assert!(r.is_ready(), "{r:?}");
    assert_eq!(r.store, Some(CheckState::Ok));

    redis.stop();
    let r = server.auth.readiness().await;
    assert!(!r.is_ready(), "{r:?}");
    assert_eq!(r.store, Some(CheckState::StoreUnreachable));
    let public = serde_json::to_string(&r).expect("json");
    assert!(
        !public.contains("127.0.0.1"),
        "the probe names no address: {public}"
    );

    redis.restart();
    let mut back = server.auth.readiness().await;
    for _ in 0..100 {
        if back.is_ready() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        back = server.auth.readiness().await;
    }
    assert!(back.is_ready(), "ready again once Redis is back: {back:?}");
}
