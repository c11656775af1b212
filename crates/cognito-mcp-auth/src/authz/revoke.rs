//! `POST /revoke` (RFC 7009): access and refresh tokens stop working at once.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};

use super::AuthorizationServer;
use super::error::OAuthError;
use super::model::Refresh;
use super::token::parse_form;
use crate::store::Kind;

/// `POST /revoke`. Answers 200 whether or not the token was known (RFC 7009 §2.2).
pub(crate) async fn revoke(
    State(s): State<AuthorizationServer>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, OAuthError> {
    let form = parse_form(&body)?;
    let client = s.authenticate(&headers, &form).await?;
    let Some(token) = form.get("token").filter(|t| !t.is_empty()) else {
        return Err(OAuthError::bad("invalid_request", "token is missing"));
    };
    let store = &s.inner.store;
    if let Some(r) = s.get_record::<Refresh>(Kind::Refresh, token).await? {
        if r.client_id == client.client_id {
            s.revoke_family(&r.family).await?;
            tracing::info!(family = %r.family, "refresh token revoked");
        }
        return Ok(StatusCode::OK.into_response());
    }
    if token.matches('.').count() == 2
        && let Ok(claims) = s.inner.verifier.verify(token).await
        && claims.client_id == client.client_id
        && let Some(jti) = &claims.jti
    {
        let left = claims.exp.saturating_sub(s.now()) + 120;
        store
            .put(
                Kind::Revoked,
                &format!("jti:{jti}"),
                Vec::new(),
                Some(std::time::Duration::from_secs(left)),
            )
            .await?;
        tracing::info!("access token revoked");
    }
    Ok(StatusCode::OK.into_response())
}
