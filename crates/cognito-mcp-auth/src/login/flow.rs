//! The sign-in page's routes: `GET /login`, `POST /login` (username and password) and
//! `POST /login/challenge` (each challenge's answer).
//!
//! Every form carries the transaction's `state` and a one-time CSRF token, and every step
//! also needs the browser-binding cookie set at `/authorize`; the state of a sign-in under way
//! (its Cognito session) is kept in the store, so any instance can serve any step.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};

use super::cognito::{Failure, Step};
use super::pages::{self, CodeKind, Form as PageForm};
use super::{CognitoLogin, FinishedSignIn};
use crate::authz::authorize::BINDING_COOKIE;
use crate::authz::model::{self, Transaction};
use crate::authz::upstream::{UpstreamError, UpstreamRequest};
use crate::authz::{ClientAddress, cookie, crypto, pages as common};
use crate::store::{Kind, StoreError};

/// How long a finished sign-in waits for the callback.
const FINISHED_TTL: Duration = Duration::from_secs(120);

/// A sign-in under way, keyed by the transaction's `state`.
#[derive(Debug, Serialize, Deserialize)]
struct LoginState {
    /// Where the sign-in ends (the authorization server's callback).
    callback: String,
    /// The form token the next POST must carry.
    csrf: String,
    /// The challenge being answered.
    pending: Option<Pending>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    name: String,
    session: String,
    /// The username to answer as (Cognito's canonical one).
    username: String,
    /// What the username field said (failure counters are kept by it).
    typed: String,
    params: HashMap<String, String>,
    /// The TOTP key being enrolled, shown again after a wrong first code.
    totp_secret: Option<String>,
}

