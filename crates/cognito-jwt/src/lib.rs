#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod cache;
mod claims;
mod clock;
mod error;
mod jwks;
mod principal;
mod resource;
mod verifier;

#[cfg(feature = "testing")]
pub mod testing;

pub use claims::{Claims, TokenUse};
pub use clock::{Clock, SystemClock};
pub use error::VerifyError;
pub use jwks::{HttpJwks, JwksFuture, JwksSource, MAX_JWKS_BYTES, StaticJwks};
pub use principal::{Principal, PrincipalSummary, ScopePolicy};
pub use resource::same_resource;
pub use verifier::{
    BuildError, CognitoVerifier, DEFAULT_CACHE_CAPACITY, DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_BYTES,
    DEFAULT_MIN_REFETCH_INTERVAL, VerifierBuilder, cognito_issuer,
};
