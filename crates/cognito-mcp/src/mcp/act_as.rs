//! The act-as stage: with `[aws] act_as = "caller"`, the call's Cognito requests are signed
//! with the caller's own temporary AWS credentials, which the identity pool gives for their
//! Cognito ID token (`cognito_mcp_auth::Caller::aws_credentials`). A call whose caller has none
//! is refused before anything runs: it never falls back to the server's own credentials.

use cognito_mcp_auth::{AwsCredentials, Caller, CredentialsError};
use rmcp::model::Extensions;

use crate::config::act_as::ActAs;
use crate::mcp::refusal::Refusal;

/// Whose credentials a call acts with.
pub(crate) struct Acting {
    mode: ActAs,
}

impl Acting {
    pub(crate) fn new(mode: ActAs) -> Self {
        Self { mode }
    }

    /// The caller's credentials when acting as the caller and the call `calls_aws` (`None`:
    /// the server's own, or no AWS call to sign).
    pub(crate) async fn credentials(
        &self,
        extensions: &Extensions,
        calls_aws: bool,
    ) -> Result<Option<AwsCredentials>, Refusal> {
        if self.mode == ActAs::Server || !calls_aws {
            return Ok(None);
        }
        let caller = Caller::from_mcp_extensions(extensions).ok_or_else(|| {
            Refusal::NoCallerCredentials {
                code: "no_caller",
                detail: "the request has no verified caller (act_as = \"caller\" serves only \
                         over HTTP)"
                    .into(),
                retryable: false,
            }
        })?;
        caller
            .aws_credentials()
            .await
            .map(Some)
            .map_err(|e: CredentialsError| Refusal::NoCallerCredentials {
                code: e.code(),
                detail: e.to_string(),
                retryable: e.is_retryable(),
            })
    }
}
