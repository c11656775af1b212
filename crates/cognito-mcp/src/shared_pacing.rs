//! `[pacing] shared = "redis"`: the quota schedule every instance shares, in the Redis of
//! `COGNITO_MCP_REDIS_URL` ([`cognito_mcp_auth::store::RedisStore::take_slot`], one schedule
//! per quota category, decided by Redis's clock).

use std::time::Duration;

use cognito_admin::QuotaCategory;
use cognito_admin::pace::{Claim, ClaimFuture, SharedError, SharedSchedule};
use cognito_mcp_auth::config::RedisSettings;
use cognito_mcp_auth::store::RedisStore;

/// The shared schedule in Redis. It connects on the first claim (a server that never calls
/// AWS never connects), and again after a failed connection; once connected, the connection
/// reconnects by itself.
#[derive(Debug)]
pub(crate) struct RedisSchedule {
    settings: RedisSettings,
    store: tokio::sync::OnceCell<RedisStore>,
}

impl RedisSchedule {
    pub(crate) fn new(settings: RedisSettings) -> Self {
        Self {
            settings,
            store: tokio::sync::OnceCell::new(),
        }
    }

    async fn store(&self) -> Result<&RedisStore, SharedError> {
        self.store
            .get_or_try_init(|| async {
                let url = self.settings.url.as_ref().ok_or_else(|| {
                    SharedError("no Redis server is named (COGNITO_MCP_REDIS_URL)".into())
                })?;
                RedisStore::connect_with(
                    url.current().expose(),
                    &self.settings.namespace,
                    &self.settings.options(),
                )
                .await
                .map_err(|e| SharedError(e.to_string()))
            })
            .await
    }
}

impl SharedSchedule for RedisSchedule {
    fn claim(&self, category: QuotaCategory, spacing: Duration) -> ClaimFuture<'_> {
        Box::pin(async move {
            let store = self.store().await?;
            match store
                .take_slot(&format!("pace:{}", category.key()), spacing)
                .await
            {
                Ok(None) => Ok(Claim::Now),
                Ok(Some(wait)) => Ok(Claim::After(wait)),
                Err(e) => Err(SharedError(e.to_string())),
            }
        })
    }
}
