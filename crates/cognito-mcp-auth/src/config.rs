//! Configuration of [`CognitoAuth`](crate::CognitoAuth): the environment over a TOML file over
//! defaults.
//!
//! | setting | environment | file | default |
//! |---|---|---|---|
//! | region | `AWS_REGION` | `cognito.region` | the pool id's region, else `us-east-1` |
//! | pool id | `COGNITO_USER_POOL_ID` | `cognito.user_pool_id` | none (required) |
//! | the server's app client | `COGNITO_CLIENT_ID` | `cognito.client_id` | none |
//! | its secret | `COGNITO_CLIENT_SECRET` | `cognito.client_secret` | none |
//! | its previous secret, during a rotation | `COGNITO_CLIENT_SECRET_PREVIOUS` | `cognito.client_secret_previous` | the secret's `AWSPREVIOUS` version, for a Secrets Manager reference |
//! | how often references to AWS are read again | `COGNITO_MCP_SECRETS_REFRESH_SECS` | `secrets.refresh_secs` | 300 |
//! | endpoint override (moto, LocalStack) | `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`, `AWS_ENDPOINT_URL` | `cognito.endpoint_url` | AWS |
//! | public URL | `COGNITO_MCP_PUBLIC_URL` | `server.public_url` | none (the builder's) |
//! | trusted proxies (CIDRs) | `COGNITO_MCP_TRUSTED_PROXIES` (comma-separated) | `server.trusted_proxies` | none |
//! | the header they write | `COGNITO_MCP_FORWARDED_HEADER` | `server.forwarded_header` | `x-forwarded-for` |
//! | app clients whose tokens pass | | `auth.client_ids` | `COGNITO_CLIENT_ID` |
//! | scopes of each group | | `auth.group_scopes` | Admins, Developers, ReadOnly |
//! | scope each tool needs | | `auth.tool_scopes` | none |
//! | machine clients (no user) and their scopes | `COGNITO_MCP_MACHINE_CLIENTS` (`ID=SCOPE SCOPE;ID=SCOPE`) | `auth.machine_clients` | none |
//! | proxy mode | `COGNITO_MCP_AUTH_ENABLED` | `auth.enabled` | false |
//! | state store | | `auth.store` | `embedded` |
//!
//! Every secret setting (the client secret, the Redis URL, the state key) takes the value or a
//! reference to AWS: `secretsmanager:ARN[#json-key]`, `secretsmanager:NAME[#json-key]` or
//! `ssm:/path` (module [`crate::secrets`]).
//!
//! The rest of `[auth]`, `[auth.dcr]` and `[auth.login]` is in the field docs below and in
//! the guide, docs/protect-your-server.md.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::authz::{DcrPolicy, Lifetimes, Limits};

mod identity_pool;
mod redis;

pub use self::identity_pool::{IDENTITY_POOL_ENV, IdentityPoolTable};
pub use self::redis::RedisSettings;

/// The default region when neither `AWS_REGION` nor the file names one.
pub const DEFAULT_REGION: &str = "us-east-1";

/// The environment variable listing the trusted proxies' networks (comma-separated CIDRs).
pub const TRUSTED_PROXIES_ENV: &str = "COGNITO_MCP_TRUSTED_PROXIES";

/// The environment variable naming the header the trusted proxies write.
pub const FORWARDED_HEADER_ENV: &str = "COGNITO_MCP_FORWARDED_HEADER";

/// The environment variable naming the config file for [`AuthConfig::from_env`].
pub const CONFIG_FILE_ENV: &str = "COGNITO_MCP_CONFIG";

/// The problem of `auth.store = "redis"` in a build without the `redis` feature.
pub(crate) const NO_REDIS_FEATURE: &str = "auth.store is \"redis\" but this build has no Redis \
     support: build cognito-mcp-auth with its `redis` feature";

/// The problem of proxy mode needing the sign-in page in a build without the `login` feature.
pub(crate) const NO_LOGIN_FEATURE: &str = "proxy mode would sign users in on this server's own \
     page, but this build has no sign-in page: set COGNITO_DOMAIN (the hosted UI), or build \
     cognito-mcp-auth with its `login` feature";

/// A secret string: a client secret, a Redis URL with a password, a state key. The one
/// `Secret` of the workspace, from `cognito-idp`: `Debug` and `Display` print `[REDACTED]`, the
/// bytes are zeroized on drop, and `==` compares in constant time.
pub use cognito_idp::Secret;

/// A secret swapped while in use, with its previous value during a rotation (the app client
/// secret of [`HostedUiConfig`](crate::HostedUiConfig) and of the sign-in page): `cognito-idp`'s.
pub use cognito_idp::RotatingSecret;

use crate::secrets::SecretSetting;

/// The environment variable of `secrets.refresh_secs`.
pub const SECRETS_REFRESH_ENV: &str = "COGNITO_MCP_SECRETS_REFRESH_SECS";

/// A configuration problem, phrased as what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem(String);

impl Problem {
    /// A problem saying `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }

    /// What to fix.
    pub fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The configuration cannot be used: every problem, each phrased as what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    problems: Vec<Problem>,
}

impl ConfigError {
    /// An error holding `problems`.
    pub fn new(problems: Vec<Problem>) -> Self {
        Self { problems }
    }

    /// The problems.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems.as_slice() {
            [one] => write!(f, "{one}"),
            many => {
                write!(f, "{} configuration problems:", many.len())?;
                for p in many {
                    write!(f, "\n- {p}")?;
                }
                Ok(())
            }
        }
    }
}

/// The `[cognito]` table of the config file, as written: deserialize it as part of your own
/// file and hand it to [`AuthConfig::from_tables`]. [`AuthConfig`] has what each key means.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CognitoTable {
    /// `region`.
    pub(crate) region: Option<String>,
    /// `user_pool_id`.
    pub(crate) user_pool_id: Option<String>,
    /// `client_id`.
    pub(crate) client_id: Option<String>,
    /// `client_secret`.
    pub(crate) client_secret: Option<Secret>,
    /// `client_secret_previous`.
    pub(crate) client_secret_previous: Option<Secret>,
    /// `endpoint_url`.
    pub(crate) endpoint_url: Option<String>,
}

/// The `[auth]` table of the config file, as written: deserialize it as part of your own file
/// and hand it to [`AuthConfig::from_tables`]. [`AuthConfig`] has what each key means.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct AuthTable {
    pub(crate) resource_server: Option<String>,
    #[serde(default)]
    pub(crate) client_ids: Vec<String>,
    pub(crate) jwks_url: Option<String>,
    pub(crate) issuer: Option<String>,
    pub(crate) leeway_secs: Option<u64>,
    pub(crate) jwks_refetch_interval_secs: Option<u64>,
    pub(crate) group_scopes: Option<BTreeMap<String, Vec<String>>>,
    #[serde(default)]
    pub(crate) tool_scopes: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) machine_clients: BTreeMap<String, Vec<String>>,
    pub(crate) enabled: Option<bool>,
    pub(crate) mode: Option<String>,
    pub(crate) provider: Option<String>,
    #[serde(default)]
    pub(crate) callback_urls: Vec<String>,
    pub(crate) domain: Option<String>,
    pub(crate) discovery_url: Option<String>,
    pub(crate) upstream_issuer: Option<String>,
    pub(crate) upstream_scopes: Option<Vec<String>>,
    pub(crate) upstream_timeout_secs: Option<u64>,
    pub(crate) state_dir: Option<PathBuf>,
    pub(crate) store: Option<String>,
    pub(crate) redis_url: Option<Secret>,
    pub(crate) redis_namespace: Option<String>,
    pub(crate) redis_cluster: Option<bool>,
    pub(crate) redis_ca_file: Option<PathBuf>,
    pub(crate) access_token_ttl_secs: Option<u64>,
    pub(crate) refresh_token_ttl_secs: Option<u64>,
    pub(crate) code_ttl_secs: Option<u64>,
    pub(crate) consent_memory_days: Option<u64>,
    pub(crate) transaction_ttl_secs: Option<u64>,
    pub(crate) upstream: Option<String>,
    #[serde(default)]
    pub(crate) dcr: DcrTable,
    #[serde(default)]
    pub(crate) login: LoginTable,
    #[serde(default)]
    pub(crate) limits: LimitsTable,
    #[serde(default)]
    pub(crate) cimd: CimdTable,
}

