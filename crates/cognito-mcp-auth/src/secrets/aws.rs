//! The two AWS calls that read secrets, Secrets Manager's `GetSecretValue` and Parameter
//! Store's `GetParameter` (decrypted), as JSON 1.1 requests signed with SigV4 over the crate's
//! HTTP client: no SDK crate per service. Credentials come from the process's standard chain
//! (environment, profile, web identity, the ECS or Lambda role, IMDS), and the endpoint
//! overrides are the SDK's: `AWS_ENDPOINT_URL_SECRETS_MANAGER`, `AWS_ENDPOINT_URL_SSM`, then
//! `AWS_ENDPOINT_URL`.

use std::time::Duration;

use aws_credential_types::provider::{ProvideCredentials as _, SharedCredentialsProvider};
use aws_smithy_runtime_api::client::identity::Identity;
use serde::Deserialize;
use serde_json::json;

use super::error::Failure;
use crate::config::Secret;
use crate::sigv4::{CallError, JsonCall, post_json};

/// How long one call may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The service a call goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    SecretsManager,
    Ssm,
}

impl Service {
    /// The SigV4 signing name, which is also the endpoint's host prefix.
    fn signing_name(self) -> &'static str {
        match self {
            Self::SecretsManager => "secretsmanager",
            Self::Ssm => "ssm",
        }
    }

    /// The JSON 1.1 target prefix.
    fn target(self) -> &'static str {
        match self {
            Self::SecretsManager => "secretsmanager",
            Self::Ssm => "AmazonSSM",
        }
    }

    /// The SDK's service-specific endpoint variable.
    pub(crate) fn endpoint_env(self) -> &'static str {
        match self {
            Self::SecretsManager => "AWS_ENDPOINT_URL_SECRETS_MANAGER",
            Self::Ssm => "AWS_ENDPOINT_URL_SSM",
        }
    }
}

/// Reads secrets from AWS.
pub(crate) struct AwsReader {
    http: reqwest::Client,
    /// The process's region: for names and parameters (an ARN names its own).
    region: String,
    credentials: Option<SharedCredentialsProvider>,
    secrets_manager_endpoint: Option<String>,
    ssm_endpoint: Option<String>,
}

impl std::fmt::Debug for AwsReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsReader")
            .field("region", &self.region)
            .field("secrets_manager_endpoint", &self.secrets_manager_endpoint)
            .field("ssm_endpoint", &self.ssm_endpoint)
            .finish_non_exhaustive()
    }
}

/// `GetSecretValue`'s answer, as far as it is read.
#[derive(Deserialize)]
struct SecretValue {
    #[serde(rename = "SecretString")]
    secret_string: Option<Secret>,
}

/// `GetParameter`'s answer, as far as it is read.
#[derive(Deserialize)]
struct ParameterAnswer {
    #[serde(rename = "Parameter")]
    parameter: Parameter,
}

#[derive(Deserialize)]
struct Parameter {
    #[serde(rename = "Type")]
    kind: String,
    #[serde(rename = "Value")]
    value: Secret,
}

/// An AWS error answer: `__type` (`ResourceNotFoundException`, possibly namespaced) and its
/// message.
#[derive(Deserialize, Default)]
struct ErrorAnswer {
    #[serde(rename = "__type", default)]
    kind: String,
    #[serde(alias = "Message", default)]
    message: String,
}

