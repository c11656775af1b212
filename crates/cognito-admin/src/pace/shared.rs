//! One schedule for every process that shares an account's quota: [`SharedSchedule`], and how
//! a [`Pacer`](super::Pacer) uses it.
//!
//! Cognito's quotas are per account and region. N processes that each pace to the full rate
//! send N times the quota together; with one shared schedule they send it once. The schedule
//! keeps, per category, the earliest time the next request of any process may leave; a
//! process asks for a slot only when its request is ready to leave ([`SharedSchedule::claim`]),
//! and is either given it at once or told how long to wait before asking again. Nothing is
//! booked ahead, so a process that stalls never sends a backlog of slots back to back.
//!
//! Within a process only the category's first waiter asks (the others queue behind it), so the
//! schedule sees at most one question per process at a time. While the schedule cannot be
//! reached, the process paces on its own at the full rate for a few seconds
//! ([`RETRY_AFTER`]) before asking again; together the processes may then exceed the quota,
//! and the throttling answers slow each of them down.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::Lane;
use crate::QuotaCategory;

/// The answer to a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The slot is taken: send now.
    Now,
    /// Another process took the last slot; ask again after this long.
    After(Duration),
}

/// A shared schedule could not be asked (the message names where it is, never a password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SharedError(pub String);

/// What [`SharedSchedule::claim`] returns.
pub type ClaimFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Claim, SharedError>> + Send + 'a>>;

/// A schedule of quota slots shared by every process that uses one AWS account and region,
/// kept somewhere they all reach (Redis, in `cognito-mcp`).
pub trait SharedSchedule: Send + Sync + std::fmt::Debug {
    /// Takes the next slot of `category` now if `spacing` has passed since any process took
    /// the last one, and sets the one after it `spacing` from now; else says how long until
    /// the next slot. Atomic across processes: two claims never get one slot.
    fn claim(&self, category: QuotaCategory, spacing: Duration) -> ClaimFuture<'_>;
}

/// After the schedule fails, a process paces on its own for this long before asking again.
pub(super) const RETRY_AFTER: Duration = Duration::from_secs(5);

/// The longest wait a schedule's answer is taken at (a larger one is a wrong answer).
const LONGEST_WAIT: Duration = Duration::from_secs(60);

/// A pacer's shared schedule, and whether it is failing.
#[derive(Debug)]
pub(super) struct Shared {
    schedule: std::sync::Arc<dyn SharedSchedule>,
    /// Until when the schedule is not asked, after a failure.
    down_until: Mutex<Option<Instant>>,
}

impl Shared {
    pub(super) fn new(schedule: std::sync::Arc<dyn SharedSchedule>) -> Self {
        Self {
            schedule,
            down_until: Mutex::new(None),
        }
    }

    /// Waits for a slot of `lane` in the shared schedule and takes it. `false` when the
    /// schedule cannot be asked now: the caller paces on its own.
    pub(super) async fn wait(&self, lane: &Lane, rate: f64) -> bool {
        {
            let down = self.down_until.lock().unwrap_or_else(|p| p.into_inner());
            if down.is_some_and(|until| Instant::now() < until) {
                return false;
            }
        }
        loop {
            let (_, spacing) = lane.spacing(rate);
            match self.schedule.claim(lane.category, spacing).await {
                Ok(Claim::Now) => {
                    self.recovered();
                    // The local schedule stays in step, for when the shared one fails.
                    lane.left_at(Instant::now(), spacing);
                    return true;
                }
                Ok(Claim::After(wait)) => tokio::time::sleep(wait.min(LONGEST_WAIT)).await,
                Err(e) => {
                    self.failed(lane.category, &e);
                    return false;
                }
            }
        }
    }

    fn failed(&self, category: QuotaCategory, e: &SharedError) {
        metrics::counter!("cognito_mcp_pacing_shared_errors_total").increment(1);
        let mut down = self.down_until.lock().unwrap_or_else(|p| p.into_inner());
        if down.is_none() {
            tracing::warn!(
                category = category.name(),
                error = %e,
                "the shared pacing schedule cannot be reached; pacing this process on its own \
                 until it can (together the instances may exceed the quota meanwhile)"
            );
        }
        *down = Some(Instant::now() + RETRY_AFTER);
    }

    fn recovered(&self) {
        let mut down = self.down_until.lock().unwrap_or_else(|p| p.into_inner());
        if down.take().is_some() {
            tracing::info!("the shared pacing schedule is reachable again");
        }
    }
}
