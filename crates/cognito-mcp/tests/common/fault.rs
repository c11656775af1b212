//! A fault proxy on loopback: forwards every request to an upstream as it is, except that the
//! requests whose path starts with a chosen prefix can be answered with an error status or left
//! hanging, a set number of times. It counts the requests it saw under that prefix.
//!
//! In front of Cognito (moto) it can also act as a quota: matching requests (by operation, from
//! `X-Amz-Target`) past a number per second are answered `TooManyRequestsException`, and every
//! matching request is logged with its time.
//!
//! With several upstreams it is a round-robin load balancer that keeps the `Host` header (the
//! instances behind it share one public URL), counting the prefixed requests each one got.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Response, StatusCode};

/// What the proxy does to the matching requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward them.
    None,
    /// Answer this status without forwarding.
    Status(u16),
    /// Never answer.
    Hang,
}

#[derive(Clone)]
pub struct FaultProxy {
    pub base: String,
    inner: Arc<Inner>,
}

struct Inner {
    upstreams: std::sync::Mutex<Vec<String>>,
    next: std::sync::atomic::AtomicUsize,
    served: std::sync::Mutex<Vec<u32>>,
    prefix: String,
    fault: std::sync::Mutex<(Fault, u32)>,
    seen: AtomicU32,
    http: reqwest::Client,
    /// Only requests to these Cognito operations (by `X-Amz-Target`) match, when set.
    targets: std::sync::Mutex<Option<Vec<String>>>,
    /// Requests per second the matching requests may reach before being throttled (0: no
    /// quota), like Cognito's quota per operation category.
    quota: std::sync::Mutex<f64>,
    /// When the recently accepted matching requests arrived, for the quota.
    accepted: std::sync::Mutex<std::collections::VecDeque<std::time::Instant>>,
    /// Every matching request: when it arrived, its operation, whether it was throttled.
    log: std::sync::Mutex<Vec<(std::time::Instant, String, bool)>>,
}

/// A Cognito request's operation: `X-Amz-Target: AWSCognitoIdentityProviderService.AdminCreateUser`.
fn operation(headers: &HeaderMap) -> String {
    headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.rsplit('.').next())
        .unwrap_or_default()
        .to_owned()
}

