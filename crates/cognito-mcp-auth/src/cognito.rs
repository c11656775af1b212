//! [`CognitoAuth`]: Cognito protection for an MCP server, from configuration.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Weak};
use std::time::Duration;

use axum::Router;
use cognito_jwt::{BuildError, Clock, CognitoVerifier, Principal, SystemClock};

use crate::authz::upstream::Upstream;
use crate::authz::{AuthorizationServer, AuthzBuildError, HostedUi, HostedUiConfig};
use crate::config::{AuthConfig, ConfigError, Problem, ProxyConfig, StoreKind};
use crate::resource::{BearerLayer, ProtectedResource};
use crate::store::{MemoryStore, RedbStore, SealedStore, StateKey, StateKeys, Store, StoreError};

/// How often proxy mode drops expired state (registrations, codes, refresh-token families).
const PURGE_EVERY: Duration = Duration::from_secs(600);

/// Why [`CognitoAuth`] could not be set up. Each message says what to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The configuration has problems.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The state store could not be opened.
    #[error("{context}: {source}")]
    Store {
        /// What was being done.
        context: String,
        /// The store's error.
        #[source]
        source: StoreError,
    },
    /// A file of the state directory could not be made or read.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The authorization server could not start.
    #[error("cannot start the authorization server: {0}")]
    AuthorizationServer(#[from] AuthzBuildError),
    /// A token verifier could not be built.
    #[error("the token verifier for {what}: {source}")]
    Verifier {
        /// Which verifier.
        what: &'static str,
        /// The error.
        #[source]
        source: BuildError,
    },
}

impl SetupError {
    fn config(message: impl Into<String>) -> Self {
        Self::Config(ConfigError::new(vec![Problem::new(message)]))
    }
}

/// Cognito protection for an MCP server: verify Cognito access tokens (or, in proxy mode, be
/// the OAuth authorization server MCP clients register with), map groups to scopes, and
/// require a scope per tool.
///
/// Build it from configuration ([`CognitoAuth::from_env`], or [`CognitoAuth::builder`] with an
/// [`AuthConfig`]), then add [`CognitoAuth::routes`] to the router and
/// [`CognitoAuth::layer`] in front of the MCP service. Cheap to clone.
///
/// ```no_run
/// use axum::Router;
/// use cognito_mcp_auth::CognitoAuth;
///
/// # async fn run(my_mcp_service: axum::routing::Router) -> Result<(), Box<dyn std::error::Error>> {
/// // AWS_REGION, COGNITO_USER_POOL_ID, COGNITO_CLIENT_ID, COGNITO_MCP_PUBLIC_URL, and the
/// // file COGNITO_MCP_CONFIG names, if any.
/// let auth = CognitoAuth::from_env().await?;
/// let app: Router = Router::new()
///     .nest_service("/mcp", my_mcp_service.layer(auth.layer()))
///     .merge(auth.routes());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct CognitoAuth {
    inner: Arc<Inner>,
}

struct Inner {
    config: AuthConfig,
    resource: ProtectedResource,
    server: Option<AuthorizationServer>,
    /// The pool's verifier for the accepted app clients, if any.
    verifier: Option<CognitoVerifier>,
    /// The scope each tool needs: one map, shared with the bearer check's scope rule.
    tool_scopes: Arc<BTreeMap<String, String>>,
    mcp_path: String,
    /// The refresh of the secret references this built read, if it read any.
    _secrets_refresh: Option<crate::secrets::RefreshTask>,
}

impl std::fmt::Debug for CognitoAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CognitoAuth")
            .field("resource", &self.inner.resource.resource())
            .field("proxy", &self.inner.server.is_some())
            .finish_non_exhaustive()
    }
}

/// Configures a [`CognitoAuth`]; [`CognitoAuth::builder`] makes one.
pub struct CognitoAuthBuilder {
    config: AuthConfig,
    public_url: Option<String>,
    mcp_path: String,
    tool_scopes: BTreeMap<String, String>,
    method_scopes: BTreeMap<String, String>,
    challenge_scope: Option<String>,
    resource_name: Option<String>,
    scope_descriptions: Vec<(String, String)>,
    max_body_bytes: usize,
    verifier: Option<CognitoVerifier>,
    clock: Arc<dyn Clock>,
    #[cfg(feature = "login")]
    cognito_client: Option<aws_sdk_cognitoidentityprovider::Client>,
}

