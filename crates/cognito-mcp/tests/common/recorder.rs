//! A recording proxy in front of Cognito (moto): forwards every request, and records each
//! Cognito call's operation (`X-Amz-Target`) and JSON body, so a test can count the calls
//! that reached Cognito and read what was sent.
//!
//! It can also hold chosen operations for a while before forwarding them (so parallel
//! requests are all in flight at once), and add challenge parameters to the answers of
//! chosen operations, for what Cognito sends and moto does not (`requiredAttributes` on
//! `NEW_PASSWORD_REQUIRED`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Response, StatusCode};
use serde_json::Value;

/// One Cognito call the proxy saw.
#[derive(Debug, Clone)]
pub struct Call {
    pub operation: String,
    pub body: Value,
    /// When it arrived here.
    pub at: std::time::Instant,
    /// The access key id it was signed with (`Credential=AKID/...` of its SigV4
    /// `Authorization`), if signed.
    pub access_key: Option<String>,
}

#[derive(Default)]
struct Inner {
    upstream: String,
    calls: Mutex<Vec<Call>>,
    hold: Mutex<HashMap<String, Duration>>,
    /// Operations held until [`Recorder::release`].
    gates: Mutex<HashMap<String, Arc<tokio::sync::Semaphore>>>,
    add_params: Mutex<HashMap<String, (String, String)>>,
    http: reqwest::Client,
}

#[derive(Clone)]
pub struct Recorder {
    pub base: String,
    inner: Arc<Inner>,
}

impl Recorder {
    /// A proxy to `upstream` (`http://127.0.0.1:PORT`).
    pub async fn start(upstream: &str) -> Self {
        let inner = Arc::new(Inner {
            upstream: upstream.trim_end_matches('/').to_owned(),
            ..Inner::default()
        });
        let app = Router::new().fallback(forward).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        Self {
            base: format!("http://{addr}"),
            inner,
        }
    }

    /// Every Cognito call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.inner.calls.lock().expect("lock").clone()
    }

    /// The calls to `operations` so far.
    pub fn calls_to(&self, operations: &[&str]) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| operations.contains(&c.operation.as_str()))
            .collect()
    }

    /// Holds every `operation` request for `d` before forwarding it.
    pub fn hold(&self, operation: &str, d: Duration) {
        self.inner
            .hold
            .lock()
            .expect("lock")
            .insert(operation.to_owned(), d);
    }

    /// Holds every `operation` request until [`Recorder::release`] (or forever).
    pub fn gate(&self, operation: &str) {
        self.inner.gates.lock().expect("lock").insert(
            operation.to_owned(),
            Arc::new(tokio::sync::Semaphore::new(0)),
        );
    }

    /// Lets the requests [`Recorder::gate`] holds go on.
    pub fn release(&self, operation: &str) {
        if let Some(g) = self.inner.gates.lock().expect("lock").get(operation) {
            g.add_permits(tokio::sync::Semaphore::MAX_PERMITS / 2);
        }
    }

    /// Adds `name = value` to the `ChallengeParameters` of every `operation` answer that has
    /// them.
    pub fn add_challenge_parameter(&self, operation: &str, name: &str, value: &str) {
        self.inner
            .add_params
            .lock()
            .expect("lock")
            .insert(operation.to_owned(), (name.to_owned(), value.to_owned()));
    }
}

fn operation(headers: &HeaderMap) -> String {
    headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.rsplit('.').next())
        .unwrap_or_default()
        .to_owned()
}

async fn forward(State(p): State<Arc<Inner>>, req: Request) -> Response<Body> {
    let path_q = req
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_default();
    let op = operation(req.headers());
    let access_key = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').next())
        .map(str::to_owned);
    let at = std::time::Instant::now();
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    if !op.is_empty() {
        p.calls.lock().expect("lock").push(Call {
            operation: op.clone(),
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            at,
            access_key,
        });
        let hold = p.hold.lock().expect("lock").get(&op).copied();
        if let Some(d) = hold {
            tokio::time::sleep(d).await;
        }
        let gate = p.gates.lock().expect("lock").get(&op).cloned();
        if let Some(g) = gate {
            let _permit = g.acquire().await.expect("gate open");
        }
    }
    let mut headers = HeaderMap::new();
    for (k, v) in &parts.headers {
        if k != "host" && k != "content-length" {
            headers.insert(k.clone(), v.clone());
        }
    }
    let sent = p
        .http
        .request(parts.method, format!("{}{path_q}", p.upstream))
        .headers(headers)
        .body(body)
        .send()
        .await;
    let r = match sent {
        Ok(r) => r,
        Err(e) => {
            return Response::builder()
                .status(StatusCode::BAD_GATEWAY)
                .body(Body::from(e.to_string()))
                .expect("response");
        }
    };
    let mut out = Response::builder().status(r.status());
    for (k, v) in r.headers() {
        if k != "transfer-encoding" && k != "content-length" {
            out = out.header(k, v);
        }
    }
    let mut bytes = r.bytes().await.unwrap_or_default().to_vec();
    let add = p.add_params.lock().expect("lock").get(&op).cloned();
    if let Some((name, value)) = add
        && let Ok(mut v) = serde_json::from_slice::<Value>(&bytes)
        && let Some(params) = v
            .get_mut("ChallengeParameters")
            .and_then(Value::as_object_mut)
    {
        params.insert(name, Value::String(value));
        bytes = serde_json::to_vec(&v).expect("json");
    }
    out.body(Body::from(bytes)).expect("response")
}
