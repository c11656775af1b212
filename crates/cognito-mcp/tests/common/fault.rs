//! A fault proxy on loopback: forwards every request to an upstream as it is, except that the
//! requests whose path starts with a chosen prefix can be answered with an error status or left
//! hanging, a set number of times. It counts the requests it saw under that prefix.

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
    upstream: String,
    prefix: String,
    fault: std::sync::Mutex<(Fault, u32)>,
    seen: AtomicU32,
    http: reqwest::Client,
}

impl FaultProxy {
    /// A proxy to `upstream` (`http://127.0.0.1:PORT`) whose faults apply under `prefix`.
    pub async fn start(upstream: &str, prefix: &str) -> Self {
        let inner = Arc::new(Inner {
            upstream: upstream.trim_end_matches('/').to_owned(),
            prefix: prefix.to_owned(),
            fault: std::sync::Mutex::new((Fault::None, 0)),
            seen: AtomicU32::new(0),
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

    /// How many matching requests arrived.
    pub fn seen(&self) -> u32 {
        self.inner.seen.load(Ordering::SeqCst)
    }
}

async fn forward(State(p): State<Arc<Inner>>, req: Request) -> Response<Body> {
    let path_q = req
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_default();
    if req.uri().path().starts_with(&p.prefix) {
        p.seen.fetch_add(1, Ordering::SeqCst);
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
