//! The upstream identity provider that signs users in: Cognito's hosted UI (or any OpenID
//! provider shaped like it), behind the [`Upstream`] trait so a login page of the server's own
//! can take its place.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use cognito_idp::RotatingSecret;
use cognito_jwt::{CognitoVerifier, VerifierBuilder, VerifyError};
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

/// Who signed in, as the upstream's verified tokens say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Identity {
    /// The user's stable id (`sub`).
    pub sub: String,
    /// The username (`username` / `cognito:username`).
    pub username: Option<String>,
    /// Cognito groups (`cognito:groups`).
    pub groups: Vec<String>,
    /// The email address, if the id token carries one.
    pub email: Option<String>,
}

impl Identity {
    /// An identity.
    pub fn new(sub: impl Into<String>, username: Option<String>, groups: Vec<String>) -> Self {
        Self {
            sub: sub.into(),
            username,
            groups,
            email: None,
        }
    }
}

/// What a sign-in (or an upstream refresh) yields.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct UpstreamGrant {
    /// The user.
    pub identity: Identity,
    /// The scopes of the upstream access token (resource-server scopes such as `mcp/read`).
    pub scopes: Vec<String>,
    /// The upstream refresh token, kept server-side only.
    pub refresh_token: Option<String>,
    /// The upstream (Cognito) ID token, verified, kept server-side only: what an identity pool
    /// takes to give the user AWS credentials ([`Caller::aws_credentials`]).
    ///
    /// [`Caller::aws_credentials`]: crate::Caller::aws_credentials
    pub id_token: Option<String>,
}

/// One sign-in's parameters toward the upstream: the server's own PKCE pair, `state` and
/// `nonce`, fresh per transaction.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct UpstreamRequest {
    /// The `state` the upstream returns to the callback.
    pub state: String,
    /// The PKCE verifier (sent at the code exchange).
    pub code_verifier: String,
    /// Its S256 challenge (sent at authorization).
    pub code_challenge: String,
    /// The OpenID nonce the id token must carry.
    pub nonce: String,
    /// The server's callback URL.
    pub redirect_uri: String,
    /// The authorization server's issuer (its public base URL), where an upstream that serves
    /// its own pages (see [`Upstream::routes`]) is reached.
    pub issuer: String,
}

/// Why the upstream could not sign the user in.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpstreamError {
    /// The upstream refused the grant (expired, revoked, or the user was signed out).
    #[error("the upstream refused the grant: {0}")]
    InvalidGrant(String),
    /// The upstream could not be reached or answered something unusable.
    #[error("the upstream is unavailable: {0}")]
    Unavailable(String),
    /// A token from the upstream failed verification.
    #[error("the upstream's token failed verification: {0}")]
    InvalidToken(#[from] VerifyError),
    /// The id token's nonce is not the transaction's.
    #[error("the upstream's id token does not carry this sign-in's nonce")]
    NonceMismatch,
}

/// A boxed future of an [`Upstream`] method.
pub type UpstreamFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, UpstreamError>> + Send + 'a>>;

/// Signs users in for the authorization server.
pub trait Upstream: Send + Sync + std::fmt::Debug + 'static {
    /// Where to send the browser to sign in.
    fn authorize_url<'a>(&'a self, request: &'a UpstreamRequest) -> UpstreamFuture<'a, String>;

    /// Exchanges the code the upstream sent to the callback, and verifies what comes back.
    fn exchange<'a>(
        &'a self,
        code: &'a str,
        request: &'a UpstreamRequest,
    ) -> UpstreamFuture<'a, UpstreamGrant>;

    /// Refreshes an upstream session (server-side; the client never sees upstream tokens).
    fn refresh<'a>(&'a self, refresh_token: &'a str) -> UpstreamFuture<'a, UpstreamGrant>;

    /// Revokes an upstream refresh token. Upstreams without revocation do nothing.
    fn revoke<'a>(&'a self, refresh_token: &'a str) -> UpstreamFuture<'a, ()>;

    /// The scopes this upstream asks Cognito for. Scopes a grant carries beyond these (and
    /// beyond `aws.cognito.signin.user.admin`) are ignored and logged: they come from an
    /// altered sign-in URL or an app client that allows more than it needs. Default: none.
    fn asked_scopes(&self) -> &[String] {
        &[]
    }

    /// Pages the upstream serves itself on the authorization server (a sign-in page), merged
    /// into [`AuthorizationServer::routes`](crate::authz::AuthorizationServer::routes).
    /// Default: none; the hosted UI is elsewhere.
    fn routes(&self) -> Option<axum::Router> {
        None
    }
}