pub(super) fn routes(login: CognitoLogin) -> Router {
    Router::new()
        .route("/login", get(show).post(sign_in))
        .route("/login/challenge", post(answer))
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

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn gone() -> Response {
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
        "Cognito could not be reached or failed. Wait a moment and try again.",
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    r
}

fn store_down(e: StoreError) -> Response {
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
fn client_ip(addr: ClientAddress) -> String {
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

    /// The sign-in of `state`, when this browser started it and it is still under way.
    async fn load(
        &self,
        state: &str,
        headers: &HeaderMap,
    ) -> Result<Option<LoginState>, StoreError> {
        if state.is_empty() || state.len() > 128 {
            return Ok(None);
        }
        let store = &self.inner.store;
        let Some(txn) = store.get(Kind::Transaction, state).await? else {
            return Ok(None);
        };
        let txn: Transaction = model::decode(&txn)?;
        let bound = cookie(headers, BINDING_COOKIE)
            .is_some_and(|b| crypto::ct_eq(&crypto::sha256_b64(b.as_bytes()), &txn.binding));
        if !bound {
            tracing::warn!("sign-in page refused: browser-binding cookie missing or different");
            return Ok(None);
        }
        let Some(st) = store.get(Kind::Login, state).await? else {
            return Ok(None);
        };
        model::decode(&st).map(Some)
    }

    /// Loads the sign-in of a POST and checks its CSRF token.
    async fn load_post(
        &self,
        form: &HashMap<String, String>,
        headers: &HeaderMap,
    ) -> Result<(String, LoginState), Response> {
        let state = form.get("state").cloned().unwrap_or_default();
        let st = match self.load(&state, headers).await {
            Ok(Some(st)) => st,
            Ok(None) => return Err(gone()),
            Err(e) => return Err(store_down(e)),
        };
        let csrf = form.get("csrf").map(String::as_str).unwrap_or_default();
        if !crypto::ct_eq(csrf, &st.csrf) {
            tracing::warn!("sign-in page refused: CSRF token missing or stale");
            return Err(common::error(
                StatusCode::FORBIDDEN,
                "This form is out of date",
                "The page was submitted twice, from another tab, or from another site. Go back to your application and start again.",
            ));
        }
        Ok((state, st))
    }

    /// Saves `st` with a fresh CSRF token and returns the page's form fields.
    async fn render<'a>(
        &'a self,
        state: &'a str,
        st: &mut LoginState,
    ) -> Result<(String, &'a str), Response> {
        st.csrf = crypto::random_token();
        self.put_state(state, st).await.map_err(store_down)?;
        Ok((st.csrf.clone(), &self.inner.title))
    }

    /// Seconds `subject` is locked out for, if it is.
    async fn locked(&self, subject: &str) -> Result<Option<u64>, StoreError> {
        let Some(v) = self
            .inner
            .store
            .get(Kind::RateLimit, &format!("login-lock:{subject}"))
            .await?
        else {
            return Ok(None);
        };
        let until: u64 = String::from_utf8_lossy(&v).parse().unwrap_or(0);
        let now = now();
        Ok((until > now).then(|| until - now))
    }

    /// Counts a failure of `subject`; past `free` failures, locks it out (doubling).
    async fn fail(&self, subject: &str, free: u64) -> Result<(), StoreError> {
        let l = &self.inner.lockout;
        let n = self
            .inner
            .store
            .incr(
                Kind::RateLimit,
                &format!("login-fail:{subject}"),
                1,
                l.window,
            )
            .await?;
        if n >= free {
            let doublings = (n - free).min(20) as u32;
            let delay = l
                .base_delay
                .saturating_mul(2u32.saturating_pow(doublings))
                .min(l.max_delay);
            let until = now() + delay.as_secs();
            self.inner
                .store
                .put(
                    Kind::RateLimit,
                    &format!("login-lock:{subject}"),
                    until.to_string().into_bytes(),
                    Some(delay),
                )
                .await?;
        }
        Ok(())
    }

    /// The longest lockout among the username and the address, if any.
    async fn lockout(&self, typed: &str, ip: &str) -> Result<Option<u64>, StoreError> {
        let user = self.locked(&user_subject(typed)).await?;
        let addr = self.locked(&format!("ip:{ip}")).await?;
        Ok(user.max(addr))
    }

    async fn failed(&self, typed: &str, ip: &str) -> Result<Option<u64>, StoreError> {
        let l = self.inner.lockout;
        self.fail(&user_subject(typed), l.per_username).await?;
        self.fail(&format!("ip:{ip}"), l.per_address).await?;
        self.lockout(typed, ip).await
    }

    async fn succeeded(&self, typed: &str) -> Result<(), StoreError> {
        let s = user_subject(typed);
        let store = &self.inner.store;
        store
            .remove(Kind::RateLimit, &format!("login-fail:{s}"))
            .await?;
        store
            .remove(Kind::RateLimit, &format!("login-lock:{s}"))
            .await?;
        Ok(())
    }

    /// Carries a sign-in one step further: to the callback, or to the next challenge's page.
    async fn advance(
        &self,
        state: &str,
        mut st: LoginState,
        typed: &str,
        step: Step,
    ) -> Result<Response, Response> {
        match step {
            Step::Done {
                access,
                id,
                refresh,
            } => {
                let grant = self
                    .grant(&access, id.as_deref(), refresh, typed)
                    .await
                    .map_err(|e| {
                        tracing::error!(error = %e, "Cognito's tokens failed verification");
                        common::error(
                            StatusCode::BAD_GATEWAY,
                            "The sign-in could not be verified",
                            "Cognito's answer did not verify. Tell the administrator; the server log has the reason.",
                        )
                    })?;
                self.succeeded(typed).await.map_err(store_down)?;
                let code = crypto::random_token();
                let done = FinishedSignIn {
                    state: state.to_owned(),
                    identity: grant.identity,
                    scopes: grant.scopes,
                    refresh: grant.refresh_token,
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
                tracing::info!(username = %typed, "signed in on the sign-in page");
                let mut url = url::Url::parse(&st.callback).map_err(|_| gone())?;
                url.query_pairs_mut()
                    .append_pair("code", &code)
                    .append_pair("state", state);
                Ok(Redirect::to(url.as_str()).into_response())
            }
            Step::Challenge {
                name,
                session,
                params,
            } => {
                let username = params
                    .get("USERNAME")
                    .or_else(|| params.get("USER_ID_FOR_SRP"))
                    .cloned()
                    .or_else(|| st.pending.as_ref().map(|p| p.username.clone()))
                    .unwrap_or_else(|| typed.to_owned());
                let mut pending = Pending {
                    name,
                    session,
                    username,
                    typed: typed.to_owned(),
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
                if !SUPPORTED.contains(&pending.name.as_str()) {
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

    /// The page of the pending challenge.
    async fn challenge_page(
        &self,
        state: &str,
        st: &mut LoginState,
        error: Option<&str>,
        status: StatusCode,
    ) -> Result<Response, Response> {
        let (csrf, title) = self.render(state, st).await?;
        let f = PageForm {
            state,
            csrf: &csrf,
            title,
        };
        let Some(p) = &st.pending else {
            return Ok(pages::sign_in(&f, "", error, status));
        };
        let dest = p
            .params
            .get("CODE_DELIVERY_DESTINATION")
            .map(String::as_str);
        Ok(match p.name.as_str() {
            "NEW_PASSWORD_REQUIRED" => {
                let policy = self.inner.cognito.password_policy().await;
                let attrs: Vec<String> = list_param(&p.params, "requiredAttributes")
                    .into_iter()
                    .map(|a| a.trim_start_matches("userAttributes.").to_owned())
                    .collect();
                pages::new_password(&f, policy, &attrs, error, status)
            }
            "SOFTWARE_TOKEN_MFA" => pages::code(&f, CodeKind::Totp, None, error, status),
            "SMS_MFA" => pages::code(&f, CodeKind::Sms, dest, error, status),
            "EMAIL_OTP" => pages::code(&f, CodeKind::Email, dest, error, status),
            "SELECT_MFA_TYPE" => {
                let options = list_param(&p.params, "MFAS_CAN_CHOOSE");
                pages::select_mfa(&f, &options, error, status)
            }
            _ => {
                let secret = p.totp_secret.as_deref().unwrap_or_default();
                let uri = otpauth_uri(&self.inner.totp_issuer, &p.typed, secret);
                pages::totp_setup(&f, secret, &uri, error, status)
            }
        })
    }

    /// The page for a failed Cognito call that is not the user's mistake.
    fn failure_page(&self, f: Failure) -> Response {
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
    async fn sign_in_again(
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
}

/// The challenges the pages handle.
const SUPPORTED: [&str; 6] = [
    "NEW_PASSWORD_REQUIRED",
    "SOFTWARE_TOKEN_MFA",
    "SMS_MFA",
    "EMAIL_OTP",
    "SELECT_MFA_TYPE",
    "MFA_SETUP",
];

fn user_subject(typed: &str) -> String {
    format!("user:{}", typed.trim().to_lowercase())
}

fn locked_message(secs: u64) -> String {
    format!(
        "Too many failed sign-in attempts. Wait {} and try again.",
        if secs < 90 {
            format!("{secs} seconds")
        } else {
            format!("{} minutes", secs.div_ceil(60))
        }
    )
}

fn with_retry_after(mut r: Response, secs: u64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

/// A challenge parameter holding a list: Cognito sends a JSON array in a string
/// (`["SOFTWARE_TOKEN_MFA"]`); a plain or single-quoted list (moto's) is read too.
fn list_param(params: &HashMap<String, String>, key: &str) -> Vec<String> {
    let Some(v) = params.get(key) else {
        return Vec::new();
    };
    serde_json::from_str::<Vec<String>>(v).unwrap_or_else(|_| {
        v.trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .split(',')
            .map(|s| s.trim().trim_matches(['"', '\'']).to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    })
}

/// The `otpauth://` URI authenticator apps read from the QR code.
fn otpauth_uri(issuer: &str, account: &str, secret: &str) -> String {
    let enc = |s: &str| -> String {
        url::form_urlencoded::byte_serialize(s.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period=30",
        enc(issuer),
        enc(account),
        secret,
        enc(issuer)
    )
}

/// Whether `code` looks like a one-time code of `len` digits (a range for email).
fn code_ok(code: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit())
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
    if let Some(r) = login.refuse_if_locked(&state, &mut st, &typed, &ip).await {
        return r;
    }
    match login.inner.cognito.start(&typed, &password).await {
        Ok(step) => match login.advance(&state, st, &typed, step).await {
            Ok(r) | Err(r) => r,
        },
        Err(f) => login.refused(&state, st, &typed, &ip, f).await,
    }
}

impl CognitoLogin {
    /// The sign-in form saying `typed` (or the address) is locked out for `secs`: 429 with
    /// `Retry-After`.
    async fn locked_out(
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

    /// The lockout answer when the username or the address is locked out, before Cognito is
    /// asked; `None` to go on.
    async fn refuse_if_locked(
        &self,
        state: &str,
        st: &mut LoginState,
        typed: &str,
        ip: &str,
    ) -> Option<Response> {
        match self.lockout(typed, ip).await {
            Ok(Some(secs)) => {
                tracing::warn!(username = %typed, %ip, "sign-in refused: locked out");
                Some(self.locked_out(state, st, typed, secs).await)
            }
            Ok(None) => None,
            Err(e) => Some(store_down(e)),
        }
    }

    /// The answer to a refused sign-in or challenge step.
    async fn refused(
        &self,
        state: &str,
        mut st: LoginState,
        typed: &str,
        ip: &str,
        f: Failure,
    ) -> Response {
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
            _ => return self.failure_page(f),
        };
        tracing::info!(username = %typed, %ip, reason = ?f, "sign-in refused");
        let mut status = StatusCode::UNAUTHORIZED;
        let mut text = message.to_owned();
        let mut retry = None;
        if matches!(f, Failure::BadCredentials | Failure::CognitoLockout) {
            match self.failed(typed, ip).await {
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
            .sign_in_again(state, &mut st, typed, &text, status)
            .await;
        match retry {
            Some(secs) => with_retry_after(r, secs),
            None => r,
        }
    }
}

/// `POST /login/challenge`: the answer to the pending challenge.
async fn answer(
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
    let Some(p) = st.pending.take() else {
        return login
            .sign_in_again(
                &state,
                &mut st,
                "",
                "Sign in first.",
                StatusCode::BAD_REQUEST,
            )
            .await;
    };
    let typed = p.typed.clone();
    if let Some(r) = login.refuse_if_locked(&state, &mut st, &typed, &ip).await {
        return r;
    }
    let field = |k: &str| form.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let cognito = &login.inner.cognito;
    // Checks an answer before Cognito sees it: on a problem, the same page with the message.
    macro_rules! again {
        ($msg:expr, $status:expr) => {{
            st.pending = Some(p);
            return match login
                .challenge_page(&state, &mut st, Some($msg), $status)
                .await
            {
                Ok(r) | Err(r) => r,
            };
        }};
    }
    let result = match p.name.as_str() {
        "NEW_PASSWORD_REQUIRED" => {
            let pw = zeroize::Zeroizing::new(form.get("new_password").cloned().unwrap_or_default());
            let again_pw =
                zeroize::Zeroizing::new(form.get("confirm_password").cloned().unwrap_or_default());
            if *pw != *again_pw {
                again!(
                    "The two passwords are not the same.",
                    StatusCode::BAD_REQUEST
                );
            }
            let problems = cognito.password_policy().await.problems(&pw);
            if !problems.is_empty() {
                let msg = format!(
                    "That password does not meet the policy: {}.",
                    problems.join("; ")
                );
                again!(&msg, StatusCode::BAD_REQUEST);
            }
            let mut responses = vec![("NEW_PASSWORD".to_owned(), pw.to_string())];
            for (k, v) in &form {
                if let Some(a) = k.strip_prefix("userAttributes.")
                    && !a.is_empty()
                    && !v.trim().is_empty()
                {
                    responses.push((k.clone(), v.trim().to_owned()));
                }
            }
            cognito
                .respond(&p.name, &p.session, &p.username, responses)
                .await
        }
        "SOFTWARE_TOKEN_MFA" | "SMS_MFA" | "EMAIL_OTP" => {
            let code = field("code").replace(' ', "");
            let (min, max) = if p.name == "EMAIL_OTP" {
                (6, 8)
            } else {
                (6, 6)
            };
            if !code_ok(&code, min, max) {
                let msg = if min == max {
                    "Enter the 6-digit code.".to_owned()
                } else {
                    format!("Enter the {min}- to {max}-digit code.")
                };
                again!(&msg, StatusCode::BAD_REQUEST);
            }
            let key = format!("{}_CODE", p.name);
            cognito
                .respond(&p.name, &p.session, &p.username, vec![(key, code)])
                .await
        }
        "SELECT_MFA_TYPE" => {
            let choice = field("mfa");
            if !list_param(&p.params, "MFAS_CAN_CHOOSE").contains(&choice) {
                again!("Choose one of the options.", StatusCode::BAD_REQUEST);
            }
            cognito
                .respond(
                    &p.name,
                    &p.session,
                    &p.username,
                    vec![("ANSWER".into(), choice)],
                )
                .await
        }
        "MFA_SETUP" => {
            let code = field("code").replace(' ', "");
            if !code_ok(&code, 6, 6) {
                again!(
                    "Enter the 6-digit code your app shows.",
                    StatusCode::BAD_REQUEST
                );
            }
            match cognito.verify_totp(&p.session, &code).await {
                Ok(session) => {
                    cognito
                        .respond(&p.name, &session, &p.username, Vec::new())
                        .await
                }
                Err(e) => Err(e),
            }
        }
        _ => return gone(),
    };
    match result {
        Ok(step) => match login.advance(&state, st, &typed, step).await {
            Ok(r) | Err(r) => r,
        },
        Err(Failure::WrongCode) => {
            tracing::info!(username = %typed, %ip, challenge = %p.name, "wrong one-time code");
            match login.failed(&typed, &ip).await {
                Ok(Some(secs)) => login.locked_out(&state, &mut st, &typed, secs).await,
                Ok(None) => {
                    again!(
                        "That code is not right, or it expired. Enter the current code.",
                        StatusCode::UNAUTHORIZED
                    )
                }
                Err(e) => store_down(e),
            }
        }
        Err(Failure::InvalidPassword(msg)) => {
            let msg = format!("Cognito refused that password: {msg}");
            again!(&msg, StatusCode::BAD_REQUEST)
        }
        Err(f) => login.refused(&state, st, &typed, &ip, f).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_params_read_json_and_plain_lists() {
        let mut p = HashMap::new();
        p.insert(
            "A".to_owned(),
            "[\"SMS_MFA\",\"SOFTWARE_TOKEN_MFA\"]".to_owned(),
        );
        p.insert("B".to_owned(), "SMS_MFA, EMAIL_OTP".to_owned());
        p.insert("M".to_owned(), "['SOFTWARE_TOKEN_MFA']".to_owned());
        assert_eq!(list_param(&p, "A"), ["SMS_MFA", "SOFTWARE_TOKEN_MFA"]);
        assert_eq!(list_param(&p, "B"), ["SMS_MFA", "EMAIL_OTP"]);
        assert_eq!(list_param(&p, "M"), ["SOFTWARE_TOKEN_MFA"]);
        assert!(list_param(&p, "C").is_empty());
    }

    #[test]
    fn malformed_codes_fail() {
        assert!(code_ok("123456", 6, 6));
        assert!(!code_ok("12345", 6, 6));
        assert!(!code_ok("1234567", 6, 6));
        assert!(!code_ok("12a456", 6, 6));
        assert!(code_ok("12345678", 6, 8));
    }

    #[test]
    fn otpauth_uri_encodes_the_account() {
        let u = otpauth_uri("cognito-mcp", "alex@example.com", "ABCD");
        assert_eq!(
            u,
            "otpauth://totp/cognito-mcp:alex%40example.com?secret=ABCD&issuer=cognito-mcp&algorithm=SHA1&digits=6&period=30"
        );
    }
}
