#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod authz;
pub mod resource;
pub mod store;

pub use authz::{
    AuthorizationServer, AuthorizationServerBuilder, DcrPolicy, HostedUi, HostedUiConfig, Lifetimes,
};
pub use cognito_jwt::{Principal, ScopePolicy};
pub use resource::{
    BearerLayer, BearerService, DEFAULT_MAX_BODY_BYTES, NoTokenSource, ProtectedResource,
    ProtectedResourceBuilder, ScopeRule,
};
