//! [`Config`]: which scopes each group grants and which user attributes become claims, read
//! once from the environment at start.

use std::collections::BTreeMap;
use std::ffi::OsString;

use serde_json::Value;

use crate::error::ConfigError;
use crate::event::kind_of;
use crate::reserved::reserved_reason;

/// The variable mapping group names to scopes.
pub const GROUP_SCOPES_VAR: &str = "GROUP_SCOPES";
/// The variable naming the user attributes copied into claims.
pub const ATTRIBUTE_CLAIMS_VAR: &str = "ATTRIBUTE_CLAIMS";

/// The mapping used when `GROUP_SCOPES` is unset: the groups `cognito-mcp bootstrap` creates.
pub const DEFAULT_GROUP_SCOPES: &str = r#"{"Admins":["mcp/read","mcp/write","mcp/admin"],"Developers":["mcp/read","mcp/write"],"ReadOnly":["mcp/read"]}"#;

/// One user attribute copied into a claim of the same value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeClaim {
    /// The user attribute read from `request.userAttributes`, such as `custom:department`.
    pub attribute: String,
    /// The claim written, such as `department`.
    pub claim: String,
}

/// What the trigger adds to tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Group name to the full scope names it grants, each list in its configured order without
    /// repeats. Default: [`DEFAULT_GROUP_SCOPES`].
    pub group_scopes: BTreeMap<String, Vec<String>>,
    /// Attributes copied into claims, in their configured order. Default: none.
    pub attribute_claims: Vec<AttributeClaim>,
}

impl Config {
    /// Reads `GROUP_SCOPES` and `ATTRIBUTE_CLAIMS` from the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|variable| std::env::var_os(variable))
    }

    /// Reads the configuration through `lookup`, which answers a variable's value or `None`
    /// when it is unset (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<OsString>) -> Result<Config, ConfigError> {
        let text = |variable: &'static str| -> Result<Option<String>, ConfigError> {
            match lookup(variable) {
                None => Ok(None),
                Some(value) => value
                    .into_string()
                    .map(Some)
                    .map_err(|_| ConfigError::NotUnicode { variable }),
            }
        };
        let group_scopes = match text(GROUP_SCOPES_VAR)? {
            Some(value) => parse_group_scopes(&value)?,
            None => default_group_scopes(),
        };
        let attribute_claims = match text(ATTRIBUTE_CLAIMS_VAR)? {
            Some(value) => parse_attribute_claims(&value)?,
            None => Vec::new(),
        };
        Ok(Config {
            group_scopes,
            attribute_claims,
        })
    }
}

impl Default for Config {
    /// The default mapping and no attribute claims.
    fn default() -> Self {
        Config {
            group_scopes: default_group_scopes(),
            attribute_claims: Vec::new(),
        }
    }
}

fn default_group_scopes() -> BTreeMap<String, Vec<String>> {
    [
        ("Admins", &["mcp/read", "mcp/write", "mcp/admin"][..]),
        ("Developers", &["mcp/read", "mcp/write"][..]),
        ("ReadOnly", &["mcp/read"][..]),
    ]
    .into_iter()
    .map(|(group, scopes)| {
        let scopes = scopes.iter().map(|scope| (*scope).to_owned()).collect();
        (group.to_owned(), scopes)
    })
    .collect()
}

/// Parses a `GROUP_SCOPES` value: a JSON object of group name to a list of scope names.
pub fn parse_group_scopes(text: &str) -> Result<BTreeMap<String, Vec<String>>, ConfigError> {
    if text.trim().is_empty() {
        return Err(ConfigError::GroupScopesEmpty);
    }
    let value: Value = serde_json::from_str(text).map_err(|e| ConfigError::GroupScopesNotJson {
        reason: e.to_string(),
    })?;
    let Value::Object(groups) = value else {
        return Err(ConfigError::GroupScopesShape {
            detail: format!("is {}", kind_of(&value)),
        });
    };
    let mut mapping = BTreeMap::new();
    for (group, scopes) in groups {
        if group.trim().is_empty() {
            return Err(ConfigError::GroupScopesShape {
                detail: "has an empty group name".to_owned(),
            });
        }
        let Value::Array(scopes) = scopes else {
            return Err(ConfigError::GroupScopesShape {
                detail: format!("gives group {group:?} {}, not a list", kind_of(&scopes)),
            });
        };
        let mut list: Vec<String> = Vec::with_capacity(scopes.len());
        for scope in scopes {
            let Value::String(scope) = scope else {
                return Err(ConfigError::GroupScopesShape {
                    detail: format!(
                        "gives group {group:?} {} in its list, not a scope name",
                        kind_of(&scope)
                    ),
                });
            };
            if !is_scope_token(&scope) {
                return Err(ConfigError::InvalidScope { group, scope });
            }
            if !list.contains(&scope) {
                list.push(scope);
            }
        }
        mapping.insert(group, list);
    }
    Ok(mapping)
}

