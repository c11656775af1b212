//! Proxy mode (`[auth] enabled = true`): the authorization server in front of Cognito, built
//! from the settings.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use cognito_jwt::{CognitoVerifier, ScopePolicy, VerifierBuilder, cognito_issuer};
use mcp_oauth::authz::upstream::Upstream;
use mcp_oauth::login::{AuthFlow, CognitoLogin, Lockout, LoginConfig};
use mcp_oauth::store::{MemoryStore, RedbStore, RedisStore, SealedStore, StateKey, Store};
use mcp_oauth::{AuthorizationServer, HostedUi, HostedUiConfig, Lifetimes};

use crate::config::{ProxySettings, Settings};

/// Cognito access tokens accepted beside the server's own in proxy mode: only those of the
/// app clients listed in `auth.client_ids` (machine-to-machine callers).
pub(crate) fn m2m_verifier(settings: &Settings, pool_id: &str) -> Option<CognitoVerifier> {
    if settings.auth.client_ids.is_empty() {
        return None;
    }
    let mut b = VerifierBuilder::for_pool(&settings.region, pool_id)
        .jwks_url(crate::http::jwks_url(settings, pool_id))
        .leeway(Duration::from_secs(settings.auth.leeway_secs));
    for id in &settings.auth.client_ids {
        b = b.allow_client(id.clone());
    }
    b.build().ok()
}

