//! Prometheus metrics (`[metrics] enabled = true`): the recorder the libraries' `metrics`
//! macros report to, `/metrics` in the Prometheus text format, and the count of HTTP requests
//! by route and status.
//!
//! What is counted, and where:
//! - `cognito_mcp_http_requests_total{route, status}`, `cognito_mcp_http_request_duration_seconds{route}`: here;
//! - `cognito_mcp_tool_calls_total{tool, outcome, error}`, `cognito_mcp_tool_call_duration_seconds{tool}`,
//!   `cognito_mcp_confirmations_total{tool, by}`: the audit stage (`mcp/audit.rs`);
//! - `cognito_mcp_token_verifications_total{outcome}`: the bearer check (`cognito-mcp-auth`);
//! - `cognito_mcp_aws_requests_total{operation, outcome}`, `cognito_mcp_aws_request_duration_seconds{operation}`,
//!   `cognito_mcp_pacing_wait_seconds{category}`: the paced connector (`cognito-admin`);
//! - `cognito_mcp_store_operations_total{operation, outcome}`, `cognito_mcp_store_operation_duration_seconds{operation}`,
//!   `cognito_mcp_sign_in_attempts_total{outcome}`, `cognito_mcp_registrations_total{outcome}`:
//!   proxy mode (`cognito-mcp-auth`, the store's through `MeteredStore`).
//! - `cognito_mcp_secret_refresh_total{outcome}`: the refresh of secret settings that refer to
//!   AWS (`cognito-mcp-auth`'s `secrets::SecretRefresher`).
//!
//! Every label comes from a bounded set the server defines (a route, a tool of the catalogue,
//! an error code, an AWS operation): never a user, a token, an address or anything a caller
//! can choose, so a caller can neither read identities from the metrics nor grow them without
//! bound.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Whether a recorder is installed (the audit stage skips building labels when not).
pub(crate) fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Latency buckets, in seconds: a cached token check is microseconds, a Cognito call tens of
/// milliseconds, a bulk tool seconds.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Installs the Prometheus recorder for the process, and keeps its histograms trimmed.
pub(crate) fn install() -> anyhow::Result<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
        .context("the metrics' buckets")?
        .install_recorder()
        .context("cannot install the metrics recorder")?;
    ENABLED.store(true, Ordering::Relaxed);
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    Ok(handle)
}

/// `GET /metrics`.
pub(crate) fn routes(handle: PrometheusHandle) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let handle = handle.clone();
            async move {
                (
                    [("content-type", "text/plain; version=0.0.4; charset=utf-8")],
                    handle.render(),
                )
                    .into_response()
            }
        }),
    )
}

/// Counts a request by its route (a fixed set: any other path is `other`) and status.
pub(crate) async fn count_request(req: Request, next: Next) -> Response {
    let route = route_of(req.uri().path());
    let started = Instant::now();
    let response = next.run(req).await;
    metrics::histogram!("cognito_mcp_http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    metrics::counter!(
        "cognito_mcp_http_requests_total",
        "route" => route,
        "status" => status_label(response.status().as_u16())
    )
    .increment(1);
    response
}

/// The route label of a path: one of the server's routes, or `other`.
pub(crate) fn route_of(path: &str) -> &'static str {
    match path {
        "/mcp" | "/mcp/" => "/mcp",
        "/healthz" => "/healthz",
        "/readyz" => "/readyz",
        "/metrics" => "/metrics",
        "/authorize" => "/authorize",
        "/consent" => "/consent",
        "/auth/callback" => "/auth/callback",
        "/token" => "/token",
        "/revoke" => "/revoke",
        "/register" => "/register",
        "/jwks.json" => "/jwks.json",
        p if p.starts_with("/.well-known/") => "/.well-known",
        p if p == "/login" || p.starts_with("/login/") => "/login",
        _ => "other",
    }
}

/// The status label: the code for the ones the server answers, the class otherwise.
fn status_label(status: u16) -> &'static str {
    match status {
        200 => "200",
        201 => "201",
        202 => "202",
        204 => "204",
        302 => "302",
        303 => "303",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        405 => "405",
        406 => "406",
        413 => "413",
        415 => "415",
        429 => "429",
        500 => "500",
        503 => "503",
        s if s < 300 => "2xx",
        s if s < 400 => "3xx",
        s if s < 500 => "4xx",
        _ => "5xx",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The attack: requests to ever new paths, each a new label value, until the metrics
    /// exhaust the server's memory (or the monitoring system's).
    #[test]
    fn a_caller_chosen_path_as_a_label_fails() {
        for path in [
            "/x",
            "/mcp/../../etc",
            "/login-anything",
            "/.wellknown",
            "/%2e",
        ] {
            let route = route_of(path);
            assert!(
                route == "other" || route == "/mcp",
                "{path} counted as {route}"
            );
        }
        assert_eq!(
            route_of("/.well-known/oauth-protected-resource/mcp"),
            "/.well-known"
        );
        assert_eq!(route_of("/login/challenge"), "/login");
        assert_eq!(status_label(418), "4xx");
    }
}
