//! [`SecretError`]: why a secret setting has no usable value, naming the setting, the
//! reference (never a value) and what to fix.

use super::ReferenceError;

/// Why a reference could not be read, each phrased with its fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// The setting is not a usable reference.
    #[error("{0}")]
    Reference(ReferenceError),
    /// No such secret or parameter.
    #[error(
        "AWS has no such secret or parameter; create it, or correct the reference (an ARN ends in the six characters Secrets Manager adds to the name)"
    )]
    NotFound,
    /// The secret is JSON but has no string member of that key.
    #[error(
        "the secret is a JSON object without the string member {0:?}; add it, or correct the key after `#`"
    )]
    MissingKey(String),
    /// The reference names a JSON key, but the secret is not a JSON object.
    #[error(
        "the reference names a JSON key, but the secret's string is not a JSON object; store {{\"KEY\": \"value\"}}, or drop the `#KEY`"
    )]
    NotJson,
    /// The secret holds binary data only.
    #[error("the secret holds SecretBinary only; store the value as SecretString")]
    Binary,
    /// The parameter is not a SecureString.
    #[error(
        "the parameter is a {0}, not a SecureString: a secret in Parameter Store must be encrypted; put it again with --type SecureString"
    )]
    NotSecureString(String),
    /// The value is empty.
    #[error("the value read is empty; store the secret's value")]
    Empty,
    /// The value read is not usable for this setting (what is wrong, never the value).
    #[error("the value read is not usable: {0}")]
    Invalid(String),
    /// AWS refused the caller.
    #[error(
        "AWS refused the call ({code}: {message}); grant the server's role secretsmanager:GetSecretValue on the secret (ssm:GetParameter on the parameter, and kms:Decrypt on its key if it is a customer managed key)"
    )]
    Denied {
        /// AWS's error code.
        code: String,
        /// AWS's message.
        message: String,
    },
    /// No credentials could be had.
    #[error(
        "no AWS credentials to read it with ({0}); run with a role, or set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    )]
    NoCredentials(String),
    /// The service could not be reached.
    #[error(
        "AWS could not be reached ({0}); check the network, or AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL_SSM / AWS_ENDPOINT_URL"
    )]
    Unreachable(String),
    /// Any other AWS error.
    #[error("AWS answered {code}: {message}")]
    Aws {
        /// AWS's error code.
        code: String,
        /// AWS's message.
        message: String,
    },
    /// This build cannot read references.
    #[error(
        "this build cannot read secrets from AWS: build cognito-mcp-auth with its `aws-secrets` feature, or set the value itself"
    )]
    NoFeature,
}

impl Failure {
    /// An AWS error answer as a failure.
    #[cfg_attr(not(feature = "aws-secrets"), allow(dead_code))]
    pub(crate) fn from_aws(code: String, message: String, status: u16) -> Self {
        match code.as_str() {
            "ResourceNotFoundException" | "ParameterNotFound" => Self::NotFound,
            "AccessDeniedException"
            | "AccessDenied"
            | "UnrecognizedClientException"
            | "InvalidSignatureException"
            | "ExpiredTokenException"
            | "KMSAccessDeniedException" => Self::Denied { code, message },
            "" => Self::Aws {
                code: format!("HTTP {status}"),
                message,
            },
            _ => Self::Aws { code, message },
        }
    }
}

/// A secret setting without a usable value: which setting, which reference, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting}{}: {failure}", reference.as_ref().map(|r| format!(" ({r})")).unwrap_or_default())]
pub struct SecretError {
    /// The setting, as the user wrote it (`COGNITO_CLIENT_SECRET (or cognito.client_secret)`).
    pub setting: String,
    /// The reference as written (`secretsmanager:arn:...#key`); `None` when the text is not a
    /// usable reference.
    pub reference: Option<String>,
    /// Why.
    pub failure: Failure,
}
