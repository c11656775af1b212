//! The refresh-token grant: each use rotates the token, a used token presented again revokes
//! its family, and the rotation writes the family by compare and set, so a revocation that
//! lands while a refresh runs is never undone.

use std::collections::HashMap;

use axum::response::Response;

use super::{check_resource, invalid_grant, issue, need};
use crate::authz::error::OAuthError;
use crate::authz::model::{self, Client, Refresh};
use crate::authz::upstream::UpstreamError;
use crate::authz::{AuthorizationServer, crypto};
use crate::store::Kind;

pub(super) async fn refresh(
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
    // The version read now is the one the rotation below replaces, and only if it is still
    // there: a revocation in between leaves a tombstone that no refresh overwrites.
    let Some(read) = store.get(Kind::Family, &r.family).await? else {
        return Err(invalid_grant("this sign-in was revoked; sign in again"));
    };
    let Some(mut family) = model::decode_family(&read)? else {
        return Err(invalid_grant("this sign-in was revoked; sign in again"));
    };
    if !crypto::ct_eq(&family.refresh, token) {
        // A token its family does not name: left by a rotation that lost to a revocation.
        return Err(invalid_grant(
            "the refresh token is invalid, expired or revoked",
        ));
    }
    let upstream_before = family.upstream_refresh.clone();
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
                if g.id_token.is_some() {
                    family.upstream_id = g.id_token;
                }
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
    if !store
        .replace(
            Kind::Family,
            &r.family,
            &read,
            model::encode(&family),
            Some(ttl),
        )
        .await?
    {
        // Revoked while this refresh ran: it stays revoked, and what the upstream just
        // handed out goes too.
        tracing::warn!(family = %r.family, "the sign-in was revoked during its refresh; refusing the refresh");
        s.revoke_family(&r.family).await?;
        if let Some(up) = family
            .upstream_refresh
            .filter(|u| Some(u) != upstream_before.as_ref())
        {
            s.revoke_upstream(up);
        }
        return Err(invalid_grant(
            "this sign-in was revoked while refreshing; sign in again",
        ));
    }
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
        Some(&next),
    ))
}
