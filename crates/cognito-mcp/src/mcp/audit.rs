//! The audit, the pipeline's last stage: one record per call, with who called, what, the
//! redacted arguments, the AWS calls made, and the outcome.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use cognito_admin::audit::{AuditCall, AuditOutcome, AuditRecord, AuditWriter};
use cognito_admin::calls::CallRecord;
use cognito_jwt::Principal;
use serde_json::Value;

/// Where records go, and who the caller is when no token names one.
#[derive(Debug)]
pub(crate) struct Auditor {
    writer: Option<Arc<AuditWriter>>,
    /// The actor over stdio (`local`).
    actor: String,
}

impl Auditor {
    pub(crate) fn new(writer: Option<Arc<AuditWriter>>, actor: &str) -> Self {
        Self {
            writer,
            actor: actor.to_owned(),
        }
    }

    /// The writer, when the audit is on: `read_audit` reads its file.
    pub(crate) fn writer(&self) -> Option<&Arc<AuditWriter>> {
        self.writer.as_ref()
    }

    /// The actor over stdio.
    pub(crate) fn local_actor(&self) -> &str {
        &self.actor
    }

    /// The audit actor: the caller's identity over HTTP, the local actor over stdio.
    pub(crate) fn actor_for(&self, principal: Option<&Principal>) -> String {
        principal
            .map(Principal::actor)
            .unwrap_or_else(|| self.actor.clone())
    }

    /// Starts the record of a call of `action` with `arguments` (already redacted). An entry
    /// dropped before [`Entry::finish`] (the client went away, or shutdown stopped the call
    /// past its grace) still writes a record: outcome `cancelled`, error `interrupted`.
    ///
    /// The entry's call id is new, and recorded on the current span: the call's span, when
    /// the server opened one ([`crate::spans`]).
    pub(crate) fn begin(&self, actor: String, action: &str, arguments: Value) -> Entry {
        let call_id = new_call_id();
        crate::spans::record_call_id(&call_id);
        Entry {
            open: Some(Open {
                call_id,
                started: SystemTime::now(),
                clock: Instant::now(),
                actor,
                action: action.to_owned(),
                arguments,
            }),
            writer: self.writer.clone(),
        }
    }

    /// Writes a record (and counts it in the metrics, audit on or off).
    pub(crate) fn write(&self, record: AuditRecord) {
        observe(&record);
        if let Some(writer) = &self.writer {
            writer.record(record);
        }
    }
}

/// A call's record in the making.
#[derive(Debug)]
pub(crate) struct Entry {
    /// Taken by [`Entry::finish`]; still here when the call was interrupted.
    open: Option<Open>,
    writer: Option<Arc<AuditWriter>>,
}

#[derive(Debug)]
struct Open {
    call_id: String,
    started: SystemTime,
    clock: Instant,
    actor: String,
    action: String,
    arguments: Value,
}

/// A call's id: 128 random bits as 32 lowercase hex digits.
fn new_call_id() -> String {
    let mut bytes = [0u8; 16];
    // The id joins records and traces; it guards nothing, so a failed random source (which
    // does not happen on the supported systems) costs uniqueness, never safety.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        bytes = nanos.to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The error code of a call that stopped before it answered.
pub(crate) const INTERRUPTED: &str = "interrupted";

impl Open {
    fn record(
        self,
        outcome: AuditOutcome,
        error: Option<String>,
        aws_calls: &[CallRecord],
    ) -> AuditRecord {
        let mut record = AuditRecord::new(
            self.started,
            self.clock.elapsed(),
            &self.actor,
            &self.action,
            self.arguments,
        );
        record.call_id = Some(self.call_id);
        record.outcome = outcome;
        record.error = error;
        record.aws_calls = aws_calls.iter().map(AuditCall::from).collect();
        record
    }
}

impl Entry {
    /// The finished record: `outcome`, the error code if any, and the AWS calls made.
    pub(crate) fn finish(
        mut self,
        outcome: AuditOutcome,
        error: Option<String>,
        aws_calls: &[CallRecord],
    ) -> AuditRecord {
        self.open
            .take()
            .expect("an entry is finished once")
            .record(outcome, error, aws_calls)
    }
}

impl Drop for Entry {
    /// The call never finished: its record says so. Which AWS calls it made is not known
    /// here (they are recorded as the call ends); CloudTrail has them.
    fn drop(&mut self) {
        if let Some(open) = self.open.take() {
            let record = open.record(AuditOutcome::Cancelled, Some(INTERRUPTED.into()), &[]);
            observe(&record);
            if let Some(writer) = &self.writer {
                writer.record(record);
            }
        }
    }
}

/// Counts a finished call in the metrics (`cognito_mcp_tool_calls_total`, its duration, and
/// `cognito_mcp_confirmations_total`) and records its outcome on the call's span. Labels come
/// from bounded sets only: a tool name the catalogue does not know is `unknown` (a caller may
/// send any name), an error code that is not a plain code is `other`; no actor, argument or
/// token is ever a label or an attribute.
fn observe(record: &AuditRecord) {
    let outcome = match record.outcome {
        AuditOutcome::Ok => "ok",
        AuditOutcome::Error => "error",
        AuditOutcome::Refused => "refused",
        AuditOutcome::InputRequired => "input_required",
        AuditOutcome::Cancelled => "cancelled",
        _ => "other",
    };
    let error = match record.error.as_deref() {
        None => "",
        Some(code) if is_plain_code(code) => code,
        Some(_) => "other",
    };
    let by = record
        .confirmed_by
        .as_deref()
        .map(|by| if is_plain_code(by) { by } else { "other" });
    crate::spans::record_outcome(outcome, Some(error).filter(|e| !e.is_empty()), by);
    if !crate::metrics::enabled() {
        return;
    }
    let tool: &'static str = match crate::catalog::find(&record.tool) {
        Some(spec) => spec.name,
        None if record.tool == "read_resource" => "read_resource",
        None => "unknown",
    };
    let error = error.to_owned();
    metrics::counter!("cognito_mcp_tool_calls_total", "tool" => tool, "outcome" => outcome, "error" => error)
        .increment(1);
    metrics::histogram!("cognito_mcp_tool_call_duration_seconds", "tool" => tool)
        .record(record.duration_ms as f64 / 1000.0);
    if let Some(by) = by {
        metrics::counter!("cognito_mcp_confirmations_total", "tool" => tool, "by" => by.to_owned())
            .increment(1);
    }
}

/// An error code as the server writes them: `user_not_found`, `ErrorCode(-32602)`.
fn is_plain_code(code: &str) -> bool {
    (1..=48).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'(' | b')' | b'-'))
}
