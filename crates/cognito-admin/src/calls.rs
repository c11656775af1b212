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

/// What one unit of work has recorded so far.
#[derive(Default)]
struct Recorder {
    calls: Vec<CallRecord>,
    throttled: u32,
}

tokio::task_local! {
    static CALLS: RefCell<Recorder>;
}

/// Runs `fut` and returns its output with the AWS calls it made, in order.
pub async fn collect<F: Future>(fut: F) -> (F::Output, Vec<CallRecord>) {
    CALLS
        .scope(RefCell::new(Recorder::default()), async move {
            let out = fut.await;
            let calls = CALLS.with(|c| std::mem::take(&mut c.borrow_mut().calls));
            (out, calls)
        })
        .await
}

/// How many throttling answers (`TooManyRequestsException`) the AWS calls of the current
/// [`collect`] scope have had so far, retried or not. 0 outside [`collect`].
pub fn throttled() -> u32 {
    CALLS.try_with(|c| c.borrow().throttled).unwrap_or(0)
}

pub(crate) fn record_throttle() {
    let _ = CALLS.try_with(|c| c.borrow_mut().throttled += 1);
}

pub(crate) fn record(operation: Operation, request_id: Option<&str>) {
    // Outside `collect` there is no recorder: that is fine, nothing asked for the record.
    let _ = CALLS.try_with(|c| {
        c.borrow_mut().calls.push(CallRecord {
            operation,
            request_id: request_id.map(str::to_owned),
        })
    });
}
