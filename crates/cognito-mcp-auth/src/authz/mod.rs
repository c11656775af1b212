//! The authorization server in front of Cognito: metadata, registration, authorization with
//! consent, the upstream callback, tokens and revocation, over a [`Store`].
//!
//! MCP clients register here (Cognito has no dynamic client registration), the user consents
//! to each client and signs in at the [`Upstream`] (Cognito's hosted UI by default), and the
//! client receives this server's own audience-bound tokens. Cognito tokens stay on the server.

mod address;
pub(crate) mod authorize;
pub(crate) mod binding;
mod callback;
pub(crate) mod crypto;
mod error;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod limits;
#[cfg(test)]
mod limits_tests;
mod metadata_document;
pub(crate) mod model;
pub(crate) mod pages;
mod pending;
mod pre_consent;
pub(crate) mod redirect;
mod register;
mod revoke;
mod signing;
mod special_address;
mod token;
pub mod trusted_proxies;
pub mod upstream;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use cognito_jwt::{
    Claims, Clock, CognitoVerifier, ScopePolicy, StaticJwks, SystemClock, VerifierBuilder,
};
use http::HeaderMap;
use serde_json::{Value, json};

use crate::store::{Kind, Store, StoreError};
use error::OAuthError;
use model::Client;
use signing::SigningKey;
use upstream::Upstream;

pub(crate) use address::ClientAddress;
pub use limits::Limits;
pub use trusted_proxies::{Cidr, ForwardedHeader, TrustedProxies, TrustedProxyError};
pub use upstream::{
    HostedUi, HostedUiConfig, Identity, UpstreamError, UpstreamGrant, UpstreamRequest,
};

/// Compare-and-set rounds [`AuthorizationServer::revoke_family`] tries before it reports a
/// store failure.
const MAX_REVOKE_ATTEMPTS: usize = 8;

/// The scopes any signed-in user may be granted, whatever their groups.
pub const IDENTITY_SCOPES: [&str; 3] = ["openid", "email", "profile"];

/// Dynamic client registration (RFC 7591) settings: the `[auth.dcr]` table.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DcrPolicy {
    /// Serve `/register`. Default: true.
    pub enabled: bool,
    /// Clients whose `client_name` matches one of these (case-insensitive substring, or a
    /// `*` glob) are public (`token_endpoint_auth_method: none`); the others get a secret.
    /// Default: `claude`, `cursor`, `chatgpt`, `mcp-inspector`, `vscode`.
    pub public_client_patterns: Vec<String>,
    /// Scopes a client gets when it asks for none. Default: `openid email mcp/read`.
    pub default_scopes: Vec<String>,
    /// The only scopes a client may register or request; others are refused with
    /// `invalid_client_metadata`. Default: `openid email profile mcp/read mcp/write mcp/admin`.
    pub allowed_scopes: Vec<String>,
    /// When non-empty, every redirect URI must match one of these patterns; a pattern may also
    /// admit a private-use scheme (`cursor://...`). A pattern is the URL as the server writes it
    /// back (lowercase scheme and host, no default port, `/` as the path of a bare host), where
    /// `*` stands for any run of characters without `/`, `?`, `#`, `@` or `\` (nor their
    /// percent-encodings): one host label run or one path segment, never a way out of either.
    /// Default: empty (any https URI, or http on loopback).
    pub allowed_redirect_patterns: Vec<String>,
    /// Redirect URIs the operator trusts (patterns as in `allowed_redirect_patterns`) to
    /// receive errors found at `/authorize` before the user consented, as redirects with
    /// `error=` (RFC 9700 §4.11.2). Any other redirect URI gets an error page instead, and a
    /// client ID metadata document's always does, whatever this says. Default: empty.
    pub trusted_redirect_patterns: Vec<String>,
    /// Most registered clients kept; then 503. Default: 10,000.
    pub max_clients: u64,
    /// Most registrations per client address (IPv6: per /64) per minute, as a burst and then
    /// evenly; then 429. Counted per server instance. Default: 20.
    pub registrations_per_minute: u64,
    /// Most registrations per minute from everyone; then 503. Counted per server instance.
    /// Default: 120.
    pub registrations_per_minute_total: u64,
    /// A registration for which no token was ever issued is deleted this long after it was
    /// made; zero keeps it. Default: 24 hours.
    pub unused_client_ttl: Duration,
    /// A registration is deleted when no token was issued or refreshed for it this long; zero
    /// keeps it. Keep it above the refresh-token lifetime, or a client that refreshes rarely
    /// loses its registration while its refresh token still works. Default: 90 days.
    pub idle_client_ttl: Duration,
    /// Accept client ID metadata documents (an https URL as `client_id`). Default: true.
    pub client_id_metadata_documents: bool,
    /// Allow metadata documents on loopback and private addresses, over http. Only for tests.
    /// Default: false.
    pub dangerously_allow_private_metadata_documents: bool,
}

