//! The sign-in page's routes: `GET /login`, `POST /login` (username and password) and
//! `POST /login/challenge` (each challenge's answer, in `challenge`).
//!
//! Every form carries the transaction's `state` and a one-time CSRF token, and every step
//! also needs the browser-binding cookie issued at `/authorize`; the state of a sign-in under
//! way (its Cognito session) is kept in the store, so any instance can serve any step. A POST
//! takes that state out of the store (atomically) before anything else happens, so a form
//! works once: a replayed or parallel POST finds nothing and never reaches Cognito.

use std::collections::HashMap;
use std::time::Duration;

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use cognito_idp::{AuthStep, Secret};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};

use super::challenge::{self, list_param};
use super::cognito::Failure;
use super::lockout::Subject;
use super::pages::{self, Form as PageForm};
use super::{CognitoLogin, FinishedSignIn};
use crate::authz::model::{self, Transaction};
use crate::authz::upstream::{UpstreamError, UpstreamRequest};
use crate::authz::{ClientAddress, crypto, pages as common};
use crate::store::{Kind, StoreError};

/// How long a finished sign-in waits for the callback.
const FINISHED_TTL: Duration = Duration::from_secs(120);

/// A sign-in under way, keyed by the transaction's `state`.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct LoginState {
    /// Where the sign-in ends (the authorization server's callback).
    callback: String,
    /// The form token the next POST must carry.
    csrf: String,
    /// The challenge being answered.
    pub(super) pending: Option<Pending>,
}

/// Who is signing in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Who {
    /// What the username field said: sent to Cognito and shown back to the user, never
    /// logged (it may be a password typed one field too early).
    pub(super) typed: String,
    /// Its keyed tag, for the log.
    pub(super) tag: String,
    /// The user it resolves to (`sub`), or `?` and the tag for a name no user has: the key
    /// of the failure counters, so a user's username, email and phone share one budget.
    pub(super) user: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Pending {
    pub(super) name: String,
    pub(super) session: String,
    /// The username to answer as (Cognito's canonical one).
    pub(super) username: String,
    pub(super) who: Who,
    pub(super) params: HashMap<String, String>,
    /// The TOTP key being enrolled, shown again after a wrong first code.
    pub(super) totp_secret: Option<String>,
}

pub(super) fn routes(login: CognitoLogin) -> Router {
    Router::new()
        .route("/login", get(show).post(sign_in))
        .route("/login/challenge", post(challenge::answer))
        .with_state(login)
}

/// Called when the authorization server starts a sign-in: remembers where it ends.
pub(super) async fn begin(login: &CognitoLogin, r: &UpstreamRequest) -> Result<(), UpstreamError> {
    let st = LoginState {
        callback: r.redirect_uri.clone(),
        csrf: crypto::random_token(),
        pending: None,
    };
    login
        .put_state(&r.state, &st)
        .await
        .map_err(|e| UpstreamError::Unavailable(e.to_string()))
}

pub(super) fn gone() -> Response {
    common::error(
        StatusCode::BAD_REQUEST,
        "This sign-in is no longer valid",
        "It expired, was already finished, or this browser did not start it.",
    )
}

