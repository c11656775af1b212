//! Admin-side sign-in: test tokens for the `token` command ([`CognitoAdmin::admin_sign_in`]),
//! and sign-in checks that walk a user through Cognito's challenges
//! ([`CognitoAdmin::test_sign_in`], [`CognitoAdmin::respond_to_auth_challenge`]).
//!
//! The checks hand back [`Tokens`] as [`Secret`]s and a [`TokenSummary`] read from the access
//! token's payload: the tokens come straight from Cognito over the SDK's TLS connection, so
//! the payload is read without checking the signature. Nothing here is a verifier.
//!
//! `SECRET_HASH`, the answer parser and the token types come from `cognito-idp`, which the
//! sign-in page of `cognito-mcp-auth` shares.

mod challenge;

use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata as _;
use aws_sdk_cognitoidentityprovider::operation::admin_initiate_auth::AdminInitiateAuthOutput;
use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ChallengeNameType};
use cognito_idp::{AuthAnswer, AuthStep, SecretHash, secret_hash_rejected};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::error::{Subject, finish};
use crate::validate::Invalid;
use crate::{AdminError, CognitoAdmin, Operation, RotatingSecret, Secret, validate};
use challenge::{Answer, SHOWN_PARAMETERS, check_answer};
pub use challenge::{AnswerField, Challenge, MfaMethod, RespondToAuthChallenge};
pub use cognito_idp::{TokenSummary, Tokens};

/// The result of a sign-in attempt.
#[derive(Debug)]
#[non_exhaustive]
pub enum SignIn {
    /// Signed in: the tokens.
    Tokens {
        /// The access token.
        access_token: Secret,
        /// The id token.
        id_token: Secret,
        /// Seconds until the tokens expire.
        expires_in: i32,
    },
    /// Cognito wants a challenge answered first (`NEW_PASSWORD_REQUIRED`, `SOFTWARE_TOKEN_MFA`,
    /// `MFA_SETUP`, ...).
    Challenge {
        /// The challenge name.
        name: String,
    },
}

/// Input of `test_sign_in`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestSignIn {
    /// The username.
    pub username: String,
    /// The user's password. It is never echoed or logged. A wrong one counts toward Cognito's
    /// lockout of the user.
    pub password: Secret,
}

/// One step of a sign-in check: signed in, or a challenge to answer.
#[derive(Debug)]
#[non_exhaustive]
pub enum SignInStep {
    /// Cognito issued tokens.
    SignedIn(Tokens),
    /// Cognito wants a challenge answered first.
    Challenge(Challenge),
}

/// `SECRET_HASH` of `username` for app client `client_id` with secret `client_secret`.
fn secret_hash(client_id: &str, client_secret: &Secret, username: &str) -> String {
    SecretHash {
        username,
        client_id,
        client_secret,
    }
    .to_base64()
}

/// A sign-in answer as one [`SignInStep`]; only the challenge parameters that are safe to show
/// are kept.
fn step(
    operation: Operation,
    username: &str,
    answer: &impl AuthAnswer,
) -> Result<SignInStep, AdminError> {
    let step = AuthStep::from_answer(answer).map_err(|e| AdminError::Aws {
        operation,
        code: "NoResult".into(),
        message: e.to_string(),
    })?;
    let c = match step {
        AuthStep::SignedIn(tokens) => return Ok(SignInStep::SignedIn(tokens)),
        AuthStep::Challenge(c) => c,
    };
    Ok(SignInStep::Challenge(Challenge {
        answer: AnswerField::for_challenge(&c.name),
        username: c
            .parameters
            .get("USER_ID_FOR_SRP")
            .filter(|u| !u.is_empty())
            .cloned()
            .unwrap_or_else(|| username.to_owned()),
        parameters: c
            .parameters
            .into_iter()
            .filter(|(k, _)| SHOWN_PARAMETERS.contains(&k.as_str()))
            .collect(),
        session: c.session,
        name: c.name,
    }))
}

