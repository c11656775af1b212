//! [`SecretRefresher`]: resolves the references of secret settings at start, and again on a
//! schedule, so a rotated secret is taken without a restart.

use std::sync::Arc;
use std::time::Duration;

use super::aws::AwsReader;
use super::{SecretError, SecretSetting};

/// The default time between two refreshes: 5 minutes.
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(300);
/// The shortest time between two refreshes that may be configured (each is a paid AWS call
/// per reference).
pub const MIN_REFRESH: Duration = Duration::from_secs(1);
/// The longest: a day.
pub const MAX_REFRESH: Duration = Duration::from_secs(86_400);

/// The metric of refreshes, by outcome (`unchanged`, `changed`, `failed`).
pub const REFRESH_METRIC: &str = "cognito_mcp_secret_refresh_total";

/// Reads the references of a set of secret settings from AWS: every one at
/// [`SecretRefresher::start`] (a reference that cannot be read fails the start), then again
/// every period once [`SecretRefresher::spawn`]ed. A value that changed is swapped into the
/// setting's [`cognito_idp::RotatingSecret`], which its users read at the time of use; a failed
/// refresh keeps the last good value, logs a warning naming the setting and the reference
/// (never a value) and counts `cognito_mcp_secret_refresh_total{outcome="failed"}`.
///
/// Clones share the settings.
#[derive(Clone, Debug)]
pub struct SecretRefresher {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    settings: Vec<SecretSetting>,
    aws: Option<AwsReader>,
    every: Duration,
}

/// The background refresh of a [`SecretRefresher`]; dropping it stops the refresh.
#[derive(Debug)]
pub struct RefreshTask(tokio::task::AbortHandle);

impl Drop for RefreshTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl SecretRefresher {
    /// Resolves every setting among `settings` that is a reference and not yet resolved (in
    /// `region` for names and parameters; the endpoint overrides from `env`); `None` when
    /// there is none. Fails with every setting that could not be read.
    pub async fn start(
        settings: impl IntoIterator<Item = SecretSetting>,
        region: &str,
        every: Duration,
        env: &(dyn Fn(&str) -> Option<String> + Send + Sync),
    ) -> Result<Option<Self>, Vec<SecretError>> {
        let mut chosen: Vec<SecretSetting> = Vec::new();
        for s in settings {
            if s.is_reference() && !s.is_resolved() && !chosen.iter().any(|c| c.same_as(&s)) {
                chosen.push(s);
            }
        }
        if chosen.is_empty() {
            return Ok(None);
        }
        #[cfg(feature = "aws-secrets")]
        let aws = Some(AwsReader::new(region, env).await);
        #[cfg(not(feature = "aws-secrets"))]
        let aws = {
            let _ = (region, env);
            None
        };
        let refresher = Self {
            inner: Arc::new(Inner {
                settings: chosen,
                aws,
                every,
            }),
        };
        let mut errors = Vec::new();
        for s in &refresher.inner.settings {
            match s.resolve(refresher.inner.aws.as_ref()).await {
                Ok(_) => tracing::info!(
                    setting = s.name(),
                    reference = s.reference().unwrap_or_default(),
                    "secret read from AWS"
                ),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(Some(refresher))
        } else {
            Err(errors)
        }
    }

    /// The settings this refresher reads.
    pub fn settings(&self) -> &[SecretSetting] {
        &self.inner.settings
    }

    /// Reads every reference again now; tells how many values changed. Failures are logged
    /// and counted, and keep the last good value.
    pub async fn refresh_now(&self) -> usize {
        let mut changed = 0;
        for s in &self.inner.settings {
            let reference = s.reference().unwrap_or_default();
            let outcome = match s.resolve(self.inner.aws.as_ref()).await {
                Ok(false) => "unchanged",
                Ok(true) => {
                    changed += 1;
                    if s.is_read_at_start() {
                        tracing::warn!(
                            setting = s.name(),
                            reference,
                            "the secret changed in AWS, but it is read once at start: restart to use the new value"
                        );
                    } else {
                        tracing::info!(
                            setting = s.name(),
                            reference,
                            "the secret changed in AWS: the new value is in use"
                        );
                    }
                    "changed"
                }
                Err(e) => {
                    tracing::warn!(
                        setting = s.name(),
                        reference,
                        error = %e,
                        "could not refresh the secret; keeping the last value read"
                    );
                    "failed"
                }
            };
            metrics::counter!(REFRESH_METRIC, "outcome" => outcome).increment(1);
        }
        changed
    }

    /// Refreshes every period in the background until the task is dropped.
    pub fn spawn(&self) -> RefreshTask {
        let this = self.clone();
        let every = self.inner.every;
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                this.refresh_now().await;
            }
        });
        RefreshTask(task.abort_handle())
    }
}

/// Every error of [`SecretRefresher::start`] on one line each.
pub fn describe(errors: &[SecretError]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}