/// The `[auth.cimd]` table, as written. [`CimdPolicy`] has what each key means.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CimdTable {
    #[serde(default)]
    pub(crate) url_patterns: Vec<String>,
    pub(crate) cache_duration_secs: Option<u64>,
}

/// Native mode's client ID metadata documents: the pool's CIMD policy, which `cognito-mcp
/// deploy template` writes (`AWS::Cognito::CIMDPolicy`). Cognito, not this server, fetches the
/// documents and applies the policy.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CimdPolicy {
    /// `auth.cimd.url_patterns`: the https URLs (`*` a wildcard) of the metadata documents the
    /// pool accepts as clients; 1 to 5, or none for no policy.
    pub url_patterns: Vec<String>,
    /// `auth.cimd.cache_duration_secs`: how long Cognito keeps a document whose `Cache-Control`
    /// sets no max-age between a day and a year; one day (Cognito's default) to one year.
    pub cache_duration_secs: Option<u64>,
}

/// The shortest and longest time Cognito caches a metadata document (`CacheDuration`).
pub const CIMD_CACHE_SECS: std::ops::RangeInclusive<u64> = 86_400..=31_556_952;

impl CimdPolicy {
    /// What Cognito's `CreateCIMDPolicy` would refuse, as what to fix.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        if self.url_patterns.len() > 5 {
            out.push(Problem::new(format!(
                "auth.cimd.url_patterns lists {} patterns; a CIMD policy holds at most 5 (join \
                 clients under one host with a * wildcard)",
                self.url_patterns.len()
            )));
        }
        for p in &self.url_patterns {
            let allowed = |c: char| matches!(c, '!' | '$'..=';' | '=' | '@'..='[' | ']' | '_' | 'a'..='z' | '~');
            let rest = p.strip_prefix("https://").unwrap_or_default();
            if !(12..=256).contains(&p.len()) || rest.is_empty() || !rest.chars().all(allowed) {
                out.push(Problem::new(format!(
                    "auth.cimd.url_patterns has {p:?}; a pattern is an https URL of 12 to 256 \
                     characters without a query or fragment, * as a wildcard, like \
                     \"https://clients.example.com/mcp/*\""
                )));
            }
        }
        if let Some(secs) = self.cache_duration_secs
            && !CIMD_CACHE_SECS.contains(&secs)
        {
            out.push(Problem::new(format!(
                "auth.cimd.cache_duration_secs is {secs}; Cognito caches documents for 86400 (a \
                 day, its default) to 31556952 seconds (a year)"
            )));
        }
        if self.cache_duration_secs.is_some() && self.url_patterns.is_empty() {
            out.push(Problem::new(
                "auth.cimd.cache_duration_secs is set, but auth.cimd.url_patterns is empty; list \
                 the patterns of the documents to accept, or remove it",
            ));
        }
        out
    }
}

/// The `[auth.limits]` table, as written. [`Limits`] has what each key means.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct LimitsTable {
    pub(crate) authorize_per_minute: Option<u64>,
    pub(crate) authorize_per_minute_total: Option<u64>,
    pub(crate) pending_per_address: Option<u64>,
    pub(crate) pending_total: Option<u64>,
}

/// The `[auth.login]` table, as written.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct LoginTable {
    pub(crate) flow: Option<String>,
    pub(crate) max_failures_per_username: Option<u64>,
    pub(crate) max_failures_per_address: Option<u64>,
    pub(crate) lockout_secs: Option<u64>,
    pub(crate) max_lockout_secs: Option<u64>,
    pub(crate) title: Option<String>,
}

/// The `[auth.dcr]` table, as written. [`DcrPolicy`] has what each key means.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct DcrTable {
    pub(crate) enabled: Option<bool>,
    pub(crate) public_client_patterns: Option<Vec<String>>,
    pub(crate) default_scopes: Option<Vec<String>>,
    pub(crate) allowed_scopes: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) allowed_redirect_patterns: Vec<String>,
    #[serde(default)]
    pub(crate) trusted_redirect_patterns: Vec<String>,
    pub(crate) max_clients: Option<u64>,
    pub(crate) registrations_per_minute: Option<u64>,
    pub(crate) registrations_per_minute_total: Option<u64>,
    pub(crate) unused_client_ttl_secs: Option<u64>,
    pub(crate) idle_client_ttl_secs: Option<u64>,
    pub(crate) client_id_metadata_documents: Option<bool>,
    pub(crate) dangerously_allow_private_metadata_documents: Option<bool>,
}

/// The tables [`AuthConfig::load`] reads; any other table in the file is left to its owner.
#[derive(Debug, Default, Deserialize)]
struct FileTables {
    #[serde(default)]
    cognito: CognitoTable,
    #[serde(default)]
    auth: AuthTable,
    #[serde(default)]
    server: ServerTable,
    #[serde(default)]
    secrets: SecretsTable,
    #[serde(default)]
    identity_pool: IdentityPoolTable,
}

/// The `[secrets]` table of the config file, as written: deserialize it as part of your own
/// file and hand it to [`AuthConfig::set_secrets_refresh`].
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SecretsTable {
    /// `refresh_secs`.
    pub refresh_secs: Option<u64>,
}

/// `server.public_url`, `server.trusted_proxies` and `server.forwarded_header`; the other keys
/// of `[server]` belong to the application.
#[derive(Debug, Default, Deserialize)]
struct ServerTable {
    public_url: Option<String>,
    #[serde(default)]
    trusted_proxies: Vec<String>,
    forwarded_header: Option<String>,
}

/// Where the state of proxy mode lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreKind {
    /// One encrypted redb file in the state directory (default).
    Embedded,
    /// Memory: lost at restart. For tests and trials.
    Memory,
    /// Redis, shared by several instances (cargo feature `redis`).
    Redis,
}

impl StoreKind {
    /// The name `auth.store` uses: `embedded`, `memory`, `redis`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Embedded => "embedded",
            Self::Memory => "memory",
            Self::Redis => "redis",
        }
    }
}

/// Who signs users in for proxy mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpstreamKind {
    /// The hosted UI when a domain or discovery URL is set, else the sign-in page (default).
    Auto,
    /// Cognito's hosted UI (managed login).
    HostedUi,
    /// This server's own sign-in page (cargo feature `login`).
    Login,
}

/// The password flow of the sign-in page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoginFlow {
    /// SRP when the app client allows it, else the admin password flow (default).
    Auto,
    /// `USER_SRP_AUTH`: the password never leaves the server.
    Srp,
    /// `ADMIN_USER_PASSWORD_AUTH`: needs IAM credentials for `AdminInitiateAuth`.
    AdminPassword,
}

impl LoginFlow {
    /// The name `auth.login.flow` uses: `auto`, `srp`, `admin_password`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Srp => "srp",
            Self::AdminPassword => "admin_password",
        }
    }
}

/// The sign-in page (`[auth.login]`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LoginOptions {
    /// `auth.login.flow`: `auto` (default), `srp` or `admin_password`.
    pub flow: LoginFlow,
    /// `auth.login.max_failures_per_username`: free failures per username; default 5.
    pub max_failures_per_username: u64,
    /// `auth.login.max_failures_per_address`: free failures per client address; default 20.
    pub max_failures_per_address: u64,
    /// `auth.login.lockout_secs`: the first lockout; default 30 s.
    pub lockout: Duration,
    /// `auth.login.max_lockout_secs`: the longest lockout; default 15 minutes.
    pub max_lockout: Duration,
    /// `auth.login.title`: the page's heading; default `Sign in`.
    pub title: String,
}