impl FaultProxy {
    /// A proxy to `upstream` (`http://127.0.0.1:PORT`) whose faults apply under `prefix`.
    pub async fn start(upstream: &str, prefix: &str) -> Self {
        let inner = Arc::new(Inner {
            upstreams: std::sync::Mutex::new(vec![upstream.trim_end_matches('/').to_owned()]),
            next: std::sync::atomic::AtomicUsize::new(0),
            served: std::sync::Mutex::new(vec![0]),
            prefix: prefix.to_owned(),
            fault: std::sync::Mutex::new((Fault::None, 0)),
            seen: AtomicU32::new(0),
            targets: std::sync::Mutex::new(None),
            quota: std::sync::Mutex::new(0.0),
            accepted: std::sync::Mutex::new(std::collections::VecDeque::new()),
            log: std::sync::Mutex::new(Vec::new()),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
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

    /// Applies `fault` to the next `times` matching requests (`u32::MAX`: until changed).
    pub fn set(&self, fault: Fault, times: u32) {
        *self.inner.fault.lock().expect("lock") = (fault, times);
    }

    /// Only requests to these Cognito operations match from now on.
    pub fn targets(&self, operations: &[&str]) {
        *self.inner.targets.lock().expect("lock") =
            Some(operations.iter().map(|o| (*o).to_owned()).collect());
    }

    /// Throttles matching requests past `per_second` in any one-second window, as Cognito
    /// does past a quota (0: no quota).
    pub fn quota(&self, per_second: f64) {
        *self.inner.quota.lock().expect("lock") = per_second;
    }

    /// Every matching request so far: arrival, operation, whether it was throttled.
    pub fn log(&self) -> Vec<(std::time::Instant, String, bool)> {
        self.inner.log.lock().expect("lock").clone()
    }

    /// How many matching requests arrived.
    pub fn seen(&self) -> u32 {
        self.inner.seen.load(Ordering::SeqCst)
    }

    /// Balances over `upstreams` in turn from now on.
    pub fn balance(&self, upstreams: &[&str]) {
        *self.inner.upstreams.lock().expect("lock") = upstreams
            .iter()
            .map(|u| u.trim_end_matches('/').to_owned())
            .collect();
        *self.inner.served.lock().expect("lock") = vec![0; upstreams.len()];
    }

    /// How many prefixed requests each upstream served.
    pub fn served(&self) -> Vec<u32> {
        self.inner.served.lock().expect("lock").clone()
    }
}

async fn forward(State(p): State<Arc<Inner>>, req: Request) -> Response<Body> {
    let path_q = req
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_default();
    let (upstream, index, balanced) = {
        let ups = p.upstreams.lock().expect("lock");
        let i = p.next.fetch_add(1, Ordering::SeqCst) % ups.len();
        (ups[i].clone(), i, ups.len() > 1)
    };
    let op = operation(req.headers());
    let matching = req.uri().path().starts_with(&p.prefix)
        && p.targets
            .lock()
            .expect("lock")
            .as_ref()
            .is_none_or(|t| t.contains(&op));
    if matching && let Some(n) = p.served.lock().expect("lock").get_mut(index) {
        *n += 1;
    }
    if matching {
        p.seen.fetch_add(1, Ordering::SeqCst);
        let throttled = {
            let quota = *p.quota.lock().expect("lock");
            let mut accepted = p.accepted.lock().expect("lock");
            let now = std::time::Instant::now();
            while accepted
                .front()
                .is_some_and(|t| now.duration_since(*t) >= std::time::Duration::from_secs(1))
            {
                accepted.pop_front();
            }
            let over = quota > 0.0 && accepted.len() as f64 >= quota;
            if !over {
                accepted.push_back(now);
            }
            over
        };
        p.log
            .lock()
            .expect("lock")
            .push((std::time::Instant::now(), op.clone(), throttled));
        if throttled {
            return throttle_response();
        }
        let fault = {
            let mut f = p.fault.lock().expect("lock");
            if f.1 > 0 && f.0 != Fault::None {
                if f.1 != u32::MAX {
                    f.1 -= 1;
                }
                f.0
            } else {
                Fault::None
            }
        };
        match fault {
            Fault::None => {}
            Fault::Status(code) => {
                return Response::builder()
                    .status(code)
                    .header("content-type", "text/html")
                    .body(Body::from("<html>injected fault</html>"))
                    .expect("response");
            }
            Fault::Hang => {
                std::future::pending::<()>().await;
            }
        }
    }
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let mut headers = HeaderMap::new();
    for (k, v) in &parts.headers {
        if (balanced || k != "host") && k != "content-length" {
            headers.insert(k.clone(), v.clone());
        }
    }
    let sent = p
        .http
        .request(parts.method, format!("{upstream}{path_q}"))
        .headers(headers)
        .body(body)
        .send()
        .await;
    match sent {
        Ok(r) => {
            let mut out = Response::builder().status(r.status());
            for (k, v) in r.headers() {
                if k != "transfer-encoding" && k != "content-length" {
                    out = out.header(k, v);
                }
            }
            out.body(Body::from(r.bytes().await.unwrap_or_default()))
                .expect("response")
        }
        Err(e) => Response::builder()
            .status(StatusCode::BAD_GATEWAY)
            .body(Body::from(e.to_string()))
            .expect("response"),
    }
}

/// Cognito's answer past a quota.
fn throttle_response() -> Response<Body> {
    Response::builder()
        .status(400)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amzn-errortype", "TooManyRequestsException:")
        .header("x-amzn-requestid", "throttled-by-the-fault-proxy")
        .body(Body::from(
            r#"{"__type":"TooManyRequestsException","message":"Rate exceeded"}"#,
        ))
        .expect("response")
}