/// Settings of [`HostedUi`]. Its `Debug` never shows the client secret.
#[derive(Clone)]
#[non_exhaustive]
pub struct HostedUiConfig {
    /// The hosted-UI base (`https://PREFIX.auth.REGION.amazoncognito.com` or a custom domain).
    /// When set, the endpoints are `{domain}/oauth2/authorize`, `/oauth2/token`,
    /// `/oauth2/revoke`. Default: none (discovery).
    pub domain: Option<String>,
    /// The OpenID discovery document. Default: `{issuer}/.well-known/openid-configuration`.
    pub discovery_url: Option<String>,
    /// The issuer the upstream's tokens carry (the pool's issuer for Cognito).
    pub issuer: String,
    /// The key set. Default: discovery's `jwks_uri`, else `{issuer}/.well-known/jwks.json`.
    pub jwks_url: Option<String>,
    /// The server's own app client.
    pub client_id: String,
    /// Its secret, sent with HTTP Basic at the token endpoint, read at the time of each call.
    /// During a rotation (a previous secret too) the one that last worked is sent first and
    /// the other once after an `invalid_client` answer. Default: none (public client).
    pub client_secret: Option<RotatingSecret>,
    /// Scopes asked of the upstream. Default: `openid email profile`.
    pub scopes: Vec<String>,
    /// How long one call to the upstream may take. Default: 10 seconds.
    pub timeout: Duration,
    /// Attempts at the token endpoint when it fails with 5xx, times out or cannot be reached
    /// (never on a 4xx answer), with a doubling pause from 200 ms. Default: 3.
    pub attempts: u32,
}

impl std::fmt::Debug for HostedUiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostedUiConfig")
            .field("domain", &self.domain)
            .field("discovery_url", &self.discovery_url)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("scopes", &self.scopes)
            .field("timeout", &self.timeout)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

impl HostedUiConfig {
    /// Settings for the app client `client_id` of the issuer `issuer`.
    pub fn new(issuer: impl Into<String>, client_id: impl Into<String>) -> Self {
        Self {
            domain: None,
            discovery_url: None,
            issuer: issuer.into().trim_end_matches('/').to_owned(),
            jwks_url: None,
            client_id: client_id.into(),
            client_secret: None,
            scopes: vec!["openid".into(), "email".into(), "profile".into()],
            timeout: Duration::from_secs(10),
            attempts: 3,
        }
    }
}

#[derive(Debug)]
struct Endpoints {
    authorize: String,
    token: String,
    revoke: Option<String>,
    verifier: CognitoVerifier,
}

/// Cognito's hosted UI, or any OpenID provider that issues Cognito-shaped tokens.
#[derive(Debug, Clone)]
pub struct HostedUi {
    inner: Arc<HostedInner>,
}

#[derive(Debug)]
struct HostedInner {
    config: HostedUiConfig,
    http: reqwest::Client,
    endpoints: OnceCell<Endpoints>,
}

#[derive(Deserialize)]
struct Discovery {
    authorization_endpoint: String,
    token_endpoint: String,
    revocation_endpoint: Option<String>,
    jwks_uri: Option<String>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    id_token: Option<String>,
    refresh_token: Option<String>,
}

#[derive(Deserialize)]
struct TokenError {
    error: Option<String>,
    error_description: Option<String>,
}

