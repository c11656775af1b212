//! The tools, one file per area. Each is a thin call into `cognito-admin`; everything around
//! the call (gate, confirmation, outcome, audit) is the pipeline's (`mcp/`).

mod audit;
mod bulk;
mod clients;
mod groups;
mod identity;
mod mfa;
mod pool;
mod users;
