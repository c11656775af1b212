//! Sign-in challenges: what Cognito asks for, which input field answers it, and the checks
//! an answer passes before any AWS call.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::Secret;
use crate::validate::Invalid;

/// An MFA method, as Cognito names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[non_exhaustive]
pub enum MfaMethod {
    /// Authenticator-app (TOTP) codes.
    #[serde(rename = "SOFTWARE_TOKEN_MFA")]
    SoftwareTokenMfa,
    /// SMS codes.
    #[serde(rename = "SMS_MFA")]
    SmsMfa,
    /// Email codes.
    #[serde(rename = "EMAIL_OTP")]
    EmailOtp,
}

impl MfaMethod {
    /// Cognito's name: `SOFTWARE_TOKEN_MFA`, `SMS_MFA` or `EMAIL_OTP`.
    pub fn name(self) -> &'static str {
        match self {
            Self::SoftwareTokenMfa => "SOFTWARE_TOKEN_MFA",
            Self::SmsMfa => "SMS_MFA",
            Self::EmailOtp => "EMAIL_OTP",
        }
    }
}

/// Input of `respond_to_auth_challenge`: the challenge of the previous answer, its session,
/// and exactly the one answer field that challenge needs.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RespondToAuthChallenge {
    /// The `username` of the previous answer.
    pub username: String,
    /// The `challenge` of the previous answer: SOFTWARE_TOKEN_MFA, SMS_MFA, EMAIL_OTP,
    /// NEW_PASSWORD_REQUIRED or SELECT_MFA_TYPE.
    pub challenge: String,
    /// The `session` of the previous answer, unchanged. It expires after 3 minutes.
    pub session: Secret,
    /// For SOFTWARE_TOKEN_MFA, SMS_MFA and EMAIL_OTP: the code the user received or their
    /// authenticator app shows (6 to 8 digits).
    #[serde(default)]
    pub code: Option<Secret>,
    /// For NEW_PASSWORD_REQUIRED: the user's new permanent password, checked against the
    /// pool's password policy first.
    #[serde(default)]
    pub new_password: Option<Secret>,
    /// For SELECT_MFA_TYPE: the method to use, one of those the challenge offered.
    #[serde(default)]
    pub mfa_type: Option<MfaMethod>,
}

/// The input field that answers a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AnswerField {
    /// `code`: SOFTWARE_TOKEN_MFA, SMS_MFA, EMAIL_OTP.
    Code,
    /// `new_password`: NEW_PASSWORD_REQUIRED.
    NewPassword,
    /// `mfa_type`: SELECT_MFA_TYPE.
    MfaType,
}

impl AnswerField {
    /// The field's name in [`RespondToAuthChallenge`].
    pub fn name(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::NewPassword => "new_password",
            Self::MfaType => "mfa_type",
        }
    }

    /// The field that answers `challenge`, if [`crate::CognitoAdmin::respond_to_auth_challenge`] can.
    pub fn for_challenge(challenge: &str) -> Option<Self> {
        match challenge {
            "SOFTWARE_TOKEN_MFA" | "SMS_MFA" | "EMAIL_OTP" => Some(Self::Code),
            "NEW_PASSWORD_REQUIRED" => Some(Self::NewPassword),
            "SELECT_MFA_TYPE" => Some(Self::MfaType),
            _ => None,
        }
    }
}

/// Challenge parameters that are safe to show: where a code went, which methods can be
/// chosen or set up, which attributes are required. Others (`USER_ID_FOR_SRP`, the user's
/// attributes, SRP values) are not passed on.
pub(super) const SHOWN_PARAMETERS: &[&str] = &[
    "CODE_DELIVERY_DELIVERY_MEDIUM",
    "CODE_DELIVERY_DESTINATION",
    "MFAS_CAN_CHOOSE",
    "MFAS_CAN_SETUP",
    "requiredAttributes",
];

/// A challenge Cognito wants answered before it issues tokens.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Challenge {
    /// The challenge name, e.g. `SOFTWARE_TOKEN_MFA`.
    pub name: String,
    /// The session to send back with the answer; Cognito keeps it 3 minutes.
    pub session: Secret,
    /// The username to send back (Cognito's `USER_ID_FOR_SRP` when it gives one).
    pub username: String,
    /// The challenge parameters that are safe to show: where a code went, which methods can
    /// be chosen or set up, which attributes are required.
    pub parameters: BTreeMap<String, String>,
    /// The field that answers it, when [`crate::CognitoAdmin::respond_to_auth_challenge`] can.
    pub answer: Option<AnswerField>,
}