impl HostedUi {
    /// The upstream for `config`. Endpoints are resolved at first use.
    pub fn new(config: HostedUiConfig) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .build()
            .unwrap_or_default();
        Self {
            inner: Arc::new(HostedInner {
                config,
                http,
                endpoints: OnceCell::new(),
            }),
        }
    }

    async fn endpoints(&self) -> Result<&Endpoints, UpstreamError> {
        self.inner
            .endpoints
            .get_or_try_init(|| self.resolve())
            .await
    }

    async fn resolve(&self) -> Result<Endpoints, UpstreamError> {
        let c = &self.inner.config;
        let (authorize, token, revoke, discovered_jwks) =
            match &c.domain {
                Some(domain) => {
                    let d = domain.trim_end_matches('/');
                    (
                        format!("{d}/oauth2/authorize"),
                        format!("{d}/oauth2/token"),
                        Some(format!("{d}/oauth2/revoke")),
                        None,
                    )
                }
                None => {
                    let url = c.discovery_url.clone().unwrap_or_else(|| {
                        format!("{}/.well-known/openid-configuration", c.issuer)
                    });
                    let resp = self.inner.http.get(&url).send().await.map_err(|e| {
                        UpstreamError::Unavailable(format!("discovery at {url}: {e}"))
                    })?;
                    if !resp.status().is_success() {
                        return Err(UpstreamError::Unavailable(format!(
                            "discovery at {url} answered {}",
                            resp.status()
                        )));
                    }
                    let d: Discovery = resp.json().await.map_err(|e| {
                        UpstreamError::Unavailable(format!("discovery at {url} is not usable: {e}"))
                    })?;
                    (
                        d.authorization_endpoint,
                        d.token_endpoint,
                        d.revocation_endpoint,
                        d.jwks_uri,
                    )
                }
            };
        let mut vb = VerifierBuilder::new(c.issuer.clone()).allow_client(c.client_id.clone());
        if let Some(jwks) = c.jwks_url.clone().or(discovered_jwks) {
            vb = vb.jwks_url(jwks);
        }
        let verifier = vb
            .build()
            .map_err(|e| UpstreamError::Unavailable(e.to_string()))?;
        Ok(Endpoints {
            authorize,
            token,
            revoke,
            verifier,
        })
    }

    /// Calls the token endpoint, retrying what may be transient: no answer, or a 5xx.
    async fn token_call(
        &self,
        form: &[(&str, &str)],
    ) -> Result<(TokenResponse, &Endpoints), UpstreamError> {
        let attempts = self.inner.config.attempts.max(1);
        let mut pause = Duration::from_millis(200);
        let mut attempt = 1;
        loop {
            match self.token_call_once(form).await {
                Err(Retry::Transient(e)) if attempt < attempts => {
                    tracing::warn!(attempt, error = %e, "the upstream token endpoint failed; retrying");
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                    attempt += 1;
                }
                Err(Retry::Transient(e)) => {
                    return Err(UpstreamError::Unavailable(format!(
                        "{e} (after {attempts} attempts)"
                    )));
                }
                Err(Retry::Final(e) | Retry::SecretRefused(e)) => return Err(e),
                Ok(v) => return Ok(v),
            }
        }
    }

    async fn token_call_once(
        &self,
        form: &[(&str, &str)],
    ) -> Result<(TokenResponse, &Endpoints), Retry> {
        let ep = self.endpoints().await.map_err(Retry::Final)?;
        let c = &self.inner.config;
        let secrets = c
            .client_secret
            .as_ref()
            .map(RotatingSecret::in_order)
            .unwrap_or_default();
        let mut tries = secrets.iter().map(Some).collect::<Vec<_>>();
        if tries.is_empty() {
            tries.push(None);
        }
        let last = tries.len() - 1;
        for (i, secret) in tries.into_iter().enumerate() {
            match self.token_call_with(ep, form, secret).await {
                // A rotation under way: the other secret may be the one Cognito holds.
                Err(Retry::SecretRefused(_)) if i < last => {
                    tracing::info!(
                        "the token endpoint refused the app client secret; trying the other one of the rotation"
                    );
                }
                Ok(t) => {
                    if let (Some(s), Some(rotating)) = (secret, &c.client_secret) {
                        rotating.worked(s);
                    }
                    return Ok((t, ep));
                }
                Err(e) => return Err(e),
            }
        }
        unreachable!("the last try returns")
    }

    async fn token_call_with(
        &self,
        ep: &Endpoints,
        form: &[(&str, &str)],
        secret: Option<&cognito_idp::Secret>,
    ) -> Result<TokenResponse, Retry> {
        let c = &self.inner.config;
        let mut req = with_form(self.inner.http.post(&ep.token), form);
        if let Some(secret) = secret {
            req = req.basic_auth(
                form_encode(&c.client_id),
                Some(form_encode(secret.expose())),
            );
        }
        let resp = req
            .send()
            .await
            .map_err(|e| Retry::Transient(format!("token endpoint: {e}")))?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| Retry::Transient(format!("token endpoint: {e}")))?;
        if status.is_success() {
            let t: TokenResponse = serde_json::from_slice(&body).map_err(|e| {
                Retry::Final(UpstreamError::Unavailable(format!(
                    "the token response is not usable: {e}"
                )))
            })?;
            return Ok(t);
        }
        if status.is_server_error() {
            return Err(Retry::Transient(format!(
                "token endpoint answered {status}"
            )));
        }
        let err: Option<TokenError> = serde_json::from_slice(&body).ok();
        let (code, desc) = err
            .map(|e| {
                (
                    e.error.unwrap_or_default(),
                    e.error_description.unwrap_or_default(),
                )
            })
            .unwrap_or_default();
        if status.is_client_error() && code == "invalid_grant" {
            Err(Retry::Final(UpstreamError::InvalidGrant(desc)))
        } else if status.is_client_error() && code == "invalid_client" {
            Err(Retry::SecretRefused(UpstreamError::Unavailable(format!(
                "token endpoint answered {status} invalid_client {desc}: Cognito refused the \
                 app client's id or secret; check COGNITO_CLIENT_ID and COGNITO_CLIENT_SECRET"
            ))))
        } else {
            Err(Retry::Final(UpstreamError::Unavailable(format!(
                "token endpoint answered {status} {code} {desc}"
            ))))
        }
    }

    async fn grant(
        &self,
        t: TokenResponse,
        ep: &Endpoints,
        nonce: Option<&str>,
        previous_refresh: Option<&str>,
    ) -> Result<UpstreamGrant, UpstreamError> {
        let access = t
            .access_token
            .ok_or_else(|| UpstreamError::Unavailable("no access_token in the answer".into()))?;
        verify_grant(
            &ep.verifier,
            &access,
            t.id_token.as_deref(),
            nonce,
            t.refresh_token.or(previous_refresh.map(str::to_owned)),
        )
        .await
    }
}

