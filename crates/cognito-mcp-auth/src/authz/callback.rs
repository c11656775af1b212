//! `GET /auth/callback`: the upstream returns the browser here; the server verifies the
//! sign-in and sends the client its own one-time code.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::{HeaderMap, StatusCode};

use super::authorize::error_redirect;
use super::binding;
use super::error::store_failure;
use super::model::{self, Code, Transaction};
use super::upstream::{UpstreamError, UpstreamRequest};
use super::{AuthorizationServer, crypto, pages};
use crate::store::Kind;

/// `GET /auth/callback`.
pub(crate) async fn callback(
    State(s): State<AuthorizationServer>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let bad = |msg: &str| pages::error(StatusCode::BAD_REQUEST, "This sign-in is not valid", msg);
    let Some(state) = q.get("state").filter(|s| !s.is_empty()) else {
        return bad("The sign-in service sent no state.");
    };
    let txn: Transaction = match s.take_record(Kind::Transaction, state).await {
        Ok(Some(t)) => {
            s.inner.pending.release(state);
            t
        }
        Ok(None) => return bad("It expired, was already used, or its state was altered."),
        Err(e) => return store_failure(e),
    };
    if !txn.binding.holds(&headers) {
        tracing::warn!("callback refused: browser-binding cookie missing or different");
        return bad("This browser did not start the sign-in (its cookie is missing or different).");
    }
    // The transaction is used up: its cookie goes too, whatever the outcome.
    let cookie = txn.binding.cookie.clone();
    let mut resp = finish(&s, &q, state, txn).await;
    binding::set_cookie(resp.headers_mut(), s.inner.secure_cookies, &cookie, "", 0);
    resp
}

/// The rest of the callback, for the transaction this browser holds.
async fn finish(
    s: &AuthorizationServer,
    q: &HashMap<String, String>,
    state: &str,
    txn: Transaction,
) -> Response {
    let bad = |msg: &str| pages::error(StatusCode::BAD_REQUEST, "This sign-in is not valid", msg);
    let req = txn.request;
    let fail = |code: &str, msg: &str| {
        error_redirect(s, &req.redirect_uri, req.state.as_deref(), code, msg)
    };
    if let Some(err) = q.get("error") {
        let desc = q.get("error_description").map(String::as_str).unwrap_or("");
        tracing::info!(error = %err, description = %desc, "the upstream sign-in failed");
        let code = if err == "access_denied" {
            "access_denied"
        } else {
            "server_error"
        };
        return fail(
            code,
            &format!("the sign-in at Cognito failed: {err} {desc}"),
        );
    }
    let Some(code) = q.get("code").filter(|c| !c.is_empty()) else {
        return fail(
            "server_error",
            "the sign-in service sent neither a code nor an error",
        );
    };
    let up = UpstreamRequest {
        state: state.to_owned(),
        code_challenge: crypto::pkce_challenge(&txn.code_verifier),
        code_verifier: txn.code_verifier,
        nonce: txn.nonce,
        redirect_uri: s.inner.callback.clone(),
        issuer: s.inner.issuer.clone(),
    };
    let grant = match s.inner.upstream.exchange(code, &up).await {
        Ok(g) => g,
        Err(e) => {
            tracing::warn!(error = %e, "the upstream sign-in could not be completed");
            let (code, msg) = match e {
                UpstreamError::InvalidGrant(_) => {
                    ("access_denied", "the sign-in was refused by Cognito")
                }
                UpstreamError::Unavailable(_) => (
                    "temporarily_unavailable",
                    "the sign-in service is unavailable; try again",
                ),
                _ => ("server_error", "the sign-in could not be verified"),
            };
            return fail(code, msg);
        }
    };
    s.note_upstream_scopes(&grant.identity, &grant.scopes);
    let scopes = s.grantable(&req.scopes, &grant.identity);
    let our_code = crypto::random_token();
    let record = Code {
        identity: grant.identity,
        scopes,
        upstream_refresh: grant.refresh_token,
        upstream_id: grant.id_token,
        expires_at: s.now() + s.inner.lifetimes.code.as_secs(),
        request: req.clone(),
    };
    if let Err(e) = s
        .inner
        .store
        .put(
            Kind::Code,
            &our_code,
            model::encode(&record),
            Some(s.inner.lifetimes.code),
        )
        .await
    {
        return store_failure(e);
    }
    let mut url = match url::Url::parse(&req.redirect_uri) {
        Ok(u) => u,
        Err(_) => return bad("The redirect URI is not a URL."),
    };
    {
        let mut qp = url.query_pairs_mut();
        qp.append_pair("code", &our_code);
        if let Some(st) = &req.state {
            qp.append_pair("state", st);
        }
        qp.append_pair("iss", s.issuer());
    }
    Redirect::to(url.as_str()).into_response()
}
