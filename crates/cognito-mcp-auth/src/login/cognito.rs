//! The Cognito API calls of the sign-in page: InitiateAuth (SRP) or AdminInitiateAuth
//! (password), the challenge answers, TOTP enrollment, refresh and revocation.

use std::time::SystemTime;

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::types::{
    AuthFlowType, ChallengeNameType, ExplicitAuthFlowsType, VerifySoftwareTokenResponseType,
};
use base64::Engine as _;
use cognito_idp::{AuthAnswer, AuthStep, RotatingSecret, Secret, SecretHash};
use tokio::sync::OnceCell;
use zeroize::Zeroizing;

use super::srp::{PasswordChallenge, SrpClient};
use super::{AuthFlow, PasswordPolicy};

/// Why a call failed, in the terms the pages need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Wrong username or password (or no such user, or disabled: never told apart).
    BadCredentials,
    /// Cognito's own lockout after repeated wrong passwords.
    CognitoLockout,
    /// The challenge session expired or was used up.
    SessionExpired,
    /// A wrong (or expired) one-time code.
    WrongCode,
    /// The new password does not meet the pool's policy; Cognito's words.
    InvalidPassword(String),
    /// The user must reset the password before signing in.
    PasswordResetRequired,
    /// The user has not confirmed the account.
    NotConfirmed,
    /// Cognito throttled the call.
    Throttled,
    /// Cognito could not be reached or failed.
    Unavailable(String),
    /// Cognito refused the request as configured (a flow not enabled on the app client, a
    /// wrong client id): a problem for the administrator, not the user.
    Misconfigured(String),
    /// Cognito refused the `SECRET_HASH`: during a rotation the other app client secret may
    /// pass. Only [`Cognito::with_secret`] sees it; it becomes `Misconfigured` after the last
    /// secret.
    SecretRefused(String),
}

impl Failure {
    /// The failure's name, for the metrics (`cognito_mcp_sign_in_attempts_total{outcome}`).
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::BadCredentials => "bad_credentials",
            Self::CognitoLockout => "cognito_lockout",
            Self::SessionExpired => "session_expired",
            Self::WrongCode => "wrong_code",
            Self::InvalidPassword(_) => "invalid_password",
            Self::PasswordResetRequired => "password_reset_required",
            Self::NotConfirmed => "not_confirmed",
            Self::Throttled => "throttled",
            Self::Unavailable(_) => "unavailable",
            Self::Misconfigured(_) | Self::SecretRefused(_) => "misconfigured",
        }
    }
}

impl<E, R> From<SdkError<E, R>> for Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    fn from(e: SdkError<E, R>) -> Self {
        let code = e.code().unwrap_or_default().to_owned();
        let message = e.message().unwrap_or_default().to_owned();
        classify(&code, &message, || {
            format!(
                "{}",
                aws_smithy_types::error::display::DisplayErrorContext(&e)
            )
        })
    }
}

/// Maps a Cognito error code and message to a [`Failure`].
fn classify(code: &str, message: &str, detail: impl FnOnce() -> String) -> Failure {
    let lower = message.to_ascii_lowercase();
    if cognito_idp::secret_hash_rejected(code, message) {
        return Failure::SecretRefused(format!(
            "{code}: Cognito refused the SECRET_HASH, so the app client's secret is not the one \
             configured: check COGNITO_CLIENT_SECRET (and COGNITO_CLIENT_SECRET_PREVIOUS during a \
             rotation)"
        ));
    }
    match code {
        "NotAuthorizedException" if lower.contains("session") => Failure::SessionExpired,
        "NotAuthorizedException" if lower.contains("attempts exceeded") => Failure::CognitoLockout,
        "NotAuthorizedException" | "UserNotFoundException" => Failure::BadCredentials,
        "CodeMismatchException" | "ExpiredCodeException" => Failure::WrongCode,
        "InvalidPasswordException" => Failure::InvalidPassword(message.to_owned()),
        "PasswordResetRequiredException" => Failure::PasswordResetRequired,
        "UserNotConfirmedException" => Failure::NotConfirmed,
        "TooManyRequestsException"
        | "LimitExceededException"
        | "TooManyFailedAttemptsException" => Failure::Throttled,
        "InvalidParameterException"
        | "ResourceNotFoundException"
        | "InvalidUserPoolConfigurationException"
        | "InvalidLambdaResponseException"
        | "UnexpectedLambdaException"
        | "UserLambdaValidationException"
        | "AccessDeniedException"
        | "UnrecognizedClientException" => Failure::Misconfigured(format!("{code}: {message}")),
        _ => Failure::Unavailable(if code.is_empty() {
            detail()
        } else {
            format!("{code}: {message}")
        }),
    }
}