/// Verifies Cognito's access token (and id token, when there is one) and turns them into a
/// grant: who signed in, with which groups and scopes. With `nonce`, the id token must be
/// present and carry it.
pub(crate) async fn verify_grant(
    verifier: &CognitoVerifier,
    access: &str,
    id_token: Option<&str>,
    nonce: Option<&str>,
    refresh_token: Option<String>,
) -> Result<UpstreamGrant, UpstreamError> {
    let access = verifier.verify(access).await?;
    let id = match id_token {
        Some(id) => Some(verifier.verify_id_token(id).await?),
        None => None,
    };
    if let Some(nonce) = nonce {
        let id = id
            .as_ref()
            .ok_or_else(|| UpstreamError::Unavailable("no id_token in the answer".into()))?;
        if !id
            .nonce
            .as_deref()
            .is_some_and(|n| crate::authz::crypto::ct_eq(n, nonce))
        {
            return Err(UpstreamError::NonceMismatch);
        }
    }
    if let Some(id) = &id
        && id.sub != access.sub
    {
        return Err(UpstreamError::Unavailable(
            "the id and access tokens name different users".into(),
        ));
    }
    let groups = if access.groups.is_empty() {
        id.as_ref().map(|i| i.groups.clone()).unwrap_or_default()
    } else {
        access.groups.clone()
    };
    let identity = Identity {
        sub: access.sub.clone(),
        username: access
            .username
            .clone()
            .or_else(|| id.as_ref().and_then(|i| i.username.clone())),
        groups,
        email: id.as_ref().and_then(|i| i.email.clone()),
    };
    Ok(UpstreamGrant {
        identity,
        scopes: access.scopes.clone(),
        refresh_token,
        id_token: id.as_ref().and(id_token).map(str::to_owned),
    })
}

