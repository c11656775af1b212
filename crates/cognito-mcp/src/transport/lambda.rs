//! `serve --transport lambda`: the HTTP transport's router on AWS Lambda, behind an API Gateway
//! HTTP API or a Lambda Function URL (payload format 2.0), through `lambda_http`.
//!
//! The router is exactly the one `serve --transport http` builds ([`AppBase`]); only how
//! requests arrive differs. Each invocation's event becomes an HTTP request, the router answers
//! it, and the answer goes back to Lambda as the event's response.
//!
//! The public URL is `COGNITO_MCP_PUBLIC_URL` / `server.public_url` when set. Otherwise it is
//! learned from the first request that carries a usable request context: `https://` plus the
//! context's `domainName`, which the invoking AWS service (the Function URL or the HTTP API)
//! writes, not the client. The router is then built once for that URL.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::response::{IntoResponse as _, Response};
use http::StatusCode;
use lambda_http::request::RequestContext;
use lambda_http::{RequestExt as _, service_fn};
use tokio::sync::OnceCell;
use tower::Service as _;

use crate::config::Settings;
use crate::mcp::server::CognitoMcp;
use crate::transport::http::{App, AppBase};
use cognito_mcp_auth::config::StoreKind;

/// The variables the Lambda runtime sets for a function's process; `lambda_http` needs all four.
const RUNTIME_VARS: [&str; 4] = [
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];

/// The `errorType` of a failed start, in the init error posted to the Runtime API.
const INIT_ERROR_TYPE: &str = "CognitoMcp.StartFailed";

/// How long the start waits for the pool's key set before serving anyway (a failed fetch is
/// retried at the first token).
const WARM_UP_TIMEOUT: Duration = Duration::from_secs(3);

/// Whether the Lambda runtime started this process (`AWS_LAMBDA_RUNTIME_API` is set).
pub(crate) fn launched_by_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some_and(|v| !v.is_empty())
}

/// Serves Lambda invocations until the runtime stops the process.
pub(crate) async fn serve(settings: Settings, server: CognitoMcp) -> anyhow::Result<()> {
    let missing: Vec<&str> = RUNTIME_VARS
        .into_iter()
        .filter(|k| std::env::var_os(k).is_none_or(|v| v.is_empty()))
        .collect();
    if !missing.is_empty() {
        anyhow::bail!(
            "--transport lambda runs inside AWS Lambda (runtime provided.al2023, this binary as \
             `bootstrap`) or under a Lambda emulator such as `cargo lambda watch`; {} not set",
            missing.join(", ")
        );
    }
    check_store(&settings)?;
    let base = AppBase::new(settings, server)?;
    // The init phase is the time to fetch the key set: Lambda freezes the process between
    // invocations, so a fetch left running in the background could stall until the first one.
    if let Some(v) = base.verifier() {
        match tokio::time::timeout(WARM_UP_TIMEOUT, v.warm_up()).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "could not fetch the pool's key set yet"),
            Err(_) => tracing::warn!(
                "the pool's key set did not arrive in time; fetching it at the first token"
            ),
        }
    }
    let handler = Handler::new(base).await?;
    lambda_http::run(service_fn(move |req| {
        let handler = handler.clone();
        async move { Ok::<_, std::convert::Infallible>(handler.handle(req).await) }
    }))
    .await
    .map_err(|e| anyhow::anyhow!("the Lambda runtime failed: {e}"))
}

/// Tells Lambda why the start failed (`POST /runtime/init/error`), so the console, the
/// invocation's error and the logs name the reason rather than a bare exit status. Best effort:
/// a failure to report is logged, and the caller exits with the error either way.
pub(crate) async fn report_init_error(message: &str) {
    if let Err(e) = post_init_error(message).await {
        tracing::warn!(error = %e, "could not report the start failure to the Lambda Runtime API");
    }
}