/// Proxy mode (`[auth] enabled = true`): the authorization server MCP clients register with,
/// signing users in at Cognito.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProxyConfig {
    /// `auth.callback_urls`: the redirect URIs of the Cognito app client.
    pub callback_urls: Vec<String>,
    /// `COGNITO_DOMAIN`, `auth.domain`: the hosted-UI base URL; default: OIDC discovery.
    pub domain: Option<String>,
    /// `COGNITO_DISCOVERY_URL`, `auth.discovery_url`; default
    /// `{issuer}/.well-known/openid-configuration`.
    pub discovery_url: Option<String>,
    /// `COGNITO_UPSTREAM_ISSUER`, `auth.upstream_issuer`: the `iss` of the tokens the hosted UI
    /// (or the sign-in page) gets; default the pool's issuer.
    pub upstream_issuer: Option<String>,
    /// `auth.upstream_scopes`; default `openid email profile`.
    pub upstream_scopes: Vec<String>,
    /// `auth.upstream_timeout_secs`: one call to the hosted UI's token endpoint; default 10 s.
    pub upstream_timeout: Duration,
    /// `COGNITO_MCP_STATE_DIR`, `auth.state_dir`: where the embedded store keeps its file;
    /// default `$XDG_STATE_HOME/cognito-mcp`.
    pub state_dir: PathBuf,
    /// `auth.store`: `embedded` (default), `memory` or `redis`.
    pub store: StoreKind,
    /// `COGNITO_MCP_REDIS_URL`, `auth.redis_url`: the Redis server of `store = "redis"`; with
    /// `redis_cluster`, one or more nodes of the cluster, comma-separated. The value or a
    /// reference to AWS, read once at start.
    pub redis_url: Option<SecretSetting>,
    /// `auth.redis_namespace`: the prefix of every Redis key; default `cognito-mcp`.
    pub redis_namespace: String,
    /// `auth.redis_cluster`: the Redis of `redis_url` is a Redis Cluster; default false.
    pub redis_cluster: bool,
    /// `COGNITO_MCP_REDIS_CA_FILE`, `auth.redis_ca_file`: the CA certificates (PEM) trusted,
    /// instead of the system's roots, to sign a `rediss://` server's certificate.
    pub redis_ca_file: Option<PathBuf>,
    /// `COGNITO_MCP_STATE_KEY` (base64 of 32 bytes) sealing the state, and
    /// `COGNITO_MCP_STATE_KEY_PREVIOUS` during a rotation (else a Secrets Manager reference's
    /// `AWSPREVIOUS`): entries sealed with it still open. Default a key file in the state
    /// directory (required with Redis). The value or a reference to AWS, refreshed.
    pub state_key: Option<SecretSetting>,
    /// `auth.access_token_ttl_secs`, `refresh_token_ttl_secs`, `code_ttl_secs`,
    /// `consent_memory_days`, `transaction_ttl_secs`.
    pub lifetimes: Lifetimes,
    /// `[auth.dcr]`: dynamic client registration.
    pub dcr: DcrPolicy,
    /// `[auth.limits]`: rate limits of `/authorize` and caps on pending sign-ins.
    pub limits: Limits,
    /// `COGNITO_MCP_AUTH_UPSTREAM`, `auth.upstream`: `auto` (default), `hosted_ui` or `login`.
    pub upstream: UpstreamKind,
    /// `[auth.login]`: the sign-in page.
    pub login: LoginOptions,
}

impl ProxyConfig {
    /// Whether the sign-in page (rather than the hosted UI) signs users in.
    pub fn uses_login_page(&self) -> bool {
        match self.upstream {
            UpstreamKind::Login => true,
            UpstreamKind::HostedUi => false,
            UpstreamKind::Auto => self.domain.is_none() && self.discovery_url.is_none(),
        }
    }
}

/// Where the region came from, to say where to fix it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Env,
    File,
    /// The Region in the pool id (`eu-west-1_AbC123` is in `eu-west-1`).
    PoolId,
    Default,
}

/// Everything [`CognitoAuth`](crate::CognitoAuth) needs, resolved from the environment, a
/// config file and defaults. Build one with [`AuthConfig::from_env`] or [`AuthConfig::load`],
/// change fields if you like, check [`AuthConfig::problems`], and hand it to
/// [`CognitoAuth::builder`](crate::CognitoAuth::builder).
///
/// ```
/// use cognito_mcp_auth::AuthConfig;
///
/// let env = |k: &str| match k {
///     "AWS_REGION" => Some("eu-west-1".to_owned()),
///     "COGNITO_USER_POOL_ID" => Some("eu-west-1_AbCdEf123".to_owned()),
///     "COGNITO_CLIENT_ID" => Some("1example23456789".to_owned()),
///     _ => None,
/// };
/// let config = AuthConfig::load(None, &env)?;
/// assert!(config.problems().is_empty());
/// assert_eq!(config.accepted_clients(), ["1example23456789"]);
/// assert!(config.proxy.is_none());
/// # Ok::<(), cognito_mcp_auth::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AuthConfig {
    /// `AWS_REGION`, `cognito.region`; default `us-east-1`.
    pub region: String,
    region_source: Source,
    /// `COGNITO_USER_POOL_ID`, `cognito.user_pool_id`: the pool whose tokens are verified.
    pub user_pool_id: Option<String>,
    /// `COGNITO_CLIENT_ID`, `cognito.client_id`: the server's own app client (proxy mode signs
    /// users in with it; outside proxy mode it is the default `client_ids`).
    pub client_id: Option<String>,
    /// `COGNITO_CLIENT_SECRET`, `cognito.client_secret`, and during a rotation
    /// `COGNITO_CLIENT_SECRET_PREVIOUS`, `cognito.client_secret_previous` (else a Secrets
    /// Manager reference's `AWSPREVIOUS`): tried once when Cognito refuses the current one.
    /// The value or a reference to AWS, refreshed.
    pub client_secret: Option<SecretSetting>,
    /// `COGNITO_MCP_SECRETS_REFRESH_SECS`, `secrets.refresh_secs`: how often references to AWS
    /// are read again; default 300 s, from 1 s to a day.
    pub secrets_refresh: Duration,
    /// `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`, `AWS_ENDPOINT_URL`,
    /// `cognito.endpoint_url`: a local Cognito (moto, LocalStack).
    pub endpoint_url: Option<String>,
    /// The endpoint override from the file alone (the AWS SDK reads the environment's itself).
    pub file_endpoint_url: Option<String>,
    /// `COGNITO_MCP_PUBLIC_URL`, `server.public_url`: the URL clients reach the server at.
    pub public_url: Option<String>,
    /// `COGNITO_MCP_TRUSTED_PROXIES`, `server.trusted_proxies` (and `server.forwarded_header`):
    /// the load balancers whose forwarded-for header names the client for the per-address
    /// rules; default none (the TCP peer is the client). Set it with
    /// [`AuthConfig::set_trusted_proxies`].
    pub trusted_proxies: crate::TrustedProxies,
    /// `auth.resource_server`: the resource-server identifier of the scopes; default `mcp`.
    pub resource_server: String,
    /// `auth.client_ids`: the app clients whose Cognito access tokens pass; default
    /// `COGNITO_CLIENT_ID`. In proxy mode, only these (machine-to-machine callers) pass beside
    /// the server's own tokens, and none by default.
    pub client_ids: Vec<String>,
    /// `COGNITO_JWKS_URL`, `auth.jwks_url`; default derived from the issuer, or from the
    /// endpoint override (`{endpoint}/{pool}/.well-known/jwks.json`).
    pub jwks_url: Option<String>,
    /// `COGNITO_ISSUER`, `auth.issuer`: the `iss` of the pool's tokens; default
    /// `https://cognito-idp.{region}.amazonaws.com/{pool}`. Only a stand-in for Cognito needs it.
    pub issuer: Option<String>,
    /// `auth.leeway_secs`: clock skew allowed on `exp`, `nbf`, `iat`; default 60 s.
    pub leeway: Duration,
    /// `auth.jwks_refetch_interval_secs`: least time between key-set fetches for unknown
    /// `kid`s; default 10 s.
    pub jwks_refetch_interval: Duration,
    /// `auth.group_scopes`: the scopes each Cognito group grants; default Admins (read, write,
    /// admin), Developers (read, write), ReadOnly (read).
    pub group_scopes: Option<BTreeMap<String, Vec<String>>>,
    /// `auth.tool_scopes`: the scope each tool needs, over the application's defaults.
    pub tool_scopes: BTreeMap<String, String>,
    /// `auth.machine_clients`: app clients whose tokens have no user (client credentials,
    /// machine to machine), each with the scopes its tokens may hold; default none. Such a
    /// token gets the listed scopes it carries; a token without a user from any other client
    /// gets no scope. Listing a client here also lets its tokens pass the bearer check. This
    /// widens privilege on purpose, and `cognito-mcp check` reports it.
    pub machine_clients: BTreeMap<String, Vec<String>>,
    /// `COGNITO_MCP_AUTH_MODE`, `auth.mode`: who the authorization server is; default
    /// [`AuthMode::Proxy`] with `auth.enabled = true`, else [`AuthMode::Jwt`].
    pub mode: AuthMode,
    /// Proxy mode; `None` unless `auth.mode = "proxy"` (or `COGNITO_MCP_AUTH_ENABLED` /
    /// `auth.enabled`).
    pub proxy: Option<ProxyConfig>,
    /// `[auth.cimd]`: native mode's CIMD policy, for `deploy template`.
    pub cimd: CimdPolicy,
    /// `[identity_pool]` (`COGNITO_IDENTITY_POOL_ID`): the identity pool callers get AWS
    /// credentials from ([`AuthConfig::set_identity_pool`]); `None` when not set.
    pub identity_pool: Option<crate::IdentityPoolConfig>,
    /// The Redis server the instances share (`COGNITO_MCP_REDIS_URL`, `auth.redis_*`), read in
    /// every mode; proxy mode's store uses it when `auth.store = "redis"` (and copies it into
    /// [`ProxyConfig`]).
    pub redis: RedisSettings,
    /// Where `secrets_refresh` came from, to say where to fix it.
    secrets_refresh_from: &'static str,
    /// Problems found while reading values that could not be used.
    read_problems: Vec<Problem>,
}

