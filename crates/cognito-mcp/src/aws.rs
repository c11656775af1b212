//! The AWS SDK configuration from [`Settings`]: region, endpoint override, timeouts.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

use cognito_admin::pace::Pacer;

use crate::config::Settings;

/// Loads the SDK configuration: the standard credential chain, the resolved region, and the
/// file's endpoint override unless the environment sets one (the SDK reads
/// `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER` and `AWS_ENDPOINT_URL` itself).
pub(crate) async fn sdk_config(settings: &Settings) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(settings.auth.region.clone()))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(20))
                .operation_timeout(Duration::from_secs(60))
                .build(),
        );
    // A blank AWS_PROFILE, as an MCP client's empty form field leaves it, means the default
    // profile, as an unset one does; the SDK would look for a profile named "".
    if std::env::var("AWS_PROFILE").is_ok_and(|p| p.trim().is_empty()) {
        loader = loader.profile_name("default");
    }
    let env_override = [
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
        "AWS_ENDPOINT_URL",
    ]
    .iter()
    .any(|k| std::env::var(k).is_ok_and(|v| !v.trim().is_empty()));
    if !env_override && let Some(url) = &settings.auth.file_endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// A Cognito client for `settings`, with its own pacer.
pub(crate) async fn client(settings: &Settings) -> aws_sdk_cognitoidentityprovider::Client {
    paced_client(settings, &pacer(settings)).await
}

/// The pacer `settings` ask for: Cognito's default quotas unless `[pacing]` says otherwise,
/// on one schedule with the other instances with `pacing.shared = "redis"`.
pub(crate) fn pacer(settings: &Settings) -> Pacer {
    match &settings.pacing.rates {
        Some(rates) if settings.pacing.shared => Pacer::new(rates).sharing(std::sync::Arc::new(
            crate::shared_pacing::RedisSchedule::new(settings.auth.redis.clone()),
        )),
        Some(rates) => Pacer::new(rates),
        None => Pacer::unlimited(),
    }
}

/// A Cognito client whose requests, retries included, wait for `pacer`'s slots, and whose
/// throttled calls are retried by the SDK: its standard retry (exponential backoff with jitter)
/// by default, while the pacer slows a throttled category down; or the SDK's adaptive retry with
/// `pacing.retry_mode = "adaptive"`, which also rate-limits the client after throttling (see
/// docs/benchmarks.md for why it is not the default).
pub(crate) async fn paced_client(
    settings: &Settings,
    pacer: &Pacer,
) -> aws_sdk_cognitoidentityprovider::Client {
    let sdk = sdk_config(settings).await;
    let retry = if settings.pacing.adaptive_retry {
        RetryConfig::adaptive()
    } else {
        RetryConfig::standard()
    };
    let conf = aws_sdk_cognitoidentityprovider::config::Builder::from(&sdk)
        .http_client(pacer.http_client())
        .retry_config(retry.with_max_attempts(settings.pacing.max_attempts))
        .build();
    aws_sdk_cognitoidentityprovider::Client::from_conf(conf)
}

/// The endpoint calls go to, for messages.
pub(crate) fn endpoint_for_messages(settings: &Settings) -> String {
    settings
        .auth
        .endpoint_url
        .clone()
        .unwrap_or_else(|| format!("https://cognito-idp.{}.amazonaws.com", settings.auth.region))
}

/// The admin handle, built on first use: the SDK configuration (credential chain, TLS roots,
/// HTTP client) costs memory and start-up time a server that has not yet called AWS need not
/// pay.
pub(crate) struct LazyAdmin {
    settings: Settings,
    pool_id: String,
    pacer: Pacer,
    cell: tokio::sync::OnceCell<cognito_admin::CognitoAdmin>,
}

impl LazyAdmin {
    pub(crate) fn new(settings: Settings, pool_id: String) -> Self {
        Self {
            pacer: pacer(&settings),
            settings,
            pool_id,
            cell: tokio::sync::OnceCell::new(),
        }
    }

    /// The settings it was made with.
    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The pool id.
    pub(crate) fn pool_id(&self) -> &str {
        &self.pool_id
    }

    /// The admin handle, built on the first call. Inside [`as_caller`], it signs with the
    /// caller's credentials (same pacer, protected list and caches); elsewhere with the
    /// server's own.
    pub(crate) async fn get(&self) -> cognito_admin::CognitoAdmin {
        let base = self
            .cell
            .get_or_init(|| async {
                cognito_admin::CognitoAdmin::new(
                    paced_client(&self.settings, &self.pacer).await,
                    self.pool_id.clone(),
                )
                .protecting(self.settings.protected())
            })
            .await;
        match CALLER.try_with(|c| signed_by(base.client(), c)) {
            Ok(client) => base.with_client(client),
            Err(_) => base.clone(),
        }
    }
}

tokio::task_local! {
    /// The credentials of the caller the current call acts as (`[aws] act_as = "caller"`).
    static CALLER: cognito_mcp_auth::AwsCredentials;
}

/// Runs `work` with every Cognito call it makes through [`LazyAdmin::get`] signed with
/// `creds`, the caller's own (`[aws] act_as = "caller"`): IAM decides with the caller's role,
/// and CloudTrail names their identity. Without `creds`, as the server.
pub(crate) async fn as_caller<F: std::future::Future>(
    creds: Option<cognito_mcp_auth::AwsCredentials>,
    work: F,
) -> F::Output {
    match creds {
        Some(c) => CALLER.scope(c, work).await,
        None => work.await,
    }
}

/// `base` (its endpoint, retries, timeouts and paced HTTP client), signing with `c`.
fn signed_by(
    base: &aws_sdk_cognitoidentityprovider::Client,
    c: &cognito_mcp_auth::AwsCredentials,
) -> aws_sdk_cognitoidentityprovider::Client {
    let creds = aws_sdk_cognitoidentityprovider::config::Credentials::new(
        c.access_key_id(),
        c.secret_access_key().expose(),
        Some(c.session_token().expose().to_owned()),
        Some(c.expiration()),
        "cognito-identity",
    );
    let conf = base
        .config()
        .to_builder()
        .credentials_provider(creds)
        // No identity cache: the credentials are static, and the shared lazy cache would keep
        // a partition for every call's provider, growing without end.
        .identity_cache(aws_sdk_cognitoidentityprovider::config::IdentityCache::no_cache())
        .build();
    aws_sdk_cognitoidentityprovider::Client::from_conf(conf)
}
