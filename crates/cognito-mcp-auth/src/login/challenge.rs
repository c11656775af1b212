//! The challenge pages of a sign-in: each one's page, and `POST /login/challenge`, its
//! answer.
//!
//! Only what Cognito's challenge asks for is sent back. On `NEW_PASSWORD_REQUIRED` that is the
//! new password and the attributes in the challenge's `requiredAttributes`: any other
//! `userAttributes.*` field of the form is dropped, so a first sign-in cannot set `email`,
//! `custom:role` or anything else that feeds authorization.

use std::collections::HashMap;

use axum::extract::{Form, State};
use axum::response::Response;
use http::{HeaderMap, StatusCode};

use super::CognitoLogin;
use super::cognito::Failure;
use super::flow::{LoginState, client_ip, gone, store_down};
use super::pages::{self, CodeKind, Form as PageForm};

/// The challenges the pages handle.
pub(super) const SUPPORTED: [&str; 6] = [
    "NEW_PASSWORD_REQUIRED",
    "SOFTWARE_TOKEN_MFA",
    "SMS_MFA",
    "EMAIL_OTP",
    "SELECT_MFA_TYPE",
    "MFA_SETUP",
];

/// The attribute names (without `userAttributes.`) a `NEW_PASSWORD_REQUIRED` challenge
/// requires.
fn required_attributes(params: &HashMap<String, String>) -> Vec<String> {
    list_param(params, "requiredAttributes")
        .into_iter()
        .map(|a| a.trim_start_matches("userAttributes.").to_owned())
        .filter(|a| !a.is_empty())
        .collect()
}

/// The form's answers to the required attributes, as Cognito's `userAttributes.NAME`
/// responses; every other field is left out.
fn required_answers(
    params: &HashMap<String, String>,
    form: &HashMap<String, String>,
) -> Vec<(String, String)> {
    required_attributes(params)
        .into_iter()
        .filter_map(|a| {
            let key = format!("userAttributes.{a}");
            let v = form.get(&key)?.trim();
            (!v.is_empty()).then(|| (key.clone(), v.to_owned()))
        })
        .collect()
}

impl CognitoLogin {
    /// The page of the pending challenge.
    pub(super) async fn challenge_page(
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
                let attrs = required_attributes(&p.params);
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
                let uri = otpauth_uri(&self.inner.totp_issuer, &p.who.typed, secret);
                pages::totp_setup(&f, secret, &uri, error, status)
            }
        })
    }
}

/// A challenge parameter holding a list: Cognito sends a JSON array in a string
/// (`["SOFTWARE_TOKEN_MFA"]`); a plain or single-quoted list (moto's) is read too.
pub(super) fn list_param(params: &HashMap<String, String>, key: &str) -> Vec<String> {
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

/// `POST /login/challenge`: the answer to the pending challenge.
pub(super) async fn answer(
    State(login): State<CognitoLogin>,
    headers: HeaderMap,
    ci: crate::authz::ClientAddress,
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
    let who = p.who.clone();
    match login.locked(&login.subjects(&who, &ip)).await {
        Ok(Some(secs)) => {
            tracing::warn!(user = %who.tag, %ip, "challenge answer refused: locked out");
            return login.locked_out(&state, &mut st, &who.typed, secs).await;
        }
        Ok(None) => {}
        Err(e) => return store_down(e),
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
            let problems = super::policy::problems(cognito.password_policy().await, &pw);
            if !problems.is_empty() {
                let msg = format!(
                    "That password does not meet the policy: {}.",
                    problems.join("; ")
                );
                again!(&msg, StatusCode::BAD_REQUEST);
            }
            let mut responses = vec![("NEW_PASSWORD".to_owned(), pw.to_string())];
            responses.extend(required_answers(&p.params, &form));
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
            if let Some(r) = login
                .refuse_unless_reserved(&state, &mut st, &who, &ip)
                .await
            {
                return r;
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
            if let Some(r) = login
                .refuse_unless_reserved(&state, &mut st, &who, &ip)
                .await
            {
                return r;
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
        Ok(step) => match login.advance(&state, st, &who, step).await {
            Ok(r) | Err(r) => r,
        },
        Err(Failure::WrongCode) => {
            tracing::info!(user = %who.tag, %ip, challenge = %p.name, "wrong one-time code");
            // Counted already, before Cognito was asked; is the budget now used up?
            match login.locked(&login.subjects(&who, &ip)).await {
                Ok(Some(secs)) => login.locked_out(&state, &mut st, &who.typed, secs).await,
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
        Err(f) => login.refused(&state, st, &who, &ip, f).await,
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
    fn only_required_attributes_are_answered() {
        let mut params = HashMap::new();
        params.insert(
            "requiredAttributes".to_owned(),
            "[\"userAttributes.name\"]".to_owned(),
        );
        let form: HashMap<String, String> = [
            ("userAttributes.name", "Alex"),
            ("userAttributes.custom:role", "admin"),
            ("userAttributes.email", "attacker@example.net"),
            ("new_password", "x"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(
            required_answers(&params, &form),
            [("userAttributes.name".to_owned(), "Alex".to_owned())]
        );
        assert!(required_answers(&HashMap::new(), &form).is_empty());
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
