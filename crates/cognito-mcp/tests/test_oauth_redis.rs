//! Proxy mode with its state in Redis (`auth.store = "redis"`): two instances behind one public
//! URL share registrations, codes, refresh tokens and the signing key, on one Redis server and
//! on a three-master Redis Cluster over TLS; a round-robin balancer sends every other request of
//! one client's sign-in and MCP session to the other instance; a revocation at one is refused at
//! the other; a Redis outage (a server, or the cluster node of the registrations) is a 503 that
//! heals by itself; registrations survive a restart with the append-only file; a TLS Redis whose
//! certificate the configured CA did not sign stops the server at start.

mod common;

use base64::Engine as _;
use common::drivers::{run, script, step};
use common::fault::FaultProxy;
use common::login::{password_client, serve_login, submit, user};
use common::proxy::*;
use common::redis::RedisServer;
use common::redis::cluster::RedisCluster;
use common::redis::tls::TestCa;
use common::{HttpServer, new_pool, node_bin, rpc};
use serde_json::json;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A fresh `COGNITO_MCP_STATE_KEY`.
fn state_key() -> String {
    let mut key = [0u8; 32];
    aws_lc_rs::rand::fill(&mut key).expect("random");
    base64::engine::general_purpose::STANDARD.encode(key)
}

#[tokio::test]
async fn two_instances_share_state_in_redis() {
    let redis = RedisServer::start();
    share_state(&redis.url(), "", &[]).await;
}

/// The production shape of ElastiCache or MemoryDB in cluster mode with in-transit encryption:
/// every node TLS, the CA named by `COGNITO_MCP_REDIS_CA_FILE`.
#[tokio::test]
async fn two_instances_share_state_in_a_redis_cluster_over_tls() {
    let ca = TestCa::new("redis cluster CA");
    let cluster = RedisCluster::start_tls(&ca);
    let ca_file = ca.file();
    share_state(
        &cluster.url(),
        "redis_cluster = true",
        &[(
            "COGNITO_MCP_REDIS_CA_FILE",
            ca_file.to_str().expect("utf-8"),
        )],
    )
    .await;
}

