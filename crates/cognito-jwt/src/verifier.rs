//! [`CognitoVerifier`]: the checks, in order, and the builder that configures them.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::cache::{VerifiedCache, hash};
use crate::jwks::{HttpJwks, JwksSource, KeyStore};
use crate::{Claims, Clock, SystemClock, TokenUse, VerifyError};

/// Default leeway for `exp`, `nbf` and `iat`: 60 seconds.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);
/// Default largest token accepted: 16 KiB.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Default minimum time between two key-set fetches for unknown `kid`s: 10 seconds.
pub const DEFAULT_MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(10);
/// Default number of verified tokens cached: 10,000.
pub const DEFAULT_CACHE_CAPACITY: usize = 10_000;

/// The issuer of a pool: `https://cognito-idp.{region}.amazonaws.com/{pool_id}`.
pub fn cognito_issuer(region: &str, pool_id: &str) -> String {
    format!("https://cognito-idp.{region}.amazonaws.com/{pool_id}")
}

/// Configures a [`CognitoVerifier`]. Every setting has a secure default, written on its
/// method; only the issuer and the allowed app clients must be given.
#[derive(Debug)]
pub struct VerifierBuilder {
    issuer: String,
    jwks_url: Option<String>,
    jwks_source: Option<Box<dyn JwksSource>>,
    client_ids: HashSet<String>,
    audience: Option<String>,
    resource: Option<String>,
    leeway: Duration,
    max_token_bytes: usize,
    min_refetch_interval: Duration,
    cache_capacity: usize,
    clock: Arc<dyn Clock>,
}

impl VerifierBuilder {
    /// Verifies tokens of `issuer`; the key set defaults to `{issuer}/.well-known/jwks.json`.
    pub fn new(issuer: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into().trim_end_matches('/').to_owned(),
            jwks_url: None,
            jwks_source: None,
            client_ids: HashSet::new(),
            audience: None,
            resource: None,
            leeway: DEFAULT_LEEWAY,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            min_refetch_interval: DEFAULT_MIN_REFETCH_INTERVAL,
            cache_capacity: DEFAULT_CACHE_CAPACITY,
            clock: Arc::new(SystemClock),
        }
    }

    /// Verifies tokens of the pool `pool_id` in `region`.
    pub fn for_pool(region: &str, pool_id: &str) -> Self {
        Self::new(cognito_issuer(region, pool_id))
    }

    /// Fetch the key set from `url` instead of `{issuer}/.well-known/jwks.json` (emulators
    /// serve it elsewhere).
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.jwks_url = Some(url.into());
        self
    }

    /// Take the key set from `source` (tests, offline use).
    pub fn jwks_source(mut self, source: impl JwksSource) -> Self {
        self.jwks_source = Some(Box::new(source));
        self
    }

    /// Accept tokens of this app client. At least one is required: a verifier that accepts
    /// every client of the pool cannot be built.
    pub fn allow_client(mut self, client_id: impl Into<String>) -> Self {
        self.client_ids.insert(client_id.into());
        self
    }

    /// Require `aud` to contain `audience` (RFC 8707: tokens minted for this resource only).
    /// With an audience, the audience binds the token and no app client need be allowed: then
    /// tokens of any client that carry the audience pass. Default: no `aud` check (Cognito
    /// access tokens have no `aud`; the app client allowlist binds them).
    pub fn require_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Resource binding (RFC 8707) for the access tokens of a pool that is the authorization
    /// server itself: Cognito sets an access token's `aud` to the `resource` its client asked
    /// for. A token that carries `aud` passes from any app client when `aud` names `resource`,
    /// and is refused when it does not, even from an allowed client (it was minted for another
    /// resource); a token without `aud` must come from an allowed client, as without binding.
    /// Id tokens are not affected (their `aud` is their client). Default: no binding.
    pub fn bind_resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// Clock skew tolerated on `exp`, `nbf` and `iat`. Default: 60 s.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Largest token accepted, in bytes. Default: 16 KiB.
    pub fn max_token_bytes(mut self, max: usize) -> Self {
        self.max_token_bytes = max;
        self
    }

    /// Least time between two key-set fetches caused by unknown `kid`s. Default: 10 s.
    pub fn min_refetch_interval(mut self, interval: Duration) -> Self {
        self.min_refetch_interval = interval;
        self
    }

    /// How many verified tokens to remember until they expire; 0 turns the cache off.
    /// Default: 10,000.
    pub fn cache_capacity(mut self, capacity: usize) -> Self {
        self.cache_capacity = capacity;
        self
    }

    /// The clock for time checks and the refetch interval. Default: the system clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the verifier. Fails when no app client is allowed and neither an audience is
    /// required nor a resource bound.
    pub fn build(self) -> Result<CognitoVerifier, BuildError> {
        if self.client_ids.is_empty() && self.audience.is_none() && self.resource.is_none() {
            return Err(BuildError::NoClientIds);
        }
        let source: Box<dyn JwksSource> = match self.jwks_source {
            Some(s) => s,
            None => {
                Box::new(HttpJwks::new(self.jwks_url.unwrap_or_else(|| {
                    format!("{}/.well-known/jwks.json", self.issuer)
                })))
            }
        };
        Ok(CognitoVerifier {
            inner: Arc::new(Inner {
                keys: KeyStore::new(source, self.clock.clone(), self.min_refetch_interval),
                cache: VerifiedCache::new(self.cache_capacity),
                issuer: self.issuer,
                client_ids: self.client_ids,
                audience: self.audience,
                resource: self.resource,
                leeway: self.leeway.as_secs(),
                max_token_bytes: self.max_token_bytes,
                clock: self.clock,
            }),
        })
    }
}

