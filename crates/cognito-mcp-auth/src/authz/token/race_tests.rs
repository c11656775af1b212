//! Races between a grant and a revocation, forced deterministically: a store wrapper stops the
//! grant at one store call until the test has run the revocation, then lets it go on.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::response::IntoResponse as _;
use http::HeaderMap;
use tokio::sync::{mpsc, oneshot};

use crate::authz::model::{self, AuthRequest, Client, Code, Family, Refresh};
use crate::authz::upstream::{
    Identity, Upstream, UpstreamError, UpstreamFuture, UpstreamGrant, UpstreamRequest,
};
use crate::authz::{AuthorizationServer, crypto};
use crate::store::{Kind, MemoryStore, Store, StoreFuture};

const BASE: &str = "http://127.0.0.1:9";
const REDIRECT: &str = "http://127.0.0.1:9/cb";
const VERIFIER: &str = "verifier-verifier-verifier-verifier-verifier-0123";

/// The store call a [`Gate`] stops at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Put,
    Remove,
}

/// A [`MemoryStore`] that holds the first call of `at` until told to go on.
#[derive(Debug)]
struct Gate {
    inner: MemoryStore,
    at: (Op, Kind),
    reached: Mutex<Option<oneshot::Sender<()>>>,
    go: tokio::sync::Mutex<Option<oneshot::Receiver<()>>>,
}

/// Lets a stopped call go on.
struct Go(oneshot::Sender<()>);

impl Gate {
    fn new(op: Op, kind: Kind) -> (Arc<Self>, oneshot::Receiver<()>, Go) {
        let (reached_tx, reached_rx) = oneshot::channel();
        let (go_tx, go_rx) = oneshot::channel();
        let gate = Arc::new(Self {
            inner: MemoryStore::new(),
            at: (op, kind),
            reached: Mutex::new(Some(reached_tx)),
            go: tokio::sync::Mutex::new(Some(go_rx)),
        });
        (gate, reached_rx, Go(go_tx))
    }

    async fn stop_at(&self, op: Op, kind: Kind) {
        if (op, kind) != self.at {
            return;
        }
        let reached = self.reached.lock().expect("lock").take();
        if let Some(tx) = reached {
            let _ = tx.send(());
            let go = self.go.lock().await.take();
            if let Some(rx) = go {
                let _ = rx.await;
            }
        }
    }
}

impl Store for Gate {
    fn put<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.stop_at(Op::Put, kind).await;
            self.inner.put(kind, key, value, ttl).await
        })
    }
    fn put_new<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool> {
        self.inner.put_new(kind, key, value, ttl)
    }
    fn replace<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        expected: &'a [u8],
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool> {
        self.inner.replace(kind, key, expected, value, ttl)
    }
    fn get<'a>(&'a self, kind: Kind, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        self.inner.get(kind, key)
    }
    fn take<'a>(&'a self, kind: Kind, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        self.inner.take(kind, key)
    }
    fn remove<'a>(&'a self, kind: Kind, key: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            self.stop_at(Op::Remove, kind).await;
            self.inner.remove(kind, key).await
        })
    }
    fn incr<'a>(
        &'a self,
        kind: Kind,
        key: &'a str,
        by: u64,
        ttl: Duration,
    ) -> StoreFuture<'a, u64> {
        self.inner.incr(kind, key, by, ttl)
    }
    fn count(&self, kind: Kind) -> StoreFuture<'_, u64> {
        self.inner.count(kind)
    }
}

/// An upstream whose refresh rotates its token, and which reports every revocation.
#[derive(Debug)]
struct Rotating {
    revoked: mpsc::UnboundedSender<String>,
}

impl Upstream for Rotating {
    fn authorize_url<'a>(&'a self, _: &'a UpstreamRequest) -> UpstreamFuture<'a, String> {
        Box::pin(async { Err(UpstreamError::Unavailable("not in this test".into())) })
    }
    fn exchange<'a>(
        &'a self,
        _: &'a str,
        _: &'a UpstreamRequest,
    ) -> UpstreamFuture<'a, UpstreamGrant> {
        Box::pin(async { Err(UpstreamError::Unavailable("not in this test".into())) })
    }
    fn refresh<'a>(&'a self, _: &'a str) -> UpstreamFuture<'a, UpstreamGrant> {
        Box::pin(async {
            Ok(UpstreamGrant {
                identity: alice(),
                scopes: Vec::new(),
                refresh_token: Some("upstream-rt-2".into()),
                id_token: None,
            })
        })
    }
    fn revoke<'a>(&'a self, refresh_token: &'a str) -> UpstreamFuture<'a, ()> {
        let _ = self.revoked.send(refresh_token.to_owned());
        Box::pin(async { Ok(()) })
    }
}

fn alice() -> Identity {
    Identity::new("sub-alice", Some("alice".into()), vec!["Admins".into()])
}

/// A server over `store` with one public client `c1`; the channel reports upstream revocations.
async fn server(store: Arc<Gate>) -> (AuthorizationServer, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let s = AuthorizationServer::builder(
        BASE,
        format!("{BASE}/mcp"),
        store.clone(),
        Arc::new(Rotating { revoked: tx }),
    )
    .build()
    .await
    .expect("build");
    let client = Client {
        client_id: "c1".into(),
        secret_hash: None,
        client_name: None,
        redirect_uris: vec![REDIRECT.into()],
        auth_method: "none".into(),
        scopes: vec!["mcp/read".into()],
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        issued_at: 0,
        metadata_document: false,
        last_used: None,
    };
    store
        .put(Kind::Client, "c1", model::encode(&client), None)
        .await
        .expect("put");
    (s, rx)
}

