//! [`SecretSetting`]: one secret setting (a value or a reference, and the previous one during a
//! rotation) with the value it has now.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use cognito_idp::RotatingSecret;

use super::aws::AwsReader;
use super::error::{Failure, SecretError};
use super::{ReferenceError, SecretRef};
use crate::config::Secret;

/// A check of a value read from AWS: what is wrong with it, never the value.
pub type ValueCheck = fn(&str) -> Result<(), String>;

/// One secret setting: what it says (a value, or a reference to AWS Secrets Manager or
/// Parameter Store), the previous value's setting if any, and its value now, as a
/// [`RotatingSecret`] that every user of the secret shares.
///
/// A value is usable at once. A reference has no value until it is resolved
/// ([`super::SecretRefresher::start`], or [`crate::CognitoAuthBuilder::build`] for the
/// library's own settings), and keeps the last value read when a refresh fails. The previous
/// value is the `..._PREVIOUS` setting when there is one, else, for a Secrets Manager
/// reference, the secret's `AWSPREVIOUS` version (which a rotation leaves behind).
///
/// Configure it ([`SecretSetting::previous`], [`SecretSetting::check`],
/// [`SecretSetting::read_at_start`]) before cloning it: clones share the value. `Debug` shows
/// the setting's name and the references, never a value.
#[derive(Clone)]
pub struct SecretSetting {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Parts {
    name: String,
    current: Result<SecretRef, ReferenceError>,
    previous: Option<(String, Result<SecretRef, ReferenceError>)>,
    check: Option<ValueCheck>,
    read_at_start: bool,
}

struct Inner {
    parts: Parts,
    value: RotatingSecret,
    resolved: AtomicBool,
}

impl SecretSetting {
    /// The setting `name` (say `COGNITO_CLIENT_SECRET (or cognito.client_secret)`) with the
    /// text `text`.
    pub fn new(name: impl Into<String>, text: &Secret) -> Self {
        Self::from_parts(Parts {
            name: name.into(),
            current: SecretRef::parse(text),
            previous: None,
            check: None,
            read_at_start: false,
        })
    }

    /// The setting of the previous value during a rotation (`COGNITO_MCP_STATE_KEY_PREVIOUS`),
    /// over the secret's `AWSPREVIOUS` version.
    pub fn previous(self, name: impl Into<String>, text: &Secret) -> Self {
        let mut parts = self.inner.parts.clone();
        parts.previous = Some((name.into(), SecretRef::parse(text)));
        Self::from_parts(parts)
    }

    /// A check of every value read from AWS; a value it refuses is not taken.
    pub fn check(self, check: ValueCheck) -> Self {
        let mut parts = self.inner.parts.clone();
        parts.check = Some(check);
        Self::from_parts(parts)
    }

    /// The value is used once, at start (a connection's URL): a refresh that changes it is
    /// logged as taking effect at the next start.
    pub fn read_at_start(self) -> Self {
        let mut parts = self.inner.parts.clone();
        parts.read_at_start = true;
        Self::from_parts(parts)
    }

    /// Whether the value is used once, at start.
    pub fn is_read_at_start(&self) -> bool {
        self.inner.parts.read_at_start
    }

    fn from_parts(parts: Parts) -> Self {
        let literal = |r: &Result<SecretRef, ReferenceError>| match r {
            Ok(SecretRef::Literal(s)) => Some(s.clone()),
            _ => None,
        };
        let value = RotatingSecret::with_previous(
            literal(&parts.current).unwrap_or_default(),
            parts.previous.as_ref().and_then(|(_, p)| literal(p)),
        );
        let reference =
            |r: &Result<SecretRef, ReferenceError>| matches!(r, Ok(r) if r.is_reference());
        let resolved = !reference(&parts.current)
            && !parts.previous.as_ref().is_some_and(|(_, p)| reference(p));
        Self {
            inner: Arc::new(Inner {
                parts,
                value,
                resolved: AtomicBool::new(resolved),
            }),
        }
    }

