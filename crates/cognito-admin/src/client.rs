//! [`CognitoAdmin`]: a handle on one user pool.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::operation::describe_user_pool::DescribeUserPoolOutput;
use tokio::sync::Mutex;

use crate::error::{Subject, finish};
use crate::password::PasswordPolicy;
use crate::protect::Protected;
use crate::{AdminError, Operation, Secret};

/// How long a password policy read from DescribeUserPool is trusted. Default: 5 minutes.
pub const DEFAULT_POLICY_TTL: Duration = Duration::from_secs(300);

/// Typed admin operations on one Cognito user pool.
///
/// Cheap to clone: clones share the SDK client and the cached password policy.
#[derive(Clone, Debug)]
pub struct CognitoAdmin {
    pub(crate) inner: Arc<Inner>,
    client: Client,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pool_id: String,
    policy_ttl: Duration,
    policy: Mutex<Option<(PasswordPolicy, Instant)>>,
    pub(crate) protected: Protected,
    pub(crate) aliases: Mutex<crate::protect::Aliases>,
}

impl CognitoAdmin {
    /// A handle on the pool `pool_id`, calling AWS through `client`.
    pub fn new(client: Client, pool_id: impl Into<String>) -> Self {
        Self::with_policy_ttl(client, pool_id, DEFAULT_POLICY_TTL)
    }

    /// Like [`CognitoAdmin::new`], trusting a cached password policy for `ttl`.
    pub fn with_policy_ttl(client: Client, pool_id: impl Into<String>, ttl: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                pool_id: pool_id.into(),
                policy_ttl: ttl,
                policy: Mutex::new(None),
                protected: Protected::default(),
                aliases: Mutex::new(Default::default()),
            }),
            client,
        }
    }

    /// This handle, refusing every change to the users and groups of `protected`
    /// ([`AdminError::Protected`]). Clones made before this call are not affected.
    pub fn protecting(self, protected: Protected) -> Self {
        Self {
            inner: Arc::new(Inner {
                pool_id: self.inner.pool_id.clone(),
                policy_ttl: self.inner.policy_ttl,
                policy: Mutex::new(None),
                protected,
                aliases: Mutex::new(Default::default()),
            }),
            client: self.client,
        }
    }

    /// This handle, calling AWS through `client` instead (the same pool, protected list and
    /// caches): for example a client signing with a caller's own credentials.
    pub fn with_client(&self, client: Client) -> Self {
        Self {
            inner: self.inner.clone(),
            client,
        }
    }

    /// The pool id.
    pub fn pool_id(&self) -> &str {
        &self.inner.pool_id
    }

    /// The AWS SDK client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The pool's password policy, from DescribeUserPool, cached for the policy TTL.
    pub async fn password_policy(&self) -> Result<PasswordPolicy, AdminError> {
        let mut cached = self.inner.policy.lock().await;
        if let Some((policy, at)) = cached.as_ref()
            && at.elapsed() < self.inner.policy_ttl
        {
            return Ok(policy.clone());
        }
        let out = self.describe_pool_raw().await?;
        let policy = policy_of(&out);
        *cached = Some((policy.clone(), Instant::now()));
        Ok(policy)
    }

    /// Calls DescribeUserPool.
    pub(crate) async fn describe_pool_raw(&self) -> Result<DescribeUserPoolOutput, AdminError> {
        finish(
            Operation::DescribeUserPool,
            Subject::None,
            self.client()
                .describe_user_pool()
                .user_pool_id(self.pool_id())
                .send()
                .await,
        )
    }

    /// Replaces the cached policy (after a fresh DescribeUserPool).
    pub(crate) async fn remember_policy(&self, policy: PasswordPolicy) {
        *self.inner.policy.lock().await = Some((policy, Instant::now()));
    }

    /// Checks `password` against the pool's policy; `field` names the input in the error.
    pub async fn check_password(&self, field: &str, password: &Secret) -> Result<(), AdminError> {
        let policy = self.password_policy().await?;
        let failed = policy.violations(password.expose());
        if failed.is_empty() {
            Ok(())
        } else {
            Err(AdminError::WeakPassword {
                field: field.to_owned(),
                failed,
                policy,
            })
        }
    }
}

/// The password policy of a DescribeUserPool answer (Cognito's default when absent).
pub(crate) fn policy_of(out: &DescribeUserPoolOutput) -> PasswordPolicy {
    out.user_pool()
        .and_then(|p| p.policies())
        .and_then(|p| p.password_policy())
        .map(PasswordPolicy::from_sdk)
        .unwrap_or_default()
}
