//! Typed, validated admin operations on one Amazon Cognito user pool.
//!
//! `cognito-admin` wraps `aws-sdk-cognitoidentityprovider` with what an agent-facing admin
//! tool needs:
//!
//! - **Validation before AWS.** Usernames, emails, attribute names and values, `ListUsers`
//!   filters, page sizes, and passwords (against the pool's real password policy, read once
//!   and cached) are checked before any call. A rejection names the field, the rule, and a
//!   valid example.
//! - **Actionable errors.** Every AWS error becomes an [`AdminError`] variant with a stable
//!   [`code`](AdminError::code) and a [`hint`](AdminError::hint) that says how to retry.
//! - **Secrets that cannot leak.** Passwords are [`Secret`]s: redacted `Debug`, zeroized,
//!   never serialized.
//! - **Audit and least privilege.** Each AWS call is an [`Operation`] with its IAM action;
//!   [`calls::collect`] records the calls and request ids of a unit of work for the
//!   [`audit`] log.
//!
//! It is not an MCP server and has no HTTP or token code: the `cognito-mcp` binary wires it
//! to MCP tools.
//!
//! ```no_run
//! # async fn run() -> Result<(), cognito_admin::AdminError> {
//! let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
//! let admin = cognito_admin::CognitoAdmin::new(
//!     aws_sdk_cognitoidentityprovider::Client::new(&sdk),
//!     "us-east-1_AbCdEf123",
//! );
//! let user = admin.get_user("alice").await?;
//! println!("{} is {}", user.username, user.status);
//! # Ok(()) }
//! ```

mod client;
mod error;
mod filter;
mod model;
mod operation;
mod ops;
mod secret;

pub mod audit;
pub mod calls;
pub mod password;
pub mod provision;
pub mod validate;

pub use client::{CognitoAdmin, DEFAULT_POLICY_TTL};
pub use error::AdminError;
pub use filter::{Filter, FilterOp};
pub use model::{
    AppClient, AppClientPage, Group, GroupPage, Outcome, PoolDescription, PoolMfa, User, UserMfa,
    UserPage,
};
pub use operation::{Operation, QuotaCategory};
pub use ops::groups::{
    CreateGroup, GroupRef, ListGroups, ListGroupsForUser, ListUsersInGroup, Membership,
};
pub use ops::pool::ListUserPoolClients;
pub use ops::users::{
    CreateUser, DEFAULT_MAX_USERS, DeleteUserAttributes, ListUsers, MAX_USERS_CAP, SetUserPassword,
    UpdateUserAttributes, UserRef,
};
pub use secret::Secret;
