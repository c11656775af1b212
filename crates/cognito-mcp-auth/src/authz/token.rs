//! `POST /token`: the authorization-code and refresh-token grants, and the tokens this server
//! issues.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, header};
use serde_json::{Value, json};

use super::error::OAuthError;
use super::model::{self, Client, Code, Family, Refresh};
use super::upstream::{Identity, UpstreamError};
use super::{AuthorizationServer, crypto};
use crate::store::Kind;

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
    let issued = match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => authorization_code(&s, &client, &form).await?,
        Some("refresh_token") => refresh(&s, &client, &form).await?,
        Some(other) => {
            return Err(OAuthError::bad(
                "unsupported_grant_type",
                format!(
                    "grant_type {other:?} is not supported; use authorization_code or refresh_token"
                ),
            ));
        }
        None => return Err(OAuthError::bad("invalid_request", "grant_type is missing")),
    };
    // A registration in use does not expire unused (nor idle, for `idle_client_ttl`).
    s.client_used(&client).await;
    Ok(issued)
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
        Some(r) if r.trim_end_matches('/') != resource.trim_end_matches('/') => {
            Err(OAuthError::bad(
                "invalid_target",
                format!(
                    "resource {r:?} is not the one this grant is for ({})",
                    s.resource()
                ),
            ))
        }
        _ => Ok(()),
    }
}

async fn authorization_code(
    s: &AuthorizationServer,
    client: &Client,
    form: &HashMap<String, String>,
) -> Result<Response, OAuthError> {
    let code = need(form, "code")?;
    let verifier = need(form, "code_verifier").map_err(|_| {
        OAuthError::bad(
            "invalid_request",
            "code_verifier is missing: PKCE is required",
        )
    })?;
    let redirect_uri = need(form, "redirect_uri")?;
    // Taken at once: a code works one time, even when this request then fails.
    let c: Code = s
        .take_record(Kind::Code, code)
        .await?
        .ok_or_else(|| invalid_grant("the code is invalid, expired or already used"))?;
    if c.expires_at <= s.now() {
        return Err(invalid_grant(
            "the code expired; codes live at most 5 minutes",
        ));
    }
    if c.request.client_id != client.client_id {
        tracing::warn!(client = %client.client_id, "a code was presented by another client");
        return Err(invalid_grant("the code was issued to another client"));
    }
    if c.request.redirect_uri != redirect_uri {
        return Err(invalid_grant(
            "redirect_uri differs from the authorization request's",
        ));
    }
    if !crypto::is_pkce_value(verifier)
        || !crypto::ct_eq(&crypto::pkce_challenge(verifier), &c.request.code_challenge)
    {
        return Err(invalid_grant(
            "the PKCE code_verifier does not match the code_challenge",
        ));
    }
    check_resource(s, form, &c.request.resource)?;
    let family_id = crypto::random_id();
    let refresh_token = crypto::random_token();
    let lifetime = s.inner.lifetimes.refresh_token;
    let family = Family {
        client_id: client.client_id.clone(),
        resource: c.request.resource.clone(),
        consented: c.request.scopes.clone(),
        identity: c.identity.clone(),
        upstream_refresh: c.upstream_refresh,
        refresh: refresh_token.clone(),
        expires_at: s.now() + lifetime.as_secs(),
    };
    // The family is written before its token, so a crash between the two leaves no token
    // without a family.
    s.inner
        .store
        .put(
            Kind::Family,
            &family_id,
            model::encode(&family),
            Some(lifetime),
        )
        .await?;
    let r = Refresh {
        family: family_id.clone(),
        client_id: client.client_id.clone(),
    };
    s.inner
        .store
        .put(
            Kind::Refresh,
            &refresh_token,
            model::encode(&r),
            Some(lifetime),
        )
        .await?;
    Ok(issue(
        s,
        client,
        &c.identity,
        &c.scopes,
        &c.request.resource,
        &family_id,
        &refresh_token,
    ))
}