/// Opens the state store: encrypted redb in the state directory, memory, or encrypted Redis.
async fn store(p: &ProxySettings) -> anyhow::Result<Arc<dyn Store>> {
    if p.store == "memory" {
        tracing::warn!(
            "auth.store = \"memory\": registrations and refresh tokens are lost at restart"
        );
        return Ok(Arc::new(MemoryStore::new()));
    }
    if p.store == "redis" {
        // Settings::problems() has already asked for both; these guard other callers.
        let url = p
            .redis_url
            .as_ref()
            .context("auth.store = \"redis\" needs COGNITO_MCP_REDIS_URL")?;
        let key = p.state_key.as_ref().context(
            "auth.store = \"redis\" needs COGNITO_MCP_STATE_KEY, the same on every instance",
        )?;
        let key = StateKey::from_base64(key.expose()).context("COGNITO_MCP_STATE_KEY")?;
        let redis = RedisStore::connect(url.expose(), &p.redis_namespace)
            .await
            .context("cannot open the Redis state store")?;
        tracing::info!(
            address = redis.address(),
            namespace = %p.redis_namespace,
            "authorization-server state in Redis"
        );
        return Ok(Arc::new(SealedStore::new(redis, &key)));
    }
    std::fs::create_dir_all(&p.state_dir).with_context(|| {
        format!(
            "cannot create the state directory {}; set COGNITO_MCP_STATE_DIR to a writable one",
            p.state_dir.display()
        )
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let _ = std::fs::set_permissions(&p.state_dir, std::fs::Permissions::from_mode(0o700));
    }
    let key = match &p.state_key {
        Some(k) => StateKey::from_base64(k.expose()).context("COGNITO_MCP_STATE_KEY")?,
        None => StateKey::load_or_create(&p.state_dir.join("state.key"))?,
    };
    let db = RedbStore::open(p.state_dir.join("oauth.redb"))?;
    Ok(Arc::new(SealedStore::new(db, &key)))
}

/// The sign-in page (`auth.upstream = "login"`, or no hosted-UI domain configured).
async fn login_page(
    settings: &Settings,
    p: &ProxySettings,
    pool_id: &str,
    state: Arc<dyn Store>,
) -> anyhow::Result<CognitoLogin> {
    let client_id = settings
        .client_id
        .clone()
        .context("the sign-in page needs the server's own app client: set COGNITO_CLIENT_ID")?;
    let issuer = p
        .upstream_issuer
        .clone()
        .unwrap_or_else(|| cognito_issuer(&settings.region, pool_id));
    let verifier = VerifierBuilder::new(issuer)
        .jwks_url(crate::http::jwks_url(settings, pool_id))
        .allow_client(client_id.clone())
        .leeway(Duration::from_secs(settings.auth.leeway_secs))
        .build()
        .context("the sign-in page's token verifier")?;
    let mut config = LoginConfig::new(pool_id, client_id);
    config.client_secret = settings
        .client_secret
        .as_ref()
        .map(|s| s.expose().to_owned());
    config.flow = match p.login.flow.as_str() {
        "srp" => AuthFlow::Srp,
        "admin_password" => AuthFlow::AdminPassword,
        _ => AuthFlow::Auto,
    };
    let l = &p.login;
    let mut lockout = Lockout::default();
    lockout.per_username = l.max_failures_per_username;
    lockout.per_address = l.max_failures_per_address;
    lockout.base_delay = Duration::from_secs(l.lockout_secs);
    lockout.max_delay = Duration::from_secs(l.max_lockout_secs);
    config.lockout = lockout;
    config.title = l.title.clone();
    Ok(CognitoLogin::new(
        config,
        crate::aws::client(settings).await,
        verifier,
        state,
    ))
}

/// The authorization server for these settings.
pub(crate) async fn authorization_server(
    settings: &Settings,
    p: &ProxySettings,
    pool_id: &str,
    public_url: &str,
    resource_url: &str,
    policy: &ScopePolicy,
) -> anyhow::Result<AuthorizationServer> {
    let client_id = settings.client_id.clone().context(
        "the authorization server needs the server's own app client: set COGNITO_CLIENT_ID",
    )?;
    let issuer = p
        .upstream_issuer
        .clone()
        .unwrap_or_else(|| cognito_issuer(&settings.region, pool_id));
    let mut up = HostedUiConfig::new(issuer, client_id);
    up.domain = p.domain.clone();
    up.discovery_url = p.discovery_url.clone();
    up.client_secret = settings
        .client_secret
        .as_ref()
        .map(|s| s.expose().to_owned());
    up.scopes = p.upstream_scopes.clone();
    up.timeout = Duration::from_secs(p.upstream_timeout_secs);
    if p.domain.is_some() || settings.auth.jwks_url.is_some() {
        up.jwks_url = Some(crate::http::jwks_url(settings, pool_id));
    }
    let callback = format!("{public_url}/auth/callback");
    if !p.callback_urls.is_empty() && !p.callback_urls.contains(&callback) {
        tracing::warn!(
            %callback,
            "auth.callback_urls does not list this server's callback; Cognito will refuse the sign-in"
        );
    }
    let mut lifetimes = Lifetimes::default();
    lifetimes.access_token = Duration::from_secs(p.access_token_ttl_secs);
    lifetimes.refresh_token = Duration::from_secs(p.refresh_token_ttl_secs);
    lifetimes.code = Duration::from_secs(p.code_ttl_secs);
    lifetimes.consent_memory = Duration::from_secs(p.consent_memory_days * 24 * 3600);
    let rs = &settings.auth.resource_server;
    let state = store(p).await?;
    let upstream: Arc<dyn Upstream> = if p.uses_login_page() {
        Arc::new(login_page(settings, p, pool_id, state.clone()).await?)
    } else {
        Arc::new(HostedUi::new(up))
    };
    let server = AuthorizationServer::builder(public_url, resource_url, state, upstream)
        .scope_policy(policy.clone())
        .dcr(p.dcr.clone())
        .lifetimes(lifetimes)
        .resource_name("Cognito user pool administration (cognito-mcp)")
        .describe_scope(
            format!("{rs}/read"),
            "read users, groups and the pool's settings",
        )
        .describe_scope(
            format!("{rs}/write"),
            "create and change users and group memberships",
        )
        .describe_scope(
            format!("{rs}/admin"),
            "disable, delete and sign out users, reset passwords",
        )
        .describe_scope("openid", "know who you are")
        .describe_scope("email", "see your email address")
        .describe_scope("profile", "see your profile")
        .build()
        .await
        .context("cannot start the authorization server")?;
    Ok(server)
}
