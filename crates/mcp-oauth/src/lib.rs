#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod resource;

pub use cognito_jwt::{Principal, ScopePolicy};
pub use resource::{
    BearerLayer, BearerService, DEFAULT_MAX_BODY_BYTES, ProtectedResource,
    ProtectedResourceBuilder, ScopeRule,
};