    /// Whether `other` is a clone of this setting (they share the value).
    pub fn same_as(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The setting's name, as errors say it.
    pub fn name(&self) -> &str {
        &self.inner.parts.name
    }

    /// The value now: before a reference is resolved, empty.
    pub fn value(&self) -> &RotatingSecret {
        &self.inner.value
    }

    /// The current value now (see [`SecretSetting::value`]).
    pub fn current(&self) -> Secret {
        self.inner.value.current()
    }

    /// Whether the setting (or its previous value's) is a reference to AWS.
    pub fn is_reference(&self) -> bool {
        let is = |r: &Result<SecretRef, ReferenceError>| r.as_ref().is_ok_and(|r| r.is_reference());
        is(&self.inner.parts.current)
            || self
                .inner
                .parts
                .previous
                .as_ref()
                .is_some_and(|(_, p)| is(p))
    }

    /// Whether the setting has been given its value (always, for a value).
    pub fn is_resolved(&self) -> bool {
        self.inner.resolved.load(Ordering::Acquire)
    }

    /// The references to AWS the setting reads (its own, and its previous value's).
    pub fn references(&self) -> Vec<SecretRef> {
        let p = &self.inner.parts;
        std::iter::once(&p.current)
            .chain(p.previous.as_ref().map(|(_, r)| r))
            .filter_map(|r| r.as_ref().ok().filter(|r| r.is_reference()).cloned())
            .collect()
    }

    /// The reference as written (`secretsmanager:...`), or `None` for a value.
    pub fn reference(&self) -> Option<String> {
        match &self.inner.parts.current {
            Ok(r) if r.is_reference() => Some(r.to_string()),
            _ => None,
        }
    }

    /// What is wrong with the setting as written (a reference that cannot be read), phrased
    /// with the fix; empty when nothing is.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Err(e) = &self.inner.parts.current {
            out.push(format!("{}: {e}", self.inner.parts.name));
        }
        if let Some((name, Err(e))) = &self.inner.parts.previous {
            out.push(format!("{name}: {e}"));
        }
        out
    }

    /// Reads the references from AWS and stores the values; tells whether they changed. On
    /// an error the values stay as they were.
    pub(crate) async fn resolve(&self, aws: Option<&AwsReader>) -> Result<bool, SecretError> {
        let i = &self.inner.parts;
        let current_ref = i.current.as_ref().map_err(|e| SecretError {
            setting: i.name.clone(),
            reference: None,
            failure: Failure::Reference(e.clone()),
        })?;
        let current = read(&i.name, current_ref, "AWSCURRENT", aws, i.check)
            .await?
            .ok_or_else(|| SecretError {
                setting: i.name.clone(),
                reference: Some(current_ref.to_string()),
                failure: Failure::NotFound,
            })?;
        let previous = match &i.previous {
            Some((name, Ok(r))) => read(name, r, "AWSCURRENT", aws, i.check).await?,
            Some((name, Err(e))) => {
                return Err(SecretError {
                    setting: name.clone(),
                    reference: None,
                    failure: Failure::Reference(e.clone()),
                });
            }
            None if matches!(current_ref, SecretRef::SecretsManager { .. }) => {
                match read(&i.name, current_ref, "AWSPREVIOUS", aws, i.check).await {
                    Ok(v) => v,
                    // An older version in another shape (no such key, not JSON, not usable)
                    // is no previous value, not an error.
                    Err(SecretError {
                        failure:
                            Failure::MissingKey(_)
                            | Failure::NotJson
                            | Failure::Empty
                            | Failure::Invalid(_)
                            | Failure::Binary,
                        ..
                    }) => None,
                    Err(e) => return Err(e),
                }
            }
            None => None,
        };
        let changed = self.inner.value.replace(current, previous);
        self.inner.resolved.store(true, Ordering::Release);
        Ok(changed)
    }
}

/// The value `reference` names at `stage` (Secrets Manager only; `None`: no such version),
/// checked with `check`.
async fn read(
    setting: &str,
    reference: &SecretRef,
    stage: &str,
    aws: Option<&AwsReader>,
    check: Option<ValueCheck>,
) -> Result<Option<Secret>, SecretError> {
    let fail = |failure| SecretError {
        setting: setting.to_owned(),
        reference: Some(reference.to_string()),
        failure,
    };
    let value = match reference {
        SecretRef::Literal(s) => return Ok(Some(s.clone())),
        _ if aws.is_none() => return Err(fail(Failure::NoFeature)),
        SecretRef::SecretsManager {
            secret_id,
            region,
            json_key,
        } => {
            let aws = aws.unwrap_or_else(|| unreachable!("checked above"));
            let Some(text) = aws
                .secret_string(secret_id, region.as_deref(), stage)
                .await
                .map_err(fail)?
            else {
                return Ok(None);
            };
            match json_key {
                None => text,
                Some(key) => member(&text, key).map_err(fail)?,
            }
        }
        SecretRef::Ssm { name } => {
            let aws = aws.unwrap_or_else(|| unreachable!("checked above"));
            aws.parameter(name).await.map_err(fail)?
        }
    };
    if value.expose().trim().is_empty() {
        return Err(fail(Failure::Empty));
    }
    if let Some(check) = check {
        check(value.expose()).map_err(|why| fail(Failure::Invalid(why)))?;
    }
    Ok(Some(value))
}

