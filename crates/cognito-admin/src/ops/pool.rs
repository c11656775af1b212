//! Pool operations.

use crate::client::policy_of;
use crate::model::{PoolDescription, PoolMfa, time};
use crate::ops::mfa::pool_mfa;
use crate::{AdminError, CognitoAdmin};

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
}
