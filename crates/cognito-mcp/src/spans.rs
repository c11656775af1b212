//! What is traced: a span per HTTP request (`traces.rs`'s middleware), per tool call and per
//! resource read (here, opened by the pipeline and filled in by the audit stage), and per
//! request to Cognito (`cognito_admin::trace`, opened by the paced connector). They nest:
//! request → tool call → AWS requests; over stdio a tool call's span is a trace's root.
//!
//! These are plain `tracing` spans of the targets [`TARGET`] and [`cognito_admin::trace::TARGET`].
//! Only spans of those targets are exported ([`exported`]), none of the libraries' own, and no
//! log event: so what a trace holds is exactly the fields written below. Every one of them
//! comes from a set the server defines or makes: the route template, the method, a tool of
//! the catalogue (a name it does not know is `unknown`), an outcome, an error code, the call's
//! id, AWS's request id, a status code, durations. Never a user, an email, an argument, a
//! token, a password, a secret or a path a caller chose (`tests/test_traces.rs` checks it).
//!
//! Without the `otel` feature, or with traces off, no layer wants these spans: creating one
//! then costs a relaxed load, and recording into it nothing.

use rmcp::model::Extensions;
use tracing::Span;
use tracing::field::Empty;

use crate::catalog;

/// The target of the spans this crate opens.
pub(crate) const TARGET: &str = "cognito_mcp::trace";

/// Whether a subscriber's exporter takes this: a span of this crate's or `cognito-admin`'s
/// trace targets, and nothing else (no event, no other library's span).
pub(crate) fn exported(meta: &tracing::Metadata<'_>) -> bool {
    meta.is_span() && (meta.target() == TARGET || meta.target() == cognito_admin::trace::TARGET)
}

/// The HTTP request's span, in the request's extensions: rmcp runs the MCP handler on a task of
/// its own, where the request's span is not the current one, and hands it the request's parts.
#[derive(Debug, Clone)]
pub(crate) struct RequestSpan(pub(crate) Span);

/// The span of the HTTP request `extensions` came with (over HTTP), as the parent of a call's.
fn request_span(extensions: &Extensions) -> Option<&Span> {
    extensions
        .get::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<RequestSpan>())
        .map(|r| &r.0)
}

/// A new span for a `tools/call` of `tool`, the child of its HTTP request's span (over
/// stdio: a root). The audit stage records its call id and outcome ([`record_call_id`],
/// [`record_outcome`]) while it is the current span.
pub(crate) fn tool_call(tool: &str, extensions: &Extensions) -> Span {
    let tool = catalog::find(tool).map_or("unknown", |spec| spec.name);
    tracing::info_span!(
        target: TARGET,
        parent: request_span(extensions).and_then(Span::id),
        "tool_call",
        otel.name = format!("tools/call {tool}"),
        otel.status_code = Empty,
        mcp.method.name = "tools/call",
        gen_ai.operation.name = "execute_tool",
        gen_ai.tool.name = tool,
        cognito_mcp.call_id = Empty,
        cognito_mcp.outcome = Empty,
        cognito_mcp.confirmed_by = Empty,
        error.type = Empty,
    )
}

/// A new span for a `resources/read`, like [`tool_call`]'s. The resource's URI is not in it
/// (it can name a user).
pub(crate) fn resource_read(extensions: &Extensions) -> Span {
    tracing::info_span!(
        target: TARGET,
        parent: request_span(extensions).and_then(Span::id),
        "resource_read",
        otel.name = "resources/read",
        otel.status_code = Empty,
        mcp.method.name = "resources/read",
        cognito_mcp.call_id = Empty,
        cognito_mcp.outcome = Empty,
        error.type = Empty,
    )
}

/// Records the audit record's call id on the current call's span.
pub(crate) fn record_call_id(call_id: &str) {
    Span::current().record("cognito_mcp.call_id", call_id);
}

/// Records how the call ended on the current call's span: the audit's outcome (`ok`,
/// `error`, `refused`, `input_required`, `cancelled`), its error code and who confirmed it,
/// each already reduced to the metrics' bounded labels.
pub(crate) fn record_outcome(outcome: &str, error: Option<&str>, confirmed_by: Option<&str>) {
    let span = Span::current();
    if span.is_disabled() {
        return;
    }
    span.record("cognito_mcp.outcome", outcome);
    if let Some(code) = error {
        span.record("error.type", code);
    }
    if let Some(by) = confirmed_by {
        span.record("cognito_mcp.confirmed_by", by);
    }
    if outcome != "ok" && outcome != "input_required" {
        span.record("otel.status_code", "ERROR");
    }
}
