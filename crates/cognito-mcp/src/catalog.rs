//! The tool catalogue: every tool, what kind of change it makes, and the AWS operations it
//! may call. Annotations, read-only mode, allow/deny lists and the IAM policy all come from
//! this one table.

use cognito_admin::Operation as Op;

/// What a tool does to the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Changes nothing.
    Read,
    /// Adds without overwriting or removing (create, add to group, enable).
    Additive,
    /// Overwrites or removes (delete, disable, set password, sign out).
    Destructive,
}

/// One tool.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ToolSpec {
    /// The tool name (snake_case).
    pub(crate) name: &'static str,
    /// A short human title.
    pub(crate) title: &'static str,
    /// What it does to the pool.
    pub(crate) effect: Effect,
    /// Whether calling it twice with the same input has no further effect.
    pub(crate) idempotent: bool,
    /// Every AWS operation it may call.
    pub(crate) operations: &'static [Op],
}

impl ToolSpec {
    /// Whether the tool changes nothing.
    pub(crate) fn is_read(&self) -> bool {
        self.effect == Effect::Read
    }

    /// The level of access the tool needs by default: read tools `read`, except `read_audit`
    /// (`admin`: the audit shows every caller's actions); delete, disable, enable and
    /// sign-out `admin`; every other change `write`.
    pub(crate) fn access(&self) -> Access {
        if ADMIN_READ_TOOLS.contains(&self.name) {
            Access::Admin
        } else if self.is_read() {
            Access::Read
        } else if ADMIN_TOOLS.contains(&self.name) {
            Access::Admin
        } else {
            Access::Write
        }
    }

    /// What the tool's writes touch, whose privilege the caller must hold (checked inside
    /// cognito-admin's write operations, `cognito_admin::privilege`; the decision-table test
    /// reads this, and a test ties it to the tools that read their target's groups).
    #[cfg(test)]
    pub(crate) fn target(&self) -> Target {
        if USER_TARGET_TOOLS.contains(&self.name) {
            Target::User
        } else if GROUP_TARGET_TOOLS.contains(&self.name) {
            Target::Group
        } else {
            Target::None
        }
    }

    /// Whether the tool works on many users in one call.
    pub(crate) fn is_bulk(&self) -> bool {
        BULK_TOOLS.contains(&self.name)
    }

    /// When the tool asks a person to confirm, unless `safety.confirm` says otherwise:
    /// deleting, disabling, signing out and password resets always; bulk writes past the
    /// threshold.
    pub(crate) fn default_confirm(&self) -> crate::config::ConfirmMode {
        use crate::config::ConfirmMode;
        if CONFIRM_ALWAYS.contains(&self.name) {
            ConfirmMode::Always
        } else if self.is_bulk() && !self.is_read() {
            ConfirmMode::OverThreshold
        } else {
            ConfirmMode::Never
        }
    }

    /// Whether the tool may make Cognito message people outside the pool's admins (an
    /// invitation, a reset code, a verification code): MCP's `openWorldHint`.
    pub(crate) fn sends_messages(&self) -> bool {
        SENDS_MESSAGES.contains(&self.name)
    }
}

const fn spec(
    name: &'static str,
    title: &'static str,
    effect: Effect,
    idempotent: bool,
    operations: &'static [Op],
) -> ToolSpec {
    ToolSpec {
        name,
        title,
        effect,
        idempotent,
        operations,
    }
}

use Effect::{Additive, Destructive, Read};

/// The level of access a tool needs; the scope is `{resource_server}/{level}`. A write at any
/// level also needs every scope its target group, or its target user's groups, grant
/// (`cognito_admin::privilege`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
    Admin,
}

impl Access {
    /// Every level, lowest first.
    pub(crate) const ALL: [Access; 3] = [Access::Read, Access::Write, Access::Admin];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Admin => "admin",
        }
    }

    /// What the level allows, in words: the consent page, `whoami` and the docs say this.
    pub(crate) fn allows(self) -> &'static str {
        match self {
            Self::Read => "read users, groups, app clients and the pool's settings",
            Self::Write => {
                "create users and groups, and change users' attributes, passwords and group \
                 memberships, only for users and groups that hold no scope you lack"
            }
            Self::Admin => {
                "delete, disable, enable and sign out users, delete groups, change MFA, test \
                 sign-ins and read the audit, only for users and groups that hold no scope you \
                 lack"
            }
        }
    }
}

/// What a tool's writes touch.
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// Nothing whose privilege counts (reads, the pool's settings).
    None,
    /// A user (or, in bulk, each user): the caller must hold every scope the user's groups
    /// grant.
    User,
    /// A group (memberships, creating a user in groups, creating or deleting a group): the
    /// caller must hold every scope the group grants.
    Group,
}

/// Tools that change a user: password, attributes, MFA, sessions, status, sign-in checks.
#[cfg(test)]
const USER_TARGET_TOOLS: &[&str] = &[
    "set_user_password",
    "reset_user_password",
    "enable_user",
    "disable_user",
    "delete_user",
    "update_user_attributes",
    "delete_user_attributes",
    "sign_out_user",
    "set_user_mfa_preference",
    "test_sign_in",
    "respond_to_auth_challenge",
    "disable_users",
    "enable_users",
];

