//! `[pacing]`: the request rate per quota category, the retries, and whether the instances
//! share one schedule.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Problem, non_empty};

/// Attempts per AWS call by default.
pub(crate) const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// `[pacing]`: `enabled`, `max_attempts`, `retry_mode`, `shared`, and a rate per quota
/// category (`user_creation = 50`).
#[derive(Debug, Default, Deserialize)]
pub(super) struct PacingFile {
    enabled: Option<bool>,
    max_attempts: Option<u32>,
    retry_mode: Option<String>,
    shared: Option<String>,
    #[serde(flatten)]
    rates: BTreeMap<String, f64>,
}

/// `[pacing]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PacingSettings {
    /// The request rate per quota category; `None` when pacing is off.
    pub(crate) rates: Option<cognito_admin::pace::QuotaRates>,
    /// Attempts per AWS call, the first included.
    pub(crate) max_attempts: u32,
    /// The SDK's retry mode: standard (default) or adaptive.
    pub(crate) adaptive_retry: bool,
    /// `COGNITO_MCP_PACING_SHARED`, `pacing.shared = "redis"`: every instance takes its slots
    /// from one schedule in the Redis of `COGNITO_MCP_REDIS_URL` (`auth.redis_*`), so together
    /// they keep to the rates; default `"none"`, each instance paces on its own.
    pub(crate) shared: bool,
}

/// Reads `[pacing]` (and `COGNITO_MCP_PACING_SHARED`), collecting what is wrong with it.
pub(super) fn settings(
    pacing: PacingFile,
    env: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<Problem>,
) -> PacingSettings {
    let max_attempts = pacing.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS);
    if !(1..=10).contains(&max_attempts) {
        problems.push(Problem::new(format!(
            "pacing.max_attempts is {max_attempts}; set it from 1 to 10 (default \
             {DEFAULT_MAX_ATTEMPTS})"
        )));
    }
    let adaptive_retry = match pacing.retry_mode.as_deref() {
        None | Some("standard") => false,
        Some("adaptive") => true,
        Some(other) => {
            problems.push(Problem::new(format!(
                "pacing.retry_mode is {other:?}; write \"standard\" (the default) or \"adaptive\""
            )));
            false
        }
    };
    let mut rates = cognito_admin::pace::QuotaRates::cognito_defaults();
    for (key, rate) in pacing.rates {
        match cognito_admin::QuotaCategory::from_key(&key) {
            None => problems.push(Problem::new(format!(
                "pacing.{key} is not a setting; pacing takes enabled, max_attempts, retry_mode, \
                 shared and a rate per quota category: {}",
                cognito_admin::QuotaCategory::ALL
                    .iter()
                    .map(|c| c.key())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
            Some(c) => {
                if let Err(e) = rates.set(c, rate) {
                    problems.push(Problem::new(format!(
                        "{} is {rate}; set {}",
                        e.field, e.requirement
                    )));
                }
            }
        }
    }
    PacingSettings {
        rates: pacing.enabled.unwrap_or(true).then_some(rates),
        max_attempts,
        adaptive_retry,
        shared: shared_pacing(
            non_empty(env("COGNITO_MCP_PACING_SHARED")).or(pacing.shared),
            problems,
        ),
    }
}

/// `pacing.shared`: `"redis"` or `"none"` (the default).
fn shared_pacing(value: Option<String>, problems: &mut Vec<Problem>) -> bool {
    match value.as_deref().map(str::trim) {
        None | Some("none") => false,
        Some("redis") => true,
        Some(other) => {
            problems.push(Problem::new(format!(
                "pacing.shared (COGNITO_MCP_PACING_SHARED) is {other:?}; write \"redis\" (every \
                 instance takes its slots from one schedule in Redis) or \"none\" (the default: \
                 each paces on its own)"
            )));
            false
        }
    }
}
