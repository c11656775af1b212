#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod password;
mod peek;
mod rotating;
mod secret;
mod secret_hash;
#[cfg(feature = "sdk")]
mod step;
mod tokens;

pub use password::{MAXIMUM_LENGTH, PasswordPolicy, PasswordRule, SYMBOLS};
pub use peek::peek_payload;
pub use rotating::{RotatingSecret, SecretVersions};
pub use secret::Secret;
pub use secret_hash::{SecretHash, secret_hash_rejected};
#[cfg(feature = "sdk")]
pub use step::{AuthAnswer, AuthChallenge, AuthStep, StepError};
pub use tokens::{TokenSummary, Tokens};
