//! `GET /authorize` and `POST /consent`: the client's request is checked, shown to the user,
//! and on approval handed to the upstream.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::{HeaderMap, StatusCode};

use super::binding::{self, Binding};
use super::error::store_failure;
use super::limits::{Counted, Refusal};
use super::model::{self, AuthRequest, Consent, Transaction};
use super::pages::{self, ConsentView};
use super::upstream::UpstreamRequest;
use super::{AuthorizationServer, ClientAddress, cookie, crypto, pre_consent, redirect};
use crate::store::Kind;

/// The consent-memory cookie's name (after the `__Host-` prefix on https).
const MEMORY_COOKIE: &str = "cognito_mcp_consent";
const MAX_STATE_LEN: usize = 2048;

/// A redirect to the client carrying an OAuth error (RFC 6749 §4.1.2.1) and `iss` (RFC 9207).
pub(crate) fn error_redirect(
    s: &AuthorizationServer,
    redirect_uri: &str,
    state: Option<&str>,
    code: &str,
    description: &str,
) -> Response {
    let mut url = match url::Url::parse(redirect_uri) {
        Ok(u) => u,
        Err(_) => return pages::error(StatusCode::BAD_REQUEST, "Invalid redirect", description),
    };
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("error", code)
            .append_pair("error_description", description);
        if let Some(st) = state {
            q.append_pair("state", st);
        }
        q.append_pair("iss", s.issuer());
    }
    Redirect::to(url.as_str()).into_response()
}

fn set_cookie(resp: &mut Response, s: &AuthorizationServer, name: &str, value: &str, max_age: u64) {
    binding::set_cookie(
        resp.headers_mut(),
        s.inner.secure_cookies,
        name,
        value,
        max_age,
    );
}

/// The consent-memory cookie's name here.
fn memory_cookie(s: &AuthorizationServer) -> String {
    binding::cookie_name(s.inner.secure_cookies, MEMORY_COOKIE)
}

fn remembered_key(browser: &str, r: &AuthRequest) -> String {
    let mut scopes = r.scopes.clone();
    scopes.sort();
    format!(
        "{browser}\n{}\n{}\n{}",
        r.client_id,
        r.redirect_uri,
        scopes.join(" ")
    )
}

/// `GET /authorize`.
pub(crate) async fn authorize(
    State(s): State<AuthorizationServer>,
    addr: ClientAddress,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    // Counted before anything else, so a flood costs no lookup or metadata fetch.
    if let Err(r) = s.inner.authorize_limit.check(addr, s.now_ms()) {
        tracing::warn!(address = %addr, ?r, "authorization refused: rate limit");
        return r.page(Counted::Requests);
    }
    match authorize_inner(&s, addr, &headers, &q).await {
        Ok(r) | Err(r) => r,
    }
}