impl DcrPolicy {
    /// The defaults for the resource-server identifier `resource_server` (`mcp`).
    pub fn for_resource_server(resource_server: &str) -> Self {
        let s = |n: &str| format!("{resource_server}/{n}");
        Self {
            enabled: true,
            public_client_patterns: ["claude", "cursor", "chatgpt", "mcp-inspector", "vscode"]
                .map(String::from)
                .to_vec(),
            default_scopes: vec!["openid".into(), "email".into(), s("read")],
            allowed_scopes: vec![
                "openid".into(),
                "email".into(),
                "profile".into(),
                s("read"),
                s("write"),
                s("admin"),
            ],
            allowed_redirect_patterns: Vec::new(),
            trusted_redirect_patterns: Vec::new(),
            max_clients: 10_000,
            registrations_per_minute: 20,
            registrations_per_minute_total: 120,
            unused_client_ttl: Duration::from_secs(24 * 3600),
            idle_client_ttl: Duration::from_secs(90 * 24 * 3600),
            client_id_metadata_documents: true,
            dangerously_allow_private_metadata_documents: false,
        }
    }

    /// Whether a client named `name` is public.
    pub fn is_public_name(&self, name: &str) -> bool {
        let norm = |s: &str| -> String {
            s.chars()
                .map(|c| {
                    if c.is_alphanumeric() || c == '*' {
                        c.to_ascii_lowercase()
                    } else {
                        '-'
                    }
                })
                .collect()
        };
        let name = norm(name);
        self.public_client_patterns.iter().any(|p| {
            let p = norm(p);
            if p.contains('*') {
                redirect::glob(&p, &name)
            } else {
                !p.is_empty() && name.contains(&p)
            }
        })
    }
}

impl Default for DcrPolicy {
    fn default() -> Self {
        Self::for_resource_server("mcp")
    }
}

/// Lifetimes of what the server issues.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Lifetimes {
    /// Access tokens. Default: 1 hour.
    pub access_token: Duration,
    /// Refresh-token families (a sign-in). Default: 30 days.
    pub refresh_token: Duration,
    /// Authorization codes; at most 5 minutes. Default: 5 minutes.
    pub code: Duration,
    /// An authorization request waiting for consent or for the upstream. Default: 10 minutes.
    pub transaction: Duration,
    /// How long a consent is remembered for the same client, redirect and scopes in the same
    /// browser; zero turns the memory off. Default: off.
    pub consent_memory: Duration,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            access_token: Duration::from_secs(3600),
            refresh_token: Duration::from_secs(30 * 24 * 3600),
            code: Duration::from_secs(300),
            transaction: Duration::from_secs(600),
            consent_memory: Duration::ZERO,
        }
    }
}

/// Why the authorization server could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthzBuildError {
    /// The store failed while loading the signing key.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A setting is wrong.
    #[error("{0}")]
    Config(String),
}

/// Configures an [`AuthorizationServer`].
#[derive(Debug)]
pub struct AuthorizationServerBuilder {
    issuer: String,
    resource: String,
    store: Arc<dyn Store>,
    upstream: Arc<dyn Upstream>,
    policy: ScopePolicy,
    dcr: DcrPolicy,
    lifetimes: Lifetimes,
    limits: Limits,
    clock: Arc<dyn Clock>,
    resource_name: String,
    scope_descriptions: Vec<(String, String)>,
    trusted_proxies: TrustedProxies,
}

