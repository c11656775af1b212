//! The pool's key set: fetched, parsed once into verification keys, cached by `kid`, and
//! refetched for an unknown `kid` at most once per interval (single-flight, penalty box).

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use aws_lc_rs::rsa::PublicKeyComponents;
use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use crate::{Clock, VerifyError};

/// Largest key-set document accepted, in bytes.
pub const MAX_JWKS_BYTES: usize = 256 * 1024;

/// A future returned by a [`JwksSource`].
pub type JwksFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<u8>, String>> + Send + 'a>>;

/// Where the key set comes from: the raw JSON document, or why it could not be had.
pub trait JwksSource: Send + Sync + fmt::Debug + 'static {
    /// Fetches the key set document.
    fn fetch(&self) -> JwksFuture<'_>;
}

/// A key set served over HTTP(S), fetched with a 5 s timeout and a size cap.
#[derive(Debug, Clone)]
pub struct HttpJwks {
    url: String,
    client: reqwest::Client,
}

impl HttpJwks {
    /// A source fetching `url`.
    pub fn new(url: impl Into<String>) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(3))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self {
            url: url.into(),
            client,
        }
    }

    /// The URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl JwksSource for HttpJwks {
    fn fetch(&self) -> JwksFuture<'_> {
        Box::pin(async move {
            let mut resp = self
                .client
                .get(&self.url)
                .send()
                .await
                .map_err(|e| format!("GET {}: {e}", self.url))?;
            if !resp.status().is_success() {
                return Err(format!("GET {}: HTTP {}", self.url, resp.status()));
            }
            let mut body = Vec::new();
            while let Some(chunk) = resp
                .chunk()
                .await
                .map_err(|e| format!("GET {}: {e}", self.url))?
            {
                body.extend_from_slice(&chunk);
                if body.len() > MAX_JWKS_BYTES {
                    return Err(format!(
                        "GET {}: the key set is over {MAX_JWKS_BYTES} bytes",
                        self.url
                    ));
                }
            }
            Ok(body)
        })
    }
}

/// A key set given once, in memory (tests and offline use).
#[derive(Debug, Clone)]
pub struct StaticJwks(pub Vec<u8>);

impl JwksSource for StaticJwks {
    fn fetch(&self) -> JwksFuture<'_> {
        let body = self.0.clone();
        Box::pin(async move { Ok(body) })
    }
}

#[derive(Deserialize)]
struct JwkSet {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kid: Option<String>,
    kty: String,
    alg: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

/// A verification key: an RS256 RSA public key, parsed once.
pub(crate) struct VerifyingKey {
    pub(crate) key: ParsedPublicKey,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VerifyingKey(RS256)")
    }
}

/// Parses a key set into RS256 keys by `kid`. Keys that are not RSA signature keys usable with
/// RS256 are kept as `None`, so a token naming them fails with [`VerifyError::KeyMismatch`].
fn parse_jwks(body: &[u8]) -> Result<HashMap<String, Option<Arc<VerifyingKey>>>, String> {
    let set: JwkSet =
        serde_json::from_slice(body).map_err(|e| format!("the key set is not valid JSON: {e}"))?;
    let mut out = HashMap::new();
    for jwk in set.keys {
        let Some(kid) = jwk.kid else { continue };
        let usable = jwk.kty == "RSA"
            && jwk.alg.as_deref().is_none_or(|a| a == "RS256")
            && jwk.use_.as_deref().is_none_or(|u| u == "sig");
        let key = if usable {
            match (jwk.n, jwk.e) {
                (Some(n), Some(e)) => {
                    let n = URL_SAFE_NO_PAD.decode(n.trim_end_matches('=')).ok();
                    let e = URL_SAFE_NO_PAD.decode(e.trim_end_matches('=')).ok();
                    match (n, e) {
                        (Some(n), Some(e)) => PublicKeyComponents { n, e }
                            .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
                            .ok()
                            .map(|key| Arc::new(VerifyingKey { key })),
                        _ => None,
                    }
                }
                _ => None,
            }
        } else {
            None
        };
        out.insert(kid, key);
    }
    Ok(out)
}

/// The cached key set.
#[derive(Debug)]
pub(crate) struct KeyStore {
    source: Box<dyn JwksSource>,
    clock: Arc<dyn Clock>,
    min_refetch_interval: Duration,
    keys: RwLock<HashMap<String, Option<Arc<VerifyingKey>>>>,
    /// When the last fetch started; held across the fetch, so fetches are single-flight.
    refetch: tokio::sync::Mutex<Option<SystemTime>>,
}

