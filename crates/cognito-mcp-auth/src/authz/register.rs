//! `/register` (RFC 7591): how a client becomes known, and every check on what it says about
//! itself (shared with client ID metadata documents, `metadata_document.rs`).

use axum::Json;
use axum::extract::{Request, State};
use http::StatusCode;
use http_body_util::BodyExt;
use serde::Deserialize;
use serde_json::{Value, json};

use super::address::client_address;
use super::error::OAuthError;
use super::model::{self, Client};
use super::{AuthorizationServer, crypto, redirect};
use crate::store::Kind;

/// Largest registration or metadata document read: 64 KiB.
pub(super) const MAX_METADATA_BYTES: usize = 64 * 1024;
const MAX_REDIRECT_URIS: usize = 10;
const MAX_NAME_LEN: usize = 200;
/// `Retry-After` when the store holds `max_clients`: when room comes back is not known.
const STORE_FULL_RETRY_SECS: u64 = 60;

#[derive(Debug, Deserialize)]
pub(super) struct Metadata {
    pub(super) redirect_uris: Option<Vec<String>>,
    pub(super) client_name: Option<String>,
    pub(super) token_endpoint_auth_method: Option<String>,
    pub(super) grant_types: Option<Vec<String>>,
    pub(super) response_types: Option<Vec<String>>,
    pub(super) scope: Option<String>,
    pub(super) client_id: Option<String>,
}

fn invalid(description: impl Into<String>) -> OAuthError {
    OAuthError::bad("invalid_client_metadata", description)
}

/// The checked parts of client metadata.
pub(super) struct Checked {
    pub(super) redirect_uris: Vec<String>,
    pub(super) client_name: Option<String>,
    pub(super) grant_types: Vec<String>,
    pub(super) scopes: Vec<String>,
}

pub(super) fn check_metadata(s: &AuthorizationServer, m: &Metadata) -> Result<Checked, OAuthError> {
    let dcr = &s.inner.dcr;
    let uris = m
        .redirect_uris
        .clone()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| {
            OAuthError::bad(
                "invalid_redirect_uri",
                "redirect_uris is required: list at least one",
            )
        })?;
    if uris.len() > MAX_REDIRECT_URIS {
        return Err(OAuthError::bad(
            "invalid_redirect_uri",
            format!(
                "{} redirect_uris given; at most {MAX_REDIRECT_URIS} are kept",
                uris.len()
            ),
        ));
    }
    for u in &uris {
        redirect::check(u, &dcr.allowed_redirect_patterns)
            .map_err(|e| OAuthError::bad("invalid_redirect_uri", e))?;
    }
    if let Some(name) = &m.client_name
        && (name.chars().count() > MAX_NAME_LEN || name.chars().any(char::is_control))
    {
        return Err(invalid(format!(
            "client_name must be at most {MAX_NAME_LEN} characters, without control characters"
        )));
    }
    // Left out, grant_types means authorization_code alone (RFC 7591 §2): such a client gets
    // no refresh token, and `/token` refuses it the refresh grant.
    let grant_types = m
        .grant_types
        .clone()
        .unwrap_or_else(|| vec!["authorization_code".into()]);
    if let Some(g) = grant_types
        .iter()
        .find(|g| !matches!(g.as_str(), "authorization_code" | "refresh_token"))
    {
        return Err(invalid(format!(
            "grant type {g:?} is not supported; use authorization_code and refresh_token"
        )));
    }
    if let Some(r) = m
        .response_types
        .as_ref()
        .and_then(|r| r.iter().find(|r| r.as_str() != "code"))
    {
        return Err(invalid(format!(
            "response type {r:?} is not supported; use code"
        )));
    }
    let scopes: Vec<String> = match m.scope.as_deref().map(str::trim) {
        None | Some("") => dcr.default_scopes.clone(),
        Some(s) => s.split_whitespace().map(str::to_owned).collect(),
    };
    if let Some(bad) = scopes.iter().find(|s| !dcr.allowed_scopes.contains(s)) {
        return Err(invalid(format!(
            "the scope {bad:?} is not allowed here; allowed: {}",
            dcr.allowed_scopes.join(" ")
        )));
    }
    Ok(Checked {
        redirect_uris: uris,
        client_name: m.client_name.clone(),
        grant_types,
        scopes,
    })
}