impl AuthorizationServerBuilder {
    /// The group-to-scope mapping that caps what a user is granted. Default: the standard
    /// one for `mcp`.
    pub fn scope_policy(mut self, policy: ScopePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Registration settings. Default: [`DcrPolicy::default`].
    pub fn dcr(mut self, dcr: DcrPolicy) -> Self {
        self.dcr = dcr;
        self
    }

    /// Lifetimes. Default: [`Lifetimes::default`]. A code lifetime over 5 minutes is cut to 5.
    pub fn lifetimes(mut self, lifetimes: Lifetimes) -> Self {
        self.lifetimes = lifetimes;
        self
    }

    /// Limits on authorization requests and pending sign-ins. Default: [`Limits::default`].
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The clock. Default: the system clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The name shown on the consent page. Default: `this MCP server`.
    pub fn resource_name(mut self, name: impl Into<String>) -> Self {
        self.resource_name = name.into();
        self
    }

    /// A plain-words description of a scope for the consent page.
    pub fn describe_scope(mut self, scope: impl Into<String>, text: impl Into<String>) -> Self {
        self.scope_descriptions.push((scope.into(), text.into()));
        self
    }

    /// The proxies whose forwarded-for header names the client for the per-address rules
    /// (registration and authorization limits, pending sign-ins, the sign-in page's lockout).
    /// Default: none, so the TCP peer is the client.
    pub fn trusted_proxies(mut self, trusted: TrustedProxies) -> Self {
        self.trusted_proxies = trusted;
        self
    }

    /// Builds the server: loads (or creates and saves) the signing key.
    pub async fn build(self) -> Result<AuthorizationServer, AuthzBuildError> {
        if !self.issuer.starts_with("https://") && !self.issuer.starts_with("http://") {
            return Err(AuthzBuildError::Config(format!(
                "the issuer {:?} must be the server's public http(s) URL",
                self.issuer
            )));
        }
        let key = SigningKey::load_or_create(self.store.as_ref()).await?;
        let verifier = VerifierBuilder::new(self.issuer.clone())
            .jwks_source(StaticJwks(key.jwks().to_string().into_bytes()))
            .require_audience(self.resource.clone())
            .clock(self.clock.clone())
            .build()
            .map_err(|e| AuthzBuildError::Config(e.to_string()))?;
        let mut lifetimes = self.lifetimes;
        lifetimes.code = lifetimes.code.min(Duration::from_secs(300));
        let callback = format!("{}/auth/callback", self.issuer);
        let secure_cookies = self.issuer.starts_with("https://");
        Ok(AuthorizationServer {
            inner: Arc::new(Inner {
                issuer: self.issuer,
                resource: self.resource,
                callback,
                store: self.store,
                upstream: self.upstream,
                policy: self.policy,
                register_limit: limits::RateLimit::new(
                    self.dcr.registrations_per_minute,
                    self.dcr.registrations_per_minute_total,
                ),
                authorize_limit: limits::RateLimit::new(
                    self.limits.authorize_per_minute,
                    self.limits.authorize_per_minute_total,
                ),
                pending: pending::Pending::new(
                    self.limits.pending_per_address,
                    self.limits.pending_total,
                ),
                dcr: self.dcr,
                lifetimes,
                clock: self.clock,
                key,
                verifier,
                resource_name: self.resource_name,
                scope_descriptions: self.scope_descriptions,
                secure_cookies,
                metadata_documents: metadata_document::MetadataDocuments::new(),
                trusted_proxies: self.trusted_proxies,
            }),
        })
    }
}

/// The authorization server. Cheap to clone.
#[derive(Clone)]
pub struct AuthorizationServer {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for AuthorizationServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizationServer")
            .field("issuer", &self.inner.issuer)
            .finish_non_exhaustive()
    }
}

