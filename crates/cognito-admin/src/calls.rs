//! Which AWS calls an operation made, and their request ids, for audit records.
//!
//! Wrap a unit of work in [`collect`]; every AWS call made inside it (on the same task) is
//! recorded. Outside [`collect`] nothing is recorded and nothing is kept.

use std::cell::RefCell;
use std::future::Future;

use crate::Operation;

/// One AWS call: the operation and the request id AWS returned (absent when no response came).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    /// The API operation.
    pub operation: Operation,
    /// AWS's `x-amzn-requestid`, when a response arrived.
    pub request_id: Option<String>,
}

tokio::task_local! {
    static CALLS: RefCell<Vec<CallRecord>>;
}

/// Runs `fut` and returns its output with the AWS calls it made, in order.
pub async fn collect<F: Future>(fut: F) -> (F::Output, Vec<CallRecord>) {
    CALLS
        .scope(RefCell::new(Vec::new()), async move {
            let out = fut.await;
            let calls = CALLS.with(|c| c.take());
            (out, calls)
        })
        .await
}

pub(crate) fn record(operation: Operation, request_id: Option<&str>) {
    // Outside `collect` there is no recorder: that is fine, nothing asked for the record.
    let _ = CALLS.try_with(|c| {
        c.borrow_mut().push(CallRecord {
            operation,
            request_id: request_id.map(str::to_owned),
        })
    });
}