async fn post_token(s: &AuthorizationServer, form: &str) -> (u16, serde_json::Value) {
    let resp = match super::token(
        State(s.clone()),
        HeaderMap::new(),
        axum::body::Bytes::from(form.to_owned()),
    )
    .await
    {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    let status = resp.status().as_u16();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .expect("body");
    (status, serde_json::from_slice(&body).expect("json"))
}

/// Waits until `grant` stops at the gate; fails if it finished without getting there.
async fn stopped(
    reached: oneshot::Receiver<()>,
    grant: &mut tokio::task::JoinHandle<(u16, serde_json::Value)>,
) {
    tokio::select! {
        r = reached => r.expect("the gate is alive"),
        done = grant => panic!("the grant finished without reaching the gate: {done:?}"),
    }
}

/// Every upstream token revoked, waited for (the revocations run in the background).
async fn upstream_revoked(rx: &mut mpsc::UnboundedReceiver<String>, want: &[&str]) {
    let mut seen: Vec<String> = Vec::new();
    while !want.iter().all(|w| seen.iter().any(|s| s == w)) {
        let next = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .unwrap_or_else(|_| panic!("upstream revocations {want:?} expected, saw {seen:?}"));
        seen.push(next.expect("channel open"));
    }
}

#[tokio::test]
async fn revoke_during_refresh_is_not_undone() {
    // The refresh stops after it consumed its token (at its spent-token record), before it
    // writes the rotated family.
    let (store, reached, go) = Gate::new(Op::Put, Kind::SpentRefresh);
    let (s, mut revoked) = server(store.clone()).await;
    let family = Family {
        client_id: "c1".into(),
        resource: format!("{BASE}/mcp"),
        consented: vec!["mcp/read".into()],
        identity: alice(),
        upstream_refresh: Some("upstream-rt-1".into()),
        upstream_id: None,
        refresh: "rt-1".into(),
        expires_at: s.now() + 3600,
    };
    let ttl = Some(Duration::from_secs(3600));
    store
        .put(Kind::Family, "fam-1", model::encode(&family), ttl)
        .await
        .expect("put");
    let r = Refresh {
        family: "fam-1".into(),
        client_id: "c1".into(),
    };
    store
        .put(Kind::Refresh, "rt-1", model::encode(&r), ttl)
        .await
        .expect("put");

    let mut refreshing = tokio::spawn({
        let s = s.clone();
        async move {
            post_token(
                &s,
                "grant_type=refresh_token&refresh_token=rt-1&client_id=c1",
            )
            .await
        }
    });
    stopped(reached, &mut refreshing).await;
    s.revoke_family("fam-1").await.expect("revoke");
    let _ = go.0.send(());
    let (status, body) = refreshing.await.expect("join");

    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "the refresh is refused: {body}"
    );
    assert_eq!(
        store.get(Kind::Family, "fam-1").await.expect("get"),
        Some(model::REVOKED_FAMILY.to_vec()),
        "the family stays revoked"
    );
    assert_eq!(
        store.count(Kind::Refresh).await.expect("count"),
        0,
        "no refresh token of the family is left"
    );
    // Both the upstream token the family held and the one its refresh just got are revoked.
    upstream_revoked(&mut revoked, &["upstream-rt-1", "upstream-rt-2"]).await;
}

#[tokio::test]
async fn code_replayed_during_its_exchange_issues_nothing() {
    // The first exchange stops after it spent the code (removing the code's record), before it
    // creates the family.
    let (store, reached, go) = Gate::new(Op::Remove, Kind::Code);
    let (s, mut revoked) = server(store.clone()).await;
    let code = Code {
        request: AuthRequest {
            client_id: "c1".into(),
            redirect_uri: REDIRECT.into(),
            code_challenge: crypto::pkce_challenge(VERIFIER),
            state: None,
            scopes: vec!["mcp/read".into()],
            resource: format!("{BASE}/mcp"),
        },
        identity: alice(),
        scopes: vec!["mcp/read".into()],
        upstream_refresh: Some("upstream-rt-1".into()),
        upstream_id: None,
        expires_at: s.now() + 300,
    };
    store
        .put(
            Kind::Code,
            "code-1",
            model::encode(&code),
            Some(Duration::from_secs(300)),
        )
        .await
        .expect("put");
    let form = format!(
        "grant_type=authorization_code&code=code-1&code_verifier={VERIFIER}&client_id=c1&redirect_uri={}",
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
    );

    let mut first = tokio::spawn({
        let (s, form) = (s.clone(), form.clone());
        async move { post_token(&s, &form).await }
    });
    stopped(reached, &mut first).await;
    let (status, body) = post_token(&s, &form).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("revoked")),
        "the replay says it revoked: {body}"
    );
    let _ = go.0.send(());
    let (status, body) = first.await.expect("join");

    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "the first exchange issues nothing once the code was replayed: {body}"
    );
    assert!(body.get("access_token").is_none());
    assert_eq!(store.count(Kind::Refresh).await.expect("count"), 0);
    assert_eq!(
        store.count(Kind::Family).await.expect("count"),
        1,
        "only the tombstone"
    );
    upstream_revoked(&mut revoked, &["upstream-rt-1"]).await;
}