/// Who the authorization server of the MCP clients is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthMode {
    /// Callers bring Cognito access tokens of the listed app clients; this server verifies
    /// them and issues nothing.
    Jwt,
    /// This server is the OAuth authorization server MCP clients register with, and signs
    /// users in at Cognito (hosted UI or its own sign-in page).
    Proxy,
    /// The pool is the authorization server: clients register with Cognito itself (its
    /// dynamic client registration or client ID metadata documents) and ask for tokens bound
    /// to this server (`resource`), which pass from any of the pool's app clients.
    Native,
}

impl AuthMode {
    fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "jwt" => Some(Self::Jwt),
            "proxy" => Some(Self::Proxy),
            "native" => Some(Self::Native),
            _ => None,
        }
    }

    /// The mode's name in the configuration.
    pub fn name(self) -> &'static str {
        match self {
            Self::Jwt => "jwt",
            Self::Proxy => "proxy",
            Self::Native => "native",
        }
    }
}

/// The environment variable that lists machine clients (over `auth.machine_clients`).
pub const MACHINE_CLIENTS_ENV: &str = "COGNITO_MCP_MACHINE_CLIENTS";

/// `CLIENT_ID=SCOPE SCOPE;CLIENT_ID=SCOPE` into client ids and their scopes.
fn parse_machine_clients(v: &str) -> Result<BTreeMap<String, Vec<String>>, Problem> {
    let mut out = BTreeMap::new();
    for entry in v.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let Some((id, scopes)) = entry.split_once('=') else {
            return Err(Problem::new(format!(
                "{MACHINE_CLIENTS_ENV} has {entry:?}, which is not CLIENT_ID=SCOPES; write it \
                 like 1example23456789=mcp/read mcp/write;2example=mcp/read"
            )));
        };
        let id = id.trim();
        if id.is_empty()
            || id
                .chars()
                .any(|c| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        {
            return Err(Problem::new(format!(
                "{MACHINE_CLIENTS_ENV} names the app client {id:?}, which is not an app client \
                 id (letters and digits)"
            )));
        }
        out.insert(
            id.to_owned(),
            scopes.split_whitespace().map(str::to_owned).collect(),
        );
    }
    Ok(out)
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// `1/true/yes/on` or `0/false/no/off`.
fn truthy(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" | "" => Some(false),
        _ => None,
    }
}

/// Where proxy mode keeps its state by default: `$XDG_STATE_HOME/cognito-mcp` (else the local
/// data directory).
pub fn default_state_dir() -> PathBuf {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .unwrap_or_else(|| PathBuf::from("."))
        .join("cognito-mcp")
}

/// Whether `s` has the shape of an AWS region: `us-east-1`, `ap-southeast-2`, `us-gov-west-1`.
pub fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let Some((last, rest)) = parts.split_last() else {
        return false;
    };
    parts.len() >= 3
        && parts[0].len() == 2
        && rest
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && last.len() <= 2
        && !last.is_empty()
        && last.chars().all(|c| c.is_ascii_digit())
}

/// Describes a TOML error without echoing the file: the offending line may hold a secret.
fn toml_error(path: &Path, text: &str, e: &toml::de::Error) -> Problem {
    let at = e
        .span()
        .map(|span| {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let col = before.len() - line_start + 1;
            // The key is safe to name; the value after `=` may be a secret.
            let key = text[line_start..]
                .lines()
                .next()
                .and_then(|l| l.split_once('='))
                .map(|(k, _)| k.trim())
                .filter(|k| !k.is_empty() && !k.contains('"'))
                .map(|k| format!(" (key `{k}`)"))
                .unwrap_or_default();
            format!(" at line {line}, column {col}{key}")
        })
        .unwrap_or_default();
    let msg = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
    Problem::new(format!(
        "the config file {} is not valid{at}: {msg}",
        path.display()
    ))
}

/// Parses `text` (the file at `path`) as `T`, describing an error by line, column and key
/// without echoing any value.
pub fn parse_toml<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T, Problem> {
    toml::from_str::<T>(text).map_err(|e| toml_error(path, text, &e))
}

impl AuthConfig {
    /// Reads the process environment, and the file `COGNITO_MCP_CONFIG` names, if any.
    pub fn from_env() -> Result<Self, ConfigError> {
        let env = |k: &str| std::env::var(k).ok();
        let path = non_empty(env(CONFIG_FILE_ENV)).map(PathBuf::from);
        Self::load(path.as_deref(), &env)
    }