async fn post_init_error(message: &str) -> Result<(), lambda_http::Error> {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API")?;
    let client = lambda_runtime_api_client::Client::builder()
        .with_endpoint(api.parse()?)
        .build()?;
    let body = serde_json::json!({
        "errorType": INIT_ERROR_TYPE,
        "errorMessage": message,
    });
    let request = lambda_runtime_api_client::build_request()
        .method(http::Method::POST)
        .uri("/2018-06-01/runtime/init/error")
        .header("lambda-runtime-function-error-type", "Runtime.InitError")
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(body.to_string().into())?;
    let response = tokio::time::timeout(Duration::from_secs(2), client.call(request)).await??;
    if !response.status().is_success() {
        return Err(format!("the Runtime API answered {}", response.status()).into());
    }
    Ok(())
}

/// Refuses state the instances of a function cannot share. Lambda runs any number of
/// instances, each with its own `/tmp` that disappears with it, so the embedded store's file
/// would give every instance its own clients, codes, refresh tokens and signing key.
fn check_store(settings: &Settings) -> anyhow::Result<()> {
    let Some(p) = &settings.auth.proxy else {
        return Ok(());
    };
    match p.store {
        StoreKind::Redis => Ok(()),
        StoreKind::Memory => {
            tracing::warn!(
                "auth.store = \"memory\" on Lambda: each instance keeps its own state and loses \
                 it when Lambda retires the instance; this works only with reserved concurrency \
                 1, for a trial. Use auth.store = \"redis\" for real use"
            );
            Ok(())
        }
        _ => anyhow::bail!(
            "auth.store = \"embedded\" keeps the authorization server's state in a file, but Lambda \
             instances share no disk (each has its own /tmp, discarded with it): set auth.store = \
             \"redis\" with COGNITO_MCP_REDIS_URL and COGNITO_MCP_STATE_KEY (the same on every \
             instance), or auth.store = \"memory\" for a single-instance trial"
        ),
    }
}

/// The invocation handler: the app, built at start when the public URL is configured, else at
/// the first request that names the function's domain.
#[derive(Clone)]
struct Handler {
    inner: Arc<Inner>,
}

struct Inner {
    base: AppBase,
    app: OnceCell<App>,
}

impl Handler {
    async fn new(base: AppBase) -> anyhow::Result<Self> {
        let app = OnceCell::new();
        // HTTP APIs and Function URLs answer only https. An http:// URL is a local run's (the
        // loopback URL `deploy init` writes, in a config file shipped in the zip as is).
        let configured = base
            .settings()
            .auth
            .public_url
            .clone()
            .filter(|url| {
                let https = url.starts_with("https://");
                if !https {
                    tracing::warn!(
                        public_url = %url,
                        "ignoring a public URL that is not https on Lambda; learning it from the first request"
                    );
                }
                https
            });
        match configured {
            Some(url) => {
                let built = base.build(&url).await?;
                tracing::info!(resource = %built.resource_url, "serving MCP on AWS Lambda");
                app.set(built).ok();
            }
            None => tracing::info!(
                "serving MCP on AWS Lambda; the public URL comes from the first request's domain"
            ),
        }
        Ok(Self {
            inner: Arc::new(Inner { base, app }),
        })
    }

