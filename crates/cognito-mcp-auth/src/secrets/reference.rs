//! [`SecretRef`]: what a secret setting says: a value, or where in AWS the value is.
//!
//! | written | means |
//! |---|---|
//! | `secretsmanager:arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf` | the secret's string, in the ARN's region |
//! | `secretsmanager:NAME` | the secret of that name in the process's region |
//! | either, then `#KEY` | the secret is a JSON object: its string member `KEY` |
//! | `ssm:/PATH` (or `ssm:NAME`) | the SecureString parameter, decrypted |
//! | anything else | the value itself, as before references existed |
//!
//! A reference names where a secret is, not the secret, so errors may name it; a value is never
//! echoed, not even when it only looks like a broken reference.

use crate::config::Secret;

/// The prefix of a Secrets Manager reference.
pub const SECRETS_MANAGER_PREFIX: &str = "secretsmanager:";
/// The prefix of a Systems Manager Parameter Store reference.
pub const SSM_PREFIX: &str = "ssm:";

/// What a secret setting says.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecretRef {
    /// The value itself.
    Literal(Secret),
    /// A secret of AWS Secrets Manager.
    SecretsManager {
        /// The secret's ARN or name (`GetSecretValue`'s `SecretId`).
        secret_id: String,
        /// The ARN's region; `None` for a name (the process's region).
        region: Option<String>,
        /// The member of a JSON secret to take; `None` for the whole string.
        json_key: Option<String>,
    },
    /// A SecureString parameter of AWS Systems Manager Parameter Store.
    Ssm {
        /// The parameter's name (`/path/to/it`, or a name without slashes).
        name: String,
    },
}

/// Why a reference cannot be used. The text is never echoed: only its shape is described.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceError {
    /// `secretsmanager:` with nothing (or only `#KEY`) after it.
    #[error(
        "`secretsmanager:` names no secret; write secretsmanager:arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME, or secretsmanager:NAME, optionally followed by #json-key"
    )]
    NoSecret,
    /// An `arn:` that is not a Secrets Manager secret's ARN.
    #[error(
        "the ARN after `secretsmanager:` is not a Secrets Manager secret's ARN; it looks like arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME"
    )]
    BadArn,
    /// A secret name with characters Secrets Manager does not allow.
    #[error(
        "the secret name after `secretsmanager:` has characters Secrets Manager does not allow; a name is letters, digits and /_+=.@- (at most 512)"
    )]
    BadName,
    /// `#` with no key after it.
    #[error("the reference ends in `#` with no JSON key after it; write #KEY, or drop the `#`")]
    EmptyJsonKey,
    /// `ssm:` with nothing after it, or a name SSM does not allow.
    #[error(
        "`ssm:` is not followed by a parameter name; write ssm:/path/to/parameter (letters, digits and _.-/, at most 2048)"
    )]
    BadParameter,
}

impl SecretRef {
    /// Reads a setting's text: a reference when it starts with `secretsmanager:` or `ssm:`,
    /// else the value itself.
    pub fn parse(text: &Secret) -> Result<Self, ReferenceError> {
        let raw = text.expose().trim();
        if let Some(rest) = raw.strip_prefix(SECRETS_MANAGER_PREFIX) {
            return secrets_manager(rest);
        }
        if let Some(rest) = raw.strip_prefix(SSM_PREFIX) {
            let ok = !rest.is_empty()
                && rest.len() <= 2048
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c))
                && !rest.ends_with('/');
            return if ok {
                Ok(Self::Ssm {
                    name: rest.to_owned(),
                })
            } else {
                Err(ReferenceError::BadParameter)
            };
        }
        Ok(Self::Literal(text.clone()))
    }

    /// Whether the value must be read from AWS.
    pub fn is_reference(&self) -> bool {
        !matches!(self, Self::Literal(_))
    }
}

impl std::fmt::Display for SecretRef {
    /// The reference as written (it names where the secret is, not the secret); a literal is
    /// `[REDACTED]`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Literal(_) => f.write_str("[REDACTED]"),
            Self::SecretsManager {
                secret_id,
                json_key,
                ..
            } => {
                write!(f, "{SECRETS_MANAGER_PREFIX}{secret_id}")?;
                match json_key {
                    Some(k) => write!(f, "#{k}"),
                    None => Ok(()),
                }
            }
            Self::Ssm { name } => write!(f, "{SSM_PREFIX}{name}"),
        }
    }
}