impl std::fmt::Debug for CognitoAuthBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CognitoAuthBuilder")
            .field("public_url", &self.public_url)
            .field("mcp_path", &self.mcp_path)
            .finish_non_exhaustive()
    }
}

impl CognitoAuth {
    /// Reads [`AuthConfig::from_env`] and builds. The public URL comes from
    /// `COGNITO_MCP_PUBLIC_URL` (or `server.public_url` in the file); the MCP endpoint is
    /// `/mcp`.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), cognito_mcp_auth::SetupError> {
    /// let auth = cognito_mcp_auth::CognitoAuth::from_env().await?;
    /// assert!(auth.resource().ends_with("/mcp"));
    /// # Ok(()) }
    /// ```
    pub async fn from_env() -> Result<Self, SetupError> {
        Self::builder(AuthConfig::from_env()?).build().await
    }

    /// A builder for `config`.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), cognito_mcp_auth::SetupError> {
    /// use cognito_mcp_auth::{AuthConfig, CognitoAuth};
    ///
    /// let auth = CognitoAuth::builder(AuthConfig::from_env()?)
    ///     .public_url("http://127.0.0.1:3000")
    ///     .tool_scope("add_note", "mcp/write")
    ///     .build()
    ///     .await?;
    /// assert_eq!(auth.required_scope("add_note"), Some("mcp/write"));
    /// # Ok(()) }
    /// ```
    pub fn builder(config: AuthConfig) -> CognitoAuthBuilder {
        CognitoAuthBuilder {
            public_url: config.public_url.clone(),
            config,
            mcp_path: "/mcp".to_owned(),
            tool_scopes: BTreeMap::new(),
            method_scopes: BTreeMap::new(),
            challenge_scope: None,
            resource_name: None,
            scope_descriptions: Vec::new(),
            max_body_bytes: crate::resource::DEFAULT_MAX_BODY_BYTES,
            verifier: None,
            clock: Arc::new(SystemClock),
            #[cfg(feature = "login")]
            cognito_client: None,
        }
    }

    /// The routes to merge into the app: the protected-resource metadata, and in proxy mode
    /// the authorization server (metadata, registration, authorize, consent, callback, token,
    /// revoke, keys, and the sign-in page when it is used).
    pub fn routes<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let router = self.inner.resource.routes();
        match &self.inner.server {
            Some(server) => router.merge(server.routes()),
            None => router,
        }
    }

    /// The layer to put in front of the MCP service: it verifies the bearer token, answers
    /// 401 and 403 with the right `WWW-Authenticate`, and puts the caller's
    /// [`Principal`] in the request extensions (read it with [`Caller`](crate::Caller)).
    ///
    /// It guards the MCP path (`/mcp` and below) and lets every other path through, so it can
    /// wrap the MCP service alone or the whole app (the metadata and sign-in routes stay
    /// public). A handler elsewhere that takes a [`Caller`](crate::Caller) answers 401.
    pub fn layer(&self) -> BearerLayer {
        self.inner
            .resource
            .layer_for_path(self.inner.mcp_path.clone())
    }

    /// The MCP endpoint's URL, the `resource` of its metadata.
    pub fn resource(&self) -> &str {
        self.inner.resource.resource()
    }

    /// The protected resource underneath.
    pub fn protected_resource(&self) -> &ProtectedResource {
        &self.inner.resource
    }

    /// The authorization server, in proxy mode.
    pub fn authorization_server(&self) -> Option<&AuthorizationServer> {
        self.inner.server.as_ref()
    }

    /// The configuration it was built from.
    pub fn config(&self) -> &AuthConfig {
        &self.inner.config
    }

    /// The pool's verifier for the accepted app clients ([`AuthConfig::accepted_clients`]),
    /// if any: verify a token yourself, or check an id token.
    pub fn verifier(&self) -> Option<&CognitoVerifier> {
        self.inner.verifier.as_ref()
    }

    /// The scope `tool` needs, or `None` when any verified caller may call it.
    pub fn required_scope(&self, tool: &str) -> Option<&str> {
        self.inner.tool_scopes.get(tool).map(String::as_str)
    }

    /// Every tool with a required scope, and that scope.
    pub fn tool_scopes(&self) -> &BTreeMap<String, String> {
        &self.inner.tool_scopes
    }

    /// Whether `caller` may call `tool`: it needs no scope, or the caller has it. List only
    /// these tools to a caller.
    pub fn allows(&self, caller: &Principal, tool: &str) -> bool {
        self.required_scope(tool)
            .is_none_or(|scope| caller.has_scope(scope))
    }

    /// Fetches the pool's key set now, so the first request pays no fetch.
    pub async fn warm_up(&self) -> Result<(), cognito_jwt::VerifyError> {
        match self.inner.resource.cognito_verifier() {
            Some(v) => v.warm_up().await.map(drop),
            None => Ok(()),
        }
    }
}