/// Why a verifier could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No app client id was allowed and no audience is required.
    #[error("no app client id is allowed: set at least one (COGNITO_CLIENT_ID)")]
    NoClientIds,
}

/// Verifies Cognito JWTs. Cheap to clone; clones share the key set and the cache.
#[derive(Debug, Clone)]
pub struct CognitoVerifier {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    keys: KeyStore,
    cache: VerifiedCache,
    issuer: String,
    client_ids: HashSet<String>,
    audience: Option<String>,
    resource: Option<String>,
    leeway: u64,
    max_token_bytes: usize,
    clock: Arc<dyn Clock>,
}

#[derive(Deserialize)]
struct Header<'a> {
    #[serde(borrow)]
    alg: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    kid: Option<std::borrow::Cow<'a, str>>,
}

impl CognitoVerifier {
    /// A builder for tokens of `issuer`.
    pub fn builder(issuer: impl Into<String>) -> VerifierBuilder {
        VerifierBuilder::new(issuer)
    }

    /// The issuer tokens must carry.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// Fetches the key set now (at startup, so the first request pays no fetch).
    pub async fn warm_up(&self) -> Result<usize, VerifyError> {
        self.inner.keys.refresh().await
    }

    /// Verifies an access token.
    pub async fn verify(&self, token: &str) -> Result<Arc<Claims>, VerifyError> {
        self.verify_as(token, TokenUse::Access).await
    }

    /// Verifies an id token (only where the caller asks for id tokens).
    pub async fn verify_id_token(&self, token: &str) -> Result<Arc<Claims>, VerifyError> {
        self.verify_as(token, TokenUse::Id).await
    }

    /// How many keys of the key set are held (0 until a fetch has succeeded), after one fetch
    /// when none are and the last fetch was at least the refetch interval ago. For readiness
    /// probes: a server that cannot verify any token yet is not ready.
    pub async fn ensure_keys(&self) -> Result<usize, VerifyError> {
        self.inner.keys.ensure().await
    }

    /// How many verified tokens are cached.
    pub fn cached_tokens(&self) -> usize {
        self.inner.cache.len()
    }

