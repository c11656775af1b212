//! Admin-side sign-in (AdminInitiateAuth), for getting test tokens.

use aws_lc_rs::hmac;
use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::{Subject, finish};
use crate::{AdminError, CognitoAdmin, Operation, Secret, validate};

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

/// `SECRET_HASH`: Base64(HMAC-SHA256(client secret, username + client id)).
pub fn secret_hash(client_secret: &Secret, username: &str, client_id: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, client_secret.expose().as_bytes());
    let tag = hmac::sign(&key, format!("{username}{client_id}").as_bytes());
    STANDARD.encode(tag.as_ref())
}

impl CognitoAdmin {
    /// Signs `username` in with ADMIN_USER_PASSWORD_AUTH through app client `client_id`
    /// (with `SECRET_HASH` when the client has a secret).
    pub async fn admin_sign_in(
        &self,
        client_id: &str,
        client_secret: Option<&Secret>,
        username: &str,
        password: &Secret,
    ) -> Result<SignIn, AdminError> {
        validate::username("username", username)?;
        let mut call = self
            .client()
            .admin_initiate_auth()
            .user_pool_id(self.pool_id())
            .client_id(client_id)
            .auth_flow(AuthFlowType::AdminUserPasswordAuth)
            .auth_parameters("USERNAME", username)
            .auth_parameters("PASSWORD", password.expose());
        if let Some(secret) = client_secret {
            call = call.auth_parameters("SECRET_HASH", secret_hash(secret, username, client_id));
        }
        let out = finish(
            Operation::AdminInitiateAuth,
            Subject::User(username),
            call.send().await,
        )?;
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_hash_matches_the_documented_construction() {
        // HMAC-SHA256("secret", "alice" + "client"), base64.
        let h = secret_hash(&Secret::new("secret"), "alice", "client");
        let key = hmac::Key::new(hmac::HMAC_SHA256, b"secret");
        let want = STANDARD.encode(hmac::sign(&key, b"aliceclient").as_ref());
        assert_eq!(h, want);
        assert_eq!(h.len(), 44);
    }
}
