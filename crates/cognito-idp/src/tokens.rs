//! [`Tokens`] and their [`TokenSummary`], read from the JWT payloads without checking the
//! signature (with [`peek_payload`]): they come straight from Cognito over the SDK's TLS
//! connection.

use std::time::{Duration, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::{Secret, peek_payload};

/// Tokens Cognito issued. Each is a [`Secret`]: never logged, never serialized.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Tokens {
    /// The access token.
    pub access_token: Secret,
    /// The id token, when Cognito issued one.
    pub id_token: Option<Secret>,
    /// The refresh token, when Cognito issued one.
    pub refresh_token: Option<Secret>,
    /// Seconds until the access and id tokens expire.
    pub expires_in: i32,
}

/// What a sign-in's tokens say, read from their payloads (unverified).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct TokenSummary {
    /// The summarised token: `access` (the id token only adds `email`).
    pub token_use: String,
    /// The user's `sub`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// The username the token names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The app client the tokens were issued to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Cognito groups (`cognito:groups`).
    pub groups: Vec<String>,
    /// The access token's scopes.
    pub scopes: Vec<String>,
    /// The id token's `email`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Seconds until the tokens expire.
    pub expires_in: i32,
    /// When the access token expires (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

/// The JSON object payload of a JWT, or `None` when it is not one.
fn payload(token: &str) -> Option<Map<String, Value>> {
    peek_payload(token)
}

fn claim(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_owned)
}

impl Tokens {
    /// What the tokens say: subject, username, client, groups, scopes, email and expiry.
    pub fn summary(&self) -> TokenSummary {
        let access = payload(self.access_token.expose()).unwrap_or_default();
        let id = self
            .id_token
            .as_ref()
            .and_then(|t| payload(t.expose()))
            .unwrap_or_default();
        TokenSummary {
            token_use: claim(&access, "token_use").unwrap_or_else(|| "access".into()),
            sub: claim(&access, "sub").or_else(|| claim(&id, "sub")),
            username: claim(&access, "username").or_else(|| claim(&id, "cognito:username")),
            client_id: claim(&access, "client_id").or_else(|| claim(&id, "aud")),
            groups: access
                .get("cognito:groups")
                .or_else(|| id.get("cognito:groups"))
                .and_then(Value::as_array)
                .map(|g| {
                    g.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            scopes: claim(&access, "scope")
                .map(|s| s.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default(),
            email: claim(&id, "email"),
            expires_in: self.expires_in,
            expires_at: access.get("exp").and_then(Value::as_u64).map(|exp| {
                humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(exp)).to_string()
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    fn jwt(claims: &Value) -> String {
        format!(
            "{}.{}.sig",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        )
    }

    #[test]
    fn summary_reads_the_payloads() {
        let tokens = Tokens {
            access_token: Secret::new(jwt(&serde_json::json!({
                "sub": "s-1", "username": "alice", "client_id": "c-1", "token_use": "access",
                "cognito:groups": ["Admins"], "scope": "aws.cognito.signin.user.admin mcp/read",
                "exp": 1_700_000_000u64,
            }))),
            id_token: Some(Secret::new(jwt(&serde_json::json!({
                "email": "alice@example.com", "token_use": "id",
            })))),
            refresh_token: None,
            expires_in: 3600,
        };
        let s = tokens.summary();
        assert_eq!(s.token_use, "access");
        assert_eq!(s.sub.as_deref(), Some("s-1"));
        assert_eq!(s.username.as_deref(), Some("alice"));
        assert_eq!(s.client_id.as_deref(), Some("c-1"));
        assert_eq!(s.groups, ["Admins"]);
        assert_eq!(s.scopes, ["aws.cognito.signin.user.admin", "mcp/read"]);
        assert_eq!(s.email.as_deref(), Some("alice@example.com"));
        assert_eq!(s.expires_at.as_deref(), Some("2023-11-14T22:13:20Z"));
    }

    #[test]
    fn summary_of_a_non_jwt_is_empty_not_a_panic() {
        let tokens = Tokens {
            access_token: Secret::new("opaque"),
            id_token: None,
            refresh_token: None,
            expires_in: 60,
        };
        let s = tokens.summary();
        assert!(s.sub.is_none() && s.groups.is_empty() && s.expires_at.is_none());
    }
}
