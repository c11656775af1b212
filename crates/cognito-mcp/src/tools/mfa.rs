//! The MFA and sign-in check tools: a second tool router on [`CognitoMcp`], added to the main
//! one in `server::annotated_router`. The sign-in checks are refused unless `[sign_in]`
//! enables them (`policy`), and answer with a summary of the tokens, not the tokens, unless
//! `sign_in.return_tokens` is set.

use std::collections::BTreeMap;

use cognito_admin::validate::Invalid;
use cognito_admin::{
    AdminError, PoolMfa, RespondToAuthChallenge, SetUserMfaPreference, SetUserPoolMfaConfig,
    SignInStep, TestSignIn, UserMfaPreference,
};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::{Json, tool, tool_router};
use schemars::JsonSchema;
use serde::Serialize;

use crate::mcp::error::ToolError;
use crate::mcp::state::State;

/// The answer of a sign-in check: signed in (a summary of the tokens), or the challenge
/// Cognito asks for next.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub(crate) struct SignInAnswer {
    /// `signed_in` (Cognito issued tokens) or `challenge` (answer it with
    /// respond_to_auth_challenge).
    status: String,
    /// Signed in: the summarised token (`access`).
    #[serde(skip_serializing_if = "Option::is_none")]
    token_use: Option<String>,
    /// Signed in: the user's `sub`.
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    /// Signed in: the username the token names. Challenge: the username to send back.
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    /// Signed in: the app client the tokens were issued to.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    /// Signed in: the user's Cognito groups, as the token carries them.
    #[serde(skip_serializing_if = "Option::is_none")]
    groups: Option<Vec<String>>,
    /// Signed in: the access token's scopes.
    #[serde(skip_serializing_if = "Option::is_none")]
    scopes: Option<Vec<String>>,
    /// Signed in: the id token's email, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    /// Signed in: seconds until the tokens expire.
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_in: Option<i32>,
    /// Signed in: when the access token expires (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
    /// Signed in, only when the operator set `sign_in.return_tokens`: the access token.
    #[serde(skip_serializing_if = "Option::is_none")]
    access_token: Option<String>,
    /// Signed in, only with `sign_in.return_tokens`: the id token.
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    /// Signed in, only with `sign_in.return_tokens`: the refresh token.
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    /// Challenge: its name, e.g. SOFTWARE_TOKEN_MFA or NEW_PASSWORD_REQUIRED.
    #[serde(skip_serializing_if = "Option::is_none")]
    challenge: Option<String>,
    /// Challenge: pass it back unchanged to respond_to_auth_challenge, within 3 minutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    session: Option<String>,
    /// Challenge: the respond_to_auth_challenge field that answers it (`code`,
    /// `new_password` or `mfa_type`); absent when this server cannot answer it.
    #[serde(skip_serializing_if = "Option::is_none")]
    answer_with: Option<String>,
    /// Challenge: what Cognito says about it (where a code went, which methods can be
    /// chosen).
    #[serde(skip_serializing_if = "Option::is_none")]
    parameters: Option<BTreeMap<String, String>>,
    /// What to do next.
    next: String,
}

impl SignInAnswer {
    fn from_step(step: SignInStep, return_tokens: bool) -> Self {
        match step {
            SignInStep::SignedIn(tokens) => {
                let s = tokens.summary();
                let mut answer = Self {
                    status: "signed_in".into(),
                    token_use: Some(s.token_use),
                    sub: s.sub,
                    username: s.username,
                    client_id: s.client_id,
                    groups: Some(s.groups),
                    scopes: Some(s.scopes),
                    email: s.email,
                    expires_in: Some(s.expires_in),
                    expires_at: s.expires_at,
                    next: "Nothing: the user can sign in. The tokens themselves are not \
                           returned (the operator can allow it with sign_in.return_tokens)."
                        .into(),
                    ..Self::default()
                };
                if return_tokens {
                    answer.access_token = Some(tokens.access_token.expose().to_owned());
                    answer.id_token = tokens.id_token.as_ref().map(|t| t.expose().to_owned());
                    answer.refresh_token =
                        tokens.refresh_token.as_ref().map(|t| t.expose().to_owned());
                    answer.next = "Nothing: the user can sign in. The tokens are secrets \
                                   that act as the user: do not paste them where they could be \
                                   logged or shared."
                        .into();
                }
                answer
            }
            SignInStep::Challenge(c) => Self {
                status: "challenge".into(),
                next: c.next_step(),
                username: Some(c.username),
                challenge: Some(c.name),
                session: Some(c.session.expose().to_owned()),
                answer_with: c.answer.map(|a| a.name().to_owned()),
                parameters: Some(c.parameters),
                ..Self::default()
            },
            // SignInStep is non-exhaustive: a future kind of step is still an answer.
            _ => Self {
                status: "unknown".into(),
                next: "Cognito answered in a way this server does not know.".into(),
                ..Self::default()
            },
        }
    }
}

