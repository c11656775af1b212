//! The trace span of each request to Cognito: one per HTTP attempt, retries included, opened by
//! the paced connector around the wait for the quota slot and the request itself.
//!
//! It is a plain [`tracing`] span of target [`TARGET`]: an OpenTelemetry layer turns it into a
//! client span (`cognito-mcp` built with its `otel` feature), and it costs nothing when no
//! layer wants it. Its attributes are the operation, the outcome, AWS's request id
//! (`x-amzn-requestid`), the status code, whether Cognito throttled it, and the time it waited
//! for its slot: never a request or response body, another header, a user, or a credential.

use tracing::Span;
use tracing::field::Empty;

/// The target of the spans this crate opens; a subscriber exports them by this name.
pub const TARGET: &str = "cognito_admin::trace";

/// The name of the AWS request span (its exported name is `CognitoIdentityProvider/OPERATION`).
pub const AWS_REQUEST: &str = "aws_request";

/// A new span for a request to `operation` (`other` for a request to no known operation).
pub(crate) fn aws_request(operation: &'static str) -> Span {
    tracing::info_span!(
        target: TARGET,
        AWS_REQUEST,
        otel.name = format!("CognitoIdentityProvider/{operation}"),
        otel.kind = "client",
        otel.status_code = Empty,
        rpc.system = "aws-api",
        rpc.service = "CognitoIdentityProvider",
        rpc.method = operation,
        aws.request_id = Empty,
        http.response.status_code = Empty,
        cognito_mcp.outcome = Empty,
        cognito_mcp.throttled = Empty,
        cognito_mcp.pacing_wait_ms = Empty,
    )
}

/// Records how the request went: `outcome` is `ok`, `error`, `throttled` or `unreachable`
/// (the metrics' outcomes); `status` and `request_id` come from the response, when one came.
pub(crate) fn record_outcome(
    span: &Span,
    outcome: &'static str,
    status: Option<u16>,
    request_id: Option<&str>,
) {
    span.record("cognito_mcp.outcome", outcome);
    span.record("cognito_mcp.throttled", outcome == "throttled");
    if let Some(status) = status {
        span.record("http.response.status_code", status);
    }
    if let Some(id) = request_id {
        span.record("aws.request_id", id);
    }
    if outcome != "ok" {
        span.record("otel.status_code", "ERROR");
    }
}