impl KeyStore {
    pub(crate) fn new(
        source: Box<dyn JwksSource>,
        clock: Arc<dyn Clock>,
        min_refetch_interval: Duration,
    ) -> Self {
        Self {
            source,
            clock,
            min_refetch_interval,
            keys: RwLock::new(HashMap::new()),
            refetch: tokio::sync::Mutex::new(None),
        }
    }

    fn cached(&self, kid: &str) -> Option<Option<Arc<VerifyingKey>>> {
        self.keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(kid)
            .cloned()
    }

    /// How many keys are held: 0 until a fetch has succeeded.
    pub(crate) fn held(&self) -> usize {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// The keys held; when there are none, one fetch first unless the last was less than the
    /// interval ago (a readiness probe, so a server whose start-up fetch failed recovers).
    pub(crate) async fn ensure(&self) -> Result<usize, VerifyError> {
        if self.held() > 0 {
            return Ok(self.held());
        }
        let mut last = self.refetch.lock().await;
        if self.held() > 0 {
            return Ok(self.held());
        }
        let now = self.clock.now();
        if self.fetched_recently(*last, now) {
            return Ok(0);
        }
        *last = Some(now);
        self.fetch_and_store().await
    }

    /// Whether the fetch that started at `last` (if any) was less than the refetch interval
    /// before `now`: then no other fetch may start.
    fn fetched_recently(&self, last: Option<SystemTime>, now: SystemTime) -> bool {
        last.and_then(|t| now.duration_since(t).ok())
            .is_some_and(|since| since < self.min_refetch_interval)
    }

    /// Fetches the key set now, whatever the interval (startup warm-up).
    pub(crate) async fn refresh(&self) -> Result<usize, VerifyError> {
        let mut last = self.refetch.lock().await;
        *last = Some(self.clock.now());
        self.fetch_and_store().await
    }

    async fn fetch_and_store(&self) -> Result<usize, VerifyError> {
        let body = self
            .source
            .fetch()
            .await
            .map_err(VerifyError::JwksUnavailable)?;
        let keys = parse_jwks(&body).map_err(VerifyError::JwksUnavailable)?;
        let n = keys.len();
        tracing::debug!(keys = n, "fetched the key set");
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = keys;
        Ok(n)
    }

    /// The key for `kid`: from the cache, or after at most one fetch per interval.
    pub(crate) async fn key(&self, kid: &str) -> Result<Arc<VerifyingKey>, VerifyError> {
        if let Some(found) = self.cached(kid) {
            return found.ok_or_else(|| VerifyError::KeyMismatch(kid.to_owned()));
        }
        let mut last = self.refetch.lock().await;
        // Another task may have fetched while we waited.
        if let Some(found) = self.cached(kid) {
            return found.ok_or_else(|| VerifyError::KeyMismatch(kid.to_owned()));
        }
        let now = self.clock.now();
        if self.fetched_recently(*last, now) {
            return Err(VerifyError::UnknownKid(kid.to_owned()));
        }
        *last = Some(now);
        match self.fetch_and_store().await {
            Ok(_) => {}
            // Keep serving the keys we have; the token's kid is simply not among them.
            Err(e) => {
                tracing::warn!(error = %e, "could not refresh the key set; cached keys stay in use");
                if self.held() == 0 {
                    return Err(e);
                }
            }
        }
        match self.cached(kid) {
            Some(found) => found.ok_or_else(|| VerifyError::KeyMismatch(kid.to_owned())),
            None => Err(VerifyError::UnknownKid(kid.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_rsa_and_non_rs256_keys_are_kept_as_unusable() {
        let body = br#"{"keys":[
            {"kid":"ec","kty":"EC","crv":"P-256","x":"a","y":"b"},
            {"kid":"enc","kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"},
            {"kid":"ps","kty":"RSA","alg":"PS256","n":"AQAB","e":"AQAB"},
            {"kty":"RSA","n":"AQAB","e":"AQAB"}
        ]}"#;
        let keys = parse_jwks(body).expect("parses");
        assert_eq!(keys.len(), 3);
        assert!(keys.values().all(Option::is_none));
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse_jwks(b"not json").is_err());
        assert!(parse_jwks(b"{\"keys\": 5}").is_err());
    }
}