impl CognitoAdmin {
    /// Calls AdminInitiateAuth with ADMIN_USER_PASSWORD_AUTH (and `SECRET_HASH` when the
    /// client has a secret: the one that last worked, then, when Cognito refuses its hash
    /// during a rotation, once with the other).
    async fn initiate(
        &self,
        client_id: &str,
        client_secret: Option<&RotatingSecret>,
        username: &str,
        password: &Secret,
    ) -> Result<AdminInitiateAuthOutput, AdminError> {
        let call = self
            .client()
            .admin_initiate_auth()
            .user_pool_id(self.pool_id())
            .client_id(client_id)
            .auth_flow(AuthFlowType::AdminUserPasswordAuth)
            .auth_parameters("USERNAME", username)
            .auth_parameters("PASSWORD", password.expose());
        let secrets = client_secret
            .map(RotatingSecret::in_order)
            .unwrap_or_default();
        let Some(last) = secrets.len().checked_sub(1) else {
            return finish(
                Operation::AdminInitiateAuth,
                Subject::User(username),
                call.send().await,
            );
        };
        for (i, secret) in secrets.iter().enumerate() {
            let result = call
                .clone()
                .auth_parameters("SECRET_HASH", secret_hash(client_id, secret, username))
                .send()
                .await;
            if let Err(e) = &result
                && i < last
                && secret_hash_rejected(
                    e.code().unwrap_or_default(),
                    e.message().unwrap_or_default(),
                )
            {
                tracing::info!(
                    "Cognito refused the app client secret; trying the other one of the rotation"
                );
                continue;
            }
            if result.is_ok()
                && let Some(rotating) = client_secret
            {
                rotating.worked(secret);
            }
            return finish(
                Operation::AdminInitiateAuth,
                Subject::User(username),
                result,
            );
        }
        unreachable!("the last secret returns")
    }

    /// Signs `username` in with ADMIN_USER_PASSWORD_AUTH through app client `client_id`
    /// (with `SECRET_HASH` when the client has a secret).
    pub async fn admin_sign_in(
        &self,
        client_id: &str,
        client_secret: Option<&RotatingSecret>,
        username: &str,
        password: &Secret,
    ) -> Result<SignIn, AdminError> {
        validate::username("username", username)?;
        let out = self
            .initiate(client_id, client_secret, username, password)
            .await?;
        if let Some(r) = out.authentication_result() {
            return Ok(SignIn::Tokens {
                access_token: Secret::new(r.access_token().unwrap_or_default()),
                id_token: Secret::new(r.id_token().unwrap_or_default()),
                expires_in: r.expires_in(),
            });
        }
        Ok(SignIn::Challenge {
            name: out
                .challenge_name()
                .map(|c| c.as_str().to_owned())
                .unwrap_or_else(|| "UNKNOWN".into()),
        })
    }

    /// Checks that a user can sign in with `password` through app client `client_id`
    /// (AdminInitiateAuth, ADMIN_USER_PASSWORD_AUTH; `SECRET_HASH` when the client has a
    /// secret). Returns the tokens, or the challenge to answer with
    /// [`CognitoAdmin::respond_to_auth_challenge`]. A wrong password counts toward Cognito's
    /// lockout of the user.
    pub async fn test_sign_in(
        &self,
        client_id: &str,
        client_secret: Option<&RotatingSecret>,
        req: &TestSignIn,
    ) -> Result<SignInStep, AdminError> {
        validate::username("username", &req.username)?;
        if req.password.is_empty() {
            return Err(Invalid::new(
                "password",
                "is empty",
                "the user's current password (or the temporary one, for a new user)",
                r#"{"username": "alice", "password": "<alice's password>"}"#,
            )
            .into());
        }
        self.check_user_writable("username", &req.username).await?;
        self.check_user_privilege("username", &req.username).await?;
        let out = self
            .initiate(client_id, client_secret, &req.username, &req.password)
            .await?;
        step(Operation::AdminInitiateAuth, &req.username, &out)
    }