    /// Reads the `[cognito]`, `[auth]` and `server.public_url` of the TOML file at `path` (if
    /// any; other tables are ignored) and the environment through `env`.
    pub fn load(
        path: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let tables = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| {
                    ConfigError::new(vec![Problem::new(format!(
                        "cannot read the config file {}: {e}; check {CONFIG_FILE_ENV}",
                        p.display()
                    ))])
                })?;
                parse_toml::<FileTables>(p, &text).map_err(|p| ConfigError::new(vec![p]))?
            }
            None => FileTables::default(),
        };
        let mut config = Self::from_tables(tables.cognito, tables.auth, env)?;
        if config.public_url.is_none() {
            config.public_url =
                non_empty(tables.server.public_url).map(|u| u.trim_end_matches('/').to_owned());
        }
        config.set_trusted_proxies(
            &tables.server.trusted_proxies,
            tables.server.forwarded_header.as_deref(),
            env,
        );
        config.set_secrets_refresh(&tables.secrets, env);
        config.set_identity_pool(&tables.identity_pool, env);
        Ok(config)
    }

    /// The trusted proxies: `COGNITO_MCP_TRUSTED_PROXIES` (comma-separated CIDRs) over the
    /// file's `server.trusted_proxies`, and `COGNITO_MCP_FORWARDED_HEADER` over
    /// `server.forwarded_header`. A bad entry is one of [`AuthConfig::problems`], and then no
    /// proxy is trusted.
    pub fn set_trusted_proxies(
        &mut self,
        file_networks: &[String],
        file_header: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) {
        let env_networks = non_empty(env(TRUSTED_PROXIES_ENV));
        let (networks, networks_from): (Vec<String>, &str) = match &env_networks {
            Some(v) => (
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
                TRUSTED_PROXIES_ENV,
            ),
            None => (file_networks.to_vec(), "server.trusted_proxies"),
        };
        let env_header = non_empty(env(FORWARDED_HEADER_ENV));
        let header = env_header.as_deref().or(file_header);
        match crate::TrustedProxies::parse(&networks, header) {
            Ok(t) => self.trusted_proxies = t,
            Err(errors) => {
                self.trusted_proxies = crate::TrustedProxies::default();
                self.read_problems.extend(errors.into_iter().map(|e| {
                    let setting = match e {
                        crate::TrustedProxyError::UnknownHeader(_) if env_header.is_some() => {
                            FORWARDED_HEADER_ENV
                        }
                        crate::TrustedProxyError::UnknownHeader(_) => "server.forwarded_header",
                        _ => networks_from,
                    };
                    Problem::new(format!("{setting}: {e}"))
                }));
            }
        }
    }

    /// How often references to AWS are read again: `COGNITO_MCP_SECRETS_REFRESH_SECS` over the
    /// file's `secrets.refresh_secs` over 300 s. A value that is not a number is one of
    /// [`AuthConfig::problems`].
    pub fn set_secrets_refresh(
        &mut self,
        file: &SecretsTable,
        env: &dyn Fn(&str) -> Option<String>,
    ) {
        let secs = match non_empty(env(SECRETS_REFRESH_ENV)) {
            Some(v) => match v.parse::<u64>() {
                Ok(n) => {
                    self.secrets_refresh_from = SECRETS_REFRESH_ENV;
                    Some(n)
                }
                Err(_) => {
                    self.read_problems.push(Problem::new(format!(
                        "{SECRETS_REFRESH_ENV} is {v:?}; set it to a whole number of seconds, \
                         like 300"
                    )));
                    None
                }
            },
            None => {
                self.secrets_refresh_from = "secrets.refresh_secs";
                file.refresh_secs
            }
        };
        self.secrets_refresh = secs.map_or(crate::secrets::DEFAULT_REFRESH, Duration::from_secs);
    }

    /// Every secret setting of this configuration (the client secret, the Redis URL, the state
    /// key): what [`crate::secrets::SecretRefresher::start`] reads.
    pub fn secret_settings(&self) -> Vec<SecretSetting> {
        let mut out: Vec<SecretSetting> = self.client_secret.iter().cloned().collect();
        // The proxy's Redis URL is a clone of this one: one setting, read once.
        out.extend(self.redis.url.iter().cloned());
        if let Some(p) = &self.proxy {
            out.extend(p.state_key.iter().cloned());
        }
        out
    }

    /// Resolves the `[cognito]` and `[auth]` tables of a larger file against the environment.
    /// An error means a value that cannot be read at all (a boolean that is not one, another
    /// provider); everything else is in [`AuthConfig::problems`].
    pub fn from_tables(
        cognito: CognitoTable,
        auth: AuthTable,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let env_nonempty = |k: &str| non_empty(env(k));
        let one = |msg: String| ConfigError::new(vec![Problem::new(msg)]);
        let (region, region_source) = if let Some(r) = env_nonempty("AWS_REGION") {
            (r, Source::Env)
        } else if let Some(r) = non_empty(cognito.region) {
            (r, Source::File)
        } else if let Some(r) = env_nonempty("COGNITO_USER_POOL_ID")
            .or_else(|| non_empty(cognito.user_pool_id.clone()))
            .and_then(|id| id.split_once('_').map(|(r, _)| r.to_owned()))
            .filter(|r| is_region(r))
        {
            (r, Source::PoolId)
        } else {
            (DEFAULT_REGION.to_owned(), Source::Default)
        };
        let file_endpoint_url = non_empty(cognito.endpoint_url);
        let endpoint_url = env_nonempty("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER")
            .or_else(|| env_nonempty("AWS_ENDPOINT_URL"))
            .or_else(|| file_endpoint_url.clone());
        let enabled = match env_nonempty("COGNITO_MCP_AUTH_ENABLED") {
            Some(v) => truthy(&v).ok_or_else(|| {
                one(format!(
                    "COGNITO_MCP_AUTH_ENABLED is {v:?}; set it to true or false"
                ))
            })?,
            None => auth.enabled.unwrap_or(false),
        };
        let mode = match env_nonempty("COGNITO_MCP_AUTH_MODE").or(non_empty(auth.mode.clone())) {
            None if enabled => AuthMode::Proxy,
            None => AuthMode::Jwt,
            Some(m) => AuthMode::parse(&m).ok_or_else(|| {
                one(format!(
                    "auth.mode is {m:?}; use \"jwt\" (verify the pool's tokens), \"proxy\" \
                     (this server is the authorization server MCP clients register with) or \
                     \"native\" (the pool is the authorization server: Cognito's own client \
                     registration and resource binding)"
                ))
            })?,
        };
        if enabled && mode != AuthMode::Proxy {
            return Err(one(format!(
                "auth.enabled = true turns on proxy mode, but auth.mode is \"{}\"; remove \
                 auth.enabled (or COGNITO_MCP_AUTH_ENABLED), or set auth.mode = \"proxy\"",
                mode.name()
            )));
        }
        let enabled = mode == AuthMode::Proxy;
        if let Some(p) = &auth.provider
            && p != "cognito"
        {
            return Err(one(format!(
                "auth.provider is {p:?}; the only provider is \"cognito\""
            )));
        }
        let resource_server = non_empty(auth.resource_server).unwrap_or_else(|| "mcp".to_owned());
        let mut read_problems = Vec::new();
        let redis = RedisSettings::read(
            auth.redis_url,
            auth.redis_namespace,
            auth.redis_cluster,
            auth.redis_ca_file,
            env,
        );
        let proxy = if enabled {
            Some(proxy_config(
                &resource_server,
                auth.callback_urls,
                auth.domain,
                auth.discovery_url,
                auth.upstream_issuer,
                auth.upstream_scopes,
                auth.upstream_timeout_secs,
                auth.state_dir,
                auth.store,
                &redis,
                [
                    auth.access_token_ttl_secs,
                    auth.refresh_token_ttl_secs,
                    auth.code_ttl_secs,
                    auth.consent_memory_days,
                    auth.transaction_ttl_secs,
                ],
                auth.upstream,
                auth.dcr,
                auth.login,
                auth.limits,
                env,
                &mut read_problems,
            ))
        } else {
            None
        };
        Ok(Self {
            region,
            region_source,
            user_pool_id: env_nonempty("COGNITO_USER_POOL_ID").or(non_empty(cognito.user_pool_id)),
            client_id: env_nonempty("COGNITO_CLIENT_ID").or(non_empty(cognito.client_id)),
            client_secret: client_secret_setting(
                env_nonempty("COGNITO_CLIENT_SECRET")
                    .map(Secret::new)
                    .or(cognito.client_secret.filter(|s| !s.is_empty())),
                env_nonempty("COGNITO_CLIENT_SECRET_PREVIOUS")
                    .map(Secret::new)
                    .or(cognito.client_secret_previous.filter(|s| !s.is_empty())),
            ),
            secrets_refresh: crate::secrets::DEFAULT_REFRESH,
            secrets_refresh_from: "secrets.refresh_secs",
            endpoint_url,
            file_endpoint_url,
            public_url: env_nonempty("COGNITO_MCP_PUBLIC_URL")
                .map(|u| u.trim_end_matches('/').to_owned()),
            trusted_proxies: Default::default(),
            resource_server,
            client_ids: auth.client_ids,
            jwks_url: env_nonempty("COGNITO_JWKS_URL").or(non_empty(auth.jwks_url)),
            issuer: env_nonempty("COGNITO_ISSUER").or(non_empty(auth.issuer)),
            leeway: Duration::from_secs(auth.leeway_secs.unwrap_or(60)),
            jwks_refetch_interval: Duration::from_secs(
                auth.jwks_refetch_interval_secs.unwrap_or(10),
            ),
            group_scopes: auth.group_scopes,
            tool_scopes: auth.tool_scopes,
            machine_clients: match env_nonempty(MACHINE_CLIENTS_ENV) {
                Some(v) => match parse_machine_clients(&v) {
                    Ok(m) => m,
                    Err(p) => {
                        read_problems.push(p);
                        BTreeMap::new()
                    }
                },
                None => auth.machine_clients,
            },
            mode,
            proxy,
            cimd: CimdPolicy {
                url_patterns: auth.cimd.url_patterns,
                cache_duration_secs: auth.cimd.cache_duration_secs,
            },
            redis,
            identity_pool: None,
            read_problems,
        })
    }

    /// The app clients whose Cognito access tokens the bearer check accepts: `auth.client_ids`,
    /// else (outside proxy mode) the server's own app client; and the machine clients.
    pub fn accepted_clients(&self) -> Vec<String> {
        let mut out: Vec<String> = if !self.client_ids.is_empty() || self.proxy.is_some() {
            self.client_ids.clone()
        } else {
            self.client_id.iter().cloned().collect()
        };
        for id in self.machine_clients.keys() {
            if !out.contains(id) {
                out.push(id.clone());
            }
        }
        out
    }

    /// Warnings for configurations written for the earlier rule, under which a token's own
    /// `scope` added to what the user's groups grant: what to change now that it does not.
    pub fn migration_warnings(&self) -> Vec<String> {
        let extra: Vec<&String> = self
            .client_ids
            .iter()
            .filter(|id| {
                Some(*id) != self.client_id.as_ref() && !self.machine_clients.contains_key(*id)
            })
            .collect();
        if extra.is_empty() {
            return Vec::new();
        }
        let list: Vec<&str> = extra.iter().map(|s| s.as_str()).collect();
        vec![format!(
            "auth.client_ids lists app clients ({}) that are not in auth.machine_clients: a user \
             token from them gets what the user's groups grant (its scopes only narrow that), \
             and a token without a user (client credentials) gets no scope at all. List \
             machine-to-machine clients in auth.machine_clients with the scopes they may hold",
            list.join(", ")
        )]
    }

    /// The settings that widen privilege beyond what the caller's groups grant, each as a
    /// sentence (empty by default). `cognito-mcp check` lists them.
    pub fn widening_settings(&self) -> Vec<String> {
        self.machine_clients
            .iter()
            .map(|(id, scopes)| {
                format!(
                    "auth.machine_clients: tokens without a user from app client {id} get {}",
                    if scopes.is_empty() {
                        "no scope (the entry lists none)".to_owned()
                    } else {
                        scopes.join(", ")
                    }
                )
            })
            .collect()
    }

    /// The issuer of the pool's tokens: `issuer`, else the pool's URL.
    pub fn token_issuer(&self, pool_id: &str) -> String {
        self.issuer
            .clone()
            .unwrap_or_else(|| cognito_jwt::cognito_issuer(&self.region, pool_id))
    }

    /// The pool's JWKS URL: `jwks_url`; else, with an endpoint override,
    /// `{endpoint}/{pool}/.well-known/jwks.json` (moto, LocalStack); else
    /// `{issuer}/.well-known/jwks.json`.
    pub fn jwks_url_for(&self, pool_id: &str) -> String {
        if let Some(url) = &self.jwks_url {
            return url.clone();
        }
        match (&self.issuer, &self.endpoint_url) {
            (None, Some(endpoint)) => format!(
                "{}/{pool_id}/.well-known/jwks.json",
                endpoint.trim_end_matches('/')
            ),
            _ => format!("{}/.well-known/jwks.json", self.token_issuer(pool_id)),
        }
    }

    /// The pool's OpenID discovery document, where native mode's clients find the
    /// authorization server: `{issuer}/.well-known/openid-configuration`, or with a local
    /// Cognito `{endpoint}/{pool}/.well-known/openid-configuration`.
    pub fn discovery_url_for(&self, pool_id: &str) -> String {
        match (&self.issuer, &self.endpoint_url) {
            (None, Some(endpoint)) => format!(
                "{}/{pool_id}/.well-known/openid-configuration",
                endpoint.trim_end_matches('/')
            ),
            _ => format!(
                "{}/.well-known/openid-configuration",
                self.token_issuer(pool_id)
            ),
        }
    }

    /// The pool's verifier for [`AuthConfig::accepted_clients`], or `None` when there are
    /// none: the bearer check's, and the one to check a token by hand.
    pub fn verifier(
        &self,
    ) -> Result<Option<cognito_jwt::CognitoVerifier>, cognito_jwt::BuildError> {
        self.verifier_for(None)
    }

    /// The pool's verifier, bound to `resource` in native mode (a token whose `aud` names it
    /// passes from any app client of the pool; see
    /// [`VerifierBuilder::bind_resource`](cognito_jwt::VerifierBuilder::bind_resource)), else
    /// as [`AuthConfig::verifier`].
    pub fn verifier_for(
        &self,
        resource: Option<&str>,
    ) -> Result<Option<cognito_jwt::CognitoVerifier>, cognito_jwt::BuildError> {
        let clients = self.accepted_clients();
        let Some(pool_id) = self.user_pool_id.as_deref() else {
            return Ok(None);
        };
        let bound = resource.filter(|_| self.mode == AuthMode::Native);
        if clients.is_empty() && bound.is_none() {
            return Ok(None);
        }
        let mut b = cognito_jwt::VerifierBuilder::new(self.token_issuer(pool_id))
            .jwks_url(self.jwks_url_for(pool_id))
            .leeway(self.leeway)
            .min_refetch_interval(self.jwks_refetch_interval);
        if let Some(resource) = bound {
            b = b.bind_resource(resource);
        }
        for id in clients {
            b = b.allow_client(id);
        }
        b.build().map(Some)
    }

    /// The group-to-scope mapping: `group_scopes`, else the standard one for
    /// `resource_server`.
    pub fn scope_policy(&self) -> cognito_jwt::ScopePolicy {
        let policy = match &self.group_scopes {
            Some(groups) => groups
                .iter()
                .fold(cognito_jwt::ScopePolicy::empty(), |p, (g, scopes)| {
                    p.set(g.clone(), scopes.iter().cloned())
                }),
            None => cognito_jwt::ScopePolicy::standard(&self.resource_server),
        };
        self.machine_clients
            .iter()
            .fold(policy, |p, (id, scopes)| {
                p.machine_client(id.clone(), scopes.iter().cloned())
            })
            .resource_scopes(self.tool_scopes.values().cloned())
    }

    /// Every problem with the configuration, each phrased as what to fix. Empty when usable.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = self.read_problems.clone();
        for s in self.secret_settings() {
            out.extend(s.problems().into_iter().map(Problem::new));
        }
        if let Some(key) = self.proxy.as_ref().and_then(|p| p.state_key.as_ref()) {
            out.extend(state_key_problems(key));
        }
        if !(crate::secrets::MIN_REFRESH..=crate::secrets::MAX_REFRESH)
            .contains(&self.secrets_refresh)
        {
            out.push(Problem::new(format!(
                "{} is {}; read references to AWS again every 1 to 86400 seconds (default 300)",
                self.secrets_refresh_from,
                self.secrets_refresh.as_secs()
            )));
        }
        let region_where = match self.region_source {
            Source::Env => "AWS_REGION",
            Source::File => "cognito.region in the config file",
            Source::PoolId => "the pool id's region",
            Source::Default => "the default region",
        };
        if !is_region(&self.region) {
            out.push(Problem::new(format!(
                "{region_where} is {:?}, which is not an AWS region; set AWS_REGION to a region \
                 such as us-east-1 or eu-west-1",
                self.region
            )));
        }
        match &self.user_pool_id {
            None => out.push(Problem::new(
                "COGNITO_USER_POOL_ID is not set; set it (or cognito.user_pool_id in the config \
                 file) to your pool's id, like us-east-1_AbCdEf123 (Cognito console, or \
                 `cognito-mcp bootstrap` to create a pool)",
            )),
            Some(id) => match id.split_once('_') {
                Some((pool_region, rest))
                    if is_region(pool_region)
                        && !rest.is_empty()
                        && rest.chars().all(|c| c.is_ascii_alphanumeric()) =>
                {
                    if is_region(&self.region) && pool_region != self.region {
                        out.push(Problem::new(format!(
                            "COGNITO_USER_POOL_ID {id} is a pool in {pool_region}, but the region \
                             is {}; set AWS_REGION={pool_region}",
                            self.region
                        )));
                    }
                }
                _ => out.push(Problem::new(format!(
                    "COGNITO_USER_POOL_ID {id:?} is not a pool id; it looks like REGION_ID, \
                     for example us-east-1_AbCdEf123"
                ))),
            },
        }
        if let Some(url) = &self.endpoint_url
            && !is_http_url(url)
        {
            out.push(Problem::new(format!(
                "the Cognito endpoint override {url:?} is not an http(s) URL; set \
                 AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER to something like http://127.0.0.1:5000"
            )));
        }
        if let Some(url) = &self.public_url
            && !is_http_url(url)
        {
            out.push(Problem::new(format!(
                "the public URL {url:?} is not an http(s) URL; set COGNITO_MCP_PUBLIC_URL to the \
                 URL clients use, like https://mcp.example.com"
            )));
        }
        // Proxy mode is an authorization server: codes, tokens and client secrets cross its
        // endpoints, which MCP 2026-07-28 says MUST be https (TLS may end at a load balancer,
        // whose https URL is the public one). Plain http is for this machine only.
        if self.mode == AuthMode::Proxy
            && let Some(url) = &self.public_url
            && url.starts_with("http://")
            && !crate::authz::redirect::is_loopback_uri(url)
        {
            out.push(Problem::new(format!(
                "the public URL {url:?} is plain http on a host other than this machine; proxy \
                 mode is an authorization server, whose endpoints must be https (MCP \
                 2026-07-28): set COGNITO_MCP_PUBLIC_URL to the https URL clients use (TLS may \
                 end at a load balancer), or http://localhost for local use"
            )));
        }
        out.extend(self.cimd.problems());
        if !self.cimd.url_patterns.is_empty() && self.mode != AuthMode::Native {
            out.push(Problem::new(format!(
                "auth.cimd.url_patterns is set, but auth.mode is \"{}\"; a CIMD policy serves \
                 native mode (the pool signs clients in), so set auth.mode = \"native\" or \
                 remove [auth.cimd] (proxy mode takes metadata documents itself: \
                 auth.dcr.client_id_metadata_documents)",
                self.mode.name()
            )));
        }
        for (id, scopes) in &self.machine_clients {
            if scopes.is_empty() {
                out.push(Problem::new(format!(
                    "auth.machine_clients.{id} lists no scope; list the scopes its \
                     client-credentials tokens may hold, like [\"{}/read\"], or remove the entry",
                    self.resource_server
                )));
            }
        }
        if let Some(groups) = &self.group_scopes
            && groups.values().all(Vec::is_empty)
        {
            out.push(Problem::new(
                "auth.group_scopes grants no scope to any group, so no user can call anything: \
                 a user's privilege comes only from their Cognito groups (a token's own scopes \
                 only narrow it); map at least one group to scopes, like \
                 Admins = [\"mcp/admin\", \"mcp/write\", \"mcp/read\"]",
            ));
        }
        if let Some(p) = &self.proxy {
            out.extend(self.proxy_problems(p));
        }
        out
    }

    fn proxy_problems(&self, p: &ProxyConfig) -> Vec<Problem> {
        let mut out = Vec::new();
        if self.client_id.is_none() {
            out.push(Problem::new(
                "the authorization server signs users in with the server's own Cognito app \
                 client: set COGNITO_CLIENT_ID (and COGNITO_CLIENT_SECRET if it has one)",
            ));
        }
        if p.store == StoreKind::Redis {
            out.extend(redis_store_problems(p));
        }
        let l = &p.lifetimes;
        if l.code.is_zero() || l.code > Duration::from_secs(300) {
            out.push(Problem::new(format!(
                "auth.code_ttl_secs is {}; codes live between 1 and 300 seconds",
                l.code.as_secs()
            )));
        }
        if l.transaction.is_zero() || l.transaction > Duration::from_secs(3600) {
            out.push(Problem::new(format!(
                "auth.transaction_ttl_secs is {}; a sign-in may wait between 1 and 3600 seconds \
                 for consent and for the upstream",
                l.transaction.as_secs()
            )));
        }
        if l.access_token.is_zero() || l.refresh_token.is_zero() {
            out.push(Problem::new(
                "auth.access_token_ttl_secs and auth.refresh_token_ttl_secs must be above 0",
            ));
        }
        if p.upstream_timeout.is_zero() || p.upstream_timeout > Duration::from_secs(120) {
            out.push(Problem::new(format!(
                "auth.upstream_timeout_secs is {}; use 1 to 120 seconds",
                p.upstream_timeout.as_secs()
            )));
        }
        let login = &p.login;
        if login.max_failures_per_username == 0 || login.max_failures_per_address == 0 {
            out.push(Problem::new(
                "auth.login.max_failures_per_username and max_failures_per_address must be at \
                 least 1",
            ));
        }
        if login.lockout.is_zero() || login.max_lockout < login.lockout {
            out.push(Problem::new(format!(
                "auth.login.lockout_secs is {} and max_lockout_secs {}; the first lockout must \
                 be above 0 and at most the longest",
                login.lockout.as_secs(),
                login.max_lockout.as_secs()
            )));
        }
        out.extend(limit_problems(p));
        for scope in &p.dcr.default_scopes {
            if !p.dcr.allowed_scopes.contains(scope) {
                out.push(Problem::new(format!(
                    "auth.dcr.default_scopes has {scope:?}, which auth.dcr.allowed_scopes does not allow"
                )));
            }
        }
        out.extend(redirect_pattern_problems(&p.dcr));
        if p.store == StoreKind::Redis && !cfg!(feature = "redis") {
            out.push(Problem::new(NO_REDIS_FEATURE));
        }
        if p.uses_login_page() && !cfg!(feature = "login") {
            out.push(Problem::new(NO_LOGIN_FEATURE));
        }
        out
    }
}

