//! The authorization-code grant. A code works once; presented again, it revokes every token
//! issued from it (RFC 6749 §4.1.2), because a second presentation means someone else holds it.

use std::collections::HashMap;

use axum::response::Response;

use super::{check_resource, invalid_grant, issue, need};
use crate::authz::error::OAuthError;
use crate::authz::model::{self, Client, Code, Family, Refresh};
use crate::authz::{AuthorizationServer, crypto};
use crate::store::Kind;

pub(super) async fn authorization_code(
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
    let store = &s.inner.store;
    let Some(raw) = store.get(Kind::Code, code).await? else {
        return Err(replayed(s, client, code).await?);
    };
    // The code is spent here, at once and atomically: of two presentations, exactly one writes
    // the spent record naming the family this exchange will start, and every later one finds
    // it and revokes that family. It is spent even when this request then fails.
    let family_id = crypto::random_id();
    let lifetime = s.inner.lifetimes.refresh_token;
    if !store
        .put_new(
            Kind::SpentCode,
            code,
            family_id.clone().into_bytes(),
            Some(lifetime),
        )
        .await?
    {
        return Err(replayed(s, client, code).await?);
    }
    store.remove(Kind::Code, code).await?;
    let c: Code = model::decode(&raw)?;
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
    // A refresh token only for a client that registered the grant it is for.
    let refresh_token = client
        .grant_types
        .iter()
        .any(|g| g == "refresh_token")
        .then(crypto::random_token);
    let family = Family {
        client_id: client.client_id.clone(),
        resource: c.request.resource.clone(),
        consented: c.request.scopes.clone(),
        identity: c.identity.clone(),
        upstream_refresh: c.upstream_refresh,
        upstream_id: c.upstream_id,
        refresh: refresh_token.clone().unwrap_or_default(),
        expires_at: s.now() + lifetime.as_secs(),
    };
    // The family is written before its token, so a crash between the two leaves no token
    // without a family. Only a new entry: a replay of this code that came in meanwhile left
    // the family revoked before it existed, and then nothing is issued.
    if !store
        .put_new(
            Kind::Family,
            &family_id,
            model::encode(&family),
            Some(lifetime),
        )
        .await?
    {
        if let Some(up) = family.upstream_refresh {
            s.revoke_upstream(up);
        }
        return Err(invalid_grant(
            "this code was presented twice at once; every token issued from it is revoked; sign in again",
        ));
    }
    if let Some(rt) = &refresh_token {
        let r = Refresh {
            family: family_id.clone(),
            client_id: client.client_id.clone(),
        };
        store
            .put(Kind::Refresh, rt, model::encode(&r), Some(lifetime))
            .await?;
    }
    Ok(issue(
        s,
        client,
        &c.identity,
        &c.scopes,
        &c.request.resource,
        &family_id,
        refresh_token.as_deref(),
    ))
}

/// The answer to a code that is not live: when it was redeemed before, the family it started
/// is revoked (its refresh token, its access tokens, the upstream session).
async fn replayed(
    s: &AuthorizationServer,
    client: &Client,
    code: &str,
) -> Result<OAuthError, OAuthError> {
    let Some(family) = s.inner.store.get(Kind::SpentCode, code).await? else {
        return Ok(invalid_grant(
            "the code is invalid, expired or already used",
        ));
    };
    let family = String::from_utf8_lossy(&family).into_owned();
    tracing::warn!(%family, client = %client.client_id, "authorization code replayed; revoking the tokens issued from it");
    s.revoke_family(&family).await?;
    Ok(invalid_grant(
        "this code was already used; every token issued from it is now revoked; sign in again",
    ))
}