impl CognitoAuthBuilder {
    /// The URL clients reach the server at (no trailing slash). Default: the configuration's
    /// `public_url`; one of the two is required.
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = Some(url.into().trim_end_matches('/').to_owned());
        self
    }

    /// The path the MCP service is nested at. Default: `/mcp`.
    pub fn mcp_path(mut self, path: impl Into<String>) -> Self {
        self.mcp_path = path.into();
        self
    }

    /// `tool` needs `scope`, unless `auth.tool_scopes` in the configuration says otherwise.
    /// A call without it gets 403 `insufficient_scope` before it reaches the service.
    pub fn tool_scope(mut self, tool: impl Into<String>, scope: impl Into<String>) -> Self {
        self.tool_scopes.insert(tool.into(), scope.into());
        self
    }

    /// [`Self::tool_scope`] for each `(tool, scope)`.
    pub fn tool_scopes<T: Into<String>, S: Into<String>>(
        mut self,
        pairs: impl IntoIterator<Item = (T, S)>,
    ) -> Self {
        for (tool, scope) in pairs {
            self.tool_scopes.insert(tool.into(), scope.into());
        }
        self
    }

    /// Calls of the JSON-RPC `method` (`resources/read`, `prompts/get`) need `scope`.
    pub fn method_scope(mut self, method: impl Into<String>, scope: impl Into<String>) -> Self {
        self.method_scopes.insert(method.into(), scope.into());
        self
    }

    /// The scope a 401 challenge asks for, which every request then needs (a verified caller
    /// without it gets 403 `insufficient_scope`). Default: `{resource_server}/read` when a
    /// group grants it or a tool needs it, else none.
    pub fn challenge_scope(mut self, scope: impl Into<String>) -> Self {
        self.challenge_scope = Some(scope.into());
        self
    }

    /// A human-readable name for the metadata and the consent page.
    pub fn resource_name(mut self, name: impl Into<String>) -> Self {
        self.resource_name = Some(name.into());
        self
    }

    /// What `scope` lets a client do, in words for the consent page (proxy mode).
    pub fn describe_scope(mut self, scope: impl Into<String>, text: impl Into<String>) -> Self {
        self.scope_descriptions.push((scope.into(), text.into()));
        self
    }

    /// Largest request body the layer reads to find the tool. Default: 1 MiB.
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// Use `verifier` for the pool's tokens instead of the one [`AuthConfig::verifier`] builds,
    /// to share its key cache with other code that verifies tokens.
    pub fn verifier(mut self, verifier: CognitoVerifier) -> Self {
        self.verifier = Some(verifier);
        self
    }

    /// The clock of proxy mode: the authorization server (its tokens, codes and limits), the
    /// TTLs of its state store (redb or memory; Redis keeps its own time) and the sign-in
    /// page's failure limits. Default: the system clock. Tests give a manual one
    /// (`cognito_jwt::testing::ManualClock`) to move time without sleeping.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The Cognito client the sign-in page calls. Default: one from the standard AWS
    /// configuration (credential chain, the configured region and endpoint override).
    #[cfg(feature = "login")]
    pub fn cognito_client(mut self, client: aws_sdk_cognitoidentityprovider::Client) -> Self {
        self.cognito_client = Some(client);
        self
    }

    /// Checks the configuration and builds. In proxy mode this opens the state store, starts
    /// the authorization server, and starts a task that drops expired state every 10 minutes
    /// while a clone of the result lives.
    pub async fn build(self) -> Result<CognitoAuth, SetupError> {
        let config = &self.config;
        let problems = config.problems();
        if !problems.is_empty() {
            return Err(ConfigError::new(problems).into());
        }
        // References not read yet (an application that did not start its own refresher) are
        // read now and refreshed while this lives.
        let secrets_refresh = match crate::secrets::SecretRefresher::start(
            config.secret_settings(),
            &config.region,
            config.secrets_refresh,
            &|k| std::env::var(k).ok(),
        )
        .await
        {
            Ok(r) => r.map(|r| r.spawn()),
            Err(errors) => {
                return Err(ConfigError::new(
                    errors.iter().map(|e| Problem::new(e.to_string())).collect(),
                )
                .into());
            }
        };
        let pool_id = config
            .user_pool_id
            .clone()
            .ok_or_else(|| SetupError::config("COGNITO_USER_POOL_ID is not set"))?;
        let public_url = self.public_url.clone().ok_or_else(|| {
            SetupError::config(
                "the public URL is not set: set COGNITO_MCP_PUBLIC_URL to the URL clients use, \
                 like http://127.0.0.1:3000 or https://mcp.example.com",
            )
        })?;
        let resource_url = format!("{public_url}{}", self.mcp_path);
        let verifier =
            match self.verifier.clone() {
                Some(v) => Some(v),
                None => config.verifier_for(Some(&resource_url)).map_err(|source| {
                    SetupError::Verifier {
                        what: "the pool's app clients",
                        source,
                    }
                })?,
            };
        if config.proxy.is_none() && verifier.is_none() {
            return Err(SetupError::config(
                "every caller needs a Cognito token, checked against an app client id: set \
                 COGNITO_CLIENT_ID (or auth.client_ids in the config file), or turn on the \
                 authorization server with auth.enabled = true",
            ));
        }
        for w in config.widening_settings() {
            tracing::warn!("this configuration widens privilege: {w}");
        }
        for w in config.migration_warnings() {
            tracing::warn!("{w}");
        }
        let rs = &config.resource_server;
        let read_scope = format!("{rs}/read");

        let mut tool_scopes = self.tool_scopes.clone();
        tool_scopes.extend(config.tool_scopes.clone());
        // The scopes the server checks narrow a token that carries them, granted or not.
        let policy = config
            .scope_policy()
            .resource_scopes(tool_scopes.values().cloned())
            .resource_scopes(self.method_scopes.values().cloned());
        // The challenge names the read scope when the server uses it; every request then
        // needs it (the challenge and the 403s agree).
        let challenge_scope = self.challenge_scope.clone().or_else(|| {
            policy
                .known_scopes()
                .contains(read_scope.as_str())
                .then(|| read_scope.clone())
        });
        let mut supported: BTreeSet<String> = tool_scopes.values().cloned().collect();
        supported.extend(self.method_scopes.values().cloned());
        for scopes in policy.groups().values() {
            supported.extend(scopes.iter().cloned());
        }

        let mut builder = ProtectedResource::builder(resource_url.clone());
        let server = match &config.proxy {
            Some(p) => {
                let server = self
                    .authorization_server(p, &pool_id, &public_url, &resource_url)
                    .await?;
                builder = builder.authorization_server_tokens(server.clone());
                supported.extend(server.scopes_supported());
                Some(server)
            }
            None => None,
        };
        // In proxy mode Cognito tokens pass only from app clients listed by name
        // (machine-to-machine callers), never by default.
        if let Some(v) = &verifier {
            builder = builder.cognito(v.clone());
        }
        if let Some(name) = &self.resource_name {
            builder = builder.resource_name(name.clone());
        }
        if let Some(pool) = &config.identity_pool {
            builder = builder.identity_pool(crate::IdentityPool::new(pool.clone()));
        }
        let tool_scopes = Arc::new(tool_scopes);
        let rule_tools = tool_scopes.clone();
        let rule_methods = self.method_scopes.clone();
        if let Some(scope) = challenge_scope {
            builder = builder.challenge_scope(scope);
        }
        let resource = builder
            .scope_policy(policy)
            .scopes_supported(supported)
            .max_body_bytes(self.max_body_bytes)
            .scope_rule(move |method, tool| match (method, tool) {
                ("tools/call", Some(tool)) => rule_tools.get(tool).cloned(),
                _ => rule_methods.get(method).cloned(),
            })
            .build()
            .map_err(|e| SetupError::config(e.to_string()))?;
        let auth = CognitoAuth {
            inner: Arc::new(Inner {
                config: self.config,
                resource,
                server,
                verifier,
                tool_scopes,
                mcp_path: self.mcp_path,
                _secrets_refresh: secrets_refresh,
            }),
        };
        if auth.inner.server.is_some() {
            spawn_purge(Arc::downgrade(&auth.inner));
        }
        Ok(auth)
    }

    async fn authorization_server(
        &self,
        p: &ProxyConfig,
        pool_id: &str,
        public_url: &str,
        resource_url: &str,
    ) -> Result<AuthorizationServer, SetupError> {
        let config = &self.config;
        let client_id = config.client_id.clone().ok_or_else(|| {
            SetupError::config(
                "the authorization server needs the server's own app client: set COGNITO_CLIENT_ID",
            )
        })?;
        let callback = format!("{public_url}/auth/callback");
        if !p.callback_urls.is_empty() && !p.callback_urls.contains(&callback) {
            tracing::warn!(
                %callback,
                "auth.callback_urls does not list this server's callback; Cognito will refuse the sign-in"
            );
        }
        let state: Arc<dyn Store> = Arc::new(crate::store::MeteredStore::new(
            open_store(p, self.clock.clone()).await?,
        ));
        let upstream: Arc<dyn Upstream> = if p.uses_login_page() {
            self.login_page(p, pool_id, &client_id, state.clone())
                .await?
        } else {
            let issuer = p
                .upstream_issuer
                .clone()
                .unwrap_or_else(|| config.token_issuer(pool_id));
            let mut up = HostedUiConfig::new(issuer, client_id);
            up.domain = p.domain.clone();
            up.discovery_url = p.discovery_url.clone();
            up.client_secret = config.client_secret.as_ref().map(|s| s.value().clone());
            up.scopes = p.upstream_scopes.clone();
            up.timeout = p.upstream_timeout;
            if p.domain.is_some() || config.jwks_url.is_some() {
                up.jwks_url = Some(config.jwks_url_for(pool_id));
            }
            Arc::new(HostedUi::new(up))
        };
        let mut builder = AuthorizationServer::builder(public_url, resource_url, state, upstream)
            .scope_policy(config.scope_policy())
            .dcr(p.dcr.clone())
            .lifetimes(p.lifetimes)
            .limits(p.limits)
            .trusted_proxies(config.trusted_proxies.clone())
            .clock(self.clock.clone());
        if let Some(name) = &self.resource_name {
            builder = builder.resource_name(name.clone());
        }
        for (scope, text) in &self.scope_descriptions {
            builder = builder.describe_scope(scope.clone(), text.clone());
        }
        Ok(builder.build().await?)
    }

    #[cfg(feature = "login")]
    async fn login_page(
        &self,
        p: &ProxyConfig,
        pool_id: &str,
        client_id: &str,
        state: Arc<dyn Store>,
    ) -> Result<Arc<dyn Upstream>, SetupError> {
        use crate::config::LoginFlow;
        use crate::login::{AuthFlow, CognitoLogin, Lockout, LoginConfig};
        let config = &self.config;
        let issuer = p
            .upstream_issuer
            .clone()
            .unwrap_or_else(|| config.token_issuer(pool_id));
        let verifier = cognito_jwt::VerifierBuilder::new(issuer)
            .jwks_url(config.jwks_url_for(pool_id))
            .allow_client(client_id.to_owned())
            .leeway(config.leeway)
            .build()
            .map_err(|source| SetupError::Verifier {
                what: "the sign-in page",
                source,
            })?;
        let mut login = LoginConfig::new(pool_id, client_id);
        login.client_secret = config.client_secret.as_ref().map(|s| s.value().clone());
        login.flow = match p.login.flow {
            LoginFlow::Srp => AuthFlow::Srp,
            LoginFlow::AdminPassword => AuthFlow::AdminPassword,
            _ => AuthFlow::Auto,
        };
        let mut lockout = Lockout::default();
        lockout.per_username = p.login.max_failures_per_username;
        lockout.per_address = p.login.max_failures_per_address;
        lockout.base_delay = p.login.lockout;
        lockout.max_delay = p.login.max_lockout;
        login.lockout = lockout;
        login.title = p.login.title.clone();
        login.clock = self.clock.clone();
        let client = match &self.cognito_client {
            Some(c) => c.clone(),
            None => default_cognito_client(config).await,
        };
        Ok(Arc::new(CognitoLogin::new(login, client, verifier, state)))
    }

    #[cfg(not(feature = "login"))]
    async fn login_page(
        &self,
        _: &ProxyConfig,
        _: &str,
        _: &str,
        _: Arc<dyn Store>,
    ) -> Result<Arc<dyn Upstream>, SetupError> {
        Err(SetupError::config(crate::config::NO_LOGIN_FEATURE))
    }
}

