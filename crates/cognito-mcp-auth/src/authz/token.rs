//! `POST /token`: which grant a client may use, and the tokens this server issues. The grants
//! themselves are [`code`] (authorization code, replay revokes) and [`refresh`] (rotation under
//! compare and set).

mod code;
#[cfg(test)]
mod race_tests;
mod refresh;

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, header};
use serde_json::{Value, json};

use super::error::OAuthError;
use super::model::Client;
use super::upstream::Identity;
use super::{AuthorizationServer, crypto};

/// The grant types this server serves at `/token`.
pub(crate) const GRANT_TYPES: [&str; 2] = ["authorization_code", "refresh_token"];

fn invalid_grant(msg: &str) -> OAuthError {
    OAuthError::bad("invalid_grant", msg)
}

/// `POST /token`.
pub(crate) async fn token(
    State(s): State<AuthorizationServer>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, OAuthError> {
    let form = parse_form(&body)?;
    let client = s.authenticate(&headers, &form).await?;
    let grant = form
        .get("grant_type")
        .map(String::as_str)
        .filter(|g| !g.is_empty())
        .ok_or_else(|| OAuthError::bad("invalid_request", "grant_type is missing"))?;
    allowed_grant(&client, grant)?;
    let issued = if grant == "authorization_code" {
        code::authorization_code(&s, &client, &form).await?
    } else {
        refresh::refresh(&s, &client, &form).await?
    };
    // A registration in use does not expire unused (nor idle, for `idle_client_ttl`).
    s.client_used(&client).await;
    Ok(issued)
}

/// A grant this server serves, and the client registered (RFC 6749 §5.2, RFC 7591 §2).
fn allowed_grant(client: &Client, grant: &str) -> Result<(), OAuthError> {
    let registered = || client.grant_types.join(" ");
    if !GRANT_TYPES.contains(&grant) {
        return Err(OAuthError::bad(
            "unsupported_grant_type",
            format!(
                "grant_type {grant:?} is not supported; this server serves authorization_code and \
                 refresh_token, and this client registered [{}]",
                registered()
            ),
        ));
    }
    if !client.grant_types.iter().any(|g| g == grant) {
        tracing::warn!(client = %client.client_id, grant, "a client used a grant type it did not register");
        return Err(OAuthError::bad(
            "unauthorized_client",
            format!(
                "this client registered grant_types [{}], which does not include {grant}; \
                 register again with {grant} in grant_types (left out, grant_types means \
                 authorization_code only)",
                registered()
            ),
        ));
    }
    Ok(())
}

/// Parses a form body, refusing repeated parameters (RFC 6749 §3.2).
pub(crate) fn parse_form(body: &[u8]) -> Result<HashMap<String, String>, OAuthError> {
    let mut out = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        if out.insert(k.to_string(), v.into_owned()).is_some() {
            return Err(OAuthError::bad(
                "invalid_request",
                format!("the parameter {k} is repeated"),
            ));
        }
    }
    Ok(out)
}

fn need<'a>(form: &'a HashMap<String, String>, key: &str) -> Result<&'a str, OAuthError> {
    form.get(key)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| OAuthError::bad("invalid_request", format!("{key} is missing")))
}

fn check_resource(
    s: &AuthorizationServer,
    form: &HashMap<String, String>,
    resource: &str,
) -> Result<(), OAuthError> {
    match form.get("resource") {
        Some(r) if !cognito_jwt::same_resource(r, resource) => Err(OAuthError::bad(
            "invalid_target",
            format!(
                "resource {r:?} is not the one this grant is for ({})",
                s.resource()
            ),
        )),
        _ => Ok(()),
    }
}

/// Signs an access token and answers the token response.
fn issue(
    s: &AuthorizationServer,
    client: &Client,
    who: &Identity,
    scopes: &[String],
    resource: &str,
    family: &str,
    refresh_token: Option<&str>,
) -> Response {
    let now = s.now();
    let ttl = s.inner.lifetimes.access_token.as_secs();
    let mut claims = json!({
        "iss": s.issuer(),
        "sub": who.sub,
        "aud": [resource],
        "client_id": client.client_id,
        "token_use": "access",
        "scope": scopes.join(" "),
        "cognito:groups": who.groups,
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "jti": crypto::random_id(),
        "sid": family,
    });
    if let Some(u) = &who.username {
        claims["username"] = json!(u);
    }
    let access = s.inner.key.sign(&claims);
    let mut body: Value = json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": ttl,
        "scope": scopes.join(" "),
    });
    if let Some(r) = refresh_token {
        body["refresh_token"] = json!(r);
    }
    let mut resp = Json(body).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp.headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    resp
}
