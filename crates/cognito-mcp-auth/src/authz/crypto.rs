//! Randomness, hashes, PKCE and constant-time comparison.

use aws_lc_rs::digest;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Fills `buf` from the system's secure random generator.
pub(crate) fn fill(buf: &mut [u8]) {
    // The system generator does not fail on supported platforms; a failure here means the
    // process cannot make any secret safely, so it must not go on.
    aws_lc_rs::rand::fill(buf).unwrap_or_else(|_| panic!("the system random generator failed"));
}

/// A fresh 256-bit random value, base64url: codes, tokens, CSRF values, ids.
pub(crate) fn random_token() -> String {
    let mut b = [0u8; 32];
    fill(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// A shorter random id (128 bits), base64url.
pub(crate) fn random_id() -> String {
    let mut b = [0u8; 16];
    fill(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// SHA-256 of `s`, base64url.
pub(crate) fn sha256_b64(s: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, s))
}

/// The S256 challenge of a PKCE verifier.
pub(crate) fn pkce_challenge(verifier: &str) -> String {
    sha256_b64(verifier.as_bytes())
}

/// Equality in time independent of where the inputs differ.
pub(crate) fn ct_eq(a: &str, b: &str) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a.as_bytes(), b.as_bytes()).is_ok()
}

/// A PKCE code verifier or challenge: 43 to 128 characters of `[A-Za-z0-9-._~]` (RFC 7636).
pub(crate) fn is_pkce_value(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn pkce_values() {
        assert!(is_pkce_value(&"a".repeat(43)));
        assert!(!is_pkce_value(&"a".repeat(42)));
        assert!(!is_pkce_value(&"a".repeat(129)));
        assert!(!is_pkce_value(&format!("{}+", "a".repeat(43))));
    }

    #[test]
    fn random_values_differ() {
        assert_ne!(random_token(), random_token());
        assert_eq!(random_token().len(), 43);
    }
}
