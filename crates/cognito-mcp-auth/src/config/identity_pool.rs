//! `[identity_pool]`: the Cognito identity pool whose roles callers act with
//! ([`Caller::aws_credentials`](crate::Caller::aws_credentials)).

use serde::Deserialize;

use super::{AuthConfig, Problem, non_empty};
use crate::identity_pool::IdentityPoolConfig;

/// The environment variable naming the identity pool (over `identity_pool.id`).
pub const IDENTITY_POOL_ENV: &str = "COGNITO_IDENTITY_POOL_ID";

/// The `[identity_pool]` table of the config file, as written: deserialize it as part of your
/// own file and hand it to [`AuthConfig::set_identity_pool`].
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct IdentityPoolTable {
    /// `id`: `REGION:UUID`.
    pub id: Option<String>,
    /// `endpoint_url`: a local `cognito-identity` (tests), else the SDK's environment
    /// variables, else AWS.
    pub endpoint_url: Option<String>,
}

impl AuthConfig {
    /// The identity pool: `COGNITO_IDENTITY_POOL_ID` over `identity_pool.id`; its endpoint
    /// `AWS_ENDPOINT_URL_COGNITO_IDENTITY`, then `identity_pool.endpoint_url`, then
    /// `AWS_ENDPOINT_URL`, else AWS's for the pool's region. Its users sign in at this
    /// configuration's user pool. A malformed id is one of [`AuthConfig::problems`].
    pub fn set_identity_pool(
        &mut self,
        file: &IdentityPoolTable,
        env: &dyn Fn(&str) -> Option<String>,
    ) {
        let (id, from) = match non_empty(env(IDENTITY_POOL_ENV)) {
            Some(v) => (v, IDENTITY_POOL_ENV),
            None => match non_empty(file.id.clone()) {
                Some(v) => (v, "identity_pool.id"),
                None => return,
            },
        };
        if !IdentityPoolConfig::is_pool_id(&id) {
            self.read_problems.push(Problem::new(format!(
                "{from} is {id:?}, which is not an identity pool id; set it to the pool's id, \
                 REGION:UUID, as the Cognito console or `aws cognito-identity \
                 list-identity-pools` shows it"
            )));
            return;
        }
        let Some(user_pool) = self.user_pool_id.clone() else {
            self.read_problems.push(Problem::new(format!(
                "{from} is set, but no user pool is: the identity pool takes the ID tokens of \
                 COGNITO_USER_POOL_ID's users; set it"
            )));
            return;
        };
        let mut config = IdentityPoolConfig::new(&id, &self.region, &user_pool);
        let endpoint = non_empty(env("AWS_ENDPOINT_URL_COGNITO_IDENTITY"))
            .or_else(|| non_empty(file.endpoint_url.clone()))
            .or_else(|| non_empty(env("AWS_ENDPOINT_URL")));
        if let Some(e) = endpoint {
            config = config.with_endpoint(e);
        }
        self.identity_pool = Some(config);
    }
}