/// Tools that change a group or its membership.
#[cfg(test)]
const GROUP_TARGET_TOOLS: &[&str] = &[
    "create_user",
    "create_users",
    "create_group",
    "delete_group",
    "add_user_to_group",
    "remove_user_from_group",
    "add_users_to_group",
    "remove_users_from_group",
];

/// Tools that take access away or remove things: they need the admin scope.
const ADMIN_TOOLS: &[&str] = &[
    "delete_user",
    "delete_group",
    "disable_user",
    "enable_user",
    "sign_out_user",
    "disable_users",
    "enable_users",
    // MFA and sign-in checks: they change how (and whether) users sign in.
    "set_user_mfa_preference",
    "set_user_pool_mfa_config",
    "test_sign_in",
    "respond_to_auth_challenge",
];

/// Tools that work on many users in one call.
const BULK_TOOLS: &[&str] = &[
    "create_users",
    "add_users_to_group",
    "remove_users_from_group",
    "disable_users",
    "enable_users",
];

/// Tools that ask a person to confirm every call by default.
const CONFIRM_ALWAYS: &[&str] = &[
    "delete_user",
    "delete_group",
    "disable_user",
    "disable_users",
    "sign_out_user",
    "reset_user_password",
    "set_user_password",
    "set_user_pool_mfa_config",
];

/// Read tools that need the admin scope all the same: the audit shows every caller's actions
/// and arguments.
const ADMIN_READ_TOOLS: &[&str] = &["read_audit"];

/// Tools that may send an email or SMS: invitations (create_user), reset codes
/// (reset_user_password), and verification codes for a changed email or phone
/// (update_user_attributes).
const SENDS_MESSAGES: &[&str] = &[
    "create_user",
    "create_users",
    "reset_user_password",
    "update_user_attributes",
];