struct Inner {
    issuer: String,
    resource: String,
    callback: String,
    store: Arc<dyn Store>,
    upstream: Arc<dyn Upstream>,
    policy: ScopePolicy,
    dcr: DcrPolicy,
    lifetimes: Lifetimes,
    register_limit: limits::RateLimit,
    authorize_limit: limits::RateLimit,
    pending: pending::Pending,
    clock: Arc<dyn Clock>,
    key: SigningKey,
    verifier: CognitoVerifier,
    resource_name: String,
    scope_descriptions: Vec<(String, String)>,
    secure_cookies: bool,
    metadata_documents: metadata_document::MetadataDocuments,
    trusted_proxies: TrustedProxies,
}

impl AuthorizationServer {
    /// A builder. `issuer` is the server's public URL (`https://mcp.example.com`), used exactly
    /// as given but for a trailing slash; `resource` is the protected MCP endpoint's URL.
    pub fn builder(
        issuer: impl Into<String>,
        resource: impl Into<String>,
        store: Arc<dyn Store>,
        upstream: Arc<dyn Upstream>,
    ) -> AuthorizationServerBuilder {
        AuthorizationServerBuilder {
            issuer: issuer.into().trim_end_matches('/').to_owned(),
            resource: resource.into(),
            store,
            upstream,
            policy: ScopePolicy::default(),
            dcr: DcrPolicy::default(),
            lifetimes: Lifetimes::default(),
            limits: Limits::default(),
            clock: Arc::new(SystemClock),
            resource_name: "this MCP server".into(),
            scope_descriptions: Vec::new(),
            trusted_proxies: TrustedProxies::default(),
        }
    }

    /// The issuer (the server's public URL, no trailing slash).
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The resource its tokens are for.
    pub fn resource(&self) -> &str {
        &self.inner.resource
    }

    /// The state store.
    pub(crate) fn store(&self) -> &std::sync::Arc<dyn Store> {
        &self.inner.store
    }

    /// The verifier of the tokens this server issues (audience-bound, own key).
    pub fn verifier(&self) -> &CognitoVerifier {
        &self.inner.verifier
    }

    /// The public key set (`/jwks.json`).
    pub fn jwks(&self) -> &Value {
        self.inner.key.jwks()
    }

    /// The scopes this server can grant.
    pub fn scopes_supported(&self) -> Vec<String> {
        let mut all: BTreeSet<String> = self.inner.dcr.allowed_scopes.iter().cloned().collect();
        all.extend(IDENTITY_SCOPES.map(String::from));
        all.into_iter().collect()
    }