async fn refresh(
    s: &AuthorizationServer,
    client: &Client,
    form: &HashMap<String, String>,
) -> Result<Response, OAuthError> {
    let token = need(form, "refresh_token")?;
    let store = &s.inner.store;
    let Some(r) = s.get_record::<Refresh>(Kind::Refresh, token).await? else {
        // A used token presented again: someone holds a copy. The whole sign-in goes.
        if let Some(fam) = store.get(Kind::SpentRefresh, token).await? {
            let fam = String::from_utf8_lossy(&fam).into_owned();
            tracing::warn!(family = %fam, client = %client.client_id, "refresh token replayed; revoking its family");
            s.revoke_family(&fam).await?;
            return Err(invalid_grant(
                "this refresh token was already used; every token of this sign-in is now revoked; sign in again",
            ));
        }
        return Err(invalid_grant(
            "the refresh token is invalid, expired or revoked",
        ));
    };
    if r.client_id != client.client_id {
        tracing::warn!(family = %r.family, "a refresh token was presented by another client; revoking its family");
        s.revoke_family(&r.family).await?;
        return Err(invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    let Some(mut family) = s.get_record::<Family>(Kind::Family, &r.family).await? else {
        return Err(invalid_grant("this sign-in was revoked; sign in again"));
    };
    check_resource(s, form, &family.resource)?;
    let requested: Vec<String> = match form
        .get("scope")
        .map(|x| x.trim())
        .filter(|x| !x.is_empty())
    {
        Some(sc) => sc.split_whitespace().map(str::to_owned).collect(),
        None => family.consented.clone(),
    };
    if let Some(bad) = requested.iter().find(|x| !family.consented.contains(x)) {
        return Err(OAuthError::bad(
            "invalid_scope",
            format!(
                "the scope {bad} was not granted to this sign-in; a refresh may only narrow the scopes"
            ),
        ));
    }
    // The user's groups are read again at the upstream, so a user removed from a group, signed
    // out or disabled in Cognito loses access at the next refresh.
    if let Some(up) = family.upstream_refresh.clone() {
        match s.inner.upstream.refresh(&up).await {
            Ok(g) => {
                s.note_upstream_scopes(&g.identity, &g.scopes);
                family.identity = g.identity;
                family.upstream_refresh = g.refresh_token;
            }
            Err(UpstreamError::InvalidGrant(why)) => {
                tracing::info!(family = %r.family, %why, "the upstream session ended; revoking the family");
                s.revoke_family(&r.family).await?;
                return Err(invalid_grant(
                    "the Cognito session ended (signed out, disabled or expired); sign in again",
                ));
            }
            Err(e) => {
                tracing::warn!(error = %e, "upstream refresh failed");
                return Err(OAuthError::new(
                    http::StatusCode::SERVICE_UNAVAILABLE,
                    "temporarily_unavailable",
                    "the sign-in service is unavailable; retry shortly",
                )
                .retry_after(5));
            }
        }
    }
    // Consume the token atomically; losing this race means a concurrent use of the same token.
    if store.take(Kind::Refresh, token).await?.is_none() {
        s.revoke_family(&r.family).await?;
        return Err(invalid_grant(
            "this refresh token was used concurrently; the sign-in is revoked",
        ));
    }
    let lifetime_left = family.expires_at.saturating_sub(s.now());
    let ttl = std::time::Duration::from_secs(lifetime_left.max(1));
    store
        .put(
            Kind::SpentRefresh,
            token,
            r.family.clone().into_bytes(),
            Some(ttl),
        )
        .await?;
    let next = crypto::random_token();
    family.refresh = next.clone();
    store
        .put(Kind::Family, &r.family, model::encode(&family), Some(ttl))
        .await?;
    store
        .put(
            Kind::Refresh,
            &next,
            model::encode(&Refresh {
                family: r.family.clone(),
                client_id: client.client_id.clone(),
            }),
            Some(ttl),
        )
        .await?;
    let scopes = s.grantable(&requested, &family.identity);
    Ok(issue(
        s,
        client,
        &family.identity,
        &scopes,
        &family.resource,
        &r.family,
        &next,
    ))
}

/// Signs an access token and answers the token response.
fn issue(
    s: &AuthorizationServer,
    client: &Client,
    who: &Identity,
    scopes: &[String],
    resource: &str,
    family: &str,
    refresh_token: &str,
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
    let body: Value = json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": ttl,
        "refresh_token": refresh_token,
        "scope": scopes.join(" "),
    });
    let mut resp = Json(body).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp.headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    resp
}