/// RFC 6749 `scope-token`: one or more of `%x21 / %x23-5B / %x5D-7E`.
fn is_scope_token(scope: &str) -> bool {
    !scope.is_empty()
        && scope
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

/// Parses an `ATTRIBUTE_CLAIMS` value: comma-separated `attribute` or `attribute=claim`
/// entries. The claim defaults to the attribute without its `custom:` prefix.
pub fn parse_attribute_claims(text: &str) -> Result<Vec<AttributeClaim>, ConfigError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mut claims: Vec<AttributeClaim> = Vec::new();
    for (index, raw) in text.split(',').enumerate() {
        let entry = raw.trim();
        let bad = |reason: &'static str| ConfigError::AttributeClaimsEntry {
            position: index + 1,
            entry: entry.to_owned(),
            reason,
        };
        if entry.is_empty() {
            return Err(bad("is empty"));
        }
        let (attribute, claim) = match entry.split_once('=') {
            Some((attribute, claim)) => (attribute.trim(), Some(claim.trim())),
            None => (entry, None),
        };
        if attribute.is_empty() {
            return Err(bad("has no attribute name before `=`"));
        }
        if attribute.chars().any(char::is_whitespace) {
            return Err(bad("has whitespace inside the attribute name"));
        }
        let claim = match claim {
            Some("") => return Err(bad("has no claim name after `=`")),
            Some(claim) if claim.contains('=') => return Err(bad("has more than one `=`")),
            Some(claim) => claim,
            None => attribute.strip_prefix("custom:").unwrap_or(attribute),
        };
        if claim.is_empty() {
            return Err(bad("names only the `custom:` prefix"));
        }
        if claim.chars().any(char::is_whitespace) {
            return Err(bad("has whitespace inside the claim name"));
        }
        if let Some(rule) = reserved_reason(claim) {
            let suggestion = claim
                .rsplit(':')
                .next()
                .filter(|stem| !stem.is_empty())
                .unwrap_or("claim")
                .to_owned();
            return Err(ConfigError::ForbiddenClaim {
                entry: entry.to_owned(),
                attribute: attribute.to_owned(),
                claim: claim.to_owned(),
                rule,
                suggestion,
            });
        }
        if let Some(first) = claims.iter().find(|c| c.claim == claim) {
            return Err(ConfigError::DuplicateClaim {
                claim: claim.to_owned(),
                first: first.attribute.clone(),
                second: attribute.to_owned(),
            });
        }
        claims.push(AttributeClaim {
            attribute: attribute.to_owned(),
            claim: claim.to_owned(),
        });
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_constant_and_the_default_value_agree() {
        let parsed = parse_group_scopes(DEFAULT_GROUP_SCOPES);
        assert_eq!(parsed, Ok(Config::default().group_scopes));
    }

    #[test]
    fn scope_tokens_follow_rfc_6749() {
        for good in ["mcp/read", "openid", "a", "https://api.example.com/x.y"] {
            assert!(is_scope_token(good), "{good}");
        }
        for bad in ["", "mcp read", "mcp\"read", "mcp\\read", "mcp\tread", "é"] {
            assert!(!is_scope_token(bad), "{bad:?}");
        }
    }

    #[test]
    fn repeated_scopes_in_one_group_are_kept_once_in_first_order() {
        let parsed = parse_group_scopes(r#"{"G":["b","a","b"]}"#);
        let expected: BTreeMap<String, Vec<String>> =
            [("G".to_owned(), vec!["b".to_owned(), "a".to_owned()])].into();
        assert_eq!(parsed, Ok(expected));
    }
}