    /// Refuses a token this server issued that was revoked (by `/revoke`, or with its family
    /// on a refresh-token replay): [`cognito_jwt::VerifyError::Revoked`]. Fails closed: when the store
    /// cannot answer, [`cognito_jwt::VerifyError::RevocationUnknown`], a refusal the client should retry
    /// with the same token (a store outage must not send every client back to sign in).
    pub async fn check_revoked(&self, claims: &Claims) -> Result<(), cognito_jwt::VerifyError> {
        let store = &self.inner.store;
        // The token and its family, asked about together: one store round trip per request.
        let jti = claims.jti.as_ref().map(|j| format!("jti:{j}"));
        let sid = claims.sid.as_ref().map(|s| format!("sid:{s}"));
        let keys: Vec<&str> = [jti.as_deref(), sid.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        let check = store.any_live(Kind::Revoked, &keys);
        match check.await {
            Ok(false) => Ok(()),
            Ok(true) => Err(cognito_jwt::VerifyError::Revoked),
            Err(e) => {
                tracing::error!(error = %e, "revocation check failed; refusing the token for now (503)");
                Err(cognito_jwt::VerifyError::RevocationUnknown)
            }
        }
    }

    /// The upstream (Cognito) ID token of the sign-in `sid` (the `sid` claim of this
    /// server's access tokens): the latest one Cognito gave, at the sign-in or a refresh.
    /// `None` when the sign-in is revoked or gone, or Cognito gave none.
    pub async fn upstream_id_token(&self, sid: &str) -> Result<Option<String>, StoreError> {
        match self.inner.store.get(Kind::Family, sid).await? {
            Some(raw) => Ok(model::decode_family(&raw)?.and_then(|f| f.upstream_id)),
            None => Ok(None),
        }
    }

    /// The RFC 8414 metadata (also served as OpenID discovery).
    pub fn metadata(&self) -> Value {
        let i = &self.inner;
        let base = &i.issuer;
        let mut doc = json!({
            "issuer": base,
            "authorization_endpoint": format!("{base}/authorize"),
            "token_endpoint": format!("{base}/token"),
            "revocation_endpoint": format!("{base}/revoke"),
            "jwks_uri": format!("{base}/jwks.json"),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
            "revocation_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": self.scopes_supported(),
            "authorization_response_iss_parameter_supported": true,
            "client_id_metadata_document_supported": i.dcr.client_id_metadata_documents,
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "protected_resources": [i.resource],
        });
        if i.dcr.enabled {
            doc["registration_endpoint"] = json!(format!("{base}/register"));
        }
        doc
    }

    /// The routes: metadata (RFC 8414 and OpenID discovery), `/jwks.json`, `/register`,
    /// `/authorize`, `/consent`, `/auth/callback`, `/token`, `/revoke`, and the upstream's own
    /// pages ([`Upstream::routes`], such as the sign-in page of `CognitoLogin`). For the client
    /// address (the per-address limits), serve with `into_make_service_with_connect_info`;
    /// without it every caller shares one address's budget.
    pub fn routes<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let doc = Arc::new(self.metadata());
        let jwks = Arc::new(self.jwks().clone());
        let meta = move || {
            let doc = doc.clone();
            async move { axum::Json((*doc).clone()) }
        };
        let keys = move || {
            let jwks = jwks.clone();
            async move { axum::Json((*jwks).clone()) }
        };
        let mut r = Router::new()
            .route("/.well-known/oauth-authorization-server", get(meta.clone()))
            .route("/.well-known/openid-configuration", get(meta))
            .route("/jwks.json", get(keys))
            .route("/authorize", get(authorize::authorize))
            .route("/consent", post(authorize::consent))
            .route("/auth/callback", get(callback::callback))
            .route("/token", post(token::token))
            .route("/revoke", post(revoke::revoke));
        if self.inner.dcr.enabled {
            r = r.route("/register", post(register::register));
        }
        let r = r
            .layer(DefaultBodyLimit::max(64 * 1024))
            .with_state(self.clone());
        let r = match self.inner.upstream.routes() {
            Some(pages) => r.merge(pages.layer(DefaultBodyLimit::max(64 * 1024)).with_state(())),
            None => r,
        };
        // Every per-address rule reads the client address through these (`address.rs`).
        r.layer(axum::Extension(self.inner.trusted_proxies.clone()))
    }

    /// Deletes expired state; run it now and then (backends with native TTLs do nothing).
    pub async fn purge_expired(&self) -> Result<u64, StoreError> {
        self.inner.store.purge_expired().await
    }

    fn now(&self) -> u64 {
        self.inner.clock.now_secs()
    }

