#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod config;
mod error;
mod event;
mod init_error;
mod reserved;
mod trigger;

pub use config::{
    ATTRIBUTE_CLAIMS_VAR, AttributeClaim, Config, DEFAULT_GROUP_SCOPES, GROUP_SCOPES_VAR,
    parse_attribute_claims, parse_group_scopes,
};
pub use error::{
    ConfigError, EventError, INTERNAL_ERROR_TYPE, INVALID_CONFIG_ERROR_TYPE,
    INVALID_EVENT_ERROR_TYPE,
};
pub use event::{CLIENT_CREDENTIALS, Version};
pub use init_error::{INIT_ERROR_PATH, report_init_error};
pub use trigger::{handle, respond, scopes_to_add};