/// Every tool the server has.
pub(crate) const TOOLS: &[ToolSpec] = &[
    // Users
    spec(
        "create_user",
        "Create a user",
        Additive,
        false,
        &[
            Op::DescribeUserPool,
            Op::AdminCreateUser,
            Op::AdminAddUserToGroup,
        ],
    ),
    spec(
        "get_user",
        "Get a user",
        Read,
        true,
        &[Op::AdminGetUser, Op::AdminListGroupsForUser],
    ),
    spec(
        "list_users",
        "List users",
        Read,
        true,
        &[Op::ListUsers, Op::AdminGetUser],
    ),
    spec(
        "set_user_password",
        "Set a user's password",
        Destructive,
        true,
        &[
            Op::DescribeUserPool,
            Op::AdminSetUserPassword,
            Op::AdminListGroupsForUser,
        ],
    ),
    spec(
        "reset_user_password",
        "Reset a user's password",
        Destructive,
        false,
        &[Op::AdminResetUserPassword, Op::AdminListGroupsForUser],
    ),
    spec(
        "enable_user",
        "Enable a user",
        Additive,
        true,
        &[Op::AdminEnableUser, Op::AdminListGroupsForUser],
    ),
    spec(
        "disable_user",
        "Disable a user",
        Destructive,
        true,
        &[Op::AdminDisableUser, Op::AdminListGroupsForUser],
    ),
    spec(
        "delete_user",
        "Delete a user",
        Destructive,
        true,
        &[Op::AdminDeleteUser, Op::AdminListGroupsForUser],
    ),
    spec(
        "update_user_attributes",
        "Update a user's attributes",
        Destructive,
        true,
        &[Op::AdminUpdateUserAttributes, Op::AdminListGroupsForUser],
    ),
    spec(
        "delete_user_attributes",
        "Delete a user's attributes",
        Destructive,
        true,
        &[Op::AdminDeleteUserAttributes, Op::AdminListGroupsForUser],
    ),
    spec(
        "sign_out_user",
        "Sign a user out everywhere",
        Destructive,
        true,
        &[Op::AdminUserGlobalSignOut, Op::AdminListGroupsForUser],
    ),
    // Groups
    spec("list_groups", "List groups", Read, true, &[Op::ListGroups]),
    spec(
        "create_group",
        "Create a group",
        Additive,
        false,
        &[Op::CreateGroup],
    ),
    spec(
        "delete_group",
        "Delete a group",
        Destructive,
        true,
        &[Op::DeleteGroup],
    ),
    spec(
        "add_user_to_group",
        "Add a user to a group",
        Additive,
        true,
        &[Op::AdminAddUserToGroup],
    ),
    spec(
        "remove_user_from_group",
        "Remove a user from a group",
        Destructive,
        true,
        &[Op::AdminRemoveUserFromGroup],
    ),
    spec(
        "list_groups_for_user",
        "List a user's groups",
        Read,
        true,
        &[Op::AdminListGroupsForUser],
    ),
    spec(
        "list_users_in_group",
        "List a group's members",
        Read,
        true,
        &[Op::ListUsersInGroup],
    ),
    // Bulk
    spec(
        "create_users",
        "Create many users",
        Additive,
        true,
        &[
            Op::DescribeUserPool,
            Op::AdminGetUser,
            Op::AdminCreateUser,
            Op::AdminAddUserToGroup,
        ],
    ),
    spec(
        "add_users_to_group",
        "Add many users to a group",
        Additive,
        true,
        &[Op::ListUsers, Op::ListUsersInGroup, Op::AdminAddUserToGroup],
    ),
    spec(
        "remove_users_from_group",
        "Remove many users from a group",
        Destructive,
        true,
        &[
            Op::ListUsers,
            Op::ListUsersInGroup,
            Op::AdminRemoveUserFromGroup,
        ],
    ),
    spec(
        "disable_users",
        "Disable many users",
        Destructive,
        true,
        &[
            Op::ListUsers,
            Op::AdminGetUser,
            Op::AdminDisableUser,
            Op::AdminListGroupsForUser,
        ],
    ),
    spec(
        "enable_users",
        "Enable many users",
        Additive,
        true,
        &[
            Op::ListUsers,
            Op::AdminGetUser,
            Op::AdminEnableUser,
            Op::AdminListGroupsForUser,
        ],
    ),
    // Pool
    spec(
        "describe_user_pool",
        "Describe the user pool",
        Read,
        true,
        &[Op::DescribeUserPool, Op::GetUserPoolMfaConfig],
    ),
    spec(
        "list_user_pool_clients",
        "List app clients",
        Read,
        true,
        &[Op::ListUserPoolClients],
    ),
    // MFA and sign-in checks
    spec(
        "set_user_mfa_preference",
        "Set a user's MFA preference",
        Destructive,
        true,
        &[
            Op::AdminSetUserMfaPreference,
            Op::AdminGetUser,
            Op::AdminListGroupsForUser,
        ],
    ),
    spec(
        "get_user_pool_mfa_config",
        "Get the pool's MFA configuration",
        Read,
        true,
        &[Op::GetUserPoolMfaConfig],
    ),
    spec(
        "set_user_pool_mfa_config",
        "Set the pool's MFA configuration",
        Destructive,
        true,
        &[
            Op::GetUserPoolMfaConfig,
            Op::DescribeUserPool,
            Op::SetUserPoolMfaConfig,
        ],
    ),
    spec(
        // Not idempotent: each call issues tokens, and a failed one counts toward lockout.
        "test_sign_in",
        "Test a user's sign-in",
        Additive,
        false,
        &[Op::AdminInitiateAuth, Op::AdminListGroupsForUser],
    ),
    spec(
        "respond_to_auth_challenge",
        "Answer a sign-in challenge",
        Destructive,
        false,
        &[
            Op::AdminRespondToAuthChallenge,
            Op::DescribeUserPool,
            Op::AdminListGroupsForUser,
        ],
    ),
    // Identity
    spec("whoami", "Who am I", Read, true, &[]),
    spec("verify_token", "Verify a Cognito token", Read, true, &[]),
    // Audit
    spec("read_audit", "Read the audit trail", Read, true, &[]),
];

/// The tool named `name`.
pub(crate) fn find(name: &str) -> Option<&'static ToolSpec> {
    TOOLS.iter().find(|t| t.name == name)
}

/// Every tool name, comma separated, for error messages.
pub(crate) fn names() -> String {
    TOOLS.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for t in TOOLS {
            assert!(seen.insert(t.name), "duplicate {}", t.name);
            assert!(
                t.name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{}",
                t.name
            );
        }
    }

    #[test]
    fn read_tools_call_only_read_operations() {
        for t in TOOLS.iter().filter(|t| t.is_read()) {
            for op in t.operations {
                assert!(op.is_read(), "{} is read-only but calls {op}", t.name);
            }
        }
    }

    #[test]
    fn reading_the_audit_needs_admin_though_it_changes_nothing() {
        let t = find("read_audit").expect("tool");
        assert!(t.is_read() && t.idempotent && t.operations.is_empty());
        assert_eq!(t.access(), Access::Admin);
        assert_eq!(find("list_users").expect("tool").access(), Access::Read);
        for name in ADMIN_READ_TOOLS {
            assert!(find(name).is_some_and(ToolSpec::is_read), "{name}");
        }
    }

    #[test]
    fn tools_changing_a_user_read_its_groups_and_only_they_do() {
        for t in TOOLS.iter().filter(|t| !t.is_read()) {
            assert_eq!(
                t.target() == Target::User,
                t.operations.contains(&Op::AdminListGroupsForUser),
                "{}",
                t.name
            );
        }
        for t in TOOLS.iter().filter(|t| t.is_read()) {
            assert_eq!(t.target(), Target::None, "{}", t.name);
        }
    }

    #[test]
    fn write_tools_call_a_write_operation() {
        for t in TOOLS.iter().filter(|t| !t.is_read()) {
            assert!(
                t.operations.iter().any(|op| !op.is_read()),
                "{} changes nothing",
                t.name
            );
        }
    }
}
