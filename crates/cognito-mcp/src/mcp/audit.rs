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
    pub(crate) fn begin(&self, actor: String, action: &str, arguments: Value) -> Entry {
        Entry {
            open: Some(Open {
                started: SystemTime::now(),
                clock: Instant::now(),
                actor,
                action: action.to_owned(),
                arguments,
            }),
            writer: self.writer.clone(),
        }
    }

    /// Writes a record.
    pub(crate) fn write(&self, record: AuditRecord) {
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
    started: SystemTime,
    clock: Instant,
    actor: String,
    action: String,
    arguments: Value,
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
        if let (Some(open), Some(writer)) = (self.open.take(), &self.writer) {
            writer.record(open.record(AuditOutcome::Cancelled, Some(INTERRUPTED.into()), &[]));
        }
    }
}