/// The string member `key` of the JSON object `text`.
fn member(text: &Secret, key: &str) -> Result<Secret, Failure> {
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text.expose()).map_err(|_| Failure::NotJson)?;
    match object.get(key) {
        Some(serde_json::Value::String(s)) => Ok(Secret::new(s.as_str())),
        _ => Err(Failure::MissingKey(key.to_owned())),
    }
}

impl std::fmt::Debug for SecretSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |r: &Result<SecretRef, ReferenceError>| match r {
            Ok(r) => r.to_string(),
            Err(_) => "(not a usable reference)".to_owned(),
        };
        f.debug_struct("SecretSetting")
            .field("name", &self.inner.parts.name)
            .field("current", &shown(&self.inner.parts.current))
            .field(
                "previous",
                &self
                    .inner
                    .parts
                    .previous
                    .as_ref()
                    .map(|(n, p)| (n, shown(p))),
            )
            .field("resolved", &self.is_resolved())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_usable_at_once() {
        let s = SecretSetting::new("COGNITO_MCP_STATE_KEY", &Secret::new("new-key"))
            .previous("COGNITO_MCP_STATE_KEY_PREVIOUS", &Secret::new("old-key"));
        assert!(s.is_resolved() && !s.is_reference());
        assert_eq!(s.current().expose(), "new-key");
        assert_eq!(
            s.value().versions().previous().map(Secret::expose),
            Some("old-key")
        );
        assert!(s.problems().is_empty());
        assert!(!format!("{s:?}").contains("key\""), "{s:?}");
    }

    #[test]
    fn a_reference_waits_for_resolving() {
        let s = SecretSetting::new("COGNITO_CLIENT_SECRET", &Secret::new("ssm:/app/secret"));
        assert!(s.is_reference() && !s.is_resolved());
        assert!(s.current().is_empty());
        assert_eq!(s.reference().as_deref(), Some("ssm:/app/secret"));
    }

    #[tokio::test]
    async fn a_bad_reference_is_a_problem_and_an_error() {
        let s = SecretSetting::new("COGNITO_CLIENT_SECRET", &Secret::new("ssm:"));
        let p = s.problems();
        assert_eq!(p.len(), 1);
        assert!(p[0].starts_with("COGNITO_CLIENT_SECRET: `ssm:`"), "{p:?}");
        let e = s.resolve(None).await.expect_err("bad reference");
        assert!(matches!(e.failure, Failure::Reference(_)), "{e:?}");
    }

    #[tokio::test]
    async fn without_aws_a_reference_says_so() {
        let s = SecretSetting::new("X", &Secret::new("secretsmanager:name"));
        let e = s.resolve(None).await.expect_err("no reader");
        assert_eq!(e.failure, Failure::NoFeature);
        assert_eq!(e.reference.as_deref(), Some("secretsmanager:name"));
        assert!(
            e.to_string().starts_with("X (secretsmanager:name): "),
            "{e}"
        );
    }

    #[test]
    fn json_members_are_read_by_key() {
        let text = Secret::new(r#"{"client_secret":"abc","n":1}"#);
        assert_eq!(
            member(&text, "client_secret").expect("member").expose(),
            "abc"
        );
        assert_eq!(
            member(&text, "n").expect_err("not a string"),
            Failure::MissingKey("n".into())
        );
        assert_eq!(
            member(&text, "other").expect_err("missing"),
            Failure::MissingKey("other".into())
        );
        assert_eq!(
            member(&Secret::new("plain"), "k").expect_err("not json"),
            Failure::NotJson
        );
    }
}