    /// Answers a sign-in challenge (AdminRespondToAuthChallenge) through app client
    /// `client_id`: an MFA code, a new password (checked against the pool's policy first), or
    /// the MFA method to use. Returns the tokens, or the next challenge.
    pub async fn respond_to_auth_challenge(
        &self,
        client_id: &str,
        client_secret: Option<&RotatingSecret>,
        req: &RespondToAuthChallenge,
    ) -> Result<SignInStep, AdminError> {
        validate::username("username", &req.username)?;
        let answer = check_answer(req)?;
        self.check_user_writable("username", &req.username).await?;
        self.check_user_privilege("username", &req.username).await?;
        let mut call = self
            .client()
            .admin_respond_to_auth_challenge()
            .user_pool_id(self.pool_id())
            .client_id(client_id)
            .challenge_name(ChallengeNameType::from(req.challenge.as_str()))
            .session(req.session.expose())
            .challenge_responses("USERNAME", &req.username);
        match answer {
            Answer::Code(code) => {
                call = call.challenge_responses(format!("{}_CODE", req.challenge), code.expose());
            }
            Answer::NewPassword(password) => {
                self.check_password("new_password", password).await?;
                call = call.challenge_responses("NEW_PASSWORD", password.expose());
            }
            Answer::MfaType(method) => {
                call = call.challenge_responses("ANSWER", method.name());
            }
        }
        let secrets = client_secret
            .map(RotatingSecret::in_order)
            .unwrap_or_default();
        let mut result = None;
        for (i, secret) in secrets.iter().enumerate() {
            let sent = call
                .clone()
                .challenge_responses("SECRET_HASH", secret_hash(client_id, secret, &req.username))
                .send()
                .await;
            if let Err(e) = &sent
                && i + 1 < secrets.len()
                && secret_hash_rejected(
                    e.code().unwrap_or_default(),
                    e.message().unwrap_or_default(),
                )
            {
                continue;
            }
            if sent.is_ok()
                && let Some(rotating) = client_secret
            {
                rotating.worked(secret);
            }
            result = Some(sent);
            break;
        }
        let sent = match result {
            Some(sent) => sent,
            None => call.send().await,
        };
        let out = finish(
            Operation::AdminRespondToAuthChallenge,
            Subject::User(&req.username),
            sent,
        )?;
        step(Operation::AdminRespondToAuthChallenge, &req.username, &out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_hash_puts_the_username_before_the_client_id() {
        // python3 -c 'import hmac, hashlib, base64; print(base64.b64encode(hmac.new(
        //   b"client-secret", b"alice" + b"client-id", hashlib.sha256).digest()).decode())'
        let h = secret_hash("client-id", &Secret::new("client-secret"), "alice");
        assert_eq!(h, "qROqM+PMKX09MK8ulDVm8LCWdCRqQQEUG9HcF+N7/S4=");
    }

    #[test]
    fn an_answer_with_no_step_is_an_aws_error() {
        let out = AdminInitiateAuthOutput::builder().session("sess").build();
        let e = step(Operation::AdminInitiateAuth, "alice", &out).expect_err("no step");
        assert!(
            matches!(&e, AdminError::Aws { code, .. } if code == "NoResult"),
            "{e:?}"
        );
    }

    #[test]
    fn only_safe_parameters_are_shown() {
        let out = AdminInitiateAuthOutput::builder()
            .challenge_name(ChallengeNameType::SmsMfa)
            .session("sess")
            .challenge_parameters("CODE_DELIVERY_DESTINATION", "+*******0123")
            .challenge_parameters("USER_ID_FOR_SRP", "internal-id")
            .challenge_parameters("userAttributes", "{\"email\":\"a@b.co\"}")
            .build();
        let step = step(Operation::AdminInitiateAuth, "alice", &out).expect("a challenge");
        let SignInStep::Challenge(c) = step else {
            panic!("a challenge")
        };
        assert_eq!(c.username, "internal-id");
        assert_eq!(c.answer, Some(AnswerField::Code));
        assert_eq!(
            c.parameters.keys().collect::<Vec<_>>(),
            ["CODE_DELIVERY_DESTINATION"]
        );
        assert!(c.next_step().contains("+*******0123"), "{}", c.next_step());
    }
}