impl Challenge {
    /// What to do next, in words, for the caller of the sign-in check.
    pub fn next_step(&self) -> String {
        let param = |k: &str| self.parameters.get(k).map(String::as_str);
        let respond = |field: &str| {
            format!(
                "call respond_to_auth_challenge with username {:?}, challenge {:?}, this session \
                 and `{field}` within 3 minutes",
                self.username, self.name
            )
        };
        match self.name.as_str() {
            "SOFTWARE_TOKEN_MFA" => format!(
                "Ask the user for the code their authenticator app shows now, then {}.",
                respond("code")
            ),
            "SMS_MFA" | "EMAIL_OTP" => format!(
                "Cognito sent a code by {} to {}; ask the user for it, then {}.",
                if self.name == "SMS_MFA" {
                    "SMS"
                } else {
                    "email"
                },
                param("CODE_DELIVERY_DESTINATION").unwrap_or("the user"),
                respond("code")
            ),
            "NEW_PASSWORD_REQUIRED" => {
                let mut s = format!(
                    "The user still has a temporary password. To finish, {} (checked against \
                     the pool's password policy; it becomes the user's password).",
                    respond("new_password")
                );
                if let Some(attrs) = param("requiredAttributes").filter(|a| *a != "[]") {
                    s.push_str(&format!(
                        " Cognito also requires the attributes {attrs}, which this check cannot \
                         send: set them with update_user_attributes, then start again with \
                         test_sign_in."
                    ));
                }
                s
            }
            "SELECT_MFA_TYPE" => format!(
                "The user has several MFA methods ({}); {} set to one of them, then answer the \
                 code challenge that follows.",
                param("MFAS_CAN_CHOOSE").unwrap_or("see parameters"),
                respond("mfa_type")
            ),
            "MFA_SETUP" => "The pool requires MFA and the user has no method set up yet. The \
                user must enroll an authenticator app first, by signing in to the app (which \
                shows a QR code to scan); this check cannot enroll for them, so the sign-in \
                stops here. set_user_mfa_preference cannot help until the user has enrolled."
                .into(),
            other => format!(
                "This check cannot answer the {other} challenge; the user completes it in the app."
            ),
        }
    }
}

const RESPOND_EXAMPLE: &str = r#"{"username": "alice", "challenge": "SOFTWARE_TOKEN_MFA", "session": "<the session test_sign_in returned>", "code": "123456"}"#;

