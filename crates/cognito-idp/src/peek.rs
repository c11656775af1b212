//! [`peek_payload`]: a JWT's payload, read without verifying it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;

/// The payload of the compact JWT `token` as a `T`, read **without** checking the signature;
/// `None` when `token` has no second segment, it is not unpadded base64url (RFC 7515), or its
/// JSON is not a `T`.
///
/// Only for tokens that need no verifying (they came straight from Cognito over TLS) or to
/// choose which verifier to ask. Never decide access on what it returns.
pub fn peek_payload<T: DeserializeOwned>(token: &str) -> Option<T> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::{Map, Value};

    use super::*;

    fn jwt(payload: &[u8]) -> String {
        format!(
            "{}.{}.sig",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#),
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Iss {
        iss: Option<String>,
    }

    #[test]
    fn reads_the_second_segment() {
        let token = jwt(br#"{"iss":"https://example","sub":"s-1"}"#);
        assert_eq!(
            peek_payload::<Iss>(&token),
            Some(Iss {
                iss: Some("https://example".into())
            })
        );
        let map: Map<String, Value> = peek_payload(&token).expect("an object");
        assert_eq!(map["sub"], "s-1");
    }

    #[test]
    fn the_signature_is_not_looked_at() {
        let token = jwt(br#"{"iss":"x"}"#).replace(".sig", ".not-a-signature!");
        assert!(peek_payload::<Iss>(&token).is_some());
    }

    #[test]
    fn not_a_jwt_is_none() {
        assert_eq!(peek_payload::<Value>("opaque"), None, "one segment");
        assert_eq!(peek_payload::<Value>("a.!!!.c"), None, "not base64url");
        let padded = format!("h.{}=.s", URL_SAFE_NO_PAD.encode(br#"{"iss":"x"}"#));
        assert_eq!(peek_payload::<Value>(&padded), None, "padded");
        let not_json = jwt(b"not json");
        assert_eq!(peek_payload::<Value>(&not_json), None, "not JSON");
        let array = jwt(b"[1,2]");
        assert_eq!(
            peek_payload::<Map<String, Value>>(&array),
            None,
            "not an object"
        );
    }
}
