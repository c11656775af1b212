#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod authz;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub use authz::fuzzing;
mod caller;
mod cognito;
pub mod config;
pub mod identity_pool;
#[cfg(feature = "login")]
pub mod login;
pub mod native;
mod readiness;
pub mod resource;
pub mod secrets;
#[cfg(feature = "aws-secrets")]
pub mod sigv4;
pub mod store;

pub use authz::{
    AuthorizationServer, AuthorizationServerBuilder, Cidr, DcrPolicy, ForwardedHeader, HostedUi,
    HostedUiConfig, Lifetimes, Limits, TrustedProxies, TrustedProxyError,
};
pub use caller::{Caller, Forbidden, NoCaller, Requirement};
pub use cognito::{CognitoAuth, CognitoAuthBuilder, SetupError};
pub use cognito_jwt::{Principal, ScopePolicy};
pub use config::{AuthConfig, AuthMode, CimdPolicy, ConfigError, ProxyConfig};
pub use identity_pool::{AwsCredentials, CredentialsError, IdentityPool, IdentityPoolConfig};
#[cfg(feature = "login")]
pub use login::{CognitoLogin, LoginConfig};
pub use readiness::{CheckState, Readiness};
pub use resource::{
    BearerLayer, BearerService, DEFAULT_MAX_BODY_BYTES, NoTokenSource, ProtectedResource,
    ProtectedResourceBuilder, ScopeRule,
};
