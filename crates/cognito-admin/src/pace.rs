//! Client-side pacing: every Cognito request waits for a slot of its quota category, so a
//! process never sends faster than the rates it is given.
//!
//! Cognito limits each API operation category (`UserCreation`, `UserUpdate`, ...) to a request
//! rate per account and region, and answers `TooManyRequestsException` past it. A [`Pacer`]
//! spaces the requests of each category evenly at its configured rate: no bursts, so the rate
//! seen by Cognito over any interval stays at or under the quota. It paces at the HTTP layer
//! ([`Pacer::http_client`]), so every attempt counts, retries included; the SDK's retry
//! strategy (adaptive mode recommended) handles what throttling still happens, for instance
//! when other clients share the account's quota. A throttled category also slows itself down
//! (the spacing grows by half at a throttling answer, at most once per half second and up to 20
//! times) and recovers as requests go through, never beyond the configured rate.
//!
//! ```
//! use cognito_admin::QuotaCategory;
//! use cognito_admin::pace::{Pacer, QuotaRates};
//!
//! let mut rates = QuotaRates::cognito_defaults();
//! rates.set(QuotaCategory::UserCreation, 10.0).expect("valid");
//! let pacer = Pacer::new(&rates);
//! assert_eq!(pacer.rate(QuotaCategory::UserCreation), Some(10.0));
//! # let _ = pacer;
//! ```

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::validate::Invalid;
use crate::{Operation, QuotaCategory};

mod http;
mod shared;

use self::shared::Shared;
pub use self::shared::{Claim, ClaimFuture, SharedError, SharedSchedule};

/// The request rate of each quota category, in requests per second.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaRates {
    rates: Vec<(QuotaCategory, Option<f64>)>,
}

impl QuotaRates {
    /// Cognito's default quotas ([`QuotaCategory::default_rate`]).
    pub fn cognito_defaults() -> Self {
        Self {
            rates: QuotaCategory::ALL
                .iter()
                .map(|c| (*c, Some(c.default_rate())))
                .collect(),
        }
    }

    /// No pacing at all.
    pub fn unlimited() -> Self {
        Self {
            rates: QuotaCategory::ALL.iter().map(|c| (*c, None)).collect(),
        }
    }

    /// Sets the rate of `category` to `per_second` (greater than 0, at most 10000).
    pub fn set(&mut self, category: QuotaCategory, per_second: f64) -> Result<(), Invalid> {
        if !(per_second.is_finite() && per_second > 0.0 && per_second <= 10_000.0) {
            return Err(Invalid::new(
                format!("pacing.{}", category.key()),
                format!("is {per_second}"),
                "a request rate per second greater than 0 and at most 10000 (raise it only \
                 after AWS raised your quota)",
                format!("{} = {}", category.key(), category.default_rate()),
            ));
        }
        if let Some(slot) = self.rates.iter_mut().find(|(c, _)| *c == category) {
            slot.1 = Some(per_second);
        } else {
            self.rates.push((category, Some(per_second)));
        }
        Ok(())
    }

    /// The rate of `category`, or `None` when it is not paced.
    pub fn get(&self, category: QuotaCategory) -> Option<f64> {
        self.rates
            .iter()
            .find(|(c, _)| *c == category)
            .and_then(|(_, r)| *r)
    }
}

impl Default for QuotaRates {
    fn default() -> Self {
        Self::cognito_defaults()
    }
}

/// After a throttling answer the spacing grows by this factor (once per [`BACKOFF_EVERY`]: the
/// answers to requests already in flight say the same thing), up to [`MAX_SLOWDOWN`] times the
/// configured one; each answer that is not throttled shrinks it by [`RECOVERY`] back toward it.
const BACKOFF: f64 = 1.5;
/// The spacing grows at most once in this long.
const BACKOFF_EVERY: Duration = Duration::from_millis(500);
/// How far a category slows down at most after throttling.
const MAX_SLOWDOWN: f64 = 20.0;
/// How fast the spacing recovers, per unthrottled answer.
const RECOVERY: f64 = 0.95;

