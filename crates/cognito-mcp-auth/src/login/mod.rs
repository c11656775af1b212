//! A sign-in page of the server's own, for pools without a hosted-UI domain (and for moto,
//! which has none): [`CognitoLogin`] is an [`Upstream`] that signs the user in against the
//! pool itself.
//!
//! After consent the browser comes to `GET /login`. The password goes to Cognito through
//! `USER_SRP_AUTH` (the password itself never leaves the server) or, where the app client
//! allows only that, `ADMIN_USER_PASSWORD_AUTH`; with `SECRET_HASH` when the app client has a
//! secret. Each challenge has its own page: `NEW_PASSWORD_REQUIRED` (the pool's password
//! policy shown and checked first), `SOFTWARE_TOKEN_MFA`, `SMS_MFA`, `EMAIL_OTP`,
//! `SELECT_MFA_TYPE`, and `MFA_SETUP` (TOTP enrollment with a QR code and the key as text).
//! Failed attempts are limited per username and per client address, with a lockout that
//! doubles; the error never tells an unknown user from a wrong password.
//!
//! The sign-in ends like the hosted path: Cognito's tokens are verified, kept server-side, and
//! the browser goes to `/auth/callback` with a one-time code that only this sign-in's
//! transaction (and browser) can redeem, where the server issues its own code to the client.

mod challenge;
mod cognito;
mod flow;
mod lockout;
mod pages;
mod policy;
pub(crate) mod srp;
mod tag;

use std::sync::Arc;
use std::time::Duration;

use cognito_idp::{AuthStep, Secret};
use cognito_jwt::{Clock, CognitoVerifier, SystemClock};
use serde::{Deserialize, Serialize};

use crate::authz::upstream::{
    Identity, Upstream, UpstreamError, UpstreamFuture, UpstreamGrant, UpstreamRequest, verify_grant,
};
use crate::store::{Kind, Store};
use cognito::{Cognito, Failure};

/// How the page authenticates the password against the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AuthFlow {
    /// `USER_SRP_AUTH` when the app client allows it, else `ADMIN_USER_PASSWORD_AUTH`
    /// (read from the app client once, with DescribeUserPoolClient).
    #[default]
    Auto,
    /// `USER_SRP_AUTH`: the password never travels to Cognito.
    Srp,
    /// `ADMIN_USER_PASSWORD_AUTH` (needs IAM `cognito-idp:AdminInitiateAuth` and
    /// `AdminRespondToAuthChallenge`).
    AdminPassword,
}

/// A pool's password policy, shown on the new-password page and checked before Cognito is
/// asked (the shared one of `cognito-idp`; the page's wording is in `policy.rs`).
pub use cognito_idp::PasswordPolicy;

/// Limits on failed sign-ins.
///
/// The first `per_username` failures for a username (and `per_address` for a client address)
/// within `window` cost nothing; each failure after that locks the username (or address) for
/// `base_delay`, doubling with every further failure up to `max_delay`. The username counter
/// is cleared by a successful sign-in; the address counter is not, so one valid account
/// cannot be used to reset it.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Lockout {
    /// Free failures per username. Default: 5.
    pub per_username: u64,
    /// Free failures per client address. Default: 20.
    pub per_address: u64,
    /// How long failures are counted. Default: 15 minutes.
    pub window: Duration,
    /// The first lockout. Default: 30 seconds.
    pub base_delay: Duration,
    /// The longest lockout. Default: 15 minutes.
    pub max_delay: Duration,
}

impl Default for Lockout {
    fn default() -> Self {
        Self {
            per_username: 5,
            per_address: 20,
            window: Duration::from_secs(15 * 60),
            base_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(15 * 60),
        }
    }
}