async fn authorize_inner(
    s: &AuthorizationServer,
    addr: ClientAddress,
    headers: &HeaderMap,
    q: &HashMap<String, String>,
) -> Result<Response, Response> {
    let bad_page = |title: &str, msg: String| pages::error(StatusCode::BAD_REQUEST, title, &msg);
    // Until the client and its redirect URI are known good, errors stay on this server: a
    // redirect to an unchecked URI would be an open redirect.
    let client_id = q.get("client_id").map(String::as_str).unwrap_or("");
    if client_id.is_empty() {
        return Err(bad_page(
            "Missing client",
            "The request has no client_id.".into(),
        ));
    }
    let client = match s.client(client_id).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return Err(bad_page(
                "Unknown application",
                format!(
                    "The client {client_id:?} is not registered here; the application must register again."
                ),
            ));
        }
        Err(e) => return Err(e.into_page("This application cannot sign in")),
    };
    let Some(redirect_uri) = q.get("redirect_uri").cloned() else {
        return Err(bad_page(
            "Missing redirect",
            "The request has no redirect_uri.".into(),
        ));
    };
    if !client
        .redirect_uris
        .iter()
        .any(|r| redirect::matches(r, &redirect_uri))
    {
        return Err(bad_page(
            "Redirect not registered",
            format!("The redirect URI {redirect_uri:?} is not one this application registered."),
        ));
    }
    let state = q.get("state").cloned();
    if state.as_ref().is_some_and(|st| st.len() > MAX_STATE_LEN) {
        return Err(bad_page(
            "State too long",
            format!("state is over {MAX_STATE_LEN} characters."),
        ));
    }
    // Nobody has consented yet: a page, not a redirect, unless the operator trusts the URI.
    let fail = |code: &str, msg: &str| {
        pre_consent::refuse(s, &client, &redirect_uri, state.as_deref(), code, msg)
    };
    if q.get("response_type").map(String::as_str) != Some("code") {
        return Err(fail(
            "unsupported_response_type",
            "response_type must be code",
        ));
    }
    let Some(challenge) = q.get("code_challenge").filter(|c| crypto::is_pkce_value(c)) else {
        return Err(fail(
            "invalid_request",
            "PKCE is required: send code_challenge (43-128 characters) with code_challenge_method=S256",
        ));
    };
    if q.get("code_challenge_method").map(String::as_str) != Some("S256") {
        return Err(fail(
            "invalid_request",
            "code_challenge_method must be S256; plain is not accepted",
        ));
    }
    let resource = match q.get("resource") {
        Some(r) if cognito_jwt::same_resource(r, s.resource()) => s.resource().to_owned(),
        Some(r) => {
            return Err(fail(
                "invalid_target",
                &format!("resource {r:?} is not served here; use {}", s.resource()),
            ));
        }
        None => s.resource().to_owned(),
    };
    let scopes: Vec<String> = match q.get("scope").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        Some(sc) => sc.split_whitespace().map(str::to_owned).collect(),
        None => client.scopes.clone(),
    };
    if let Some(bad) = scopes.iter().find(|x| !client.scopes.contains(x)) {
        return Err(fail(
            "invalid_scope",
            &format!(
                "the scope {bad} was not registered by this client; registered: {}",
                client.scopes.join(" ")
            ),
        ));
    }
    let request = AuthRequest {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.clone(),
        code_challenge: challenge.clone(),
        state: state.clone(),
        scopes,
        resource,
    };
    // A binding of this transaction's own: never a value the browser already sends.
    let (bind, bind_value) = Binding::issue(s.inner.secure_cookies);
    let ttl = s.inner.lifetimes.transaction;

    // A consent remembered in this browser for this very request skips the page.
    let memory = s.inner.lifetimes.consent_memory;
    if !memory.is_zero()
        && let Some(browser) = cookie(headers, &memory_cookie(s))
        && s.inner
            .store
            .get(Kind::Remembered, &remembered_key(browser, &request))
            .await
            .map_err(store_failure)?
            .is_some()
    {
        let mut resp = start_upstream(s, request, bind.clone(), addr).await?;
        set_cookie(&mut resp, s, &bind.cookie, &bind_value, ttl.as_secs());
        return Ok(resp);
    }

    let txn = crypto::random_token();
    let csrf = crypto::random_token();
    let consent = Consent {
        request,
        csrf: csrf.clone(),
        binding: bind.clone(),
    };
    reserve(s, &txn, addr, ttl).map_err(|r| r.page(Counted::Waiting))?;
    if let Err(e) = s
        .inner
        .store
        .put(Kind::Consent, &txn, model::encode(&consent), Some(ttl))
        .await
    {
        s.inner.pending.release(&txn);
        return Err(store_failure(e));
    }
    let descriptions = &s.inner.scope_descriptions;
    let view = ConsentView {
        client_name: client.client_name.as_deref().unwrap_or(&client.client_id),
        client_id: &client.client_id,
        redirect_host: &redirect::host_of(&redirect_uri),
        loopback: redirect::is_loopback_uri(&redirect_uri),
        resource_name: &s.inner.resource_name,
        scopes: consent
            .request
            .scopes
            .iter()
            .map(|sc| {
                let d = descriptions
                    .iter()
                    .find(|(k, _)| k == sc)
                    .map(|(_, d)| d.clone());
                (sc.clone(), d)
            })
            .collect(),
        txn: &txn,
        csrf: &csrf,
    };
    let mut resp = pages::consent(&view);
    set_cookie(&mut resp, s, &bind.cookie, &bind_value, ttl.as_secs());
    Ok(resp)
}