/// A lane's schedule.
#[derive(Debug, Default)]
struct Schedule {
    /// The earliest time the next request may leave: the last one's departure plus the
    /// spacing.
    next: Option<Instant>,
    /// The current spacing: the configured one, or more after throttling.
    interval: Option<Duration>,
    /// When the spacing last grew.
    slowed_at: Option<Instant>,
}

/// One category's schedule and counters.
#[derive(Debug)]
struct Lane {
    category: QuotaCategory,
    rate: Option<f64>,
    /// This process's waiters, in arrival order: only the first asks for a slot, so the others
    /// hold none while it waits.
    turn: tokio::sync::Mutex<()>,
    schedule: Mutex<Schedule>,
    requests: AtomicU64,
    throttled: AtomicU64,
}

impl Lane {
    /// The configured spacing, and the current one (more after throttling).
    fn spacing(&self, rate: f64) -> (Duration, Duration) {
        let base = Duration::from_secs_f64(1.0 / rate);
        let s = self.schedule.lock().unwrap_or_else(|p| p.into_inner());
        (base, s.interval.unwrap_or(base).max(base))
    }

    /// Takes the slot at `now` if the spacing since the last departure has passed, else says
    /// when to look again. A slot is only ever taken at the moment its request leaves, never
    /// booked ahead: after a stall the next request leaves at once and the one after it a full
    /// spacing later, so a stall never turns into a burst.
    fn take_at(&self, now: Instant, spacing: Duration) -> Result<(), Instant> {
        let mut s = self.schedule.lock().unwrap_or_else(|p| p.into_inner());
        match s.next {
            Some(next) if next > now => Err(next),
            _ => {
                s.next = Some(now + spacing);
                Ok(())
            }
        }
    }

    /// A request of this category left at `now` on a slot taken elsewhere.
    fn left_at(&self, now: Instant, spacing: Duration) {
        let mut s = self.schedule.lock().unwrap_or_else(|p| p.into_inner());
        s.next = Some(now + spacing);
    }
}

/// Spaces Cognito requests per quota category. Cheap to clone; clones share the schedule, so
/// one pacer per process (per AWS account and region) is the rule; processes that share an
/// account's quota share a schedule too ([`Pacer::sharing`]).
#[derive(Debug, Clone)]
pub struct Pacer {
    lanes: Arc<Vec<Lane>>,
    shared: Option<Arc<Shared>>,
}

/// What a [`Pacer`] has seen for one category.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct LaneStats {
    /// The category.
    pub category: QuotaCategory,
    /// Its rate, when paced.
    pub rate: Option<f64>,
    /// Requests sent, every attempt counted.
    pub requests: u64,
    /// Throttling answers received.
    pub throttled: u64,
}

impl Pacer {
    /// A pacer at `rates`.
    pub fn new(rates: &QuotaRates) -> Self {
        Self {
            lanes: Arc::new(
                QuotaCategory::ALL
                    .iter()
                    .map(|c| Lane {
                        category: *c,
                        rate: rates.get(*c),
                        turn: tokio::sync::Mutex::new(()),
                        schedule: Mutex::new(Schedule::default()),
                        requests: AtomicU64::new(0),
                        throttled: AtomicU64::new(0),
                    })
                    .collect(),
            ),
            shared: None,
        }
    }

    /// A pacer that never waits (it still counts).
    pub fn unlimited() -> Self {
        Self::new(&QuotaRates::unlimited())
    }

    /// This pacer, taking its slots from `schedule`, which every process sharing the account's
    /// quota also uses: together they keep to the rates. While `schedule` fails, the pacer
    /// keeps to the rates on its own (see [`SharedSchedule`]).
    #[must_use]
    pub fn sharing(mut self, schedule: Arc<dyn SharedSchedule>) -> Self {
        self.shared = Some(Arc::new(Shared::new(schedule)));
        self
    }

    fn lane(&self, category: QuotaCategory) -> Option<&Lane> {
        self.lanes.iter().find(|l| l.category == category)
    }

    /// The rate `category` is paced at, or `None` when it is not.
    pub fn rate(&self, category: QuotaCategory) -> Option<f64> {
        self.lane(category).and_then(|l| l.rate)
    }

