//! The AWS SDK configuration from [`Settings`]: region, endpoint override, timeouts.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

use crate::config::Settings;

/// Loads the SDK configuration: the standard credential chain, the resolved region, and the
/// file's endpoint override unless the environment sets one (the SDK reads
/// `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER` and `AWS_ENDPOINT_URL` itself).
pub(crate) async fn sdk_config(settings: &Settings) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(settings.region.clone()))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(20))
                .operation_timeout(Duration::from_secs(60))
                .build(),
        );
    let env_override = [
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
        "AWS_ENDPOINT_URL",
    ]
    .iter()
    .any(|k| std::env::var(k).is_ok_and(|v| !v.trim().is_empty()));
    if !env_override && let Some(url) = &settings.file_endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// A Cognito client for `settings`.
pub(crate) async fn client(settings: &Settings) -> aws_sdk_cognitoidentityprovider::Client {
    aws_sdk_cognitoidentityprovider::Client::new(&sdk_config(settings).await)
}

/// The endpoint calls go to, for messages.
pub(crate) fn endpoint_for_messages(settings: &Settings) -> String {
    settings
        .endpoint_url
        .clone()
        .unwrap_or_else(|| format!("https://cognito-idp.{}.amazonaws.com", settings.region))
}

/// The admin handle, built on first use: the SDK configuration (credential chain, TLS roots,
/// HTTP client) costs memory and start-up time a server that has not yet called AWS need not
/// pay.
pub(crate) struct LazyAdmin {
    settings: Settings,
    pool_id: String,
    cell: tokio::sync::OnceCell<cognito_admin::CognitoAdmin>,
}

impl LazyAdmin {
    pub(crate) fn new(settings: Settings, pool_id: String) -> Self {
        Self {
            settings,
            pool_id,
            cell: tokio::sync::OnceCell::new(),
        }
    }

    /// The pool id.
    pub(crate) fn pool_id(&self) -> &str {
        &self.pool_id
    }

    /// The admin handle, built on the first call.
    pub(crate) async fn get(&self) -> &cognito_admin::CognitoAdmin {
        self.cell
            .get_or_init(|| async {
                cognito_admin::CognitoAdmin::new(client(&self.settings).await, self.pool_id.clone())
            })
            .await
    }
}