/// Redirect patterns that can match nothing, and trusted ones that trust every host.
fn redirect_pattern_problems(dcr: &DcrPolicy) -> Vec<Problem> {
    use crate::authz::redirect::{pattern_problem, trusts_any_host};
    let mut out = Vec::new();
    for (key, patterns) in [
        ("allowed_redirect_patterns", &dcr.allowed_redirect_patterns),
        ("trusted_redirect_patterns", &dcr.trusted_redirect_patterns),
    ] {
        for p in patterns {
            if let Some(why) = pattern_problem(p) {
                out.push(Problem::new(format!("auth.dcr.{key} has {why}")));
            }
        }
    }
    for p in &dcr.trusted_redirect_patterns {
        if trusts_any_host(p) {
            out.push(Problem::new(format!(
                "auth.dcr.trusted_redirect_patterns has {p:?}, which trusts every host with \
                 errors before consent; name the host (a `*` may stand for its leftmost \
                 labels, like https://*.example.com/callback)"
            )));
        }
    }
    out
}

/// What is wrong with the rate limits, caps and registration lifetimes.
fn limit_problems(p: &ProxyConfig) -> Vec<Problem> {
    let mut out = Vec::new();
    let (d, l) = (&p.dcr, &p.limits);
    for (key, value) in [
        (
            "auth.dcr.registrations_per_minute",
            d.registrations_per_minute,
        ),
        (
            "auth.dcr.registrations_per_minute_total",
            d.registrations_per_minute_total,
        ),
        ("auth.limits.authorize_per_minute", l.authorize_per_minute),
        (
            "auth.limits.authorize_per_minute_total",
            l.authorize_per_minute_total,
        ),
        ("auth.limits.pending_per_address", l.pending_per_address),
        ("auth.limits.pending_total", l.pending_total),
    ] {
        if value == 0 {
            out.push(Problem::new(format!(
                "{key} is 0, which would refuse every request; set it to at least 1 (or leave \
                 it out for the default)"
            )));
        }
    }
    let idle = d.idle_client_ttl;
    if !idle.is_zero() && idle < p.lifetimes.refresh_token {
        out.push(Problem::new(format!(
            "auth.dcr.idle_client_ttl_secs is {}, shorter than the refresh-token lifetime \
             (auth.refresh_token_ttl_secs, {}): a client that refreshes rarely would lose its \
             registration while its refresh token still works; raise it to at least {}, or 0 \
             to keep registrations",
            idle.as_secs(),
            p.lifetimes.refresh_token.as_secs(),
            p.lifetimes.refresh_token.as_secs()
        )));
    }
    out
}