impl AwsReader {
    /// A reader in `region` with the endpoint overrides of `env`, and its credentials:
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`) when `env` has
    /// them, which is what the standard chain reads first, else the rest of the standard chain.
    pub(crate) async fn new(
        region: &str,
        env: &(dyn Fn(&str) -> Option<String> + Send + Sync),
    ) -> Self {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_owned()));
        let nonempty = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        if let (Some(id), Some(secret)) = (
            nonempty("AWS_ACCESS_KEY_ID"),
            nonempty("AWS_SECRET_ACCESS_KEY"),
        ) {
            loader = loader.credentials_provider(aws_credential_types::Credentials::new(
                id,
                secret,
                nonempty("AWS_SESSION_TOKEN"),
                None,
                "environment",
            ));
        }
        let config = loader.load().await;
        let endpoint = |service: Service| {
            [service.endpoint_env(), "AWS_ENDPOINT_URL"]
                .iter()
                .filter_map(|k| env(k))
                .map(|v| v.trim().trim_end_matches('/').to_owned())
                .find(|v| !v.is_empty())
        };
        Self {
            http: reqwest::Client::builder()
                .timeout(TIMEOUT)
                .build()
                .unwrap_or_default(),
            region: region.to_owned(),
            credentials: config.credentials_provider(),
            secrets_manager_endpoint: endpoint(Service::SecretsManager),
            ssm_endpoint: endpoint(Service::Ssm),
        }
    }

    /// The string of the secret `secret_id` at the staging label `stage` (`AWSCURRENT`,
    /// `AWSPREVIOUS`); `None` when the secret has no version with that label.
    pub(crate) async fn secret_string(
        &self,
        secret_id: &str,
        region: Option<&str>,
        stage: &str,
    ) -> Result<Option<Secret>, Failure> {
        let body = json!({"SecretId": secret_id, "VersionStage": stage});
        let region = region.unwrap_or(&self.region);
        match self
            .call(Service::SecretsManager, region, "GetSecretValue", &body)
            .await
        {
            Ok(bytes) => {
                let answer: SecretValue =
                    serde_json::from_slice(&bytes).map_err(|e| Failure::Aws {
                        code: "UnreadableAnswer".into(),
                        message: format!("GetSecretValue's answer is not usable: {e}"),
                    })?;
                answer.secret_string.map(Some).ok_or(Failure::Binary)
            }
            // A secret without a version under this label is answered as not found too; the
            // current version is asked first, so here it means "no previous version".
            Err(Failure::NotFound) if stage != "AWSCURRENT" => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The decrypted value of the SecureString parameter `name`.
    pub(crate) async fn parameter(&self, name: &str) -> Result<Secret, Failure> {
        let body = json!({"Name": name, "WithDecryption": true});
        let bytes = self
            .call(Service::Ssm, &self.region, "GetParameter", &body)
            .await?;
        let answer: ParameterAnswer = serde_json::from_slice(&bytes).map_err(|e| Failure::Aws {
            code: "UnreadableAnswer".into(),
            message: format!("GetParameter's answer is not usable: {e}"),
        })?;
        if answer.parameter.kind != "SecureString" {
            return Err(Failure::NotSecureString(answer.parameter.kind));
        }
        Ok(answer.parameter.value)
    }

    fn endpoint(&self, service: Service, region: &str) -> String {
        let configured = match service {
            Service::SecretsManager => &self.secrets_manager_endpoint,
            Service::Ssm => &self.ssm_endpoint,
        };
        configured.clone().unwrap_or_else(|| {
            let suffix = if region.starts_with("cn-") {
                "amazonaws.com.cn"
            } else {
                "amazonaws.com"
            };
            format!("https://{}.{region}.{suffix}", service.signing_name())
        })
    }

    /// One signed JSON 1.1 call; the answer's body on success.
    async fn call(
        &self,
        service: Service,
        region: &str,
        operation: &str,
        body: &serde_json::Value,
    ) -> Result<Vec<u8>, Failure> {
        let provider = self.credentials.as_ref().ok_or_else(|| {
            Failure::NoCredentials("the standard chain has no credentials provider".into())
        })?;
        let credentials = provider
            .provide_credentials()
            .await
            .map_err(|e| Failure::NoCredentials(e.to_string()))?;
        let identity: Identity = credentials.into();
        let url = format!("{}/", self.endpoint(service, region));
        let target = format!("{}.{operation}", service.target());
        let call = JsonCall {
            url: &url,
            region,
            service: service.signing_name(),
            target: &target,
        };
        let (status, bytes) = post_json(&self.http, &identity, call, &body.to_string())
            .await
            .map_err(|e| match e {
                CallError::Sign(m) => Failure::NoCredentials(m),
                CallError::Unreachable(m) => Failure::Unreachable(m),
            })?;
        if (200..300).contains(&status) {
            return Ok(bytes);
        }
        let err: ErrorAnswer = serde_json::from_slice(&bytes).unwrap_or_default();
        // `com.amazonaws.secretsmanager#ResourceNotFoundException`, or `...:http://...`.
        let code = err
            .kind
            .rsplit('#')
            .next()
            .unwrap_or_default()
            .split(':')
            .next()
            .unwrap_or_default()
            .to_owned();
        Err(Failure::from_aws(code, err.message, status))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn endpoints_follow_the_sdk_overrides() {
        let env = |k: &str| match k {
            "AWS_ENDPOINT_URL_SSM" => Some("http://127.0.0.1:1/".to_owned()),
            "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:2".to_owned()),
            _ => None,
        };
        let r = AwsReader::new("eu-west-1", &env).await;
        assert_eq!(r.endpoint(Service::Ssm, "eu-west-1"), "http://127.0.0.1:1");
        assert_eq!(
            r.endpoint(Service::SecretsManager, "us-east-2"),
            "http://127.0.0.1:2"
        );
        let none = |_: &str| None;
        let r = AwsReader::new("eu-west-1", &none).await;
        assert_eq!(
            r.endpoint(Service::SecretsManager, "us-east-2"),
            "https://secretsmanager.us-east-2.amazonaws.com"
        );
        assert_eq!(
            r.endpoint(Service::Ssm, "cn-north-1"),
            "https://ssm.cn-north-1.amazonaws.com.cn"
        );
    }
}
