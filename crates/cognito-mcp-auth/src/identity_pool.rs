//! Identity-pool credentials: the signed-in user's Cognito ID token turned into temporary AWS
//! credentials by a Cognito identity pool (the enhanced flow: `GetId`, then
//! `GetCredentialsForIdentity`, with the role the pool's mapping picks, for example from the
//! user's groups).
//!
//! Both calls are public (unsigned) JSON 1.1 requests to `cognito-identity`; the ID token is
//! the proof. Identity pools take ID tokens only, so this works where the server holds the
//! user's Cognito ID token: proxy mode and the sign-in page (the upstream sign-in gave it one).
//! In JWT mode a client sends only an access token, and [`CredentialsError::NoIdToken`] says
//! so rather than fake it.
//!
//! Credentials are cached per ID token until five minutes before they expire. They never
//! appear in `Debug`, logs or errors: only the identity id and the expiry do.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use crate::config::Secret;

/// How long before expiry cached credentials are renewed.
const RENEW_BEFORE: Duration = Duration::from_secs(300);

/// The most ID tokens whose credentials are cached (expired ones are dropped first).
const MAX_CACHED: usize = 10_000;

/// Where an identity pool is and which user pool signs its users in.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IdentityPoolConfig {
    /// The identity pool id, `REGION:UUID`.
    pub id: String,
    /// The Logins key of the user pool: `cognito-idp.{region}.amazonaws.com/{user_pool_id}`.
    pub provider: String,
    /// The `cognito-identity` endpoint (default: `https://cognito-identity.{region}.amazonaws.com`).
    pub endpoint: String,
    /// The timeout of each call.
    pub timeout: Duration,
}

impl IdentityPoolConfig {
    /// The pool `id` (`REGION:UUID`) for users of the user pool `user_pool_id` in `region`,
    /// at AWS's endpoint for the identity pool's region.
    pub fn new(id: &str, region: &str, user_pool_id: &str) -> Self {
        let pool_region = id.split(':').next().unwrap_or(region);
        Self {
            id: id.to_owned(),
            provider: format!("cognito-idp.{region}.amazonaws.com/{user_pool_id}"),
            endpoint: format!("https://cognito-identity.{pool_region}.amazonaws.com"),
            timeout: Duration::from_secs(10),
        }
    }

    /// This config, calling `endpoint` instead (a VPC endpoint, or a local stand-in).
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// Whether `id` has the shape of an identity pool id: `REGION:UUID`.
    pub fn is_pool_id(id: &str) -> bool {
        let Some((region, uuid)) = id.split_once(':') else {
            return false;
        };
        let region_ok = !region.is_empty()
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let uuid_ok = uuid.len() == 36
            && uuid.bytes().enumerate().all(|(i, b)| {
                if matches!(i, 8 | 13 | 18 | 23) {
                    b == b'-'
                } else {
                    b.is_ascii_hexdigit()
                }
            });
        region_ok && uuid_ok
    }
}

/// Temporary AWS credentials for one signed-in user. `Debug` shows only the identity id and
/// the expiry; the secret key and session token are [`Secret`]s.
#[derive(Clone)]
pub struct AwsCredentials {
    access_key_id: String,
    secret_access_key: Secret,
    session_token: Secret,
    expiration: SystemTime,
    identity_id: String,
}

impl std::fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("identity_id", &self.identity_id)
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

impl AwsCredentials {
    /// The access key id.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret access key.
    pub fn secret_access_key(&self) -> &Secret {
        &self.secret_access_key
    }

    /// The session token.
    pub fn session_token(&self) -> &Secret {
        &self.session_token
    }

    /// When they stop working.
    pub fn expiration(&self) -> SystemTime {
        self.expiration
    }

    /// The user's identity in the identity pool (`REGION:UUID`), stable across sign-ins.
    pub fn identity_id(&self) -> &str {
        &self.identity_id
    }
}