/// A Cognito client from the standard AWS configuration, in the configured region, with the
/// file's endpoint override unless the environment sets one (the SDK reads that itself).
#[cfg(feature = "login")]
async fn default_cognito_client(config: &AuthConfig) -> aws_sdk_cognitoidentityprovider::Client {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(config.region.clone()));
    let env_override = [
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
        "AWS_ENDPOINT_URL",
    ]
    .iter()
    .any(|k| std::env::var(k).is_ok_and(|v| !v.trim().is_empty()));
    if !env_override && let Some(url) = &config.file_endpoint_url {
        loader = loader.endpoint_url(url);
    }
    aws_sdk_cognitoidentityprovider::Client::new(&loader.load().await)
}

/// Opens proxy mode's state: encrypted redb in the state directory, memory, or encrypted
/// Redis.
async fn open_store(p: &ProxyConfig, clock: Arc<dyn Clock>) -> Result<Arc<dyn Store>, SetupError> {
    let key_from_env = |k: &crate::secrets::SecretSetting| {
        StateKeys::rotating(k.value().clone())
            .map_err(|e| SetupError::config(format!("COGNITO_MCP_STATE_KEY: {e}")))
    };
    match p.store {
        StoreKind::Memory => {
            tracing::warn!(
                "auth.store = \"memory\": registrations and refresh tokens are lost at restart"
            );
            Ok(Arc::new(MemoryStore::with_clock(clock)))
        }
        StoreKind::Redis => {
            #[cfg(feature = "redis")]
            {
                // AuthConfig::problems() has already asked for both.
                let (Some(url), Some(key)) = (&p.redis_url, &p.state_key) else {
                    return Err(SetupError::config(
                        "auth.store = \"redis\" needs COGNITO_MCP_REDIS_URL and COGNITO_MCP_STATE_KEY",
                    ));
                };
                let key = key_from_env(key)?;
                let mut options = crate::store::RedisOptions::default().cluster(p.redis_cluster);
                if let Some(ca) = &p.redis_ca_file {
                    options = options.ca_file(ca);
                }
                let redis = crate::store::RedisStore::connect_with(
                    url.current().expose(),
                    &p.redis_namespace,
                    &options,
                )
                .await
                .map_err(|source| SetupError::Store {
                    context: "cannot open the Redis state store".into(),
                    source,
                })?;
                tracing::info!(
                    address = redis.address(),
                    cluster = redis.is_cluster(),
                    tls = redis.is_tls(),
                    namespace = %p.redis_namespace,
                    "authorization-server state in Redis"
                );
                Ok(Arc::new(SealedStore::with_keys(redis, key)))
            }
            #[cfg(not(feature = "redis"))]
            Err(SetupError::config(crate::config::NO_REDIS_FEATURE))
        }
        _ => {
            let dir = &p.state_dir;
            std::fs::create_dir_all(dir).map_err(|source| SetupError::Io {
                context: format!(
                    "cannot create the state directory {}; set COGNITO_MCP_STATE_DIR to a writable one",
                    dir.display()
                ),
                source,
            })?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
            }
            let key = match &p.state_key {
                Some(k) => key_from_env(k)?,
                None => StateKeys::fixed(
                    StateKey::load_or_create(&dir.join("state.key")).map_err(|e| {
                        SetupError::config(format!(
                            "the state key in {}: {e}",
                            dir.join("state.key").display()
                        ))
                    })?,
                ),
            };
            let db = RedbStore::open(dir.join("oauth.redb"))
                .map_err(|source| SetupError::Store {
                    context: format!("cannot open {}", dir.join("oauth.redb").display()),
                    source,
                })?
                .with_clock(clock);
            Ok(Arc::new(SealedStore::with_keys(db, key)))
        }
    }
}

/// Drops expired state every [`PURGE_EVERY`] while `auth` lives.
fn spawn_purge(auth: Weak<Inner>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        let mut every = tokio::time::interval(PURGE_EVERY);
        loop {
            every.tick().await;
            let Some(server) = auth.upgrade().and_then(|inner| inner.server.clone()) else {
                return;
            };
            if let Err(e) = server.purge_expired().await {
                tracing::warn!(error = %e, "could not purge expired state");
            }
        }
    });
}