/// A failed token call: worth another attempt, or not.
enum Retry {
    Transient(String),
    Final(UpstreamError),
    /// `invalid_client`: the app client secret was refused (another one of a rotation may
    /// pass); the error to give if none does.
    SecretRefused(UpstreamError),
}

/// A form-encoded request body.
fn with_form(req: reqwest::RequestBuilder, form: &[(&str, &str)]) -> reqwest::RequestBuilder {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    req.header(
        http::header::CONTENT_TYPE,
        "application/x-www-form-urlencoded",
    )
    .body(body)
}

/// `application/x-www-form-urlencoded` encoding, which RFC 6749 §2.3.1 applies to Basic
/// credentials.
fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl Upstream for HostedUi {
    fn authorize_url<'a>(&'a self, r: &'a UpstreamRequest) -> UpstreamFuture<'a, String> {
        Box::pin(async move {
            let ep = self.endpoints().await?;
            let c = &self.inner.config;
            let mut url = url::Url::parse(&ep.authorize).map_err(|e| {
                UpstreamError::Unavailable(format!("the authorize endpoint is not a URL: {e}"))
            })?;
            url.query_pairs_mut()
                .append_pair("response_type", "code")
                .append_pair("client_id", &c.client_id)
                .append_pair("redirect_uri", &r.redirect_uri)
                .append_pair("scope", &c.scopes.join(" "))
                .append_pair("state", &r.state)
                .append_pair("nonce", &r.nonce)
                .append_pair("code_challenge", &r.code_challenge)
                .append_pair("code_challenge_method", "S256");
            Ok(url.into())
        })
    }

    fn exchange<'a>(
        &'a self,
        code: &'a str,
        r: &'a UpstreamRequest,
    ) -> UpstreamFuture<'a, UpstreamGrant> {
        Box::pin(async move {
            let c = &self.inner.config;
            let (t, ep) = self
                .token_call(&[
                    ("grant_type", "authorization_code"),
                    ("code", code),
                    ("redirect_uri", &r.redirect_uri),
                    ("code_verifier", &r.code_verifier),
                    ("client_id", &c.client_id),
                ])
                .await?;
            self.grant(t, ep, Some(&r.nonce), None).await
        })
    }

    fn refresh<'a>(&'a self, refresh_token: &'a str) -> UpstreamFuture<'a, UpstreamGrant> {
        Box::pin(async move {
            let c = &self.inner.config;
            let (t, ep) = self
                .token_call(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh_token),
                    ("client_id", &c.client_id),
                ])
                .await?;
            self.grant(t, ep, None, Some(refresh_token)).await
        })
    }

    fn asked_scopes(&self) -> &[String] {
        &self.inner.config.scopes
    }

    fn revoke<'a>(&'a self, refresh_token: &'a str) -> UpstreamFuture<'a, ()> {
        Box::pin(async move {
            let ep = self.endpoints().await?;
            let Some(url) = &ep.revoke else {
                return Ok(());
            };
            let c = &self.inner.config;
            let mut req = with_form(
                self.inner.http.post(url),
                &[("token", refresh_token), ("client_id", &c.client_id)],
            );
            // Best effort: the secret that last worked.
            if let Some(secret) = c
                .client_secret
                .as_ref()
                .and_then(|s| s.in_order().into_iter().next())
            {
                req = req.basic_auth(
                    form_encode(&c.client_id),
                    Some(form_encode(secret.expose())),
                );
            }
            let resp = req
                .send()
                .await
                .map_err(|e| UpstreamError::Unavailable(format!("revocation endpoint: {e}")))?;
            if resp.status().is_success() {
                Ok(())
            } else {
                Err(UpstreamError::Unavailable(format!(
                    "revocation endpoint answered {}",
                    resp.status()
                )))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_client_secret() {
        let mut c = HostedUiConfig::new("https://issuer.example", "client");
        c.client_secret = Some(RotatingSecret::new(cognito_idp::Secret::new(
            "very-secret-value",
        )));
        let shown = format!("{:?}", HostedUi::new(c));
        assert!(!shown.contains("very-secret-value"), "{shown}");
    }
}
