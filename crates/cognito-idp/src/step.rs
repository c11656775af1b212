//! [`AuthStep`]: what an InitiateAuth or RespondToAuthChallenge answer (or their admin forms)
//! says comes next.

use std::collections::HashMap;

use aws_sdk_cognitoidentityprovider::operation::admin_initiate_auth::AdminInitiateAuthOutput;
use aws_sdk_cognitoidentityprovider::operation::admin_respond_to_auth_challenge::AdminRespondToAuthChallengeOutput;
use aws_sdk_cognitoidentityprovider::operation::initiate_auth::InitiateAuthOutput;
use aws_sdk_cognitoidentityprovider::operation::respond_to_auth_challenge::RespondToAuthChallengeOutput;
use aws_sdk_cognitoidentityprovider::types::{AuthenticationResultType, ChallengeNameType};

use crate::{Secret, Tokens};

/// The parts of a sign-in answer the next step is read from. Implemented for the answers of
/// InitiateAuth, AdminInitiateAuth, RespondToAuthChallenge and AdminRespondToAuthChallenge.
pub trait AuthAnswer {
    /// The tokens, when Cognito issued them.
    fn authentication_result(&self) -> Option<&AuthenticationResultType>;
    /// The challenge, when Cognito asks for one.
    fn challenge_name(&self) -> Option<&ChallengeNameType>;
    /// The session to answer the challenge with.
    fn session(&self) -> Option<&str>;
    /// The challenge's parameters.
    fn challenge_parameters(&self) -> Option<&HashMap<String, String>>;
}

macro_rules! auth_answer {
    ($($output:ty),+) => {$(
        impl AuthAnswer for $output {
            fn authentication_result(&self) -> Option<&AuthenticationResultType> {
                <$output>::authentication_result(self)
            }
            fn challenge_name(&self) -> Option<&ChallengeNameType> {
                <$output>::challenge_name(self)
            }
            fn session(&self) -> Option<&str> {
                <$output>::session(self)
            }
            fn challenge_parameters(&self) -> Option<&HashMap<String, String>> {
                <$output>::challenge_parameters(self)
            }
        }
    )+};
}

auth_answer!(
    InitiateAuthOutput,
    AdminInitiateAuthOutput,
    RespondToAuthChallengeOutput,
    AdminRespondToAuthChallengeOutput
);

/// A challenge Cognito wants answered before it issues tokens, as Cognito sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthChallenge {
    /// The challenge name: `PASSWORD_VERIFIER`, `NEW_PASSWORD_REQUIRED`, `SOFTWARE_TOKEN_MFA`,
    /// `MFA_SETUP`, ...
    pub name: String,
    /// The session to answer with. Cognito keeps it 3 minutes.
    pub session: Secret,
    /// Every challenge parameter, unfiltered: some (`USER_ID_FOR_SRP`, `userAttributes`, SRP
    /// values) are not for showing.
    pub parameters: HashMap<String, String>,
}

/// Where a sign-in stands after an answer from Cognito: there is no third way.
#[derive(Debug, Clone)]
pub enum AuthStep {
    /// Signed in.
    SignedIn(Tokens),
    /// Cognito asks for another step.
    Challenge(AuthChallenge),
}

/// A sign-in answer that names no next step. One variant per rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StepError {
    /// Tokens without an access token.
    #[error("Cognito's answer has no access token")]
    NoAccessToken,
    /// A challenge without the session to answer it with.
    #[error("Cognito asked for {challenge} without a session")]
    NoSession {
        /// The challenge name.
        challenge: String,
    },
    /// Neither tokens nor a challenge.
    #[error("Cognito's answer has neither tokens nor a challenge")]
    Empty,
}

