//! Pool operations.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::client::policy_of;
use crate::error::{Subject, finish};
use crate::model::{AppClient, AppClientPage, PoolDescription, PoolMfa, time};
use crate::ops::mfa::pool_mfa;
use crate::{AdminError, CognitoAdmin, Operation, validate};

/// Input of `list_user_pool_clients`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListUserPoolClients {
    /// Clients per page, 1 to 60. Default: 60.
    #[serde(default)]
    #[schemars(range(min = 1, max = 60))]
    pub limit: Option<i32>,
    /// The `pagination_token` of the previous page.
    #[serde(default)]
    pub pagination_token: Option<String>,
}

impl CognitoAdmin {
    /// Describes the pool (DescribeUserPool and GetUserPoolMfaConfig), and refreshes the
    /// cached password policy.
    pub async fn describe_user_pool(&self) -> Result<PoolDescription, AdminError> {
        self.describe(true).await
    }

    /// Describes the pool with DescribeUserPool alone (what `cognito-mcp check` needs): the
    /// MFA methods are left unknown (`None`).
    pub async fn pool_overview(&self) -> Result<PoolDescription, AdminError> {
        self.describe(false).await
    }

    async fn describe(&self, mfa_details: bool) -> Result<PoolDescription, AdminError> {
        let out = self.describe_pool_raw().await?;
        let pool = out.user_pool();
        let pool_mode = pool.and_then(|p| p.mfa_configuration());
        let mfa = if mfa_details {
            let m = self.mfa_config_raw().await?;
            pool_mfa(
                m.mfa_configuration().or(pool_mode),
                m.software_token_mfa_configuration(),
                m.sms_mfa_configuration(),
                m.email_mfa_configuration(),
            )
        } else {
            // DescribeUserPool says the mode, not the methods.
            PoolMfa {
                software_token: None,
                sms: None,
                email: None,
                ..pool_mfa(pool_mode, None, None, None)
            }
        };
        let policy = policy_of(&out);
        self.remember_policy(policy.clone()).await;
        let strings = |v: Vec<&str>| v.into_iter().map(str::to_owned).collect::<Vec<_>>();
        Ok(PoolDescription {
            id: self.pool_id().to_owned(),
            name: pool.and_then(|p| p.name()).map(str::to_owned),
            arn: pool.and_then(|p| p.arn()).map(str::to_owned),
            estimated_number_of_users: pool.map(|p| p.estimated_number_of_users()).unwrap_or(0),
            username_attributes: strings(
                pool.map(|p| p.username_attributes().iter().map(|a| a.as_str()).collect())
                    .unwrap_or_default(),
            ),
            alias_attributes: strings(
                pool.map(|p| p.alias_attributes().iter().map(|a| a.as_str()).collect())
                    .unwrap_or_default(),
            ),
            auto_verified_attributes: strings(
                pool.map(|p| {
                    p.auto_verified_attributes()
                        .iter()
                        .map(|a| a.as_str())
                        .collect()
                })
                .unwrap_or_default(),
            ),
            admin_create_user_only: pool
                .and_then(|p| p.admin_create_user_config())
                .map(|c| c.allow_admin_create_user_only())
                .unwrap_or(false),
            password_policy: policy,
            mfa,
            custom_attributes: pool
                .map(|p| {
                    p.schema_attributes()
                        .iter()
                        .filter_map(|a| a.name())
                        .filter(|n| n.starts_with("custom:") || n.starts_with("dev:custom:"))
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            domain: pool.and_then(|p| p.domain()).map(str::to_owned),
            custom_domain: pool.and_then(|p| p.custom_domain()).map(str::to_owned),
            tier: pool
                .and_then(|p| p.user_pool_tier())
                .map(|t| t.as_str().to_owned()),
            deletion_protection: pool
                .and_then(|p| p.deletion_protection())
                .is_some_and(|d| d.as_str() == "ACTIVE"),
            created: time(pool.and_then(|p| p.creation_date())),
        })
    }

    /// Lists the pool's app clients (ListUserPoolClients), one page.
    pub async fn list_user_pool_clients(
        &self,
        req: &ListUserPoolClients,
    ) -> Result<AppClientPage, AdminError> {
        let limit = req.limit.unwrap_or(validate::MAX_PAGE);
        validate::page_limit("limit", limit)?;
        let out = finish(
            Operation::ListUserPoolClients,
            Subject::None,
            self.client()
                .list_user_pool_clients()
                .user_pool_id(self.pool_id())
                .max_results(limit)
                .set_next_token(req.pagination_token.clone())
                .send()
                .await,
        )?;
        let clients: Vec<AppClient> = out
            .user_pool_clients()
            .iter()
            .map(|c| AppClient {
                client_id: c.client_id().unwrap_or_default().to_owned(),
                client_name: c.client_name().map(str::to_owned),
            })
            .collect();
        Ok(AppClientPage {
            count: clients.len(),
            clients,
            pagination_token: out
                .next_token()
                .map(str::to_owned)
                .filter(|t| !t.is_empty()),
        })
    }
}