/// Why no credentials could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// No identity pool is configured.
    #[error(
        "no identity pool is configured: set [identity_pool] id (or COGNITO_IDENTITY_POOL_ID) to \
         the identity pool whose roles the callers should act with"
    )]
    NotConfigured,
    /// The caller's token is a Cognito access token: identity pools take ID tokens only.
    #[error(
        "this caller signed in with a Cognito access token, and identity pools take only ID \
         tokens: per-caller AWS credentials need proxy mode or the sign-in page (auth.mode = \
         \"proxy\"), where the server itself signs the user in and keeps their ID token"
    )]
    NoIdToken,
    /// The sign-in holds no ID token (the upstream sign-in did not include `openid`), or it
    /// has ended.
    #[error("this sign-in holds no Cognito ID token ({0}); sign in again")]
    NoSession(String),
    /// The identity pool refused (an expired ID token, a user pool it does not trust, no role).
    #[error("the identity pool refused: {code}: {message}")]
    Refused {
        /// Cognito's error type (`NotAuthorizedException`, ...).
        code: String,
        /// Cognito's message.
        message: String,
    },
    /// The identity pool could not be reached or answered something else.
    #[error("the identity pool is unavailable: {0}")]
    Unavailable(String),
}

impl CredentialsError {
    /// A stable code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotConfigured => "identity_pool_not_configured",
            Self::NoIdToken => "no_id_token",
            Self::NoSession(_) => "no_id_token",
            Self::Refused { .. } => "identity_pool_refused",
            Self::Unavailable(_) => "identity_pool_unavailable",
        }
    }

    /// Whether the same call may succeed later unchanged.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// An identity pool's credentials for signed-in users, cached per ID token. Cheap to clone.
#[derive(Clone)]
pub struct IdentityPool {
    inner: Arc<Inner>,
}

struct Inner {
    config: IdentityPoolConfig,
    http: reqwest::Client,
    cache: Mutex<HashMap<[u8; 32], AwsCredentials>>,
}

impl std::fmt::Debug for IdentityPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityPool")
            .field("id", &self.inner.config.id)
            .field("endpoint", &self.inner.config.endpoint)
            .finish_non_exhaustive()
    }
}