impl AuthStep {
    /// The step `answer` describes: its tokens when it has them (an access token is required),
    /// else its challenge (a session is required).
    pub fn from_answer(answer: &impl AuthAnswer) -> Result<Self, StepError> {
        if let Some(r) = answer.authentication_result() {
            let access = r.access_token().ok_or(StepError::NoAccessToken)?;
            return Ok(Self::SignedIn(Tokens {
                access_token: Secret::new(access),
                id_token: r.id_token().map(Secret::new),
                refresh_token: r.refresh_token().map(Secret::new),
                expires_in: r.expires_in(),
            }));
        }
        let Some(name) = answer.challenge_name() else {
            return Err(StepError::Empty);
        };
        let name = name.as_str().to_owned();
        let Some(session) = answer.session() else {
            return Err(StepError::NoSession { challenge: name });
        };
        Ok(Self::Challenge(AuthChallenge {
            name,
            session: Secret::new(session),
            parameters: answer.challenge_parameters().cloned().unwrap_or_default(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> AuthenticationResultType {
        AuthenticationResultType::builder()
            .access_token("access.jwt.value")
            .id_token("id.jwt.value")
            .refresh_token("refresh-value")
            .expires_in(3600)
            .build()
    }

    #[test]
    fn tokens_are_signed_in() {
        let out = InitiateAuthOutput::builder()
            .authentication_result(tokens())
            .build();
        let Ok(AuthStep::SignedIn(t)) = AuthStep::from_answer(&out) else {
            panic!("signed in")
        };
        assert_eq!(t.access_token.expose(), "access.jwt.value");
        assert_eq!(
            t.id_token.as_ref().map(Secret::expose),
            Some("id.jwt.value")
        );
        assert_eq!(
            t.refresh_token.as_ref().map(Secret::expose),
            Some("refresh-value")
        );
        assert_eq!(t.expires_in, 3600);
    }

    #[test]
    fn tokens_win_over_a_challenge() {
        let out = AdminRespondToAuthChallengeOutput::builder()
            .authentication_result(tokens())
            .challenge_name(ChallengeNameType::SmsMfa)
            .session("s")
            .build();
        assert!(matches!(
            AuthStep::from_answer(&out),
            Ok(AuthStep::SignedIn(_))
        ));
    }

    #[test]
    fn a_challenge_keeps_its_session_and_every_parameter() {
        let out = AdminInitiateAuthOutput::builder()
            .challenge_name(ChallengeNameType::NewPasswordRequired)
            .session("session-value")
            .challenge_parameters("USER_ID_FOR_SRP", "internal-id")
            .challenge_parameters("requiredAttributes", "[]")
            .build();
        let Ok(AuthStep::Challenge(c)) = AuthStep::from_answer(&out) else {
            panic!("a challenge")
        };
        assert_eq!(c.name, "NEW_PASSWORD_REQUIRED");
        assert_eq!(c.session.expose(), "session-value");
        assert_eq!(c.parameters.len(), 2);
        assert_eq!(c.parameters["USER_ID_FOR_SRP"], "internal-id");
    }

    #[test]
    fn a_challenge_without_parameters_has_none() {
        let out = RespondToAuthChallengeOutput::builder()
            .challenge_name(ChallengeNameType::SoftwareTokenMfa)
            .session("s")
            .build();
        let Ok(AuthStep::Challenge(c)) = AuthStep::from_answer(&out) else {
            panic!("a challenge")
        };
        assert!(c.parameters.is_empty());
    }

    #[test]
    fn tokens_without_an_access_token_fail() {
        let out = InitiateAuthOutput::builder()
            .authentication_result(AuthenticationResultType::builder().id_token("id").build())
            .build();
        assert_eq!(
            AuthStep::from_answer(&out).err(),
            Some(StepError::NoAccessToken)
        );
    }

    #[test]
    fn a_challenge_without_a_session_fails() {
        let out = InitiateAuthOutput::builder()
            .challenge_name(ChallengeNameType::MfaSetup)
            .build();
        let e = AuthStep::from_answer(&out).err();
        assert_eq!(
            e,
            Some(StepError::NoSession {
                challenge: "MFA_SETUP".into()
            })
        );
        assert_eq!(
            e.map(|e| e.to_string()).as_deref(),
            Some("Cognito asked for MFA_SETUP without a session")
        );
    }

    #[test]
    fn an_empty_answer_fails() {
        let out = InitiateAuthOutput::builder().session("s").build();
        assert_eq!(AuthStep::from_answer(&out).err(), Some(StepError::Empty));
    }
}