    /// Waits until a request of `operation` may be sent, and takes that slot: at least the
    /// category's spacing after the last request of the category left (of this process, or of
    /// every process sharing the schedule).
    pub async fn wait(&self, operation: Operation) {
        let Some(lane) = self.lane(operation.quota_category()) else {
            return;
        };
        lane.requests.fetch_add(1, Ordering::Relaxed);
        let Some(rate) = lane.rate else {
            return;
        };
        let _turn = lane.turn.lock().await;
        if let Some(shared) = &self.shared
            && shared.wait(lane, rate).await
        {
            return;
        }
        loop {
            let (_, spacing) = lane.spacing(rate);
            match lane.take_at(Instant::now(), spacing) {
                Ok(()) => return,
                Err(next) => tokio::time::sleep_until(next).await,
            }
        }
    }

    /// Cognito throttled a request of `operation`: the real quota left is lower than the
    /// configured rate (another client shares it), so the category slows down.
    fn note_throttle(&self, operation: Operation) {
        if let Some(lane) = self.lane(operation.quota_category()) {
            lane.throttled.fetch_add(1, Ordering::Relaxed);
            {
                let mut s = lane.schedule.lock().unwrap_or_else(|p| p.into_inner());
                let now = Instant::now();
                if s.slowed_at
                    .is_some_and(|at| now.duration_since(at) < BACKOFF_EVERY)
                {
                    return;
                }
                s.slowed_at = Some(now);
            }
            self.adjust(lane, |interval, base| {
                interval.mul_f64(BACKOFF).min(base.mul_f64(MAX_SLOWDOWN))
            });
        }
    }

    /// A request of `operation` went through: the spacing recovers toward the configured one.
    fn note_success(&self, operation: Operation) {
        if let Some(lane) = self.lane(operation.quota_category()) {
            self.adjust(lane, |interval, base| interval.mul_f64(RECOVERY).max(base));
        }
    }

    fn adjust(&self, lane: &Lane, f: impl FnOnce(Duration, Duration) -> Duration) {
        let Some(rate) = lane.rate else { return };
        let base = Duration::from_secs_f64(1.0 / rate);
        let mut s = lane.schedule.lock().unwrap_or_else(|p| p.into_inner());
        let current = s.interval.unwrap_or(base);
        s.interval = Some(f(current, base));
    }

    /// The rate `category` is paced at now: its configured rate, or less after throttling.
    pub fn current_rate(&self, category: QuotaCategory) -> Option<f64> {
        let lane = self.lane(category)?;
        let rate = lane.rate?;
        let s = lane.schedule.lock().unwrap_or_else(|p| p.into_inner());
        Some(s.interval.map_or(rate, |i| 1.0 / i.as_secs_f64()))
    }

    /// Requests and throttling answers per category since the pacer was made.
    pub fn stats(&self) -> Vec<LaneStats> {
        self.lanes
            .iter()
            .map(|l| LaneStats {
                category: l.category,
                rate: l.rate,
                requests: l.requests.load(Ordering::Relaxed),
                throttled: l.throttled.load(Ordering::Relaxed),
            })
            .collect()
    }
}