/// Two instances on the Redis of `url` (with `extra_auth` lines in `[auth]` and `extra_env`):
/// a sign-in at one, its code redeemed at the other, each one's tokens honoured by the other,
/// and a code replayed at one revoking what the other issued.
async fn share_state(url: &str, extra_auth: &str, extra_env: &[(&str, &str)]) {
    let pool = new_pool().await;
    let upstream = StandIn::start("alice", &["Admins"]).await;
    let dir = tempfile::tempdir().expect("dir");
    let cfg = config(dir.path(), &format!("store = \"redis\"\n{extra_auth}"), "");
    let key = state_key();
    // Both instances answer for one public URL, as behind a load balancer.
    let public = format!("http://127.0.0.1:{}", free_port());
    let bind_a = public.trim_start_matches("http://").to_owned();
    let mut shared = vec![
        ("COGNITO_MCP_REDIS_URL", url),
        ("COGNITO_MCP_STATE_KEY", key.as_str()),
        ("COGNITO_MCP_PUBLIC_URL", public.as_str()),
    ];
    shared.extend_from_slice(extra_env);
    let mut env_a = shared.clone();
    env_a.push(("COGNITO_MCP_BIND", &bind_a));
    let a = serve_proxy(&pool, &upstream, &cfg, &dir.path().join("a"), &env_a).await;
    let b = serve_proxy(&pool, &upstream, &cfg, &dir.path().join("b"), &shared).await;
    assert_eq!(a.base, public);
    assert_ne!(a.base, b.base);

    // Registered and signed in at A; the code is redeemed at B.
    let id = public_client(&a.base, "mcp/read").await;
    let (verifier, challenge) = pkce();
    let code = sign_in(&mut Browser::new(), &a.base, &id, &challenge, "mcp/read")
        .await
        .query()["code"]
        .clone();
    let t = token(&b.base, &code_form(&code, &verifier, &id), None).await;
    assert_eq!(t.status, 200, "B redeems A's code: {}", t.text);
    let t = t.json();

    // B's access token works at A: one signing key.
    let access = t["access_token"].as_str().expect("at");
    let r = rpc(
        &a.base,
        Some(access),
        "tools/call",
        json!({"name": "whoami", "arguments": {}}),
        &[],
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    // B's refresh token rotates at A.
    let r = token(
        &a.base,
        &refresh_form(t["refresh_token"].as_str().expect("rt"), &id),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);

    // The code was one-time for both, and replayed at A it revokes what B issued from it.
    let again = token(&a.base, &code_form(&code, &verifier, &id), None).await;
    assert_eq!(again.status, 400, "{}", again.text);
    let rotated = r.json();
    let refused = rpc(
        &b.base,
        rotated["access_token"].as_str(),
        "tools/call",
        json!({"name": "whoami", "arguments": {}}),
        &[],
    )
    .await;
    assert_eq!(refused.status, 401, "{:?}", refused.body);
}

#[tokio::test]
async fn redis_outage_is_503_then_heals_and_registrations_survive() {
    let pool = new_pool().await;
    let upstream = StandIn::start("alice", &["Admins"]).await;
    let mut redis = RedisServer::start_persistent();
    let dir = tempfile::tempdir().expect("dir");
    let cfg = config(dir.path(), "store = \"redis\"", "");
    let (url, key) = (redis.url(), state_key());
    let env = [
        ("COGNITO_MCP_REDIS_URL", url.as_str()),
        ("COGNITO_MCP_STATE_KEY", key.as_str()),
    ];
    let server = serve_proxy(&pool, &upstream, &cfg, &dir.path().join("state"), &env).await;
    let id = public_client(&server.base, "mcp/read").await;
    // A token in hand before the outage.
    let (verifier, challenge) = pkce();
    let code = sign_in(
        &mut Browser::new(),
        &server.base,
        &id,
        &challenge,
        "mcp/read",
    )
    .await
    .query()["code"]
        .clone();
    let t = token(&server.base, &code_form(&code, &verifier, &id), None).await;
    assert_eq!(t.status, 200, "{}", t.text);
    let access = t.json()["access_token"].as_str().expect("at").to_owned();
    let whoami = || {
        rpc(
            &server.base,
            Some(&access),
            "tools/call",
            json!({"name": "whoami", "arguments": {}}),
            &[],
        )
    };
    assert_eq!(whoami().await.status, 200);

    redis.stop();
    // Whether the token was revoked cannot be told: refused, but as a 503 to retry, not a 401
    // that would send the client back to sign in (it used to say "the token was revoked").
    let r = whoami().await;
    assert_eq!(r.status, 503, "{:?}", r.body);
    assert_eq!(r.retry_after, "2");
    assert_eq!(r.www_authenticate, "", "no new sign-in asked for");
    assert_eq!(r.body["error"], "temporarily_unavailable", "{:?}", r.body);
    let started = std::time::Instant::now();
    let got = register(
        &server.base,
        json!({"client_name": "public-test-client", "redirect_uris": [REDIRECT]}),
    )
    .await;
    assert_eq!(got.status, 503, "{}", got.text);
    assert_eq!(
        got.json()["error"],
        "temporarily_unavailable",
        "{}",
        got.text
    );
    assert!(got.headers.contains_key("retry-after"));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "an outage answers quickly, took {:?}",
        started.elapsed()
    );
    let log = std::fs::read_to_string(server.dir.path().join("stderr.log")).unwrap_or_default();
    assert!(
        log.contains(&format!("redis at 127.0.0.1:{} is unreachable", redis.port)),
        "the log names the address: {log}"
    );

    // Back without a restart of the server; the registration from before is still there, and
    // the same token works again.
    redis.restart();
    let r = whoami().await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let got = register(
        &server.base,
        json!({"client_name": "public-test-client", "redirect_uris": [REDIRECT]}),
    )
    .await;
    assert_eq!(got.status, 201, "{}", got.text);
    let (_, challenge) = pkce();
    let page = Browser::new()
        .get(&authorize_url(
            &server.base,
            &id,
            &challenge,
            "mcp/read",
            &[],
        ))
        .await;
    assert_eq!(page.status, 200, "the client is known: {}", page.text);
}

/// Mid-flow, the cluster node that holds the registrations is killed: registering is a 503
/// that names the cluster; restarted (its append-only file fsynced before every answer), the
/// node is back with the client registered before, and the same server, not restarted,
/// registers and serves that client again.
#[tokio::test]
async fn cluster_node_restart_is_503_then_heals_and_registrations_survive() {
    let pool = new_pool().await;
    let upstream = StandIn::start("alice", &["Admins"]).await;
    let mut cluster = RedisCluster::start_persistent();
    let dir = tempfile::tempdir().expect("dir");
    let cfg = config(dir.path(), "store = \"redis\"\nredis_cluster = true", "");
    let (url, key) = (cluster.url(), state_key());
    let env = [
        ("COGNITO_MCP_REDIS_URL", url.as_str()),
        ("COGNITO_MCP_STATE_KEY", key.as_str()),
    ];
    let server = serve_proxy(&pool, &upstream, &cfg, &dir.path().join("state"), &env).await;
    let id = public_client(&server.base, "mcp/read").await;

    // Registrations live under the hash tag of their kind, in the default namespace.
    let down = cluster.node_of("{cognito-mcp:client}");
    cluster.stop(down);
    let got = register(
        &server.base,
        json!({"client_name": "public-test-client", "redirect_uris": [REDIRECT]}),
    )
    .await;
    assert_eq!(got.status, 503, "{}", got.text);
    assert_eq!(
        got.json()["error"],
        "temporarily_unavailable",
        "{}",
        got.text
    );
    let log = std::fs::read_to_string(server.dir.path().join("stderr.log")).unwrap_or_default();
    assert!(
        log.contains("redis cluster at 127.0.0.1:") && log.contains("is unreachable"),
        "the log names the cluster: {log}"
    );

    cluster.restart(down);
    let got = register(
        &server.base,
        json!({"client_name": "public-test-client", "redirect_uris": [REDIRECT]}),
    )
    .await;
    assert_eq!(got.status, 201, "{}", got.text);
    let (verifier, challenge) = pkce();
    let code = sign_in(
        &mut Browser::new(),
        &server.base,
        &id,
        &challenge,
        "mcp/read",
    )
    .await
    .query()["code"]
        .clone();
    let t = token(&server.base, &code_form(&code, &verifier, &id), None).await;
    assert_eq!(t.status, 200, "the client from before signs in: {}", t.text);
}