fn digest(token: &str) -> [u8; 32] {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

impl IdentityPool {
    /// The identity pool of `config`.
    pub fn new(config: IdentityPoolConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self {
            inner: Arc::new(Inner {
                config,
                http,
                cache: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &IdentityPoolConfig {
        &self.inner.config
    }

    /// Credentials for the user whose Cognito ID token is `id_token`: cached ones while they
    /// have more than five minutes left, else GetId and GetCredentialsForIdentity.
    pub async fn credentials_for(
        &self,
        id_token: &str,
    ) -> Result<AwsCredentials, CredentialsError> {
        let key = digest(id_token);
        let now = SystemTime::now();
        if let Some(c) = self.cached(&key, now) {
            return Ok(c);
        }
        let logins = json!({ &self.inner.config.provider: id_token });
        let id = self
            .call(
                "GetId",
                json!({"IdentityPoolId": self.inner.config.id, "Logins": logins}),
            )
            .await?;
        let identity_id = id["IdentityId"]
            .as_str()
            .ok_or_else(|| CredentialsError::Unavailable("GetId answered no IdentityId".into()))?
            .to_owned();
        let out = self
            .call(
                "GetCredentialsForIdentity",
                json!({"IdentityId": identity_id, "Logins": logins}),
            )
            .await?;
        let c = &out["Credentials"];
        let field = |name: &str| {
            c[name].as_str().map(str::to_owned).ok_or_else(|| {
                CredentialsError::Unavailable(format!(
                    "GetCredentialsForIdentity answered no {name}"
                ))
            })
        };
        let expiration = c["Expiration"]
            .as_f64()
            .filter(|s| s.is_finite() && *s > 0.0)
            .and_then(|s| SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs_f64(s)))
            .ok_or_else(|| {
                CredentialsError::Unavailable(
                    "GetCredentialsForIdentity answered no Expiration".into(),
                )
            })?;
        let creds = AwsCredentials {
            access_key_id: field("AccessKeyId")?,
            secret_access_key: Secret::new(field("SecretKey")?),
            session_token: Secret::new(field("SessionToken")?),
            expiration,
            identity_id,
        };
        self.remember(key, creds.clone(), now);
        Ok(creds)
    }

    fn cached(&self, key: &[u8; 32], now: SystemTime) -> Option<AwsCredentials> {
        let cache = self.inner.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .get(key)
            .filter(|c| {
                c.expiration
                    .duration_since(now)
                    .is_ok_and(|left| left > RENEW_BEFORE)
            })
            .cloned()
    }

    fn remember(&self, key: [u8; 32], creds: AwsCredentials, now: SystemTime) {
        let mut cache = self.inner.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= MAX_CACHED {
            cache.retain(|_, c| c.expiration > now);
            if cache.len() >= MAX_CACHED {
                cache.clear();
            }
        }
        cache.insert(key, creds);
    }

    /// One `cognito-identity` call: its JSON answer, or its error as [`CredentialsError`]. The
    /// request carries the ID token, so nothing of it is ever logged.
    async fn call(&self, operation: &str, body: Value) -> Result<Value, CredentialsError> {
        let url = format!("{}/", self.inner.config.endpoint.trim_end_matches('/'));
        let sent = self
            .inner
            .http
            .post(&url)
            .header("content-type", "application/x-amz-json-1.1")
            .header(
                "x-amz-target",
                format!("AWSCognitoIdentityService.{operation}"),
            )
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| {
                CredentialsError::Unavailable(format!("{operation} to {url}: {}", without_url(&e)))
            })?;
        let status = sent.status();
        let text = sent.text().await.map_err(|e| {
            CredentialsError::Unavailable(format!("{operation}: {}", without_url(&e)))
        })?;
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(v);
        }
        let code = v["__type"]
            .as_str()
            .map(|t| t.rsplit('#').next().unwrap_or(t).to_owned())
            .unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
        let message = v["message"]
            .as_str()
            .or_else(|| v["Message"].as_str())
            .unwrap_or("")
            .to_owned();
        if status.is_server_error() || code == "TooManyRequestsException" {
            return Err(CredentialsError::Unavailable(format!(
                "{operation}: {code}: {message}"
            )));
        }
        Err(CredentialsError::Refused { code, message })
    }
}

/// A reqwest error without the URL (which holds no secret here, but the chain reads better).
fn without_url(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_ids_have_a_region_and_a_uuid() {
        assert!(IdentityPoolConfig::is_pool_id(
            "us-east-1:2ab8ab6f-1e4b-4e0f-9f5b-3a3f0b8c2d11"
        ));
        assert!(
            !IdentityPoolConfig::is_pool_id("us-east-1_AbCd"),
            "a user pool id"
        );
        assert!(!IdentityPoolConfig::is_pool_id("us-east-1:not-a-uuid"));
        assert!(!IdentityPoolConfig::is_pool_id(
            ":2ab8ab6f-1e4b-4e0f-9f5b-3a3f0b8c2d11"
        ));
    }

    #[test]
    fn the_provider_names_the_user_pool_and_the_endpoint_the_identity_pools_region() {
        let c = IdentityPoolConfig::new(
            "eu-west-1:2ab8ab6f-1e4b-4e0f-9f5b-3a3f0b8c2d11",
            "us-east-1",
            "us-east-1_Abc",
        );
        assert_eq!(
            c.provider,
            "cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc"
        );
        assert_eq!(
            c.endpoint,
            "https://cognito-identity.eu-west-1.amazonaws.com"
        );
    }

    #[test]
    fn credentials_debug_shows_no_key() {
        let c = AwsCredentials {
            access_key_id: "ASIAEXAMPLEKEY".into(),
            secret_access_key: Secret::new("very-secret".to_owned()),
            session_token: Secret::new("session-token".to_owned()),
            expiration: SystemTime::UNIX_EPOCH,
            identity_id: "us-east-1:id".into(),
        };
        let shown = format!("{c:?}");
        assert!(shown.contains("us-east-1:id"), "{shown}");
        for secret in ["ASIAEXAMPLEKEY", "very-secret", "session-token"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn cached_credentials_are_renewed_five_minutes_before_they_expire() {
        let pool = IdentityPool::new(IdentityPoolConfig::new("us-east-1:x", "us-east-1", "p"));
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let creds = |left: u64| AwsCredentials {
            access_key_id: "A".into(),
            secret_access_key: Secret::new("s".to_owned()),
            session_token: Secret::new("t".to_owned()),
            expiration: now + Duration::from_secs(left),
            identity_id: "i".into(),
        };
        pool.remember(digest("fresh"), creds(301), now);
        pool.remember(digest("stale"), creds(300), now);
        assert!(pool.cached(&digest("fresh"), now).is_some());
        assert!(pool.cached(&digest("stale"), now).is_none());
        assert!(pool.cached(&digest("other"), now).is_none());
    }
}