/// A checked challenge answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Answer<'a> {
    /// An MFA code.
    Code(&'a Secret),
    /// A new password.
    NewPassword(&'a Secret),
    /// The MFA method to use.
    MfaType(MfaMethod),
}

/// Checks a challenge answer before any AWS call: a challenge this check can answer, its
/// session, and exactly the field it needs, well formed.
pub(super) fn check_answer(req: &RespondToAuthChallenge) -> Result<Answer<'_>, Invalid> {
    const CHALLENGES: &str =
        "SOFTWARE_TOKEN_MFA, SMS_MFA, EMAIL_OTP, NEW_PASSWORD_REQUIRED or SELECT_MFA_TYPE";
    let Some(expected) = AnswerField::for_challenge(&req.challenge) else {
        let problem = if req.challenge == "MFA_SETUP" {
            "is MFA_SETUP, which this check cannot answer: the user must enroll an \
             authenticator app first, by signing in to the app"
                .to_owned()
        } else {
            format!(
                "is {:?}, which this check cannot answer",
                req.challenge.chars().take(64).collect::<String>()
            )
        };
        return Err(Invalid::new(
            "challenge",
            problem,
            format!("the `challenge` of the previous answer: {CHALLENGES}"),
            RESPOND_EXAMPLE,
        ));
    };
    if req.session.is_empty() || req.session.expose().chars().count() > 2048 {
        return Err(Invalid::new(
            "session",
            if req.session.is_empty() {
                "is empty"
            } else {
                "is longer than 2048 characters"
            },
            "the `session` of the previous answer, unchanged (it expires after 3 minutes; then \
             start again with test_sign_in)",
            RESPOND_EXAMPLE,
        ));
    }
    let given = [
        (AnswerField::Code, req.code.is_some()),
        (AnswerField::NewPassword, req.new_password.is_some()),
        (AnswerField::MfaType, req.mfa_type.is_some()),
    ];
    for (field, present) in given {
        if present && field != expected {
            return Err(Invalid::new(
                field.name(),
                format!(
                    "is given, but the {} challenge is answered with `{}` alone",
                    req.challenge,
                    expected.name()
                ),
                format!("`{}` and no other answer field", expected.name()),
                RESPOND_EXAMPLE,
            ));
        }
    }
    let answer = match expected {
        AnswerField::Code => req.code.as_ref().map(Answer::Code),
        AnswerField::NewPassword => req.new_password.as_ref().map(Answer::NewPassword),
        AnswerField::MfaType => req.mfa_type.map(Answer::MfaType),
    };
    let Some(answer) = answer else {
        return Err(Invalid::new(
            expected.name(),
            format!(
                "is missing: the {} challenge is answered with it",
                req.challenge
            ),
            match expected {
                AnswerField::Code => {
                    "the code the user received or their authenticator app \
                    shows, 6 to 8 digits"
                }
                AnswerField::NewPassword => {
                    "the user's new password, meeting the pool's \
                    password policy (describe_user_pool shows it)"
                }
                AnswerField::MfaType => "SOFTWARE_TOKEN_MFA, SMS_MFA or EMAIL_OTP",
            },
            RESPOND_EXAMPLE,
        ));
    };
    if let Answer::Code(code) = answer {
        let c = code.expose();
        if !(6..=8).contains(&c.len()) || !c.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Invalid::new(
                "code",
                "is not 6 to 8 digits",
                "the code exactly as the user received it or their app shows it: 6 to 8 digits, \
                 no spaces",
                "123456",
            ));
        }
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn respond(challenge: &str) -> RespondToAuthChallenge {
        RespondToAuthChallenge {
            username: "alice".into(),
            challenge: challenge.into(),
            session: Secret::new("session-value-of-some-length"),
            code: None,
            new_password: None,
            mfa_type: None,
        }
    }

    #[test]
    fn each_challenge_takes_its_own_field() {
        let code = Secret::new("123456");
        let mut r = respond("SOFTWARE_TOKEN_MFA");
        r.code = Some(code.clone());
        assert_eq!(check_answer(&r), Ok(Answer::Code(&code)));
        let password = Secret::new("Another-Pass-1");
        let mut r = respond("NEW_PASSWORD_REQUIRED");
        r.new_password = Some(password.clone());
        assert_eq!(check_answer(&r), Ok(Answer::NewPassword(&password)));
        let mut r = respond("SELECT_MFA_TYPE");
        r.mfa_type = Some(MfaMethod::SoftwareTokenMfa);
        assert_eq!(
            check_answer(&r),
            Ok(Answer::MfaType(MfaMethod::SoftwareTokenMfa))
        );
    }

    #[test]
    fn missing_extra_or_malformed_answers_fail() {
        let e = check_answer(&respond("SMS_MFA")).expect_err("no code");
        assert_eq!(e.field, "code");
        let mut r = respond("SMS_MFA");
        r.code = Some(Secret::new("123456"));
        r.new_password = Some(Secret::new("Another-Pass-1"));
        assert_eq!(check_answer(&r).expect_err("extra").field, "new_password");
        let mut r = respond("SOFTWARE_TOKEN_MFA");
        r.code = Some(Secret::new("12a456"));
        let e = check_answer(&r).expect_err("letters");
        assert_eq!(e.field, "code");
        assert!(!e.problem.contains("12a456"));
        let mut r = respond("SOFTWARE_TOKEN_MFA");
        r.code = Some(Secret::new("123456"));
        r.session = Secret::new("");
        assert_eq!(check_answer(&r).expect_err("session").field, "session");
    }

    #[test]
    fn unanswerable_challenges_fail() {
        let e = check_answer(&respond("MFA_SETUP")).expect_err("setup");
        assert_eq!(e.field, "challenge");
        assert!(e.problem.contains("enroll"), "{}", e.problem);
        assert!(check_answer(&respond("CUSTOM_CHALLENGE")).is_err());
    }
}