/// The Cognito side of the sign-in page.
#[derive(Debug)]
pub(crate) struct Cognito {
    pub(crate) client: Client,
    pub(crate) pool_id: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: Option<RotatingSecret>,
    pub(crate) flow: AuthFlow,
    resolved: OnceCell<AuthFlow>,
    policy: OnceCell<PasswordPolicy>,
}

impl Cognito {
    pub(crate) fn new(
        client: Client,
        pool_id: String,
        client_id: String,
        client_secret: Option<RotatingSecret>,
        flow: AuthFlow,
    ) -> Self {
        Self {
            client,
            pool_id,
            client_id,
            client_secret,
            flow,
            resolved: OnceCell::new(),
            policy: OnceCell::new(),
        }
    }

    /// `SECRET_HASH` of `username` with `secret`, when the app client has one. In a
    /// RespondToAuthChallenge `username` must be the challenge's user (`USER_ID_FOR_SRP`), not
    /// what the user typed.
    fn secret_hash(&self, secret: Option<&Secret>, username: &str) -> Option<String> {
        secret.map(|client_secret| {
            SecretHash {
                username,
                client_id: &self.client_id,
                client_secret,
            }
            .to_base64()
        })
    }

    /// Runs `call` with the app client secret that last worked (none for a client without
    /// one); when Cognito refuses its `SECRET_HASH` during a rotation, once more with the
    /// other secret, which is then remembered as the one that works.
    async fn with_secret<T, F, Fut>(&self, call: F) -> Result<T, Failure>
    where
        F: Fn(Option<Secret>) -> Fut,
        Fut: std::future::Future<Output = Result<T, Failure>>,
    {
        let Some(rotating) = &self.client_secret else {
            return call(None).await;
        };
        let secrets = rotating.in_order();
        let last = secrets.len() - 1;
        for (i, secret) in secrets.into_iter().enumerate() {
            match call(Some(secret.clone())).await {
                Err(Failure::SecretRefused(_)) if i < last => {
                    tracing::info!(
                        "Cognito refused the app client secret; trying the other one of the rotation"
                    );
                }
                Err(Failure::SecretRefused(m)) => return Err(Failure::Misconfigured(m)),
                other => {
                    if other.is_ok() {
                        rotating.worked(&secret);
                    }
                    return other;
                }
            }
        }
        unreachable!("the last secret returns")
    }