impl Default for Pacer {
    /// A pacer at Cognito's default quotas.
    fn default() -> Self {
        Self::new(&QuotaRates::cognito_defaults())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_of_one_category_are_spaced_at_its_rate() {
        let mut rates = QuotaRates::unlimited();
        rates.set(QuotaCategory::UserCreation, 10.0).expect("valid");
        let pacer = Pacer::new(&rates);
        let start = Instant::now();
        let mut at = Vec::new();
        for _ in 0..5 {
            pacer.wait(Operation::AdminCreateUser).await;
            at.push(start.elapsed());
        }
        assert_eq!(
            at,
            (0..5)
                .map(|i| Duration::from_millis(100 * i))
                .collect::<Vec<_>>()
        );
        // Another category is not held up by this one.
        let before = Instant::now();
        pacer.wait(Operation::AdminGetUser).await;
        assert_eq!(before.elapsed(), Duration::ZERO);
        let stats = pacer.stats();
        let creation = stats
            .iter()
            .find(|s| s.category == QuotaCategory::UserCreation)
            .expect("valid");
        assert_eq!(creation.requests, 5);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_waiters_get_distinct_slots() {
        let mut rates = QuotaRates::unlimited();
        rates.set(QuotaCategory::UserUpdate, 4.0).expect("valid");
        let pacer = Pacer::new(&rates);
        let start = Instant::now();
        let waits = (0..8).map(|_| {
            let p = pacer.clone();
            async move {
                p.wait(Operation::AdminDisableUser).await;
                start.elapsed()
            }
        });
        let mut at = futures_util::future::join_all(waits).await;
        at.sort();
        assert_eq!(at.last().copied(), Some(Duration::from_millis(1750)));
        at.dedup();
        assert_eq!(at.len(), 8, "every waiter had its own slot");
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_slows_a_category_down_and_success_recovers_it() {
        let mut rates = QuotaRates::unlimited();
        rates.set(QuotaCategory::UserCreation, 10.0).expect("valid");
        let pacer = Pacer::new(&rates);
        let rate = |p: &Pacer| p.current_rate(QuotaCategory::UserCreation).expect("paced");
        assert!((rate(&pacer) - 10.0).abs() < 1e-9);
        pacer.note_throttle(Operation::AdminCreateUser);
        // Answers to requests already in flight do not slow it down again.
        pacer.note_throttle(Operation::AdminCreateUser);
        assert!((rate(&pacer) - 10.0 / 1.5).abs() < 1e-6, "{}", rate(&pacer));
        tokio::time::advance(BACKOFF_EVERY).await;
        pacer.note_throttle(Operation::AdminCreateUser);
        assert!(
            (rate(&pacer) - 10.0 / 2.25).abs() < 1e-6,
            "{}",
            rate(&pacer)
        );
        for _ in 0..100 {
            tokio::time::advance(BACKOFF_EVERY).await;
            pacer.note_throttle(Operation::AdminCreateUser);
        }
        assert!((rate(&pacer) - 0.5).abs() < 1e-6, "at most 20 times slower");
        // Slower spacing applies to the next slots.
        pacer.wait(Operation::AdminCreateUser).await;
        let start = Instant::now();
        pacer.wait(Operation::AdminCreateUser).await;
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        for _ in 0..1000 {
            pacer.note_success(Operation::AdminCreateUser);
        }
        assert!(
            (rate(&pacer) - 10.0).abs() < 1e-9,
            "never faster than configured"
        );
        // Other categories are untouched.
        assert_eq!(pacer.current_rate(QuotaCategory::UserUpdate), None);
    }

    /// Waiters that each record when their slot came, all queued at once.
    fn queue(pacer: &Pacer, n: usize, start: Instant) -> Vec<tokio::task::JoinHandle<Duration>> {
        (0..n)
            .map(|_| {
                let p = pacer.clone();
                tokio::spawn(async move {
                    p.wait(Operation::AdminCreateUser).await;
                    start.elapsed()
                })
            })
            .collect()
    }

    async fn departures(waiters: Vec<tokio::task::JoinHandle<Duration>>) -> Vec<Duration> {
        let mut at = Vec::new();
        for w in waiters {
            at.push(w.await.expect("waiter"));
        }
        at.sort();
        at
    }

    #[tokio::test(start_paused = true)]
    async fn a_stall_never_turns_into_a_burst() {
        // The attack on a quota is a burst: a process that stalls (a loaded machine, a paused
        // VM) and then sends every slot it missed back to back. Here the clock jumps a whole
        // second at once while five requests wait, as a stalled runtime sees it: the first
        // leaves at the jump, and each of the others a full spacing after the one before.
        let mut rates = QuotaRates::unlimited();
        rates.set(QuotaCategory::UserCreation, 10.0).expect("valid");
        let pacer = Pacer::new(&rates);
        let start = Instant::now();
        pacer.wait(Operation::AdminCreateUser).await;
        let waiters = queue(&pacer, 5, start);
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        tokio::time::advance(Duration::from_secs(1)).await;
        let at = departures(waiters).await;
        assert_eq!(at[0], Duration::from_secs(1), "{at:?}");
        for pair in at.windows(2) {
            assert!(
                pair[1] - pair[0] >= Duration::from_millis(100),
                "two requests left {:?} apart: {at:?}",
                pair[1] - pair[0]
            );
        }
    }

    /// A schedule in this process's memory with the semantics [`SharedSchedule`] asks of
    /// Redis's (the Redis one is tested against a real server in `cognito-mcp`).
    #[derive(Debug, Default)]
    struct InMemory {
        next: Mutex<Option<Instant>>,
        claims: AtomicU64,
        fail: std::sync::atomic::AtomicBool,
    }

    impl SharedSchedule for InMemory {
        fn claim(&self, _: QuotaCategory, spacing: Duration) -> ClaimFuture<'_> {
            Box::pin(async move {
                self.claims.fetch_add(1, Ordering::Relaxed);
                if self.fail.load(Ordering::Relaxed) {
                    return Err(SharedError("redis at 127.0.0.1:1: refused".into()));
                }
                let now = Instant::now();
                let mut next = self.next.lock().expect("lock");
                match *next {
                    Some(n) if n > now => Ok(Claim::After(n - now)),
                    _ => {
                        *next = Some(now + spacing);
                        Ok(Claim::Now)
                    }
                }
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn pacers_sharing_a_schedule_keep_to_one_rate_together() {
        let mut rates = QuotaRates::unlimited();
        rates.set(QuotaCategory::UserCreation, 10.0).expect("valid");
        let schedule = Arc::new(InMemory::default());
        let a = Pacer::new(&rates).sharing(schedule.clone());
        let b = Pacer::new(&rates).sharing(schedule.clone());
        let start = Instant::now();
        let mut waiters = queue(&a, 5, start);
        waiters.extend(queue(&b, 5, start));
        let at = departures(waiters).await;
        assert_eq!(
            at.last().copied(),
            Some(Duration::from_millis(900)),
            "{at:?}"
        );
        for pair in at.windows(2) {
            assert!(pair[1] - pair[0] >= Duration::from_millis(100), "{at:?}");
        }
        // The negative: two pacers on their own send twice the rate together.
        let (a, b) = (Pacer::new(&rates), Pacer::new(&rates));
        let start = Instant::now();
        let mut waiters = queue(&a, 5, start);
        waiters.extend(queue(&b, 5, start));
        let at = departures(waiters).await;
        assert_eq!(
            at.last().copied(),
            Some(Duration::from_millis(400)),
            "{at:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_schedule_falls_back_to_local_pacing_and_is_asked_again_later() {
        let mut rates = QuotaRates::unlimited();
        rates.set(QuotaCategory::UserCreation, 10.0).expect("valid");
        let schedule = Arc::new(InMemory::default());
        schedule.fail.store(true, Ordering::Relaxed);
        let pacer = Pacer::new(&rates).sharing(schedule.clone());
        let start = Instant::now();
        let at = departures(queue(&pacer, 3, start)).await;
        assert_eq!(
            at,
            [0, 100, 200].map(Duration::from_millis).to_vec(),
            "paced locally, still at the rate"
        );
        assert_eq!(
            schedule.claims.load(Ordering::Relaxed),
            1,
            "asked once, then left alone"
        );
        schedule.fail.store(false, Ordering::Relaxed);
        tokio::time::advance(shared::RETRY_AFTER).await;
        pacer.wait(Operation::AdminCreateUser).await;
        assert_eq!(
            schedule.claims.load(Ordering::Relaxed),
            2,
            "asked again after the pause"
        );
    }

    #[test]
    fn bad_rates_name_the_key() {
        let mut rates = QuotaRates::cognito_defaults();
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 20_000.0] {
            let e = rates
                .set(QuotaCategory::UserUpdate, bad)
                .expect_err("invalid");
            assert_eq!(e.field, "pacing.user_update");
        }
        assert_eq!(rates.get(QuotaCategory::UserUpdate), Some(25.0));
    }

    #[test]
    fn keys_round_trip() {
        for c in QuotaCategory::ALL {
            assert_eq!(QuotaCategory::from_key(&c.key()), Some(*c));
        }
        assert_eq!(
            QuotaCategory::UserPoolResourceUpdate.key(),
            "user_pool_resource_update"
        );
    }
}
