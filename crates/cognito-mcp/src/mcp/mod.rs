//! The rmcp adapter and the call pipeline every tool call goes through.

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