/// `POST /register`.
pub(crate) async fn register(
    state: State<AuthorizationServer>,
    req: Request,
) -> Result<(StatusCode, Json<Value>), OAuthError> {
    let answer = register_client(state, req).await;
    let outcome = match &answer {
        Ok(_) => "registered",
        Err(e) => e.code(),
    };
    metrics::counter!("cognito_mcp_registrations_total", "outcome" => outcome).increment(1);
    answer
}

async fn register_client(
    State(s): State<AuthorizationServer>,
    req: Request,
) -> Result<(StatusCode, Json<Value>), OAuthError> {
    let dcr = &s.inner.dcr;
    let store = &s.inner.store;
    let addr = client_address(req.headers(), req.extensions());
    if let Err(r) = s.inner.register_limit.check(addr, s.now_ms()) {
        tracing::warn!(address = %addr, ?r, "registration refused: rate limit");
        return Err(r.oauth_error(&format!(
            "{} registrations a minute from this address, or {} from everyone",
            dcr.registrations_per_minute, dcr.registrations_per_minute_total
        )));
    }
    if store.count(Kind::Client).await? >= dcr.max_clients {
        tracing::warn!(
            max_clients = dcr.max_clients,
            "registration refused: the store is full"
        );
        return Err(OAuthError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            format!(
                "the server holds its limit of {} registered clients; unused ones expire, retry later",
                dcr.max_clients
            ),
        )
        .retry_after(STORE_FULL_RETRY_SECS));
    }
    let body = http_body_util::Limited::new(req.into_body(), MAX_METADATA_BYTES)
        .collect()
        .await
        .map_err(|_| {
            OAuthError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_client_metadata",
                format!("the registration is over {MAX_METADATA_BYTES} bytes"),
            )
        })?
        .to_bytes();
    let m: Metadata = serde_json::from_slice(&body)
        .map_err(|e| invalid(format!("the body is not client metadata JSON: {e}")))?;
    let checked = check_metadata(&s, &m)?;
    let requested = m.token_endpoint_auth_method.as_deref();
    if let Some(r) = requested
        && !matches!(r, "none" | "client_secret_basic" | "client_secret_post")
    {
        return Err(invalid(format!(
            "token_endpoint_auth_method {r:?} is not supported; use none, client_secret_basic or client_secret_post"
        )));
    }
    let public = checked
        .client_name
        .as_deref()
        .is_some_and(|n| dcr.is_public_name(n))
        && !matches!(
            requested,
            Some("client_secret_basic" | "client_secret_post")
        );
    let (auth_method, secret) = if public {
        ("none".to_owned(), None)
    } else {
        let method = if requested == Some("client_secret_post") {
            "client_secret_post"
        } else {
            "client_secret_basic"
        };
        (method.to_owned(), Some(crypto::random_token()))
    };
    let client = Client {
        client_id: crypto::random_id(),
        secret_hash: secret.as_ref().map(|s| crypto::sha256_b64(s.as_bytes())),
        client_name: checked.client_name,
        redirect_uris: checked.redirect_uris,
        auth_method,
        scopes: checked.scopes,
        grant_types: checked.grant_types,
        issued_at: s.now(),
        metadata_document: false,
        last_used: None,
    };
    // Until a token is issued for it, the registration lives `unused_client_ttl`.
    let unused = dcr.unused_client_ttl;
    store
        .put(
            Kind::Client,
            &client.client_id,
            model::encode(&client),
            (!unused.is_zero()).then_some(unused),
        )
        .await?;
    tracing::info!(client_id = %client.client_id, name = ?client.client_name, public, "client registered");
    let mut out = json!({
        "client_id": client.client_id,
        "client_id_issued_at": client.issued_at,
        "redirect_uris": client.redirect_uris,
        "token_endpoint_auth_method": client.auth_method,
        "grant_types": client.grant_types,
        "response_types": ["code"],
        "scope": client.scopes.join(" "),
    });
    if let Some(name) = &client.client_name {
        out["client_name"] = json!(name);
    }
    if let Some(secret) = secret {
        out["client_secret"] = json!(secret);
        out["client_secret_expires_at"] = json!(0);
    }
    Ok((StatusCode::CREATED, Json(out)))
}
