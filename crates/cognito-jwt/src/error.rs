//! [`VerifyError`]: one variant per reason a token is rejected.

/// Why a token was rejected. Each variant is one rule; [`VerifyError::code`] is a stable
/// snake_case name for it. Messages never contain the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The token is longer than the configured maximum.
    #[error("the token is {len} bytes, over the {max}-byte limit")]
    TooLarge {
        /// The token's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The token is not three base64url segments of a JSON header and payload.
    #[error("the token is malformed: {0}")]
    Malformed(&'static str),
    /// The header's `alg` is not RS256 (this includes `none` and every HMAC algorithm).
    #[error("the token's algorithm {0:?} is not allowed; only RS256 is")]
    UnsupportedAlgorithm(String),
    /// The header has no `kid`.
    #[error("the token header has no kid")]
    MissingKid,
    /// No key with the token's `kid` is in the pool's key set.
    #[error("no key with kid {0:?} is in the pool's key set")]
    UnknownKid(String),
    /// The key for the `kid` is not an RSA signing key for RS256.
    #[error("the key {0:?} is not an RS256 signing key")]
    KeyMismatch(String),
    /// The signature does not verify with the pool's key.
    #[error("the token's signature is invalid")]
    BadSignature,
    /// `iss` is not the pool's issuer.
    #[error("the token was issued by {found:?}, not {expected:?}")]
    WrongIssuer {
        /// The configured issuer.
        expected: String,
        /// The token's `iss`.
        found: String,
    },
    /// `token_use` is not the kind asked for.
    #[error("the token is an {found:?} token where an {expected:?} token is required")]
    WrongTokenUse {
        /// The kind asked for.
        expected: &'static str,
        /// The token's `token_use`.
        found: String,
    },
    /// The token's app client (`client_id`, or `aud` for id tokens) is not allowed.
    #[error("the token's app client {0:?} is not allowed")]
    ClientNotAllowed(String),
    /// A required claim is missing or has the wrong type.
    #[error("the token's {0} claim is missing or invalid")]
    MissingClaim(&'static str),
    /// `exp` has passed (beyond the leeway).
    #[error("the token expired at {exp} (now {now})")]
    Expired {
        /// The token's `exp`.
        exp: u64,
        /// The verifier's time.
        now: u64,
    },
    /// `nbf` is in the future (beyond the leeway).
    #[error("the token is not valid before {nbf} (now {now})")]
    NotYetValid {
        /// The token's `nbf`.
        nbf: u64,
        /// The verifier's time.
        now: u64,
    },
    /// `iat` is in the future (beyond the leeway).
    #[error("the token claims to be issued at {iat}, in the future (now {now})")]
    IssuedInFuture {
        /// The token's `iat`.
        iat: u64,
        /// The verifier's time.
        now: u64,
    },
    /// `aud` does not name the required audience (a token minted for another resource).
    #[error("the token's audience {found:?} does not include {expected:?}")]
    WrongAudience {
        /// The audience required.
        expected: String,
        /// The audiences found.
        found: Vec<String>,
    },
    /// The token was revoked (RFC 7009) or its sign-in was.
    #[error("the token was revoked")]
    Revoked,
    /// Whether the token was revoked cannot be told now: the revocation state is unreachable.
    /// The token is refused, but the refusal is transient ([`VerifyError::is_transient`]).
    #[error("whether the token was revoked cannot be checked now; retry shortly")]
    RevocationUnknown,
    /// The key set could not be fetched and no cached key matches.
    #[error("the pool's key set is unavailable: {0}")]
    JwksUnavailable(String),
}

impl VerifyError {
    /// A stable snake_case name for the rule that failed.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too_large",
            Self::Malformed(_) => "malformed",
            Self::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            Self::MissingKid => "missing_kid",
            Self::UnknownKid(_) => "unknown_kid",
            Self::KeyMismatch(_) => "key_mismatch",
            Self::BadSignature => "bad_signature",
            Self::WrongIssuer { .. } => "wrong_issuer",
            Self::WrongTokenUse { .. } => "wrong_token_use",
            Self::ClientNotAllowed(_) => "client_not_allowed",
            Self::WrongAudience { .. } => "wrong_audience",
            Self::Revoked => "revoked",
            Self::RevocationUnknown => "revocation_unknown",
            Self::MissingClaim(_) => "missing_claim",
            Self::Expired { .. } => "expired",
            Self::NotYetValid { .. } => "not_yet_valid",
            Self::IssuedInFuture { .. } => "issued_in_future",
            Self::JwksUnavailable(_) => "jwks_unavailable",
        }
    }

    /// Whether the refusal says nothing about the token, only that it cannot be checked now
    /// (the key set or the revocation state is unreachable): the caller should retry with the
    /// same token rather than sign in again. An HTTP server answers these 503, not 401.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::JwksUnavailable(_) | Self::RevocationUnknown)
    }
}