    /// The flow in use: as configured, or (`Auto`) SRP when the app client allows it, else
    /// ADMIN_USER_PASSWORD_AUTH.
    pub(crate) async fn flow(&self) -> Result<AuthFlow, Failure> {
        if self.flow != AuthFlow::Auto {
            return Ok(self.flow);
        }
        self.resolved
            .get_or_try_init(|| async {
                let out = self
                    .client
                    .describe_user_pool_client()
                    .user_pool_id(&self.pool_id)
                    .client_id(&self.client_id)
                    .send()
                    .await?;
                let flows = out
                    .user_pool_client()
                    .map(|c| c.explicit_auth_flows().to_vec())
                    .unwrap_or_default();
                let has = |f: &ExplicitAuthFlowsType| flows.contains(f);
                if has(&ExplicitAuthFlowsType::AllowUserSrpAuth) {
                    Ok(AuthFlow::Srp)
                } else if has(&ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
                    || has(&ExplicitAuthFlowsType::AdminNoSrpAuth)
                {
                    Ok(AuthFlow::AdminPassword)
                } else {
                    Err(Failure::Misconfigured(format!(
                        "the app client {} allows neither ALLOW_USER_SRP_AUTH nor \
                         ALLOW_ADMIN_USER_PASSWORD_AUTH; enable one of them",
                        self.client_id
                    )))
                }
            })
            .await
            .copied()
    }

    /// The pool's password policy, read once (Cognito's default when it cannot be read).
    pub(crate) async fn password_policy(&self) -> &PasswordPolicy {
        self.policy
            .get_or_init(|| async {
                let read = self
                    .client
                    .describe_user_pool()
                    .user_pool_id(&self.pool_id)
                    .send()
                    .await;
                match read {
                    Ok(out) => out
                        .user_pool()
                        .and_then(|p| p.policies())
                        .and_then(|p| p.password_policy())
                        .map(PasswordPolicy::from_sdk)
                        .unwrap_or_default(),
                    Err(e) => {
                        tracing::warn!(error = ?Failure::from(e), "cannot read the pool's password policy; showing Cognito's default");
                        PasswordPolicy::default()
                    }
                }
            })
            .await
    }

    /// The user a typed name means (their username, or an alias: email, phone, preferred
    /// username), as `sub` (else Cognito's username); `None` when no user has that name.
    /// AdminGetUser accepts every alias, so one user's names share one failure budget.
    pub(crate) async fn resolve(&self, typed: &str) -> Result<Option<String>, Failure> {
        let out = match self
            .client
            .admin_get_user()
            .user_pool_id(&self.pool_id)
            .username(typed)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                // No such user, or text that cannot be a username (`InvalidParameterException`
                // on its pattern): counted under the typed text, like any unknown name.
                let code = e.code().unwrap_or_default();
                if code == "UserNotFoundException" || code == "InvalidParameterException" {
                    return Ok(None);
                }
                return Err(e.into());
            }
        };
        let sub = out
            .user_attributes()
            .iter()
            .find(|a| a.name() == "sub")
            .and_then(|a| a.value())
            .filter(|v| !v.is_empty());
        Ok(Some(sub.unwrap_or(out.username()).to_owned()))
    }

    /// Starts a sign-in with the username and password.
    pub(crate) async fn start(&self, username: &str, password: &str) -> Result<AuthStep, Failure> {
        match self.flow().await? {
            AuthFlow::Srp => self.start_srp(username, password).await,
            _ => {
                self.with_secret(|secret| async move {
                    let mut req = self
                        .client
                        .admin_initiate_auth()
                        .user_pool_id(&self.pool_id)
                        .client_id(&self.client_id)
                        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
                        .auth_parameters("USERNAME", username)
                        .auth_parameters("PASSWORD", password);
                    if let Some(h) = self.secret_hash(secret.as_ref(), username) {
                        req = req.auth_parameters("SECRET_HASH", h);
                    }
                    step(&req.send().await?)
                })
                .await
            }
        }
    }

    async fn start_srp(&self, username: &str, password: &str) -> Result<AuthStep, Failure> {
        let client = SrpClient::new();
        let srp_a = client.srp_a();
        let first = self
            .with_secret(|secret| {
                let srp_a = srp_a.clone();
                async move {
                    let mut req = self
                        .client
                        .initiate_auth()
                        .client_id(&self.client_id)
                        .auth_flow(AuthFlowType::UserSrpAuth)
                        .auth_parameters("USERNAME", username)
                        .auth_parameters("SRP_A", srp_a);
                    if let Some(h) = self.secret_hash(secret.as_ref(), username) {
                        req = req.auth_parameters("SECRET_HASH", h);
                    }
                    step(&req.send().await?)
                }
            })
            .await?;
        let AuthStep::Challenge(c) = &first else {
            return Ok(first);
        };
        if c.name != "PASSWORD_VERIFIER" {
            return Ok(first);
        }
        let (session, params) = (&c.session, &c.parameters);
        let param = |k: &str| params.get(k).map(String::as_str).unwrap_or_default();
        let user_id = param("USER_ID_FOR_SRP");
        // Cognito's SECRET_BLOCK is base64; moto's is its session id in plain text. The block
        // is signed as bytes and sent back exactly as received either way.
        let block = param("SECRET_BLOCK");
        let block_b64 = if base64::engine::general_purpose::STANDARD
            .decode(block)
            .is_ok()
        {
            block.to_owned()
        } else {
            base64::engine::general_purpose::STANDARD.encode(block)
        };
        let mut claim = client
            .password_claim(
                &PasswordChallenge {
                    pool_id: &self.pool_id,
                    user_id_for_srp: user_id,
                    salt_hex: param("SALT"),
                    srp_b_hex: param("SRP_B"),
                    secret_block_b64: &block_b64,
                },
                password,
                SystemTime::now(),
            )
            .map_err(|e| Failure::Unavailable(format!("the SRP challenge is unusable: {e}")))?;
        claim.secret_block = block.to_owned();
        let answer_as = params
            .get("USERNAME")
            .map(String::as_str)
            .unwrap_or(user_id)
            .to_owned();
        let responses = vec![
            ("PASSWORD_CLAIM_SIGNATURE".to_owned(), claim.signature),
            ("PASSWORD_CLAIM_SECRET_BLOCK".to_owned(), claim.secret_block),
            ("TIMESTAMP".to_owned(), claim.timestamp),
        ];
        self.respond("PASSWORD_VERIFIER", session.expose(), &answer_as, responses)
            .await
    }

    /// Answers a challenge; adds `USERNAME` and, for an app client with a secret,
    /// `SECRET_HASH`.
    pub(crate) async fn respond(
        &self,
        challenge: &str,
        session: &str,
        username: &str,
        mut responses: Vec<(String, String)>,
    ) -> Result<AuthStep, Failure> {
        responses.push(("USERNAME".into(), username.into()));
        let srp = self.flow().await? == AuthFlow::Srp;
        let responses = &responses;
        self.with_secret(|secret| async move {
            let mut responses = responses.clone();
            if let Some(h) = self.secret_hash(secret.as_ref(), username) {
                responses.push(("SECRET_HASH".into(), h));
            }
            self.respond_once(challenge, session, srp, responses).await
        })
        .await
    }

    async fn respond_once(
        &self,
        challenge: &str,
        session: &str,
        srp: bool,
        responses: Vec<(String, String)>,
    ) -> Result<AuthStep, Failure> {
        let name = ChallengeNameType::from(challenge);
        if srp {
            let mut req = self
                .client
                .respond_to_auth_challenge()
                .client_id(&self.client_id)
                .challenge_name(name)
                .session(session);
            for (k, v) in responses {
                req = req.challenge_responses(k, v);
            }
            step(&req.send().await?)
        } else {
            let mut req = self
                .client
                .admin_respond_to_auth_challenge()
                .user_pool_id(&self.pool_id)
                .client_id(&self.client_id)
                .challenge_name(name)
                .session(session);
            for (k, v) in responses {
                req = req.challenge_responses(k, v);
            }
            step(&req.send().await?)
        }
    }

    /// Starts TOTP enrollment within a sign-in: the secret, and the session to continue with.
    pub(crate) async fn associate_totp(
        &self,
        session: &str,
    ) -> Result<(Zeroizing<String>, String), Failure> {
        let out = self
            .client
            .associate_software_token()
            .session(session)
            .send()
            .await?;
        let secret = out
            .secret_code()
            .ok_or_else(|| Failure::Unavailable("AssociateSoftwareToken gave no secret".into()))?;
        Ok((
            Zeroizing::new(secret.to_owned()),
            out.session().unwrap_or(session).to_owned(),
        ))
    }

    /// Verifies the first code of the authenticator app; the session to continue with.
    pub(crate) async fn verify_totp(&self, session: &str, code: &str) -> Result<String, Failure> {
        let out = self
            .client
            .verify_software_token()
            .session(session)
            .user_code(code)
            .friendly_device_name("cognito-mcp")
            .send()
            .await?;
        if out.status() != Some(&VerifySoftwareTokenResponseType::Success) {
            return Err(Failure::WrongCode);
        }
        Ok(out.session().unwrap_or(session).to_owned())
    }

    /// Refreshes a session with the upstream refresh token.
    pub(crate) async fn refresh(&self, username: &str, token: &str) -> Result<AuthStep, Failure> {
        let srp = self.flow().await? == AuthFlow::Srp;
        self.with_secret(|secret| async move {
            let hash = self.secret_hash(secret.as_ref(), username);
            if srp {
                let mut req = self
                    .client
                    .initiate_auth()
                    .client_id(&self.client_id)
                    .auth_flow(AuthFlowType::RefreshTokenAuth)
                    .auth_parameters("REFRESH_TOKEN", token);
                if let Some(h) = hash {
                    req = req.auth_parameters("SECRET_HASH", h);
                }
                step(&req.send().await?)
            } else {
                let mut req = self
                    .client
                    .admin_initiate_auth()
                    .user_pool_id(&self.pool_id)
                    .client_id(&self.client_id)
                    .auth_flow(AuthFlowType::RefreshTokenAuth)
                    .auth_parameters("REFRESH_TOKEN", token);
                if let Some(h) = hash {
                    req = req.auth_parameters("SECRET_HASH", h);
                }
                step(&req.send().await?)
            }
        })
        .await
    }

    /// Revokes a refresh token (one attempt: revocation is best effort).
    pub(crate) async fn revoke(&self, token: &str) -> Result<(), Failure> {
        let mut req = self
            .client
            .revoke_token()
            .client_id(&self.client_id)
            .token(token);
        // Best effort: the secret that last worked.
        if let Some(s) = self
            .client_secret
            .as_ref()
            .and_then(|s| s.in_order().into_iter().next())
        {
            req = req.client_secret(s.expose());
        }
        req.customize()
            .config_override(
                aws_sdk_cognitoidentityprovider::config::Builder::default().retry_config(
                    aws_sdk_cognitoidentityprovider::config::retry::RetryConfig::disabled(),
                ),
            )
            .send()
            .await?;
        Ok(())
    }
}

/// The step a Cognito answer describes; an answer that describes none is Cognito failing.
fn step(answer: &impl AuthAnswer) -> Result<AuthStep, Failure> {
    AuthStep::from_answer(answer).map_err(|e| Failure::Unavailable(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_do_not_tell_unknown_users_from_wrong_passwords() {
        let none = String::new;
        assert_eq!(
            classify("UserNotFoundException", "User does not exist.", none),
            Failure::BadCredentials
        );
        assert_eq!(
            classify(
                "NotAuthorizedException",
                "Incorrect username or password.",
                none
            ),
            Failure::BadCredentials
        );
        assert_eq!(
            classify("NotAuthorizedException", "User is disabled.", none),
            Failure::BadCredentials
        );
        assert_eq!(
            classify(
                "NotAuthorizedException",
                "Invalid session for the user, session is expired.",
                none
            ),
            Failure::SessionExpired
        );
        assert_eq!(
            classify("NotAuthorizedException", "Password attempts exceeded", none),
            Failure::CognitoLockout
        );
        assert!(matches!(
            classify("", "", || "dispatch failure: connection refused".into()),
            Failure::Unavailable(d) if d.contains("connection refused")
        ));
    }
}