/// A TLS Redis whose certificate another CA signed: `serve` refuses to start, and says why.
#[tokio::test]
async fn serve_refuses_a_tls_redis_whose_certificate_another_ca_signed() {
    let pool = new_pool().await;
    let ours = TestCa::new("our CA");
    let theirs = TestCa::new("another CA");
    let redis = RedisServer::start_tls(&theirs, &["--appendonly", "no"]);
    let dir = tempfile::tempdir().expect("dir");
    let cfg = config(dir.path(), "store = \"redis\"", "");
    let ca_file = ours.file();
    let mut cmd = tokio::process::Command::new(common::bin());
    cmd.args(["serve", "--transport", "http", "--bind", "127.0.0.1:0"])
        .env_clear()
        .envs(common::base_env())
        .env("COGNITO_USER_POOL_ID", &pool.id)
        .env("COGNITO_CLIENT_ID", &pool.client_id)
        .env("COGNITO_CLIENT_SECRET", UPSTREAM_SECRET)
        .env("COGNITO_MCP_CONFIG", &cfg)
        .env("COGNITO_MCP_STATE_DIR", dir.path().join("state"))
        .env("COGNITO_MCP_REDIS_URL", redis.url())
        .env("COGNITO_MCP_REDIS_CA_FILE", &ca_file)
        .env("COGNITO_MCP_STATE_KEY", state_key())
        .env("COGNITO_MCP_AUTH_UPSTREAM", "login")
        .kill_on_drop(true);
    // A bound on a hang, not a measurement: the refusal comes at once.
    let out = tokio::time::timeout(std::time::Duration::from_secs(120), cmd.output())
        .await
        .expect("serve exits")
        .expect("run cognito-mcp");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("cannot open the Redis state store")
            && stderr.contains(&format!(
                "redis at 127.0.0.1:{} presented a TLS certificate that was refused",
                redis.port
            ))
            && stderr.contains(&format!("not signed by the CA in {}", ca_file.display())),
        "{stderr}"
    );
}

/// Two instances on one Redis behind a round-robin balancer at their shared public URL; the
/// balancer counts the requests under `prefix` each instance served.
struct Pair {
    lb: FaultProxy,
    _a: HttpServer,
    _b: HttpServer,
    _redis: RedisServer,
    _dir: tempfile::TempDir,
}

async fn pair(
    prefix: &str,
    extra_auth: &str,
    start: impl AsyncFn(&std::path::Path, &[(&str, &str)]) -> HttpServer,
) -> Pair {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().expect("dir");
    let cfg = config(dir.path(), &format!("store = \"redis\"\n{extra_auth}"), "");
    let lb = FaultProxy::start("http://127.0.0.1:9", prefix).await;
    let (url, key) = (redis.url(), state_key());
    let env = [
        ("COGNITO_MCP_CONFIG", cfg.to_str().expect("utf-8")),
        ("COGNITO_MCP_REDIS_URL", url.as_str()),
        ("COGNITO_MCP_STATE_KEY", key.as_str()),
        ("COGNITO_MCP_PUBLIC_URL", lb.base.as_str()),
    ];
    let a = start(&dir.path().join("a"), &env).await;
    let b = start(&dir.path().join("b"), &env).await;
    lb.balance(&[&a.base, &b.base]);
    Pair {
        lb,
        _a: a,
        _b: b,
        _redis: redis,
        _dir: dir,
    }
}