fn unavailable(detail: &str) -> Response {
    tracing::warn!(detail, "sign-in page: Cognito unavailable");
    let mut r = common::error(
        StatusCode::SERVICE_UNAVAILABLE,
        "The sign-in service is unavailable",
        "Cognito could not be reached or failed. Go back to your application and start again in a moment.",
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    r
}

pub(super) fn store_down(e: StoreError) -> Response {
    tracing::error!(error = %e, "sign-in page: state store failed");
    let mut r = common::error(
        StatusCode::SERVICE_UNAVAILABLE,
        "The sign-in service is unavailable",
        "The server cannot reach its state store. Wait a moment and try again.",
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    r
}

/// The lockout's address key: the one client address every per-address rule counts by
/// (IPv6 by /64).
pub(super) fn client_ip(addr: ClientAddress) -> String {
    addr.to_string()
}

impl CognitoLogin {
    async fn put_state(&self, state: &str, st: &LoginState) -> Result<(), StoreError> {
        self.inner
            .store
            .put(
                Kind::Login,
                state,
                model::encode(st),
                Some(Duration::from_secs(600)),
            )
            .await
    }

    /// Whether `state` is a live transaction that this browser started (it holds the
    /// binding cookie issued for it).
    async fn bound(&self, state: &str, headers: &HeaderMap) -> Result<bool, StoreError> {
        if state.is_empty() || state.len() > 128 {
            return Ok(false);
        }
        let Some(txn) = self.inner.store.get(Kind::Transaction, state).await? else {
            return Ok(false);
        };
        let txn: Transaction = model::decode(&txn)?;
        if !txn.binding.holds(headers) {
            tracing::warn!("sign-in page refused: browser-binding cookie missing or different");
            return Ok(false);
        }
        Ok(true)
    }

    /// The sign-in of `state`, when this browser started it and it is still under way.
    async fn load(
        &self,
        state: &str,
        headers: &HeaderMap,
    ) -> Result<Option<LoginState>, StoreError> {
        if !self.bound(state, headers).await? {
            return Ok(None);
        }
        let Some(st) = self.inner.store.get(Kind::Login, state).await? else {
            return Ok(None);
        };
        model::decode(&st).map(Some)
    }

    /// Takes the sign-in of a POST out of the store and checks its CSRF token. Taken, not
    /// read: of two POSTs of one form (a replay, a double click, a parallel burst) only one
    /// gets it, before Cognito is asked; each page saves it again with a new token. A wrong
    /// token puts it back untouched.
    pub(super) async fn load_post(
        &self,
        form: &HashMap<String, String>,
        headers: &HeaderMap,
    ) -> Result<(String, LoginState), Response> {
        let out_of_date = || {
            common::error(
                StatusCode::FORBIDDEN,
                "This form is out of date",
                "The page was submitted twice, from another tab, or from another site. Go back to your application and start again.",
            )
        };
        let state = form.get("state").cloned().unwrap_or_default();
        match self.bound(&state, headers).await {
            Ok(true) => {}
            Ok(false) => return Err(gone()),
            Err(e) => return Err(store_down(e)),
        }
        let st: LoginState = match self.inner.store.take(Kind::Login, &state).await {
            Ok(Some(b)) => model::decode(&b).map_err(store_down)?,
            Ok(None) => {
                tracing::warn!("sign-in page refused: the form was already used");
                return Err(out_of_date());
            }
            Err(e) => return Err(store_down(e)),
        };
        let csrf = form.get("csrf").map(String::as_str).unwrap_or_default();
        if !crypto::ct_eq(csrf, &st.csrf) {
            tracing::warn!("sign-in page refused: CSRF token missing or stale");
            // Put back as it was: a stale tab's form must not end the sign-in of the current
            // one. Only this request holds the record, so nothing newer is overwritten.
            self.put_state(&state, &st).await.map_err(store_down)?;
            return Err(out_of_date());
        }
        Ok((state, st))
    }

    /// Saves `st` with a fresh CSRF token and returns the page's form fields.
    pub(super) async fn render<'a>(
        &'a self,
        state: &'a str,
        st: &mut LoginState,
    ) -> Result<(String, &'a str), Response> {
        st.csrf = crypto::random_token();
        self.put_state(state, st).await.map_err(store_down)?;
        Ok((st.csrf.clone(), &self.inner.title))
    }

    /// Carries a sign-in one step further: to the callback, or to the next challenge's page.
    pub(super) async fn advance(
        &self,
        state: &str,
        mut st: LoginState,
        who: &Who,
        step: AuthStep,
    ) -> Result<Response, Response> {
        match step {
            AuthStep::SignedIn(tokens) => {
                let id = tokens.id_token.as_ref().map(Secret::expose);
                let refresh = tokens.refresh_token.as_ref().map(|t| t.expose().to_owned());
                let grant = self
                    .grant(tokens.access_token.expose(), id, refresh, &who.typed)
                    .await
                    .map_err(|e| {
                        tracing::error!(error = %e, "Cognito's tokens failed verification");
                        common::error(
                            StatusCode::BAD_GATEWAY,
                            "The sign-in could not be verified",
                            "Cognito's answer did not verify. Tell the administrator; the server log has the reason.",
                        )
                    })?;
                let l = &self.inner.lockout;
                self.succeeded(&Subject::user(&who.user, l))
                    .await
                    .map_err(store_down)?;
                metrics::counter!("cognito_mcp_sign_in_attempts_total", "outcome" => "ok")
                    .increment(1);
                let code = crypto::random_token();
                let username = grant.identity.username.clone().unwrap_or_default();
                let done = FinishedSignIn {
                    state: state.to_owned(),
                    identity: grant.identity,
                    scopes: grant.scopes,
                    refresh: grant.refresh_token,
                    id: grant.id_token,
                };
                let store = &self.inner.store;
                store
                    .put(
                        Kind::LoginGrant,
                        &code,
                        model::encode(&done),
                        Some(FINISHED_TTL),
                    )
                    .await
                    .map_err(store_down)?;
                store.remove(Kind::Login, state).await.map_err(store_down)?;
                // The verified token's username, not the typed text.
                tracing::info!(%username, user = %who.tag, "signed in on the sign-in page");
                let mut url = url::Url::parse(&st.callback).map_err(|_| gone())?;
                url.query_pairs_mut()
                    .append_pair("code", &code)
                    .append_pair("state", state);
                Ok(Redirect::to(url.as_str()).into_response())
            }
            AuthStep::Challenge(c) => {
                let (name, session, params) = (c.name, c.session.expose().to_owned(), c.parameters);
                let username = params
                    .get("USERNAME")
                    .or_else(|| params.get("USER_ID_FOR_SRP"))
                    .cloned()
                    .or_else(|| st.pending.as_ref().map(|p| p.username.clone()))
                    .unwrap_or_else(|| who.typed.clone());
                let mut pending = Pending {
                    name,
                    session,
                    username,
                    who: who.clone(),
                    params,
                    totp_secret: None,
                };
                if pending.name == "MFA_SETUP" {
                    let can = list_param(&pending.params, "MFAS_CAN_SETUP");
                    if !can.is_empty() && !can.iter().any(|m| m == "SOFTWARE_TOKEN_MFA") {
                        return Err(common::error(
                            StatusCode::CONFLICT,
                            "This account needs a second step this page cannot set up",
                            "The pool asks for SMS or email MFA to be set up first. Ask the administrator to set it up for your account.",
                        ));
                    }
                    let (secret, session) = self
                        .inner
                        .cognito
                        .associate_totp(&pending.session)
                        .await
                        .map_err(|f| self.failure_page(f))?;
                    pending.session = session;
                    pending.totp_secret = Some(secret.to_string());
                }
                if !challenge::SUPPORTED.contains(&pending.name.as_str()) {
                    tracing::warn!(challenge = %pending.name, "sign-in page: unsupported challenge");
                    return Err(common::error(
                        StatusCode::NOT_IMPLEMENTED,
                        "This sign-in needs a step this page does not support",
                        &format!(
                            "Cognito asked for {}. Ask the administrator to use the hosted sign-in for this pool.",
                            pending.name
                        ),
                    ));
                }
                st.pending = Some(pending);
                self.challenge_page(state, &mut st, None, StatusCode::OK)
                    .await
            }
        }
    }

    /// The page for a failed Cognito call that is not the user's mistake.
    pub(super) fn failure_page(&self, f: Failure) -> Response {
        match f {
            Failure::Misconfigured(detail) => {
                tracing::error!(detail = %detail, "sign-in page: Cognito refused the configuration");
                common::error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The sign-in is misconfigured",
                    "Cognito refused this server's request. Tell the administrator; the server log has the reason.",
                )
            }
            Failure::Unavailable(d) => unavailable(&d),
            Failure::Throttled => unavailable("throttled by Cognito"),
            other => unavailable(&format!("{other:?}")),
        }
    }

    /// The sign-in form again, with a message.
    pub(super) async fn sign_in_again(
        &self,
        state: &str,
        st: &mut LoginState,
        username: &str,
        error: &str,
        status: StatusCode,
    ) -> Response {
        st.pending = None;
        match self.render(state, st).await {
            Ok((csrf, title)) => {
                let f = PageForm {
                    state,
                    csrf: &csrf,
                    title,
                };
                pages::sign_in(&f, username, Some(error), status)
            }
            Err(r) => r,
        }
    }

    /// Who `typed` is: its tag, and the user it resolves to (AdminGetUser accepts every
    /// alias). A name no user has is counted under its tag, and answered like a wrong
    /// password later, so the page never tells the two apart.
    async fn who(&self, typed: &str) -> Result<Who, Response> {
        let tag = self
            .inner
            .tagger
            .tag(self.inner.store.as_ref(), typed)
            .await
            .map_err(store_down)?;
        let user = match self.inner.cognito.resolve(typed).await {
            Ok(Some(key)) => key,
            Ok(None) => format!("?{tag}"),
            Err(f) => return Err(self.failure_page(f)),
        };
        Ok(Who {
            typed: typed.to_owned(),
            tag,
            user,
        })
    }
}

