//! [`SecretHash`]: Cognito's `SECRET_HASH`.

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::Secret;

/// The inputs of Cognito's `SECRET_HASH`, which an app client with a secret must send with
/// InitiateAuth, RespondToAuthChallenge and their admin forms:
/// Base64(HMAC-SHA256(key = client secret, message = username + client id)).
///
/// The inputs are named fields rather than positional arguments: the username and the client
/// id are both strings, and swapping them gives a well-formed hash Cognito refuses.
///
/// `username` is the user Cognito knows the sign-in by: in a RespondToAuthChallenge after SRP,
/// the challenge's `USERNAME` / `USER_ID_FOR_SRP`, not what the user typed.
#[derive(Debug, Clone, Copy)]
pub struct SecretHash<'a> {
    /// The user the call is for.
    pub username: &'a str,
    /// The app client's id.
    pub client_id: &'a str,
    /// The app client's secret.
    pub client_secret: &'a Secret,
}

impl SecretHash<'_> {
    /// The `SECRET_HASH` value: 44 characters of standard, padded base64.
    pub fn to_base64(&self) -> String {
        let key = hmac::Key::new(hmac::HMAC_SHA256, self.client_secret.expose().as_bytes());
        let mut mac = hmac::Context::with_key(&key);
        mac.update(self.username.as_bytes());
        mac.update(self.client_id.as_bytes());
        STANDARD.encode(mac.sign().as_ref())
    }
}

/// Whether a Cognito error refuses the `SECRET_HASH` rather than the user's credentials: a
/// `NotAuthorizedException` saying "Unable to verify secret hash for client ..." (Cognito's
/// words), or whose message is a `SECRET_HASH` itself (moto answers with the refused hash).
/// Only then is another client secret worth a try: a wrong password is a
/// `NotAuthorizedException` too.
pub fn secret_hash_rejected(code: &str, message: &str) -> bool {
    let m = message.trim();
    let is_hash = m.len() == 44
        && m.ends_with('=')
        && m.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=');
    code == "NotAuthorizedException" && (m.to_ascii_lowercase().contains("secret hash") || is_hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Computed independently with Python's standard library:
    //
    //   python3 -c 'import hmac, hashlib, base64; print(base64.b64encode(hmac.new(
    //     b"example-client-secret-0123456789", b"alice@example.com" + b"4j3ob2example0client",
    //     hashlib.sha256).digest()).decode())'
    //   Fx7ctGKasGbTgn85E3tHTF0XNKl4EZVrCMYBMLkIhTY=
    #[test]
    fn matches_an_independently_computed_vector() {
        let secret = Secret::new("example-client-secret-0123456789");
        let hash = SecretHash {
            username: "alice@example.com",
            client_id: "4j3ob2example0client",
            client_secret: &secret,
        };
        assert_eq!(
            hash.to_base64(),
            "Fx7ctGKasGbTgn85E3tHTF0XNKl4EZVrCMYBMLkIhTY="
        );
    }

    // python3 -c 'import hmac, hashlib, base64; s = b"client-secret"
    //   print(base64.b64encode(hmac.new(s, b"alice" + b"client-id", hashlib.sha256).digest()))
    //   print(base64.b64encode(hmac.new(s, b"client-id" + b"alice", hashlib.sha256).digest()))'
    #[test]
    fn the_username_comes_first() {
        let secret = Secret::new("client-secret");
        let right = SecretHash {
            username: "alice",
            client_id: "client-id",
            client_secret: &secret,
        };
        let swapped = SecretHash {
            username: "client-id",
            client_id: "alice",
            client_secret: &secret,
        };
        assert_eq!(
            right.to_base64(),
            "qROqM+PMKX09MK8ulDVm8LCWdCRqQQEUG9HcF+N7/S4="
        );
        assert_eq!(
            swapped.to_base64(),
            "UGcsnaIDS4jHCZvbmh2furitlBAkVn9qmK1UhKiZjpc="
        );
    }

    #[test]
    fn the_secret_is_the_key() {
        let a = Secret::new("client-secret");
        let b = Secret::new("client-secreT");
        let hash = |s| {
            SecretHash {
                username: "alice",
                client_id: "client-id",
                client_secret: s,
            }
            .to_base64()
        };
        assert_ne!(hash(&a), hash(&b));
    }

    #[test]
    fn only_a_refused_hash_is_a_secret_rejection() {
        let sent = "qROqM+PMKX09MK8ulDVm8LCWdCRqQQEUG9HcF+N7/S4=";
        let cognito = "Unable to verify secret hash for client 1example23456789";
        assert!(secret_hash_rejected("NotAuthorizedException", cognito));
        assert!(secret_hash_rejected("NotAuthorizedException", sent), "moto");
        let wrong = "Incorrect username or password.";
        assert!(!secret_hash_rejected("NotAuthorizedException", wrong));
        assert!(!secret_hash_rejected("InvalidParameterException", cognito));
        assert!(!secret_hash_rejected("NotAuthorizedException", ""));
    }
}