    async fn handle(&self, req: lambda_http::Request) -> Response {
        let app = match self.inner.app.get() {
            Some(app) => app,
            None => {
                let url = match learned_public_url(&req) {
                    Ok(url) => url,
                    Err(refusal) => return refusal.into_response(),
                };
                let built = self
                    .inner
                    .app
                    .get_or_try_init(|| async {
                        let app = self.inner.base.build(&url).await?;
                        tracing::info!(resource = %app.resource_url, "public URL learned from the request's domain");
                        anyhow::Ok(app)
                    })
                    .await;
                match built {
                    Ok(app) => app,
                    Err(e) => {
                        // Not cached: the next request tries again (a Redis that was down).
                        tracing::error!(error = format!("{e:#}"), "cannot start the app");
                        return (
                            StatusCode::SERVICE_UNAVAILABLE,
                            [(http::header::RETRY_AFTER, "5")],
                            "The server is starting; try again.",
                        )
                            .into_response();
                    }
                }
            }
        };
        let source_ip = source_ip(&req);
        let mut req = req.map(|body| match body {
            lambda_http::Body::Empty => axum::body::Body::empty(),
            lambda_http::Body::Text(t) => axum::body::Body::from(t),
            lambda_http::Body::Binary(b) => axum::body::Body::from(b),
            other => axum::body::Body::from(other.to_vec()),
        });
        // The client's address as the HTTP API or Function URL saw it: the sign-in page's
        // per-address lockout and the registration limits count by it.
        if let Some(ip) = source_ip {
            req.extensions_mut()
                .insert(ConnectInfo(SocketAddr::new(ip, 0)));
        }
        match app.router.clone().call(req).await {
            Ok(resp) => resp,
            Err(never) => match never {},
        }
    }
}

fn context(
    req: &lambda_http::Request,
) -> Option<&lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext> {
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(c) => Some(c),
        _ => None,
    }
}

fn source_ip(req: &lambda_http::Request) -> Option<IpAddr> {
    context(req)?.http.source_ip.as_deref()?.parse().ok()
}

/// Why a request could not teach the public URL.
#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    /// The event is not an HTTP API / Function URL event with a domain name.
    NoDomain,
    /// The domain name is not a plain DNS name.
    BadDomain,
    /// An HTTP API stage other than `$default`: paths would carry the stage's name.
    NamedStage(String),
    /// The `Host` header names another host than the request context's domain.
    HostMismatch,
}

impl Refusal {
    fn into_response(self) -> Response {
        let (status, text) = match self {
            Refusal::NoDomain => {
                tracing::error!(
                    "an event without a request context domain: this function serves API Gateway \
                     HTTP API and Function URL events (payload format 2.0); set \
                     COGNITO_MCP_PUBLIC_URL for anything else"
                );
                (
                    StatusCode::BAD_REQUEST,
                    "Bad Request: no domain in the request context",
                )
            }
            Refusal::BadDomain => (StatusCode::BAD_REQUEST, "Bad Request: invalid domain name"),
            Refusal::NamedStage(stage) => {
                tracing::error!(
                    %stage,
                    "an HTTP API stage other than $default: serve this function from the $default stage"
                );
                (
                    StatusCode::NOT_FOUND,
                    "Not Found: serve from the $default stage",
                )
            }
            Refusal::HostMismatch => (
                StatusCode::FORBIDDEN,
                "Forbidden: Host header is not allowed",
            ),
        };
        (status, text).into_response()
    }
}

/// `https://{domainName}` from the request context, when the event comes from an HTTP API's
/// `$default` stage or a Function URL and its `Host` header (if any) names the same host.
fn learned_public_url(req: &lambda_http::Request) -> Result<String, Refusal> {
    let ctx = context(req).ok_or(Refusal::NoDomain)?;
    let domain = ctx.domain_name.as_deref().ok_or(Refusal::NoDomain)?;
    if !is_dns_name(domain) {
        return Err(Refusal::BadDomain);
    }
    if let Some(stage) = ctx.stage.as_deref().filter(|s| *s != "$default") {
        return Err(Refusal::NamedStage(stage.to_owned()));
    }
    if let Some(host) = req.headers().get(http::header::HOST) {
        let host = host.to_str().map_err(|_| Refusal::HostMismatch)?;
        let host = host.strip_suffix(":443").unwrap_or(host);
        if !host.eq_ignore_ascii_case(domain) {
            return Err(Refusal::HostMismatch);
        }
    }
    Ok(format!("https://{}", domain.to_ascii_lowercase()))
}

/// A DNS name: dot-separated labels of letters, digits and inner hyphens, 253 bytes at most.
fn is_dns_name(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

#[cfg(test)]
mod tests;
