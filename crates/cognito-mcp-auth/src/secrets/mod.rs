//! Secrets from AWS: every secret setting (`COGNITO_CLIENT_SECRET`, `COGNITO_MCP_REDIS_URL`,
//! `COGNITO_MCP_STATE_KEY`, and the application's own) takes either the value or a reference,
//! `secretsmanager:ARN[#json-key]`, `secretsmanager:NAME[#json-key]` or `ssm:/path` (a
//! SecureString), read at start and again every `[secrets] refresh_secs`, so a rotation needs
//! no redeploy.
//!
//! - [`SecretRef`] (`reference.rs`): what a setting says, parsed, with one
//!   [`ReferenceError`] per malformed reference.
//! - [`SecretSetting`] (`setting.rs`): one setting, its previous value's during a rotation,
//!   and its value now as a shared [`cognito_idp::RotatingSecret`].
//! - [`SecretRefresher`] (`refresh.rs`): the reads at start and on the schedule.
//! - `aws.rs` (feature `aws-secrets`): the two signed AWS calls.
//! - [`SecretError`] (`error.rs`): what went wrong, naming the setting and the reference.

#[cfg(feature = "aws-secrets")]
mod aws;
#[cfg(not(feature = "aws-secrets"))]
mod aws {
    //! Without the `aws-secrets` feature nothing reads from AWS: no reader is ever made.

    use super::error::Failure;
    use crate::config::Secret;

    /// Never constructed.
    #[derive(Debug)]
    pub(crate) enum AwsReader {}

    impl AwsReader {
        pub(crate) async fn secret_string(
            &self,
            _: &str,
            _: Option<&str>,
            _: &str,
        ) -> Result<Option<Secret>, Failure> {
            match *self {}
        }

        pub(crate) async fn parameter(&self, _: &str) -> Result<Secret, Failure> {
            match *self {}
        }
    }
}
mod error;
mod reference;
mod refresh;
mod setting;

pub use error::{Failure, SecretError};
pub use reference::{ReferenceError, SECRETS_MANAGER_PREFIX, SSM_PREFIX, SecretRef};
pub use refresh::{
    DEFAULT_REFRESH, MAX_REFRESH, MIN_REFRESH, REFRESH_METRIC, RefreshTask, SecretRefresher,
    describe,
};
pub use setting::{SecretSetting, ValueCheck};