/// Reserves room for a pending record `key` from `addr` (consent or transaction).
fn reserve(
    s: &AuthorizationServer,
    key: &str,
    addr: ClientAddress,
    ttl: std::time::Duration,
) -> Result<(), Refusal> {
    let now = s.now_ms();
    let until = now.saturating_add(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX));
    s.inner
        .pending
        .reserve(key, addr, now, until)
        .inspect_err(|r| {
            tracing::warn!(address = %addr, ?r, "authorization refused: too many pending sign-ins");
        })
}

/// Saves the upstream transaction and redirects the browser to the upstream's sign-in.
async fn start_upstream(
    s: &AuthorizationServer,
    request: AuthRequest,
    binding: Binding,
    addr: ClientAddress,
) -> Result<Response, Response> {
    let verifier = crypto::random_token();
    let up = UpstreamRequest {
        state: crypto::random_token(),
        code_challenge: crypto::pkce_challenge(&verifier),
        code_verifier: verifier,
        nonce: crypto::random_token(),
        redirect_uri: s.inner.callback.clone(),
        issuer: s.inner.issuer.clone(),
    };
    // Reserved before the upstream writes its own state for this sign-in (the sign-in page's).
    reserve(s, &up.state, addr, s.inner.lifetimes.transaction)
        .map_err(|r| r.page(Counted::Waiting))?;
    let url = match s.inner.upstream.authorize_url(&up).await {
        Ok(u) => u,
        Err(e) => {
            s.inner.pending.release(&up.state);
            tracing::error!(error = %e, "cannot start the upstream sign-in");
            return Err(error_redirect(
                s,
                &request.redirect_uri,
                request.state.as_deref(),
                "temporarily_unavailable",
                "the sign-in service is unavailable; try again shortly",
            ));
        }
    };
    let txn = Transaction {
        request,
        binding,
        code_verifier: up.code_verifier,
        nonce: up.nonce,
    };
    if let Err(e) = s
        .inner
        .store
        .put(
            Kind::Transaction,
            &up.state,
            model::encode(&txn),
            Some(s.inner.lifetimes.transaction),
        )
        .await
    {
        s.inner.pending.release(&up.state);
        return Err(store_failure(e));
    }
    Ok(Redirect::to(&url).into_response())
}

/// `POST /consent`.
pub(crate) async fn consent(
    State(s): State<AuthorizationServer>,
    addr: ClientAddress,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let bad = |msg: &str| pages::error(StatusCode::BAD_REQUEST, "This approval is not valid", msg);
    let (Some(txn), Some(csrf)) = (form.get("txn"), form.get("csrf")) else {
        return bad("The form is incomplete.");
    };
    // Taken, not read: a consent form works once, whatever the outcome.
    let consent: Consent = match s.take_record(Kind::Consent, txn).await {
        Ok(Some(c)) => {
            s.inner.pending.release(txn);
            c
        }
        Ok(None) => return bad("It expired or was already used."),
        Err(e) => return store_failure(e),
    };
    if !crypto::ct_eq(csrf, &consent.csrf) {
        tracing::warn!("consent refused: CSRF token mismatch");
        return bad("The form's security token does not match.");
    }
    if !consent.binding.holds(&headers) {
        tracing::warn!("consent refused: browser-binding cookie missing or different");
        return bad("This browser did not start the request (its cookie is missing or different).");
    }
    let request = consent.request;
    match form.get("action").map(String::as_str) {
        Some("approve") => {}
        _ => {
            return error_redirect(
                &s,
                &request.redirect_uri,
                request.state.as_deref(),
                "access_denied",
                "the user denied the request",
            );
        }
    }
    let memory = s.inner.lifetimes.consent_memory;
    let mut browser_cookie = None;
    if !memory.is_zero() {
        let browser = cookie(&headers, &memory_cookie(&s))
            .filter(|v| v.len() == 43)
            .map_or_else(crypto::random_token, str::to_owned);
        if let Err(e) = s
            .inner
            .store
            .put(
                Kind::Remembered,
                &remembered_key(&browser, &request),
                Vec::new(),
                Some(memory),
            )
            .await
        {
            return store_failure(e);
        }
        browser_cookie = Some(browser);
    }
    let mut resp = match start_upstream(&s, request, consent.binding, addr).await {
        Ok(r) | Err(r) => r,
    };
    if let Some(b) = browser_cookie {
        set_cookie(&mut resp, &s, &memory_cookie(&s), &b, memory.as_secs());
    }
    resp
}
