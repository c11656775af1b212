//! `cognito-mcp`: an MCP server that lets AI agents administer an Amazon Cognito user pool.
//!
//! The crate wires `cognito-admin` to MCP tools with rmcp. Where things are:
//! - `catalog/`: every fact about each tool (access, target, bulk, confirmation, AWS
//!   operations); the policy, scopes, confirmations and docs read it.
//! - `tools/`: the tools themselves, one file per area (users, groups, pool, identity, MFA,
//!   bulk, audit), each a thin call into `cognito-admin`.
//! - `mcp/`: the rmcp adapter and the call pipeline every tool call goes through: gate (tool
//!   policy, scopes, privilege) → confirm → run (AWS calls recorded) → outcome (scrubbed,
//!   classified) → audit.
//! - `transport/`: stdio, Streamable HTTP (with the `cognito-mcp-auth` layer) and Lambda.
//! - `config/`: the TOML file and environment, validated into `Settings`.
//! - `metrics.rs`: the Prometheus recorder and `/metrics`, when `[metrics]` turns them on.
//! - `spans.rs`: the trace spans of requests and calls; `traces.rs`: their OpenTelemetry
//!   export, when `[traces]` turns it on in a build with the `otel` feature.
//! - `cli/`, `deploy/`: the commands.
//!
//! The binary's `main` calls [`cli::main`]; [`transport::http`] is public for the conformance
//! fixtures example, which serves the suite's fixtures through the same HTTP plumbing.

pub(crate) mod aws;
pub(crate) mod catalog;
pub mod cli;
pub(crate) mod config;
pub(crate) mod deploy;
pub(crate) mod group_roles;
pub(crate) mod install;
pub(crate) mod mcp;
pub(crate) mod metrics;
pub(crate) mod policy;
pub(crate) mod scopes;
pub(crate) mod shared_pacing;
pub(crate) mod spans;
pub(crate) mod tools;
pub(crate) mod traces;
pub mod transport;