/// `ARN-or-NAME[#KEY]`. A `#` cannot be part of a secret's name, so the first one starts the
/// key.
fn secrets_manager(rest: &str) -> Result<SecretRef, ReferenceError> {
    let (id, json_key) = match rest.split_once('#') {
        Some((_, "")) => return Err(ReferenceError::EmptyJsonKey),
        Some((id, key)) => (id, Some(key.to_owned())),
        None => (rest, None),
    };
    if id.is_empty() {
        return Err(ReferenceError::NoSecret);
    }
    let region = if id.starts_with("arn:") {
        // arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME
        let parts: Vec<&str> = id.splitn(7, ':').collect();
        match parts.as_slice() {
            [
                "arn",
                partition,
                "secretsmanager",
                region,
                account,
                "secret",
                name,
            ] if !partition.is_empty()
                && crate::config::is_region(region)
                && account.len() == 12
                && account.chars().all(|c| c.is_ascii_digit())
                && valid_name(name) =>
            {
                Some((*region).to_owned())
            }
            _ => return Err(ReferenceError::BadArn),
        }
    } else if valid_name(id) {
        None
    } else {
        return Err(ReferenceError::BadName);
    };
    Ok(SecretRef::SecretsManager {
        secret_id: id.to_owned(),
        region,
        json_key,
    })
}

/// Secrets Manager's name characters: letters, digits and `/_+=.@-`.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 512
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SecretRef, ReferenceError> {
        SecretRef::parse(&Secret::new(text))
    }

    const ARN: &str =
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cognito-mcp/client-AbCdEf";

    #[test]
    fn an_arn_names_its_region() {
        let r = parse(&format!("secretsmanager:{ARN}")).expect("reference");
        assert_eq!(
            r,
            SecretRef::SecretsManager {
                secret_id: ARN.into(),
                region: Some("eu-west-1".into()),
                json_key: None,
            }
        );
        assert_eq!(r.to_string(), format!("secretsmanager:{ARN}"));
        assert!(r.is_reference());
    }

    #[test]
    fn a_json_key_follows_the_hash() {
        let r = parse(&format!("secretsmanager:{ARN}#client_secret")).expect("reference");
        let SecretRef::SecretsManager { json_key, .. } = &r else {
            panic!("{r:?}")
        };
        assert_eq!(json_key.as_deref(), Some("client_secret"));
        assert_eq!(r.to_string(), format!("secretsmanager:{ARN}#client_secret"));
    }

    #[test]
    fn a_name_is_read_in_the_process_region() {
        let r = parse("secretsmanager:prod/cognito-mcp#redis_url").expect("reference");
        assert_eq!(
            r,
            SecretRef::SecretsManager {
                secret_id: "prod/cognito-mcp".into(),
                region: None,
                json_key: Some("redis_url".into()),
            }
        );
    }

    #[test]
    fn an_ssm_path_is_a_parameter() {
        assert_eq!(
            parse("ssm:/cognito-mcp/state-key").expect("reference"),
            SecretRef::Ssm {
                name: "/cognito-mcp/state-key".into()
            }
        );
        assert_eq!(
            parse("ssm:plain_name").expect("reference").to_string(),
            "ssm:plain_name"
        );
    }

    #[test]
    fn anything_else_is_the_value() {
        for text in [
            "s3cr3t-value",
            "redis://:pw@cache:6379",
            "c2VjcmV0==",
            "arn:aws:x",
        ] {
            let r = parse(text).expect("literal");
            assert_eq!(r, SecretRef::Literal(Secret::new(text)));
            assert!(!r.is_reference());
            assert_eq!(r.to_string(), "[REDACTED]");
        }
    }

    #[test]
    fn bad_references_fail_with_the_fix() {
        assert_eq!(parse("secretsmanager:"), Err(ReferenceError::NoSecret));
        assert_eq!(parse("secretsmanager:#key"), Err(ReferenceError::NoSecret));
        assert_eq!(
            parse("secretsmanager:name#"),
            Err(ReferenceError::EmptyJsonKey)
        );
        assert_eq!(
            parse("secretsmanager:arn:aws:ssm:eu-west-1:123456789012:parameter/x"),
            Err(ReferenceError::BadArn)
        );
        assert_eq!(
            parse("secretsmanager:arn:aws:secretsmanager:nowhere:123456789012:secret:x"),
            Err(ReferenceError::BadArn)
        );
        assert_eq!(
            parse("secretsmanager:arn:aws:secretsmanager:eu-west-1:1234:secret:x"),
            Err(ReferenceError::BadArn)
        );
        assert_eq!(
            parse("secretsmanager:has space"),
            Err(ReferenceError::BadName)
        );
        assert_eq!(parse("ssm:"), Err(ReferenceError::BadParameter));
        assert_eq!(parse("ssm:/a b"), Err(ReferenceError::BadParameter));
        assert_eq!(parse("ssm:/dir/"), Err(ReferenceError::BadParameter));
        assert!(
            ReferenceError::NoSecret
                .to_string()
                .contains("secretsmanager:arn:aws:secretsmanager:REGION")
        );
    }

    #[test]
    fn an_error_never_echoes_the_text() {
        let text = "secretsmanager:hunter2 is my password";
        let e = parse(text).expect_err("bad name");
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }
}
