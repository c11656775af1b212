//! The Lambda function's secrets, in AWS Secrets Manager rather than in its environment: the
//! function's configuration (which more people can read than the secrets) holds only
//! `secretsmanager:ARN` references, which the server reads at start and refreshes, and its role
//! may read exactly those secrets.
//!
//! - the app client secret: a secret whose string is the app client's `ClientSecret`;
//! - the Redis URL (with `store = "redis"`): a secret holding the `RedisUrl` parameter (NoEcho);
//! - the state key (with Redis): a secret Secrets Manager generates, 64 hexadecimal characters
//!   (256 bits), which nobody has to make or see. A rotation (`put-secret-value` with a new
//!   key) keeps the old one as `AWSPREVIOUS`, which still opens what it sealed.

use serde_json::{Value, json};

use crate::config::Settings;
use cognito_mcp_auth::config::StoreKind;

/// A secret resource of the template.
pub(crate) struct SecretResource {
    /// Its logical id.
    pub(crate) id: &'static str,
    /// Its properties.
    pub(crate) properties: Value,
}

/// A `NoEcho` parameter a secret is made from.
pub(crate) struct SecretParameter {
    /// Its logical id.
    pub(crate) id: &'static str,
    /// What to give it.
    pub(crate) description: &'static str,
}

/// The secrets of the function, the environment that names them, and what its role reads.
#[derive(Default)]
pub(crate) struct LambdaSecrets {
    /// The parameters the secrets are made from.
    pub(crate) parameters: Vec<SecretParameter>,
    /// The `AWS::SecretsManager::Secret` resources, after the app client they read.
    pub(crate) resources: Vec<SecretResource>,
    /// Environment variables of the function: each a `secretsmanager:` reference.
    pub(crate) env: Vec<(&'static str, Value)>,
}

impl LambdaSecrets {
    /// The secrets of a function serving with `settings`.
    pub(crate) fn for_settings(settings: &Settings) -> Self {
        let mut out = Self::default();
        let Some(proxy) = &settings.auth.proxy else {
            return out;
        };
        out.secret(
            "ClientSecretSecret",
            "COGNITO_CLIENT_SECRET",
            json!({
                "Description": "cognito-mcp: the app client's secret",
                "SecretString": {"Fn::GetAtt": ["AppClient", "ClientSecret"]},
            }),
        );
        if proxy.store == StoreKind::Redis {
            out.parameters.push(SecretParameter {
                id: "RedisUrl",
                description: "The Redis server the instances share (redis:// or rediss://); \
                              kept in Secrets Manager, not in the function's environment.",
            });
            out.secret(
                "RedisUrlSecret",
                "COGNITO_MCP_REDIS_URL",
                json!({
                    "Description": "cognito-mcp: the Redis URL the instances share",
                    "SecretString": {"Ref": "RedisUrl"},
                }),
            );
            out.secret(
                "StateKeySecret",
                "COGNITO_MCP_STATE_KEY",
                json!({
                    "Description": "cognito-mcp: the key sealing the shared state (256 bits in \
                                    hexadecimal); rotate with put-secret-value, the previous \
                                    version still opens what it sealed",
                    "GenerateSecretString": {
                        "PasswordLength": 64,
                        "ExcludePunctuation": true,
                        "ExcludeUppercase": true,
                        "ExcludeCharacters": "ghijklmnopqrstuvwxyz",
                        "IncludeSpace": false,
                    },
                }),
            );
        }
        out
    }

    fn secret(&mut self, id: &'static str, variable: &'static str, properties: Value) {
        self.env.push((
            variable,
            json!({"Fn::Sub": format!("secretsmanager:${{{id}}}")}),
        ));
        self.resources.push(SecretResource { id, properties });
    }

    /// The statement letting the role read exactly these secrets; `None` when there are none.
    pub(crate) fn read_statement(&self) -> Option<Value> {
        if self.resources.is_empty() {
            return None;
        }
        let arns: Vec<Value> = self
            .resources
            .iter()
            .map(|r| json!({"Ref": r.id}))
            .collect();
        Some(json!({
            "Sid": "ReadTheServersSecrets",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": arns,
        }))
    }
}