pub(super) fn locked_message(secs: u64) -> String {
    format!(
        "Too many failed sign-in attempts. Wait {} and try again.",
        if secs < 90 {
            format!("{secs} seconds")
        } else {
            format!("{} minutes", secs.div_ceil(60))
        }
    )
}

pub(super) fn with_retry_after(mut r: Response, secs: u64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

#[derive(Deserialize)]
struct ShowQuery {
    #[serde(default)]
    state: String,
}

/// `GET /login?state=...`.
async fn show(
    State(login): State<CognitoLogin>,
    headers: HeaderMap,
    Query(q): Query<ShowQuery>,
) -> Response {
    let mut st = match login.load(&q.state, &headers).await {
        Ok(Some(st)) => st,
        Ok(None) => return gone(),
        Err(e) => return store_down(e),
    };
    match login
        .challenge_page(&q.state, &mut st, None, StatusCode::OK)
        .await
    {
        Ok(r) | Err(r) => r,
    }
}

/// `POST /login`: username and password.
async fn sign_in(
    State(login): State<CognitoLogin>,
    headers: HeaderMap,
    ci: ClientAddress,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (state, mut st) = match login.load_post(&form, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let ip = client_ip(ci);
    let typed = form
        .get("username")
        .map(|u| u.trim().to_owned())
        .unwrap_or_default();
    let password = zeroize::Zeroizing::new(form.get("password").cloned().unwrap_or_default());
    if typed.is_empty() || password.is_empty() || typed.len() > 128 || password.len() > 256 {
        return login
            .sign_in_again(
                &state,
                &mut st,
                &typed,
                "Enter your username and your password.",
                StatusCode::BAD_REQUEST,
            )
            .await;
    }
    let l = &login.inner.lockout;
    let address = Subject::address(&ip, l);
    // A locked address costs no AdminGetUser.
    match login.locked(std::slice::from_ref(&address)).await {
        Ok(Some(secs)) => {
            tracing::warn!(%ip, "sign-in refused: the address is locked out");
            return login.locked_out(&state, &mut st, &typed, secs).await;
        }
        Ok(None) => {}
        Err(e) => return store_down(e),
    }
    let who = match login.who(&typed).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    if let Some(r) = login
        .refuse_unless_reserved(&state, &mut st, &who, &ip)
        .await
    {
        return r;
    }
    match login.inner.cognito.start(&typed, &password).await {
        Ok(step) => match login.advance(&state, st, &who, step).await {
            Ok(r) | Err(r) => r,
        },
        Err(f) => login.refused(&state, st, &who, &ip, f).await,
    }
}

impl CognitoLogin {
    /// The sign-in form saying the user (or the address) is locked out for `secs`: 429 with
    /// `Retry-After`.
    pub(super) async fn locked_out(
        &self,
        state: &str,
        st: &mut LoginState,
        typed: &str,
        secs: u64,
    ) -> Response {
        let r = self
            .sign_in_again(
                state,
                st,
                typed,
                &locked_message(secs),
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await;
        with_retry_after(r, secs)
    }

    /// The subjects of `who`'s attempts from `ip`.
    pub(super) fn subjects(&self, who: &Who, ip: &str) -> [Subject; 2] {
        let l = &self.inner.lockout;
        [Subject::user(&who.user, l), Subject::address(ip, l)]
    }

    /// Takes an attempt of the user and of the address before Cognito is asked; the lockout
    /// answer when either is used up, `None` to go on.
    pub(super) async fn refuse_unless_reserved(
        &self,
        state: &str,
        st: &mut LoginState,
        who: &Who,
        ip: &str,
    ) -> Option<Response> {
        match self.reserve(&self.subjects(who, ip)).await {
            Ok(Some(secs)) => {
                metrics::counter!("cognito_mcp_sign_in_attempts_total", "outcome" => "locked_out")
                    .increment(1);
                tracing::warn!(user = %who.tag, %ip, "sign-in refused: locked out");
                Some(self.locked_out(state, st, &who.typed, secs).await)
            }
            Ok(None) => None,
            Err(e) => Some(store_down(e)),
        }
    }

    /// The answer to a refused sign-in or challenge step. The attempt was counted before
    /// Cognito was asked; this only says whether the budget is now used up.
    pub(super) async fn refused(
        &self,
        state: &str,
        mut st: LoginState,
        who: &Who,
        ip: &str,
        f: Failure,
    ) -> Response {
        metrics::counter!("cognito_mcp_sign_in_attempts_total", "outcome" => f.code()).increment(1);
        let message = match &f {
            Failure::BadCredentials => "Incorrect username or password.",
            Failure::CognitoLockout => {
                "Too many failed sign-in attempts for this account. Wait a while and try again."
            }
            Failure::SessionExpired => "The sign-in took too long and expired. Sign in again.",
            Failure::PasswordResetRequired => {
                "This account's password must be reset first. Ask the administrator, or use \"forgot password\" in your application."
            }
            Failure::NotConfirmed => {
                "This account is not confirmed yet. Confirm it first, then sign in."
            }
            Failure::Unavailable(_) | Failure::Throttled => {
                // The form was used up; a new one, so the user can simply try again.
                tracing::warn!(reason = ?f, "sign-in page: Cognito unavailable");
                let r = self
                    .sign_in_again(
                        state,
                        &mut st,
                        &who.typed,
                        "The sign-in service is unavailable. Wait a moment and try again.",
                        StatusCode::SERVICE_UNAVAILABLE,
                    )
                    .await;
                return with_retry_after(r, 5);
            }
            _ => return self.failure_page(f),
        };
        tracing::info!(user = %who.tag, %ip, reason = ?f, "sign-in refused");
        let mut status = StatusCode::UNAUTHORIZED;
        let mut text = message.to_owned();
        let mut retry = None;
        if matches!(f, Failure::BadCredentials | Failure::CognitoLockout) {
            match self.locked(&self.subjects(who, ip)).await {
                Ok(Some(secs)) => {
                    status = StatusCode::TOO_MANY_REQUESTS;
                    text = format!("{message} {}", locked_message(secs));
                    retry = Some(secs);
                }
                Ok(None) => {}
                Err(e) => return store_down(e),
            }
        }
        let r = self
            .sign_in_again(state, &mut st, &who.typed, &text, status)
            .await;
        match retry {
            Some(secs) => with_retry_after(r, secs),
            None => r,
        }
    }
}