    /// Verifies a token of the kind `expected`.
    pub async fn verify_as(
        &self,
        token: &str,
        expected: TokenUse,
    ) -> Result<Arc<Claims>, VerifyError> {
        let inner = &*self.inner;
        if token.len() > inner.max_token_bytes {
            return Err(VerifyError::TooLarge {
                len: token.len(),
                max: inner.max_token_bytes,
            });
        }
        let now = inner.clock.now_secs();
        // With the cache off, the token is not hashed at all.
        let key = inner.cache.is_enabled().then(|| (hash(token), expected));
        if let Some(claims) = key
            .as_ref()
            .and_then(|k| inner.cache.get(k, now, inner.leeway))
        {
            // Cached tokens passed every check but time, which is checked again here.
            return Ok(claims);
        }

        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(VerifyError::Malformed(
                "it is not three dot-separated segments",
            ));
        };
        let header_bytes = URL_SAFE_NO_PAD
            .decode(h)
            .map_err(|_| VerifyError::Malformed("the header is not base64url"))?;
        let header: Header<'_> = serde_json::from_slice(&header_bytes)
            .map_err(|_| VerifyError::Malformed("the header is not a JSON object"))?;
        match header.alg.as_deref() {
            Some("RS256") => {}
            Some(other) => return Err(VerifyError::UnsupportedAlgorithm(other.to_owned())),
            None => return Err(VerifyError::UnsupportedAlgorithm(String::new())),
        }
        let kid = header.kid.ok_or(VerifyError::MissingKid)?;
        let signature = URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| VerifyError::Malformed("the signature is not base64url"))?;
        let verifying_key = inner.keys.key(&kid).await?;
        let signed = &token[..h.len() + 1 + p.len()];
        verifying_key
            .key
            .verify_sig(signed.as_bytes(), &signature)
            .map_err(|_| VerifyError::BadSignature)?;

        let payload_bytes = URL_SAFE_NO_PAD
            .decode(p)
            .map_err(|_| VerifyError::Malformed("the payload is not base64url"))?;
        let payload: Map<String, Value> = serde_json::from_slice(&payload_bytes)
            .map_err(|_| VerifyError::Malformed("the payload is not a JSON object"))?;

        let iss = payload
            .get("iss")
            .and_then(Value::as_str)
            .ok_or(VerifyError::MissingClaim("iss"))?;
        if iss != inner.issuer {
            return Err(VerifyError::WrongIssuer {
                expected: inner.issuer.clone(),
                found: iss.to_owned(),
            });
        }
        let token_use = payload
            .get("token_use")
            .and_then(Value::as_str)
            .ok_or(VerifyError::MissingClaim("token_use"))?;
        if token_use != expected.as_str() {
            return Err(VerifyError::WrongTokenUse {
                expected: expected.as_str(),
                found: token_use.to_owned(),
            });
        }
        let claims = Claims::from_payload(&payload, expected)?;
        if let Some(aud) = &inner.audience
            && !claims.aud.iter().any(|a| a == aud)
        {
            return Err(VerifyError::WrongAudience {
                expected: aud.clone(),
                found: claims.aud.clone(),
            });
        }
        check_binding(&claims, expected, inner)?;
        check_time(&claims, now, inner.leeway)?;
        let claims = Arc::new(claims);
        if let Some(key) = key {
            inner.cache.insert(key, claims.clone(), now, inner.leeway);
        }
        Ok(claims)
    }
}

/// The app client and resource rules: with a bound resource, an access token that carries
/// `aud` passes from any client when `aud` names the resource and fails when it does not; any
/// other token must come from an allowed client (when clients are listed at all).
fn check_binding(claims: &Claims, expected: TokenUse, inner: &Inner) -> Result<(), VerifyError> {
    let bound = inner
        .resource
        .as_ref()
        .filter(|_| expected == TokenUse::Access && !claims.aud.is_empty());
    if let Some(resource) = bound {
        return if claims.aud.iter().any(|a| crate::same_resource(a, resource)) {
            Ok(())
        } else {
            Err(VerifyError::WrongAudience {
                expected: resource.clone(),
                found: claims.aud.clone(),
            })
        };
    }
    let listed_only = inner.resource.is_some() || !inner.client_ids.is_empty();
    if listed_only && !inner.client_ids.contains(&claims.client_id) {
        return Err(VerifyError::ClientNotAllowed(claims.client_id.clone()));
    }
    Ok(())
}

fn check_time(claims: &Claims, now: u64, leeway: u64) -> Result<(), VerifyError> {
    if claims.exp.saturating_add(leeway) <= now {
        return Err(VerifyError::Expired {
            exp: claims.exp,
            now,
        });
    }
    if let Some(nbf) = claims.nbf
        && nbf > now.saturating_add(leeway)
    {
        return Err(VerifyError::NotYetValid { nbf, now });
    }
    if let Some(iat) = claims.iat
        && iat > now.saturating_add(leeway)
    {
        return Err(VerifyError::IssuedInFuture { iat, now });
    }
    Ok(())
}