/// Settings of [`CognitoLogin`]. Its `Debug` never shows the client secret.
#[derive(Clone)]
#[non_exhaustive]
pub struct LoginConfig {
    /// The user pool id (`us-east-1_AbC123`).
    pub pool_id: String,
    /// The server's app client.
    pub client_id: String,
    /// Its secret, when it has one (`SECRET_HASH` is then sent), read at the time of each
    /// call. During a rotation (a previous secret too) the one that last worked is sent first,
    /// and the other once when Cognito refuses the `SECRET_HASH`.
    pub client_secret: Option<cognito_idp::RotatingSecret>,
    /// The password flow. Default: [`AuthFlow::Auto`].
    pub flow: AuthFlow,
    /// Failed-attempt limits. Default: [`Lockout::default`].
    pub lockout: Lockout,
    /// The sign-in page's heading. Default: `Sign in`.
    pub title: String,
    /// The issuer name authenticator apps show for enrolled accounts. Default: `cognito-mcp`.
    pub totp_issuer: String,
    /// The clock of the failure limits (their windows and lockouts). Default: the system
    /// clock. Cognito's tokens are still checked against the system clock: Cognito minted them.
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for LoginConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginConfig")
            .field("pool_id", &self.pool_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("flow", &self.flow)
            .field("lockout", &self.lockout)
            .field("title", &self.title)
            .finish_non_exhaustive()
    }
}

impl LoginConfig {
    /// Settings for app client `client_id` of pool `pool_id`.
    pub fn new(pool_id: impl Into<String>, client_id: impl Into<String>) -> Self {
        Self {
            pool_id: pool_id.into(),
            client_id: client_id.into(),
            client_secret: None,
            flow: AuthFlow::Auto,
            lockout: Lockout::default(),
            title: "Sign in".into(),
            totp_issuer: "cognito-mcp".into(),
            clock: Arc::new(SystemClock),
        }
    }
}

/// The sign-in page upstream. Cheap to clone.
#[derive(Clone)]
pub struct CognitoLogin {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for CognitoLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CognitoLogin")
            .field("pool_id", &self.inner.cognito.pool_id)
            .field("client_id", &self.inner.cognito.client_id)
            .finish_non_exhaustive()
    }
}

struct Inner {
    cognito: Cognito,
    verifier: CognitoVerifier,
    store: Arc<dyn Store>,
    lockout: Lockout,
    title: String,
    totp_issuer: String,
    tagger: tag::Tagger,
    clock: Arc<dyn Clock>,
}

/// A finished sign-in waiting for the callback.
#[derive(Serialize, Deserialize)]
struct FinishedSignIn {
    state: String,
    identity: Identity,
    scopes: Vec<String>,
    refresh: Option<String>,
    #[serde(default)]
    id: Option<String>,
}

/// The upstream refresh token as the authorization server keeps it: with the username its
/// `SECRET_HASH` needs.
#[derive(Serialize, Deserialize)]
struct Refresh {
    u: String,
    t: String,
}

impl CognitoLogin {
    /// The sign-in page for `config`.
    ///
    /// `cognito` is an SDK client for the pool's region (and endpoint). `verifier` verifies the
    /// pool's tokens for this app client (issuer, key set, `client_id`). `store` keeps the
    /// sign-ins under way and the failure counters; give it the authorization server's store
    /// so any instance can serve any step.
    pub fn new(
        config: LoginConfig,
        cognito: aws_sdk_cognitoidentityprovider::Client,
        verifier: CognitoVerifier,
        store: Arc<dyn Store>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                cognito: Cognito::new(
                    cognito,
                    config.pool_id,
                    config.client_id,
                    config.client_secret,
                    config.flow,
                ),
                verifier,
                store,
                lockout: config.lockout,
                title: config.title,
                totp_issuer: config.totp_issuer,
                tagger: tag::Tagger::default(),
                clock: config.clock,
            }),
        }
    }

    /// Turns Cognito's tokens into a grant; the refresh token is kept with the username.
    async fn grant(
        &self,
        access: &str,
        id: Option<&str>,
        refresh: Option<String>,
        username: &str,
    ) -> Result<UpstreamGrant, UpstreamError> {
        let mut grant = verify_grant(&self.inner.verifier, access, id, None, None).await?;
        let hash_user = grant
            .identity
            .username
            .clone()
            .unwrap_or_else(|| username.to_owned());
        grant.refresh_token = refresh
            .map(|t| serde_json::to_string(&Refresh { u: hash_user, t }).unwrap_or_default());
        Ok(grant)
    }
}

