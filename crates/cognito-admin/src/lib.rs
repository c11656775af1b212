#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod client;
mod error;
mod filter;
mod json_api;
mod model;
mod operation;
mod ops;

pub mod audit;
pub mod calls;
pub mod pace;
pub mod password;
pub mod privilege;
pub mod protect;
pub mod provision;
pub mod signin;
pub mod trace;
pub mod validate;

pub use client::{CognitoAdmin, DEFAULT_POLICY_TTL};
pub use cognito_idp::{RotatingSecret, Secret};
pub use error::AdminError;
pub use filter::{Filter, FilterOp};
pub use model::{
    AppClient, AppClientPage, Group, GroupPage, Outcome, PoolDescription, PoolMfa, User, UserMfa,
    UserPage,
};
pub use operation::{Operation, QuotaCategory};
pub use ops::bulk::{
    BulkItem, BulkLimits, BulkObserver, BulkPlan, BulkReport, CreateUsers, DEFAULT_CONCURRENCY,
    DEFAULT_MAX_ITEMS, GroupMembersChange, ItemOutcome, Unobserved, UsersChange,
};
pub use ops::cimd::{
    CimdPolicy, CimdPolicyPage, CimdPolicyRef, CimdPolicySummary, CreateCimdPolicy,
    InvalidateMetadataUrl, ListCimdPolicies, MetadataUrl, UpdateCimdPolicy,
};
pub use ops::clients::{
    ClientKind, DeleteUserPoolClient, ListUserPoolClients, MAX_PRUNE_DAYS, PruneDynamicClients,
};
pub use ops::groups::{
    CreateGroup, GroupRef, ListGroups, ListGroupsForUser, ListUsersInGroup, Membership,
};
pub use ops::mfa::{
    MfaMethodSetting, MfaMode, SetUserMfaPreference, SetUserPoolMfaConfig, UserMfaPreference,
};
pub use ops::users::{
    CreateUser, DEFAULT_MAX_USERS, DeleteUserAttributes, ListUsers, MAX_USERS_CAP, SetUserPassword,
    UpdateUserAttributes, UserRef,
};
pub use signin::{
    AnswerField, Challenge, MfaMethod, RespondToAuthChallenge, SignInStep, TestSignIn,
    TokenSummary, Tokens,
};
