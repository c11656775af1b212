//! The rmcp adapter and the call pipeline every tool call goes through.

use cognito_jwt::Principal;
use rmcp::model::Extensions;

pub(crate) mod act_as;
pub(crate) mod audit;
pub(crate) mod confirm;
pub(crate) mod confirm_state;
pub(crate) mod error;
pub(crate) mod gate;
pub(crate) mod outcome;
pub(crate) mod pipeline;
#[cfg(test)]
mod privilege_table;
pub(crate) mod progress;
pub(crate) mod refusal;
pub(crate) mod resources;
pub(crate) mod schema;
pub(crate) mod scrub;
pub(crate) mod server;
pub(crate) mod state;

/// The verified caller of an HTTP request (absent over stdio).
pub(crate) fn principal_of(ext: &Extensions) -> Option<Principal> {
    cognito_mcp_auth::Caller::from_mcp_extensions(ext).map(|c| c.principal().clone())
}
