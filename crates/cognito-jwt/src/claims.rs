//! [`Claims`]: what a verified Cognito token says.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::VerifyError;

/// The kind of Cognito token (`token_use`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TokenUse {
    /// An access token: `client_id`, `scope`, `username`.
    Access,
    /// An id token: `aud`, `cognito:username`, profile attributes.
    Id,
}

impl TokenUse {
    /// `access` or `id`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Id => "id",
        }
    }
}

/// The verified claims of a Cognito access or id token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Claims {
    /// The subject: the user's (or, for client credentials, the client's) stable id.
    pub sub: String,
    /// The issuer.
    pub iss: String,
    /// Access or id.
    pub token_use: TokenUse,
    /// The app client: `client_id` of an access token, `aud` of an id token.
    pub client_id: String,
    /// `username` (access) or `cognito:username` (id); absent for client-credentials tokens.
    pub username: Option<String>,
    /// `cognito:groups`.
    pub groups: Vec<String>,
    /// The space-separated `scope` of an access token, split.
    pub scopes: Vec<String>,
    /// `email` (id tokens).
    pub email: Option<String>,
    /// `email_verified` (id tokens).
    pub email_verified: Option<bool>,
    /// Custom attributes, `custom:NAME` without the prefix, values as strings.
    pub custom: BTreeMap<String, String>,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Issued at.
    pub iat: Option<u64>,
    /// Not before.
    pub nbf: Option<u64>,
    /// When the user authenticated.
    pub auth_time: Option<u64>,
    /// The token's id.
    pub jti: Option<String>,
    /// `aud`: the audiences (Cognito id tokens: the app client; our own access tokens: the
    /// resource). Empty when absent.
    pub aud: Vec<String>,
    /// `nonce` (id tokens of an OpenID sign-in).
    pub nonce: Option<String>,
    /// `sid`: the sign-in session (our own tokens: the refresh-token family).
    pub sid: Option<String>,
}

fn string(map: &Map<String, Value>, key: &'static str) -> Result<Option<String>, VerifyError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(VerifyError::MissingClaim(key)),
    }
}

fn number(map: &Map<String, Value>, key: &'static str) -> Result<Option<u64>, VerifyError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
            .map(Some)
            .ok_or(VerifyError::MissingClaim(key)),
        Some(_) => Err(VerifyError::MissingClaim(key)),
    }
}

impl Claims {
    /// Reads the claims of a payload whose `token_use` is `token_use`.
    pub(crate) fn from_payload(
        map: &Map<String, Value>,
        token_use: TokenUse,
    ) -> Result<Self, VerifyError> {
        let aud: Vec<String> = match map.get("aud") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or(VerifyError::MissingClaim("aud"))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(VerifyError::MissingClaim("aud")),
        };
        let client_id = match token_use {
            TokenUse::Access => string(map, "client_id")?,
            TokenUse::Id if aud.len() == 1 => Some(aud[0].clone()),
            TokenUse::Id => None,
        }
        .ok_or(VerifyError::MissingClaim(
            if token_use == TokenUse::Access {
                "client_id"
            } else {
                "aud"
            },
        ))?;
        let username = match token_use {
            TokenUse::Access => string(map, "username")?,
            TokenUse::Id => string(map, "cognito:username")?,
        };
        let groups = match map.get("cognito:groups") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|g| {
                    g.as_str()
                        .map(str::to_owned)
                        .ok_or(VerifyError::MissingClaim("cognito:groups"))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(VerifyError::MissingClaim("cognito:groups")),
        };
        let scopes = string(map, "scope")?
            .map(|s| s.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default();
        let email_verified = match map.get("email_verified") {
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::String(s)) => Some(s == "true"),
            _ => None,
        };
        let custom = map
            .iter()
            .filter_map(|(k, v)| {
                let name = k.strip_prefix("custom:")?;
                let value = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                Some((name.to_owned(), value))
            })
            .collect();
        Ok(Self {
            sub: string(map, "sub")?.ok_or(VerifyError::MissingClaim("sub"))?,
            iss: string(map, "iss")?.ok_or(VerifyError::MissingClaim("iss"))?,
            token_use,
            client_id,
            username,
            groups,
            scopes,
            email: string(map, "email")?,
            email_verified,
            custom,
            exp: number(map, "exp")?.ok_or(VerifyError::MissingClaim("exp"))?,
            iat: number(map, "iat")?,
            nbf: number(map, "nbf")?,
            auth_time: number(map, "auth_time")?,
            jti: string(map, "jti")?,
            aud,
            nonce: string(map, "nonce")?,
            sid: string(map, "sid")?,
        })
    }
}
