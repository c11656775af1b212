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

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::shared::IntoShared;
use tokio::time::Instant;

use crate::validate::Invalid;
use crate::{Operation, QuotaCategory, calls};

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
    /// The earliest time the next request may leave.
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
    schedule: Mutex<Schedule>,
    requests: AtomicU64,
    throttled: AtomicU64,
}

/// Spaces Cognito requests per quota category. Cheap to clone; clones share the schedule, so
/// one pacer per process (per AWS account and region) is the rule.
#[derive(Debug, Clone)]
pub struct Pacer {
    lanes: Arc<Vec<Lane>>,
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
                        schedule: Mutex::new(Schedule::default()),
                        requests: AtomicU64::new(0),
                        throttled: AtomicU64::new(0),
                    })
                    .collect(),
            ),
        }
    }

    /// A pacer that never waits (it still counts).
    pub fn unlimited() -> Self {
        Self::new(&QuotaRates::unlimited())
    }

    fn lane(&self, category: QuotaCategory) -> Option<&Lane> {
        self.lanes.iter().find(|l| l.category == category)
    }

    /// The rate `category` is paced at, or `None` when it is not.
    pub fn rate(&self, category: QuotaCategory) -> Option<f64> {
        self.lane(category).and_then(|l| l.rate)
    }

    /// Waits until a request of `operation` may be sent, and takes that slot.
    pub async fn wait(&self, operation: Operation) {
        let Some(lane) = self.lane(operation.quota_category()) else {
            return;
        };
        lane.requests.fetch_add(1, Ordering::Relaxed);
        let Some(rate) = lane.rate else {
            return;
        };
        let base = Duration::from_secs_f64(1.0 / rate);
        let slot = {
            let mut s = lane.schedule.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let slot = s.next.map_or(now, |n| n.max(now));
            s.next = Some(slot + s.interval.unwrap_or(base).max(base));
            slot
        };
        tokio::time::sleep_until(slot).await;
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

    /// `inner`, paced: each request to a Cognito operation this crate knows waits for its
    /// slot, and throttling answers are counted (also in [`calls::throttled`]).
    pub fn wrap(&self, inner: SharedHttpClient) -> SharedHttpClient {
        PacedClient {
            inner,
            pacer: self.clone(),
        }
        .into_shared()
    }

    /// The SDK's default HTTPS client (rustls with aws-lc, proxy settings from the
    /// environment), paced. Give it to the Cognito client's config:
    ///
    /// ```no_run
    /// # async fn f() {
    /// use cognito_admin::pace::Pacer;
    /// let sdk = aws_config::load_from_env().await;
    /// let conf = aws_sdk_cognitoidentityprovider::config::Builder::from(&sdk)
    ///     .http_client(Pacer::default().http_client())
    ///     .build();
    /// let client = aws_sdk_cognitoidentityprovider::Client::from_conf(conf);
    /// # let _ = client;
    /// # }
    /// ```
    pub fn http_client(&self) -> SharedHttpClient {
        use aws_smithy_http_client::{Builder, ConnectorBuilder, proxy::ProxyConfig, tls};
        let inner = Builder::new().build_with_connector_fn(|settings, components| {
            let mut connector = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::AwsLc,
            ));
            connector.set_connector_settings(settings.cloned());
            if let Some(components) = components {
                connector.set_sleep_impl(components.sleep_impl());
            }
            connector.set_proxy_config(Some(ProxyConfig::from_env()));
            connector.build()
        });
        self.wrap(inner)
    }
}

impl Default for Pacer {
    /// A pacer at Cognito's default quotas.
    fn default() -> Self {
        Self::new(&QuotaRates::cognito_defaults())
    }
}

#[derive(Debug)]
struct PacedClient {
    inner: SharedHttpClient,
    pacer: Pacer,
}

impl HttpClient for PacedClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        PacedConnector {
            inner: self.inner.http_connector(settings, components),
            pacer: self.pacer.clone(),
        }
        .into_shared()
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.inner.connector_metadata()
    }
}

#[derive(Debug)]
struct PacedConnector {
    inner: SharedHttpConnector,
    pacer: Pacer,
}

/// The operation a Cognito JSON request calls: `X-Amz-Target: AWSCognitoIdentityProviderService.AdminCreateUser`.
fn operation_of(request: &HttpRequest) -> Option<Operation> {
    let target = request.headers().get("x-amz-target")?;
    Operation::from_name(target.rsplit('.').next()?)
}

/// Whether Cognito answered "slow down".
fn is_throttle(response: &HttpResponse) -> bool {
    let status = response.status().as_u16();
    (status == 400 || status == 429)
        && response.headers().get("x-amzn-errortype").is_some_and(|t| {
            t.starts_with("TooManyRequestsException") || t.starts_with("ThrottlingException")
        })
}

impl HttpConnector for PacedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let operation = operation_of(&request);
        let inner = self.inner.clone();
        let pacer = self.pacer.clone();
        HttpConnectorFuture::new(async move {
            let name = operation.map_or("other", Operation::name);
            if let Some(op) = operation {
                let waited = Instant::now();
                pacer.wait(op).await;
                metrics::histogram!(
                    "cognito_mcp_pacing_wait_seconds",
                    "category" => op.quota_category().name()
                )
                .record(waited.elapsed().as_secs_f64());
            }
            let sent = Instant::now();
            let response = match inner.call(request).await {
                Ok(r) => r,
                Err(e) => {
                    metrics::counter!("cognito_mcp_aws_requests_total", "operation" => name, "outcome" => "unreachable")
                        .increment(1);
                    return Err(e);
                }
            };
            metrics::histogram!("cognito_mcp_aws_request_duration_seconds", "operation" => name)
                .record(sent.elapsed().as_secs_f64());
            let outcome = if is_throttle(&response) {
                if let Some(op) = operation {
                    pacer.note_throttle(op);
                }
                calls::record_throttle();
                "throttled"
            } else {
                if let Some(op) = operation {
                    pacer.note_success(op);
                }
                if response.status().is_success() {
                    "ok"
                } else {
                    "error"
                }
            };
            metrics::counter!("cognito_mcp_aws_requests_total", "operation" => name, "outcome" => outcome)
                .increment(1);
            Ok(response)
        })
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
