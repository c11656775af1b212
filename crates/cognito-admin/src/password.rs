//! The pool's password policy, and checks of a password against it (from `cognito-idp`, shared
//! with the sign-in page of `cognito-mcp-auth`).
//!
//! moto does not check temporary passwords, and real Cognito's error for a weak password names
//! one rule at a time. We check every rule before AWS sees the password, and name each one
//! that fails.

pub use cognito_idp::{MAXIMUM_LENGTH, PasswordPolicy, PasswordRule, SYMBOLS};
