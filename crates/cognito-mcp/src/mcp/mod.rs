//! The rmcp adapter and the call pipeline every tool call goes through.

pub(crate) mod confirm;
pub(crate) mod confirm_state;
pub(crate) mod error;
#[cfg(test)]
mod privilege_table;
pub(crate) mod progress;
pub(crate) mod refusal;
pub(crate) mod server;
