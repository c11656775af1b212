//! Proxy mode, rule by rule: the authorization server in front of the Cognito hosted-UI
//! stand-in, driven by a headless browser over real sockets. One named test per rule; the
//! negative ones end in `_fails`.

mod common;

use common::proxy::*;
use common::{new_pool, rpc};
use serde_json::{Value, json};

struct Setup {
    _upstream: StandIn,
    server: common::HttpServer,
    _state: tempfile::TempDir,
    base: String,
}

async fn setup_with(groups: &[&str], extra_auth: &str, extra_dcr: &str) -> Setup {
    let pool = new_pool().await;
    let upstream = StandIn::start("alice", groups).await;
    let state = tempfile::tempdir().expect("state dir");
    let cfg = config(state.path(), extra_auth, extra_dcr);
    let server = serve_proxy(&pool, &upstream, &cfg, &state.path().join("state"), &[]).await;
    let base = server.base.clone();
    Setup {
        _upstream: upstream,
        server,
        _state: state,
        base,
    }
}

async fn setup() -> Setup {
    setup_with(&["Admins"], "", "").await
}

fn whoami(r: &common::Reply) -> Value {
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["result"]["structuredContent"].clone()
}

#[tokio::test]
async fn sign_in_refresh_and_call_through_the_proxy() {
    let s = setup().await;
    let (id, t) = public_tokens(&s.base, "openid email mcp/read mcp/admin").await;
    let access = t["access_token"].as_str().expect("access");
    let c = claims(access);
    assert_eq!(c["iss"], json!(s.base));
    assert_eq!(c["aud"], json!([format!("{}/mcp", s.base)]));
    assert_eq!(c["client_id"], json!(id));
    assert_eq!(c["username"], json!("alice"));
    assert_eq!(t["scope"], json!("openid email mcp/read mcp/admin"));
    let who = whoami(
        &rpc(
            &s.base,
            Some(access),
            "tools/call",
            json!({"name": "whoami", "arguments": {}}),
            &[],
        )
        .await,
    );
    assert_eq!(who["username"], json!("alice"), "{who}");

    let r = token(
        &s.base,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().expect("rt")),
            ("client_id", &id),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let t2 = r.json();
    assert_ne!(
        t2["refresh_token"], t["refresh_token"],
        "refresh tokens rotate"
    );
    let access2 = t2["access_token"].as_str().expect("access");
    let who = whoami(
        &rpc(
            &s.base,
            Some(access2),
            "tools/call",
            json!({"name": "whoami", "arguments": {}}),
            &[],
        )
        .await,
    );
    assert_eq!(who["username"], json!("alice"));
    drop(s.server);
}