#[tokio::test]
async fn one_client_session_alternates_between_two_instances() {
    let pool = new_pool().await;
    let upstream = StandIn::start("alice", &["Developers"]).await;
    let p = pair("/mcp", "", async |dir, env| {
        let cfg = std::path::PathBuf::from(env[0].1);
        serve_proxy(&pool, &upstream, &cfg, dir, &env[1..]).await
    })
    .await;
    // The TypeScript SDK registers, signs in, calls tools, refreshes and calls again; every
    // request goes to the other instance than the one before.
    let (code, lines, err) = run(
        &node_bin().join("node"),
        &[
            &script("ts_oauth_client.mjs"),
            &format!("{}/mcp", p.lb.base),
            "public-test-client",
            "list_users",
            "{}",
        ],
    )
    .await;
    assert_eq!(code, 0, "{lines:?}\n{err}");
    assert_eq!(step(&lines, "first")["whoami"]["username"], "alice");
    assert_eq!(step(&lines, "refreshed")["whoami"]["username"], "alice");
    assert!(step(&lines, "call").get("result").is_some(), "{lines:?}");
    let served = p.lb.served();
    assert!(
        served.iter().all(|n| *n >= 2),
        "both instances served MCP requests of the one session: {served:?}"
    );
}

#[tokio::test]
async fn refresh_on_b_then_revoke_on_a_and_b_refuses() {
    let pool = new_pool().await;
    let upstream = StandIn::start("alice", &["Admins"]).await;
    let p = pair("/", "", async |dir, env| {
        let cfg = std::path::PathBuf::from(env[0].1);
        serve_proxy(&pool, &upstream, &cfg, dir, &env[1..]).await
    })
    .await;
    let a = p._a.base.clone();
    let b = p._b.base.clone();
    let id = public_client(&a, "mcp/read").await;
    let (verifier, challenge) = pkce();
    let code = sign_in(&mut Browser::new(), &p.lb.base, &id, &challenge, "mcp/read")
        .await
        .query()["code"]
        .clone();
    let first = token(&a, &code_form(&code, &verifier, &id), None)
        .await
        .json();
    let refreshed = token(
        &b,
        &refresh_form(first["refresh_token"].as_str().expect("rt"), &id),
        None,
    )
    .await;
    assert_eq!(refreshed.status, 200, "refresh on B: {}", refreshed.text);
    let refreshed = refreshed.json();
    let access = refreshed["access_token"].as_str().expect("at");
    let ok = rpc(
        &p.lb.base,
        Some(access),
        "tools/call",
        json!({"name": "whoami", "arguments": {}}),
        &[],
    )
    .await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    // Revoked at A (the refresh token: its whole family, access tokens included)...
    let revoked = revoke(&a, refreshed["refresh_token"].as_str().expect("rt"), &id).await;
    assert_eq!(revoked, 200);
    // ...refused at B, and everywhere: both instances in turn through the balancer.
    for _ in 0..2 {
        let r = rpc(
            &p.lb.base,
            Some(access),
            "tools/call",
            json!({"name": "whoami", "arguments": {}}),
            &[],
        )
        .await;
        assert_eq!(r.status, 401, "{:?}", r.body);
    }
    let again = token(
        &b,
        &refresh_form(refreshed["refresh_token"].as_str().expect("rt"), &id),
        None,
    )
    .await;
    assert_eq!(
        again.status, 400,
        "B refuses the revoked refresh token: {}",
        again.text
    );
}

#[tokio::test]
async fn sign_in_page_steps_alternate_between_two_instances() {
    let pool = new_pool().await;
    let client = password_client(&pool, true).await;
    user(&pool, "nina", &["ReadOnly"], true).await;
    let p = pair("/", "upstream = \"login\"", async |dir, env| {
        let cfg = std::path::PathBuf::from(env[0].1);
        serve_login(&pool, &client, &cfg, dir, &env[1..]).await
    })
    .await;
    let base = p.lb.base.clone();
    let id = public_client(&base, "openid mcp/read").await;
    let (verifier, challenge) = pkce();
    let mut b = Browser::new();
    // authorize, consent, the page, the password, the new password, the callback, the token:
    // each request reaches the other instance than the one before.
    let page =
        common::login::to_login_page(&mut b, &base, &id, &challenge, "openid mcp/read").await;
    let page = submit(
        &mut b,
        &base,
        &page,
        "/login",
        &[("username", "nina"), ("password", common::login::TEMPORARY)],
    )
    .await;
    assert!(page.text.contains("Choose a new password"), "{}", page.text);
    let done = submit(
        &mut b,
        &base,
        &page,
        "/login/challenge",
        &[
            ("new_password", "New-Password-123"),
            ("confirm_password", "New-Password-123"),
        ],
    )
    .await;
    let done = b.follow(done).await;
    let code = done.query()["code"].clone();
    let t = token(&base, &code_form(&code, &verifier, &id), None).await;
    assert_eq!(t.status, 200, "{}", t.text);
    let served = p.lb.served();
    assert!(served.iter().all(|n| *n >= 4), "{served:?}");
}
