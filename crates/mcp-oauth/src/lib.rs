#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod authz;
#[cfg(feature = "login")]
pub mod login;
pub mod resource;
pub mod store;

pub use authz::{
    AuthorizationServer, AuthorizationServerBuilder, DcrPolicy, HostedUi, HostedUiConfig, Lifetimes,
};
pub use cognito_jwt::{Principal, ScopePolicy};
#[cfg(feature = "login")]
pub use login::{CognitoLogin, LoginConfig};
pub use resource::{
    BearerLayer, BearerService, DEFAULT_MAX_BODY_BYTES, NoTokenSource, ProtectedResource,
    ProtectedResourceBuilder, ScopeRule,
};
