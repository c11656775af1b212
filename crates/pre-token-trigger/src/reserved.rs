//! The claims a pre token generation trigger may not add or override.
//!
//! Cognito's developer guide lists the claims a trigger can't modify: `acr`, `amr`, `aud`,
//! `at_hash`, `auth_time`, `azp`, `cognito:username`, `exp`, `iat`, `identities`, `iss`, `jti`,
//! `nbf`, `nonce`, `origin_jti`, `sub`, `token_use`, and developer attribute claims with a
//! `dev:` prefix. Because this trigger writes the same claims into the access token too, it
//! also refuses the access token's own claims (`client_id`, `scope`, `username`, `event_id`,
//! `device_key`, `version`) and, for the ID token's OIDC hashes, `c_hash`. The whole `cognito:`
//! namespace is refused: groups and roles change through `groupOverrideDetails`, not claims.

/// Claims Cognito documents as not modifiable by the trigger.
const DOCUMENTED: &[&str] = &[
    "acr",
    "amr",
    "aud",
    "at_hash",
    "auth_time",
    "azp",
    "cognito:username",
    "exp",
    "iat",
    "identities",
    "iss",
    "jti",
    "nbf",
    "nonce",
    "origin_jti",
    "sub",
    "token_use",
];

/// The access token's own claims (and the ID token's code hash), refused because the trigger
/// writes every configured claim into both tokens.
const TOKEN_OWN: &[&str] = &[
    "client_id",
    "scope",
    "username",
    "event_id",
    "device_key",
    "version",
    "c_hash",
];

/// Why `claim` may not be set by the trigger, or `None` when it may.
pub(crate) fn reserved_reason(claim: &str) -> Option<&'static str> {
    if DOCUMENTED.contains(&claim) {
        Some("Cognito's list of claims a trigger can't modify")
    } else if claim.starts_with("cognito:") {
        Some("the cognito: namespace is Cognito's own; groups change through groupOverrideDetails")
    } else if claim.starts_with("dev:") {
        Some("developer attribute claims with a dev: prefix can't be modified")
    } else if TOKEN_OWN.contains(&claim) {
        Some("a claim Cognito sets in every access token")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_claim_is_reserved() {
        for claim in DOCUMENTED.iter().chain(TOKEN_OWN) {
            assert!(
                reserved_reason(claim).is_some(),
                "{claim} should be reserved"
            );
        }
    }

    #[test]
    fn prefixes_are_reserved_and_ordinary_claims_are_not() {
        assert!(reserved_reason("cognito:groups").is_some());
        assert!(reserved_reason("cognito:preferred_role").is_some());
        assert!(reserved_reason("dev:anything").is_some());
        for claim in ["department", "email", "tenant", "custom_sub", "subject"] {
            assert_eq!(reserved_reason(claim), None, "{claim} should be allowed");
        }
    }
}