fn is_http_url(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

/// What `auth.store = "redis"` lacks. The URL is never echoed: it may hold a password.
fn redis_store_problems(p: &ProxyConfig) -> Vec<Problem> {
    let redis = RedisSettings {
        url: p.redis_url.clone(),
        namespace: p.redis_namespace.clone(),
        cluster: p.redis_cluster,
        ca_file: p.redis_ca_file.clone(),
    };
    let mut out = redis.problems("auth.store is \"redis\"");
    if p.state_key.is_none() {
        out.push(Problem::new(
            "auth.store is \"redis\", so every instance must seal the shared state with the same \
             key: set COGNITO_MCP_STATE_KEY to the same value on each (`openssl rand -base64 32`); \
             a key file in one instance's state directory would give each its own key",
        ));
    }
    out
}

/// Proxy mode's settings from `[auth]`, `[auth.dcr]`, `[auth.login]` and the environment.
#[allow(clippy::too_many_arguments)]
fn proxy_config(
    resource_server: &str,
    callback_urls: Vec<String>,
    domain: Option<String>,
    discovery_url: Option<String>,
    upstream_issuer: Option<String>,
    upstream_scopes: Option<Vec<String>>,
    upstream_timeout_secs: Option<u64>,
    state_dir: Option<PathBuf>,
    store: Option<String>,
    redis: &RedisSettings,
    [access, refresh, code, consent_days, transaction]: [Option<u64>; 5],
    upstream: Option<String>,
    d: DcrTable,
    l: LoginTable,
    lim: LimitsTable,
    env: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<Problem>,
) -> ProxyConfig {
    let env_nonempty = |k: &str| non_empty(env(k));
    let defaults = DcrPolicy::for_resource_server(resource_server);
    let mut dcr = defaults.clone();
    dcr.enabled = d.enabled.unwrap_or(true);
    dcr.public_client_patterns = d
        .public_client_patterns
        .unwrap_or(defaults.public_client_patterns);
    dcr.default_scopes = d.default_scopes.unwrap_or(defaults.default_scopes);
    dcr.allowed_scopes = d.allowed_scopes.unwrap_or(defaults.allowed_scopes);
    dcr.allowed_redirect_patterns = d.allowed_redirect_patterns;
    dcr.trusted_redirect_patterns = d.trusted_redirect_patterns;
    dcr.max_clients = d.max_clients.unwrap_or(defaults.max_clients);
    dcr.registrations_per_minute = d
        .registrations_per_minute
        .unwrap_or(defaults.registrations_per_minute);
    dcr.registrations_per_minute_total = d
        .registrations_per_minute_total
        .unwrap_or(defaults.registrations_per_minute_total);
    dcr.unused_client_ttl = d
        .unused_client_ttl_secs
        .map_or(defaults.unused_client_ttl, Duration::from_secs);
    dcr.idle_client_ttl = d
        .idle_client_ttl_secs
        .map_or(defaults.idle_client_ttl, Duration::from_secs);
    let default_limits = Limits::default();
    let limits = Limits {
        authorize_per_minute: lim
            .authorize_per_minute
            .unwrap_or(default_limits.authorize_per_minute),
        authorize_per_minute_total: lim
            .authorize_per_minute_total
            .unwrap_or(default_limits.authorize_per_minute_total),
        pending_per_address: lim
            .pending_per_address
            .unwrap_or(default_limits.pending_per_address),
        pending_total: lim.pending_total.unwrap_or(default_limits.pending_total),
    };
    dcr.client_id_metadata_documents = d.client_id_metadata_documents.unwrap_or(true);
    dcr.dangerously_allow_private_metadata_documents = d
        .dangerously_allow_private_metadata_documents
        .unwrap_or(false);

    let store = match non_empty(store).as_deref() {
        None | Some("embedded") => StoreKind::Embedded,
        Some("memory") => StoreKind::Memory,
        Some("redis") => StoreKind::Redis,
        Some(other) => {
            problems.push(Problem::new(format!(
                "auth.store is {other:?}; use \"embedded\" (default), \"memory\" or \"redis\""
            )));
            StoreKind::Embedded
        }
    };
    let upstream = match env_nonempty("COGNITO_MCP_AUTH_UPSTREAM")
        .or(non_empty(upstream))
        .as_deref()
    {
        None | Some("auto") => UpstreamKind::Auto,
        Some("hosted_ui") => UpstreamKind::HostedUi,
        Some("login") => UpstreamKind::Login,
        Some(other) => {
            problems.push(Problem::new(format!(
                "auth.upstream (COGNITO_MCP_AUTH_UPSTREAM) is {other:?}; use \"auto\" (default), \
                 \"hosted_ui\" (Cognito's hosted sign-in, needs COGNITO_DOMAIN) or \"login\" \
                 (this server's own sign-in page)"
            )));
            UpstreamKind::Auto
        }
    };
    let flow = match non_empty(l.flow).as_deref() {
        None | Some("auto") => LoginFlow::Auto,
        Some("srp") => LoginFlow::Srp,
        Some("admin_password") => LoginFlow::AdminPassword,
        Some(other) => {
            problems.push(Problem::new(format!(
                "auth.login.flow is {other:?}; use \"auto\" (default), \"srp\" or \"admin_password\""
            )));
            LoginFlow::Auto
        }
    };
    let lifetimes = Lifetimes {
        access_token: Duration::from_secs(access.unwrap_or(3600)),
        refresh_token: Duration::from_secs(refresh.unwrap_or(30 * 24 * 3600)),
        code: Duration::from_secs(code.unwrap_or(300)),
        consent_memory: Duration::from_secs(consent_days.unwrap_or(0) * 24 * 3600),
        transaction: transaction.map_or(Lifetimes::default().transaction, Duration::from_secs),
    };
    ProxyConfig {
        callback_urls,
        domain: env_nonempty("COGNITO_DOMAIN").or(non_empty(domain)),
        discovery_url: env_nonempty("COGNITO_DISCOVERY_URL").or(non_empty(discovery_url)),
        upstream_issuer: env_nonempty("COGNITO_UPSTREAM_ISSUER").or(non_empty(upstream_issuer)),
        upstream_scopes: upstream_scopes
            .unwrap_or_else(|| vec!["openid".into(), "email".into(), "profile".into()]),
        upstream_timeout: Duration::from_secs(upstream_timeout_secs.unwrap_or(10)),
        state_dir: env_nonempty("COGNITO_MCP_STATE_DIR")
            .map(PathBuf::from)
            .or(state_dir)
            .unwrap_or_else(default_state_dir),
        store,
        redis_url: redis.url.clone(),
        redis_namespace: redis.namespace.clone(),
        redis_cluster: redis.cluster,
        redis_ca_file: redis.ca_file.clone(),
        state_key: state_key_setting(env),
        lifetimes,
        dcr,
        limits,
        upstream,
        login: LoginOptions {
            flow,
            max_failures_per_username: l.max_failures_per_username.unwrap_or(5),
            max_failures_per_address: l.max_failures_per_address.unwrap_or(20),
            lockout: Duration::from_secs(l.lockout_secs.unwrap_or(30)),
            max_lockout: Duration::from_secs(l.max_lockout_secs.unwrap_or(900)),
            title: non_empty(l.title).unwrap_or_else(|| "Sign in".to_owned()),
        },
    }
}

/// The client secret's setting, with its previous value's.
fn client_secret_setting(text: Option<Secret>, previous: Option<Secret>) -> Option<SecretSetting> {
    let s = SecretSetting::new("COGNITO_CLIENT_SECRET (or cognito.client_secret)", &text?);
    Some(match previous {
        Some(p) => s.previous(
            "COGNITO_CLIENT_SECRET_PREVIOUS (or cognito.client_secret_previous)",
            &p,
        ),
        None => s,
    })
}

/// `COGNITO_MCP_STATE_KEY` and `COGNITO_MCP_STATE_KEY_PREVIOUS`, each checked to be a key.
/// The binary reads the same setting for its confirmation states and shares this one.
pub fn state_key_setting(env: &dyn Fn(&str) -> Option<String>) -> Option<SecretSetting> {
    let text = non_empty(env("COGNITO_MCP_STATE_KEY"))?;
    let s = SecretSetting::new("COGNITO_MCP_STATE_KEY", &Secret::new(text)).check(state_key_check);
    Some(match non_empty(env("COGNITO_MCP_STATE_KEY_PREVIOUS")) {
        Some(p) => s.previous("COGNITO_MCP_STATE_KEY_PREVIOUS", &Secret::new(p)),
        None => s,
    })
}

/// A state key read from AWS must be 32 bytes in base64.
fn state_key_check(value: &str) -> Result<(), String> {
    crate::store::StateKey::from_base64(value)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// A Redis URL read from AWS must be `redis://` or `rediss://` (a list of them for a cluster).
fn redis_url_check(value: &str) -> Result<(), String> {
    let lower = value.trim().to_ascii_lowercase();
    if lower.starts_with("redis://") || lower.starts_with("rediss://") {
        Ok(())
    } else {
        Err("it is not a redis:// or rediss:// URL".to_owned())
    }
}

/// What is wrong with a state key given as a value (a reference is checked when it is read).
pub fn state_key_problems(key: &SecretSetting) -> Vec<Problem> {
    if key.is_reference() {
        return Vec::new();
    }
    let v = key.value().versions();
    let mut out = Vec::new();
    if let Err(e) = state_key_check(v.current().expose()) {
        out.push(Problem::new(format!("COGNITO_MCP_STATE_KEY: {e}")));
    }
    if let Some(Err(e)) = v.previous().map(|p| state_key_check(p.expose())) {
        out.push(Problem::new(format!("COGNITO_MCP_STATE_KEY_PREVIOUS: {e}")));
    }
    out
}