impl State {
    /// The app client the sign-in checks use: its id and secret.
    fn sign_in_client(&self) -> Result<(&str, Option<&cognito_admin::RotatingSecret>), ToolError> {
        let id = self.sign_in.client_id.as_deref().ok_or_else(|| {
            ToolError::Admin(AdminError::Invalid(Invalid {
                field: "sign_in.client_id".into(),
                problem: "is not set, so there is no app client to sign in through".into(),
                requirement: "the operator sets sign_in.client_id (or COGNITO_CLIENT_ID) to an \
                              app client that allows ALLOW_ADMIN_USER_PASSWORD_AUTH"
                    .into(),
                example: "COGNITO_CLIENT_ID=1example23456789".into(),
            }))
        })?;
        Ok((id, self.sign_in.client_secret.as_ref().map(|s| s.value())))
    }
}

#[tool_router(router = mfa_router, vis = "pub(crate)")]
impl State {
    #[tool(
        description = "Set which MFA methods a user has enabled and which one Cognito asks \
        for: totp (authenticator app), sms and email, each {enabled, preferred}. Give at least \
        one; at most one is preferred, and it must be enabled. TOTP can be enabled only for a \
        user who has registered an authenticator app. Returns the user's MFA settings as \
        Cognito now reports them."
    )]
    async fn set_user_mfa_preference(
        &self,
        Parameters(req): Parameters<SetUserMfaPreference>,
    ) -> Result<Json<UserMfaPreference>, ToolError> {
        Ok(Json(
            self.admin.get().await.set_user_mfa_preference(&req).await?,
        ))
    }

    #[tool(
        description = "Get the pool's MFA configuration: mode (OFF, ON = every user must use \
        MFA, OPTIONAL = users who enabled a method) and the methods allowed: software_token \
        (authenticator apps), sms and email."
    )]
    async fn get_user_pool_mfa_config(&self) -> Result<Json<PoolMfa>, ToolError> {
        Ok(Json(
            self.admin.get().await.get_user_pool_mfa_config().await?,
        ))
    }

    #[tool(
        description = "Set the pool's MFA mode (off, on = every user must use MFA, optional) \
        and which methods are allowed: software_token, sms, email; methods left out keep their \
        current setting, and on or optional need at least one. SMS needs the pool's SMS \
        configuration; email needs the Essentials or Plus plan and Amazon SES. With on, users \
        without a method must enroll at next sign-in. Returns the new configuration."
    )]
    async fn set_user_pool_mfa_config(
        &self,
        Parameters(req): Parameters<SetUserPoolMfaConfig>,
    ) -> Result<Json<PoolMfa>, ToolError> {
        Ok(Json(
            self.admin
                .get()
                .await
                .set_user_pool_mfa_config(&req)
                .await?,
        ))
    }

    #[tool(
        description = "Check that a user can sign in with a password, through the server's \
        app client. Answers signed_in with a summary of the tokens (groups, scopes, expiry; not \
        the tokens), or the challenge Cognito asks for next (an MFA code, a new password, ...) \
        with the session and what to call next. A wrong password counts toward Cognito's \
        lockout of the user: do not guess."
    )]
    async fn test_sign_in(
        &self,
        Parameters(req): Parameters<TestSignIn>,
    ) -> Result<Json<SignInAnswer>, ToolError> {
        let (client_id, secret) = self.sign_in_client()?;
        let step = self
            .admin
            .get()
            .await
            .test_sign_in(client_id, secret, &req)
            .await?;
        Ok(Json(SignInAnswer::from_step(
            step,
            self.sign_in.return_tokens,
        )))
    }

    #[tool(
        description = "Answer the challenge test_sign_in (or a previous answer) returned: give \
        its username, challenge and session, and exactly one answer: code (SOFTWARE_TOKEN_MFA, \
        SMS_MFA, EMAIL_OTP), new_password (NEW_PASSWORD_REQUIRED; checked against the password \
        policy, it becomes the user's password) or mfa_type (SELECT_MFA_TYPE). Answers like \
        test_sign_in: signed_in, or the next challenge."
    )]
    async fn respond_to_auth_challenge(
        &self,
        Parameters(req): Parameters<RespondToAuthChallenge>,
    ) -> Result<Json<SignInAnswer>, ToolError> {
        let (client_id, secret) = self.sign_in_client()?;
        let step = self
            .admin
            .get()
            .await
            .respond_to_auth_challenge(client_id, secret, &req)
            .await?;
        Ok(Json(SignInAnswer::from_step(
            step,
            self.sign_in.return_tokens,
        )))
    }
}