fn upstream_failure(f: Failure) -> UpstreamError {
    match f {
        Failure::BadCredentials | Failure::SessionExpired => {
            UpstreamError::InvalidGrant("Cognito refused the refresh token".into())
        }
        Failure::Unavailable(m) | Failure::Misconfigured(m) => UpstreamError::Unavailable(m),
        other => UpstreamError::Unavailable(format!("{other:?}")),
    }
}

impl Upstream for CognitoLogin {
    fn authorize_url<'a>(&'a self, r: &'a UpstreamRequest) -> UpstreamFuture<'a, String> {
        Box::pin(async move {
            flow::begin(self, r).await?;
            let mut url = url::Url::parse(&format!("{}/login", r.issuer)).map_err(|e| {
                UpstreamError::Unavailable(format!("the issuer is not a base URL: {e}"))
            })?;
            url.query_pairs_mut().append_pair("state", &r.state);
            Ok(url.into())
        })
    }

    fn exchange<'a>(
        &'a self,
        code: &'a str,
        r: &'a UpstreamRequest,
    ) -> UpstreamFuture<'a, UpstreamGrant> {
        Box::pin(async move {
            let taken = self
                .inner
                .store
                .take(Kind::LoginGrant, code)
                .await
                .map_err(|e| UpstreamError::Unavailable(e.to_string()))?
                .ok_or_else(|| {
                    UpstreamError::InvalidGrant("the sign-in code is unknown or used".into())
                })?;
            let done: FinishedSignIn = crate::authz::model::decode(&taken)
                .map_err(|e| UpstreamError::Unavailable(e.to_string()))?;
            if !crate::authz::crypto::ct_eq(&done.state, &r.state) {
                return Err(UpstreamError::InvalidGrant(
                    "the sign-in code belongs to another sign-in".into(),
                ));
            }
            Ok(UpstreamGrant {
                identity: done.identity,
                scopes: done.scopes,
                refresh_token: done.refresh,
                id_token: done.id,
            })
        })
    }

    fn refresh<'a>(&'a self, refresh_token: &'a str) -> UpstreamFuture<'a, UpstreamGrant> {
        Box::pin(async move {
            let r: Refresh = serde_json::from_str(refresh_token).map_err(|_| {
                UpstreamError::InvalidGrant("the upstream refresh token is not one of ours".into())
            })?;
            match self
                .inner
                .cognito
                .refresh(&r.u, &r.t)
                .await
                .map_err(upstream_failure)?
            {
                AuthStep::SignedIn(t) => {
                    let keep = t
                        .refresh_token
                        .as_ref()
                        .map_or(r.t, |t| t.expose().to_owned());
                    let id = t.id_token.as_ref().map(Secret::expose);
                    self.grant(t.access_token.expose(), id, Some(keep), &r.u)
                        .await
                }
                AuthStep::Challenge(c) => Err(UpstreamError::InvalidGrant(format!(
                    "Cognito asked for {} at refresh",
                    c.name
                ))),
            }
        })
    }

    fn revoke<'a>(&'a self, refresh_token: &'a str) -> UpstreamFuture<'a, ()> {
        Box::pin(async move {
            let Ok(r) = serde_json::from_str::<Refresh>(refresh_token) else {
                return Ok(());
            };
            self.inner
                .cognito
                .revoke(&r.t)
                .await
                .map_err(upstream_failure)
        })
    }

    fn routes(&self) -> Option<axum::Router> {
        Some(flow::routes(self.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_client_secret() {
        let mut c = LoginConfig::new("us-east-1_x", "client");
        c.client_secret = Some(cognito_idp::RotatingSecret::new(Secret::new(
            "very-secret-value",
        )));
        let shown = format!("{c:?}");
        assert!(!shown.contains("very-secret-value"), "{shown}");
    }
}
