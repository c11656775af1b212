//! How MCP reaches the server: stdio, Streamable HTTP, and AWS Lambda.

pub mod http;
#[cfg(feature = "lambda")]
pub(crate) mod lambda;
mod origin;