    /// The clock in milliseconds since the epoch, for the limits.
    fn now_ms(&self) -> u64 {
        self.inner
            .clock
            .now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    /// Records that a token was issued or refreshed for `client`: its registration then lives
    /// `idle_client_ttl` from now instead of expiring unused. Metadata-document clients are not
    /// stored, so nothing is written for them. The record is rewritten at most every tenth of
    /// the idle lifetime (at most daily). A store failure is logged, not answered: it can only
    /// make the registration expire sooner.
    async fn client_used(&self, client: &Client) {
        if client.metadata_document {
            return;
        }
        let idle = self.inner.dcr.idle_client_ttl;
        let now = self.now();
        let every = (idle.as_secs() / 10).min(24 * 3600);
        if client
            .last_used
            .is_some_and(|t| idle.is_zero() || now < t.saturating_add(every))
        {
            return;
        }
        let mut c = client.clone();
        c.last_used = Some(now);
        let ttl = (!idle.is_zero()).then_some(idle);
        if let Err(e) = self
            .inner
            .store
            .put(Kind::Client, &c.client_id, model::encode(&c), ttl)
            .await
        {
            tracing::warn!(error = %e, client_id = %c.client_id, "could not record the client's use");
        }
    }

    /// The registered client, or one described by its metadata document.
    async fn client(&self, client_id: &str) -> Result<Option<Client>, OAuthError> {
        if client_id.starts_with("https://") || client_id.starts_with("http://") {
            return metadata_document::client(self, client_id).await;
        }
        if client_id.is_empty() || client_id.len() > 128 {
            return Ok(None);
        }
        Ok(self.get_record(Kind::Client, client_id).await?)
    }

    /// Reads a record of the store.
    async fn get_record<T: serde::de::DeserializeOwned>(
        &self,
        kind: Kind,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        self.inner
            .store
            .get(kind, key)
            .await?
            .map(|b| model::decode(&b))
            .transpose()
    }

    /// Takes (reads and removes, atomically) a one-time record of the store.
    async fn take_record<T: serde::de::DeserializeOwned>(
        &self,
        kind: Kind,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        self.inner
            .store
            .take(kind, key)
            .await?
            .map(|b| model::decode(&b))
            .transpose()
    }

    /// Authenticates the client of a token or revocation request as its registration says.
    async fn authenticate(
        &self,
        headers: &HeaderMap,
        form: &std::collections::HashMap<String, String>,
    ) -> Result<Client, OAuthError> {
        let basic = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Basic ")
                    .or_else(|| v.strip_prefix("basic "))
            })
            .map(|b64| {
                use base64::Engine as _;
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(b64.trim())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| {
                        OAuthError::invalid_client(
                            "the Basic credentials are not base64 of id:secret",
                            true,
                        )
                    })?;
                let (id, secret) = raw.split_once(':').ok_or_else(|| {
                    OAuthError::invalid_client("the Basic credentials are not id:secret", true)
                })?;
                let dec = |s: &str| {
                    url::form_urlencoded::parse(format!("x={s}").as_bytes())
                        .next()
                        .map(|(_, v)| v.into_owned())
                        .unwrap_or_default()
                };
                Ok::<_, OAuthError>((dec(id), dec(secret)))
            })
            .transpose()?;
        let (client_id, secret, method) = match (&basic, form.get("client_secret")) {
            (Some(_), Some(_)) => {
                return Err(OAuthError::bad(
                    "invalid_request",
                    "send the client secret either with HTTP Basic or in the body, not both",
                ));
            }
            (Some((id, s)), None) => (id.clone(), Some(s.clone()), "client_secret_basic"),
            (None, Some(s)) => (
                form.get("client_id").cloned().unwrap_or_default(),
                Some(s.clone()),
                "client_secret_post",
            ),
            (None, None) => (
                form.get("client_id").cloned().unwrap_or_default(),
                None,
                "none",
            ),
        };
        if let (Some((id, _)), Some(form_id)) = (&basic, form.get("client_id"))
            && id != form_id
        {
            return Err(OAuthError::invalid_client(
                "client_id differs from the Basic credentials",
                true,
            ));
        }
        let is_basic = basic.is_some();
        if client_id.is_empty() {
            return Err(OAuthError::invalid_client("client_id is missing", is_basic));
        }
        let client = self.client(&client_id).await?.ok_or_else(|| {
            OAuthError::invalid_client(
                "the client is not registered here (the server may have been reset); register again",
                is_basic,
            )
        })?;
        if client.auth_method != method {
            return Err(OAuthError::invalid_client(
                format!(
                    "this client registered token_endpoint_auth_method {}, but authenticated with {method}",
                    client.auth_method
                ),
                is_basic,
            ));
        }
        if let Some(hash) = &client.secret_hash {
            let given = secret.unwrap_or_default();
            if !crypto::ct_eq(&crypto::sha256_b64(given.as_bytes()), hash) {
                return Err(OAuthError::invalid_client(
                    "the client secret is wrong",
                    is_basic,
                ));
            }
        }
        Ok(client)
    }

    /// Revokes a refresh-token family: its live refresh token, every access token of it, and
    /// the upstream session. The family's entry becomes [`model::REVOKED_FAMILY`] for as long
    /// as the family could live, written by compare and set, so a refresh under way cannot put
    /// the family back, and a family not created yet never will be.
    async fn revoke_family(&self, family_id: &str) -> Result<(), OAuthError> {
        let store = &self.inner.store;
        store
            .put(
                Kind::Revoked,
                &format!("sid:{family_id}"),
                Vec::new(),
                Some(self.inner.lifetimes.access_token + Duration::from_secs(120)),
            )
            .await?;
        let mut revoked = None;
        for _ in 0..MAX_REVOKE_ATTEMPTS {
            match store.get(Kind::Family, family_id).await? {
                None => {
                    let ttl = Some(self.inner.lifetimes.refresh_token);
                    let tombstone = model::REVOKED_FAMILY.to_vec();
                    if store
                        .put_new(Kind::Family, family_id, tombstone, ttl)
                        .await?
                    {
                        return Ok(());
                    }
                }
                Some(raw) => {
                    let Some(family) = model::decode_family(&raw)? else {
                        return Ok(());
                    };
                    let left = family.expires_at.saturating_sub(self.now()).max(1);
                    let tombstone = model::REVOKED_FAMILY.to_vec();
                    let ttl = Some(Duration::from_secs(left));
                    if store
                        .replace(Kind::Family, family_id, &raw, tombstone, ttl)
                        .await?
                    {
                        revoked = Some(family);
                        break;
                    }
                }
            }
        }
        // Each lost round means the family changed under us (a refresh); a refresh cannot
        // outrun a handful of rounds, so running out is a store fault, not a race to lose.
        let Some(family) = revoked else {
            return Err(StoreError::Backend(format!(
                "the family could not be revoked in {MAX_REVOKE_ATTEMPTS} attempts"
            ))
            .into());
        };
        store.remove(Kind::Refresh, &family.refresh).await?;
        if let Some(up) = family.upstream_refresh {
            self.revoke_upstream(up);
        }
        Ok(())
    }

    /// Revokes an upstream refresh token in the background.
    fn revoke_upstream(&self, refresh_token: String) {
        let upstream = self.inner.upstream.clone();
        tokio::spawn(async move {
            if let Err(e) = upstream.revoke(&refresh_token).await {
                tracing::warn!(error = %e, "could not revoke the upstream refresh token");
            }
        });
    }

    /// The scopes to grant: what was consented to, within what the user's groups grant
    /// (identity scopes are always allowed). What the upstream token carries counts for
    /// nothing: Cognito grants any scope the app client allows to whoever signs in.
    fn grantable(&self, consented: &[String], identity: &Identity) -> Vec<String> {
        let groups = self.inner.policy.granted_to(&identity.groups);
        consented
            .iter()
            .filter(|s| IDENTITY_SCOPES.contains(&s.as_str()) || groups.contains(*s))
            .cloned()
            .collect()
    }

    /// Logs, at warn level, the scopes an upstream grant carries that the server never asked
    /// for; they are ignored either way.
    fn note_upstream_scopes(&self, identity: &Identity, upstream_scopes: &[String]) {
        let asked = self.inner.upstream.asked_scopes();
        let extra: Vec<&str> = upstream_scopes
            .iter()
            .map(String::as_str)
            .filter(|s| *s != COGNITO_ADMIN_SCOPE && !asked.iter().any(|a| a == s))
            .collect();
        if !extra.is_empty() {
            tracing::warn!(
                sub = %identity.sub,
                extra = %extra.join(" "),
                "Cognito granted scopes this server did not ask for; they are ignored (privilege \
                 comes from the user's groups). The sign-in URL was altered, or the app client \
                 allows more scopes than the server needs"
            );
        }
    }
}

/// The scope of Cognito's own user-API tokens (AdminInitiateAuth, the sign-in page).
const COGNITO_ADMIN_SCOPE: &str = "aws.cognito.signin.user.admin";

/// Reads one cookie from the request.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}
