//! The rows of the catalogue: one per tool, every fact about it in one place.

use super::Effect::{Additive, Destructive, Read};
use super::Op;
use super::Target::{Client, Group, Pool, User};
use super::ToolSpec as T;

/// Every tool the server has.
pub(crate) const TOOLS: &[T] = &[
    // Users
    T::new("create_user", "Create a user", Additive)
        .not_idempotent()
        .target(Group)
        .sends_messages()
        .ops(&[
            Op::DescribeUserPool,
            Op::AdminCreateUser,
            Op::AdminAddUserToGroup,
        ]),
    T::new("get_user", "Get a user", Read).ops(&[Op::AdminGetUser, Op::AdminListGroupsForUser]),
    T::new("list_users", "List users", Read).ops(&[Op::ListUsers, Op::AdminGetUser]),
    T::new("set_user_password", "Set a user's password", Destructive)
        .target(User)
        .confirm_always("Set a new password for {target}: the current one is replaced.")
        .ops(&[
            Op::DescribeUserPool,
            Op::AdminSetUserPassword,
            Op::AdminListGroupsForUser,
        ]),
    T::new(
        "reset_user_password",
        "Reset a user's password",
        Destructive,
    )
    .not_idempotent()
    .target(User)
    .sends_messages()
    .confirm_always("Reset the password of {target}: the current one stops working.")
    .ops(&[Op::AdminResetUserPassword, Op::AdminListGroupsForUser]),
    T::new("enable_user", "Enable a user", Additive)
        .admin()
        .target(User)
        .ops(&[Op::AdminEnableUser, Op::AdminListGroupsForUser]),
    T::new("disable_user", "Disable a user", Destructive)
        .admin()
        .target(User)
        .confirm_always(
            "Disable the user {target}: they can no longer sign in until enabled again.",
        )
        .ops(&[Op::AdminDisableUser, Op::AdminListGroupsForUser]),
    T::new("delete_user", "Delete a user", Destructive)
        .admin()
        .target(User)
        .confirm_always("Delete the user {target} permanently; this cannot be undone.")
        .ops(&[Op::AdminDeleteUser, Op::AdminListGroupsForUser]),
    T::new(
        "update_user_attributes",
        "Update a user's attributes",
        Destructive,
    )
    .target(User)
    .sends_messages()
    .ops(&[Op::AdminUpdateUserAttributes, Op::AdminListGroupsForUser]),
    T::new(
        "delete_user_attributes",
        "Delete a user's attributes",
        Destructive,
    )
    .target(User)
    .ops(&[Op::AdminDeleteUserAttributes, Op::AdminListGroupsForUser]),
    T::new("sign_out_user", "Sign a user out everywhere", Destructive)
        .admin()
        .target(User)
        .confirm_always("Sign {target} out everywhere: their refresh tokens are revoked.")
        .ops(&[Op::AdminUserGlobalSignOut, Op::AdminListGroupsForUser]),
    // Groups
    T::new("list_groups", "List groups", Read).ops(&[Op::ListGroups]),
    T::new("create_group", "Create a group", Additive)
        .not_idempotent()
        .target(Group)
        .ops(&[Op::CreateGroup]),
    T::new("delete_group", "Delete a group", Destructive)
        .admin()
        .target(Group)
        .confirm_always(
            "Delete the group {target}; its members stay in the pool. This cannot be undone.",
        )
        .ops(&[Op::DeleteGroup]),
    T::new("add_user_to_group", "Add a user to a group", Additive)
        .target(Group)
        .ops(&[Op::AdminAddUserToGroup]),
    T::new(
        "remove_user_from_group",
        "Remove a user from a group",
        Destructive,
    )
    .target(Group)
    .ops(&[Op::AdminRemoveUserFromGroup]),
    T::new("list_groups_for_user", "List a user's groups", Read).ops(&[Op::AdminListGroupsForUser]),
    T::new("list_users_in_group", "List a group's members", Read).ops(&[Op::ListUsersInGroup]),
    // Bulk
    T::new("create_users", "Create many users", Additive)
        .target(Group)
        .sends_messages()
        .bulk("Create {n} users")
        .ops(&[
            Op::DescribeUserPool,
            Op::AdminGetUser,
            Op::AdminCreateUser,
            Op::AdminAddUserToGroup,
        ]),
    T::new("add_users_to_group", "Add many users to a group", Additive)
        .target(Group)
        .bulk("Add {n} users to the group {group}")
        .ops(&[Op::ListUsers, Op::ListUsersInGroup, Op::AdminAddUserToGroup]),
    T::new(
        "remove_users_from_group",
        "Remove many users from a group",
        Destructive,
    )
    .target(Group)
    .bulk("Remove {n} users from the group {group}")
    .ops(&[
        Op::ListUsers,
        Op::ListUsersInGroup,
        Op::AdminRemoveUserFromGroup,
    ]),
    T::new("disable_users", "Disable many users", Destructive)
        .admin()
        .target(User)
        .bulk("Disable {n} users (they can no longer sign in)")
        .confirm_always("Disable {n} users (they can no longer sign in)")
        .ops(&[
            Op::ListUsers,
            Op::AdminGetUser,
            Op::AdminDisableUser,
            Op::AdminListGroupsForUser,
        ]),
    T::new("enable_users", "Enable many users", Additive)
        .admin()
        .target(User)
        .bulk("Enable {n} users")
        .ops(&[
            Op::ListUsers,
            Op::AdminGetUser,
            Op::AdminEnableUser,
            Op::AdminListGroupsForUser,
        ]),
    // Pool
    T::new("describe_user_pool", "Describe the user pool", Read)
        .ops(&[Op::DescribeUserPool, Op::GetUserPoolMfaConfig]),
    // App clients and CIMD policies: who may sign in as an MCP client.
    T::new("list_user_pool_clients", "List app clients", Read)
        .ops(&[Op::ListUserPoolClients, Op::DescribeUserPoolClient]),
    T::new(
        "delete_user_pool_client",
        "Delete an app client",
        Destructive,
    )
    .admin()
    .target(Client)
    .confirm_always(
        "Delete the app client {target}: applications using it can no longer sign in or \
             refresh. This cannot be undone.",
    )
    .ops(&[Op::DeleteUserPoolClient]),
    T::new(
        "prune_dynamic_clients",
        "Delete old dynamically registered app clients",
        Destructive,
    )
    .admin()
    .target(Client)
    .bulk("Delete {n} dynamically registered app clients")
    .ops(&[
        Op::ListUserPoolClients,
        Op::DescribeUserPoolClient,
        Op::DeleteUserPoolClient,
    ]),
    T::new("list_cimd_policies", "List CIMD policies", Read).ops(&[Op::ListCimdPolicies]),
    T::new("describe_cimd_policy", "Describe a CIMD policy", Read)
        .ops(&[Op::DescribeCimdPolicy, Op::ListClientMetadataUrls]),
    T::new("create_cimd_policy", "Create a CIMD policy", Additive)
        .not_idempotent()
        .admin()
        .target(Client)
        .ops(&[Op::CreateCimdPolicy]),
    T::new("update_cimd_policy", "Update a CIMD policy", Destructive)
        .admin()
        .target(Client)
        .ops(&[Op::DescribeCimdPolicy, Op::UpdateCimdPolicy]),
    T::new("delete_cimd_policy", "Delete a CIMD policy", Destructive)
        .admin()
        .target(Client)
        .confirm_always(
            "Delete the CIMD policy {target}: clients whose metadata URLs only it matches can \
             no longer sign in.",
        )
        .ops(&[Op::DeleteCimdPolicy]),
    T::new(
        "invalidate_client_metadata_url",
        "Drop a cached client metadata document",
        Destructive,
    )
    .admin()
    .target(Client)
    .ops(&[Op::UpdateClientMetadataUrlState]),
    // MFA and sign-in checks: they change how (and whether) users sign in.
    T::new(
        "set_user_mfa_preference",
        "Set a user's MFA preference",
        Destructive,
    )
    .admin()
    .target(User)
    .ops(&[
        Op::AdminSetUserMfaPreference,
        Op::AdminGetUser,
        Op::AdminListGroupsForUser,
    ]),
    T::new(
        "get_user_pool_mfa_config",
        "Get the pool's MFA configuration",
        Read,
    )
    .ops(&[Op::GetUserPoolMfaConfig]),
    T::new(
        "set_user_pool_mfa_config",
        "Set the pool's MFA configuration",
        Destructive,
    )
    .admin()
    .target(Pool)
    .confirm_always("Change the MFA configuration of the pool {pool}.")
    .ops(&[
        Op::GetUserPoolMfaConfig,
        Op::DescribeUserPool,
        Op::SetUserPoolMfaConfig,
    ]),
    // Not idempotent: each call issues tokens, and a failed one counts toward lockout.
    T::new("test_sign_in", "Test a user's sign-in", Additive)
        .not_idempotent()
        .admin()
        .target(User)
        .sign_in()
        .ops(&[Op::AdminInitiateAuth, Op::AdminListGroupsForUser]),
    T::new(
        "respond_to_auth_challenge",
        "Answer a sign-in challenge",
        Destructive,
    )
    .not_idempotent()
    .admin()
    .target(User)
    .sign_in()
    .ops(&[
        Op::AdminRespondToAuthChallenge,
        Op::DescribeUserPool,
        Op::AdminListGroupsForUser,
    ]),
    // Identity
    T::new("whoami", "Who am I", Read).open(),
    T::new("verify_token", "Verify a Cognito token", Read),
    // Audit: reading it needs admin, though it changes nothing: it shows every caller's
    // actions and arguments.
    T::new("read_audit", "Read the audit trail", Read).admin(),
];
