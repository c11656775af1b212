//! Readiness: whether this server can serve requests now, for a load balancer's or an
//! orchestrator's probe (`/readyz`), as opposed to liveness (`/healthz`: the process answers).
//!
//! Ready means: every key set it verifies tokens with is fetched (a server without the pool's
//! keys answers every call 401), and in proxy mode its state store answers a read. The probe
//! is public, so what it says is the check's name and state only; the detail (a store's
//! address, the fetch error) goes to the log.

use std::fmt;

use serde::Serialize;

use crate::CognitoAuth;
use crate::store::Kind;

/// One readiness check's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckState {
    /// It passes.
    Ok,
    /// The pool's key set is not fetched yet (or has no keys).
    KeysMissing,
    /// The state store did not answer a read.
    StoreUnreachable,
}

/// What a readiness probe found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Readiness {
    /// The pool's key set (`ok` or `keys_missing`), when tokens of the pool are accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys: Option<CheckState>,
    /// The state store (`ok` or `store_unreachable`), in proxy mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<CheckState>,
}

impl Readiness {
    /// Whether every check passed.
    pub fn is_ready(&self) -> bool {
        [self.keys, self.store]
            .into_iter()
            .flatten()
            .all(|c| c == CheckState::Ok)
    }
}

impl fmt::Display for Readiness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.is_ready() {
            "ready"
        } else {
            "not ready"
        })
    }
}

/// A key nothing writes: reading it is the store's round trip.
const PROBE_KEY: &str = "readiness-probe";

impl CognitoAuth {
    /// Runs the readiness checks: the pool's key set is held (one fetch first when it is not,
    /// at most once per refetch interval, so a server whose start-up fetch failed recovers),
    /// and in proxy mode the state store answers a read.
    ///
    /// ```no_run
    /// # async fn run(auth: cognito_mcp_auth::CognitoAuth) {
    /// let r = auth.readiness().await;
    /// let status = if r.is_ready() { 200 } else { 503 };
    /// # let _ = status;
    /// # }
    /// ```
    pub async fn readiness(&self) -> Readiness {
        let keys = match self.protected_resource().cognito_verifier() {
            None => None,
            Some(v) => Some(match v.ensure_keys().await {
                Ok(n) if n > 0 => CheckState::Ok,
                Ok(_) => {
                    tracing::warn!("not ready: the pool's key set is not fetched yet");
                    CheckState::KeysMissing
                }
                Err(e) => {
                    tracing::warn!(error = %e, "not ready: the pool's key set cannot be fetched");
                    CheckState::KeysMissing
                }
            }),
        };
        let store = match self.authorization_server() {
            None => None,
            Some(server) => Some(match server.store().get(Kind::Meta, PROBE_KEY).await {
                Ok(_) => CheckState::Ok,
                Err(e) => {
                    tracing::warn!(error = %e, "not ready: the state store does not answer");
                    CheckState::StoreUnreachable
                }
            }),
        };
        Readiness { keys, store }
    }
}
