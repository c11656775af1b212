//! The Cognito API operations this crate calls, with their IAM actions and quota categories.

use std::fmt;

/// A Cognito user-pool API operation.
///
/// Every AWS call this crate makes is one of these, so an IAM policy built from them is exactly
/// what the calls need, and audit records can name what ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// `AdminAddUserToGroup`
    AdminAddUserToGroup,
    /// `AdminCreateUser`
    AdminCreateUser,
    /// `AdminDeleteUser`
    AdminDeleteUser,
    /// `AdminDeleteUserAttributes`
    AdminDeleteUserAttributes,
    /// `AdminDisableUser`
    AdminDisableUser,
    /// `AdminEnableUser`
    AdminEnableUser,
    /// `AdminGetUser`
    AdminGetUser,
    /// `AdminInitiateAuth`
    AdminInitiateAuth,
    /// `AdminListGroupsForUser`
    AdminListGroupsForUser,
    /// `AdminRemoveUserFromGroup`
    AdminRemoveUserFromGroup,
    /// `AdminResetUserPassword`
    AdminResetUserPassword,
    /// `AdminRespondToAuthChallenge`
    AdminRespondToAuthChallenge,
    /// `AdminSetUserMFAPreference`
    AdminSetUserMfaPreference,
    /// `AdminSetUserPassword`
    AdminSetUserPassword,
    /// `AdminUpdateUserAttributes`
    AdminUpdateUserAttributes,
    /// `AdminUserGlobalSignOut`
    AdminUserGlobalSignOut,
    /// `CreateGroup`
    CreateGroup,
    /// `DeleteGroup`
    DeleteGroup,
    /// `DescribeUserPool`
    DescribeUserPool,
    /// `GetUserPoolMfaConfig`
    GetUserPoolMfaConfig,
    /// `ListGroups`
    ListGroups,
    /// `ListUserPoolClients`
    ListUserPoolClients,
    /// `ListUsers`
    ListUsers,
    /// `ListUsersInGroup`
    ListUsersInGroup,
    /// `SetUserPoolMfaConfig`
    SetUserPoolMfaConfig,
    /// `CreateUserPool` (bootstrap only)
    CreateUserPool,
    /// `CreateUserPoolClient` (bootstrap only)
    CreateUserPoolClient,
}

/// Cognito's request-rate quota categories (requests per second, per account and region).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum QuotaCategory {
    /// 50 rps by default: AdminCreateUser.
    UserCreation,
    /// 30 rps by default: AdminResetUserPassword, AdminSetUserPassword.
    UserAccountRecovery,
    /// 120 rps by default: AdminGetUser.
    UserRead,
    /// 25 rps by default: updates, enable/disable, delete, group membership, sign-out, MFA
    /// preferences.
    UserUpdate,
    /// 50 rps by default: AdminListGroupsForUser.
    UserResourceRead,
    /// 30 rps by default: ListUsers, ListUsersInGroup.
    UserList,
    /// 15 rps by default: DescribeUserPool, ListUserPoolClients.
    UserPoolRead,
    /// 20 rps by default: GetGroup, ListGroups.
    UserPoolResourceRead,
    /// 15 rps by default: CreateGroup, DeleteGroup.
    UserPoolResourceUpdate,
    /// 15 rps by default: SetUserPoolMfaConfig (and UpdateUserPool, which this crate does not
    /// call).
    UserPoolUpdate,
    /// Pool and client creation.
    UserPoolCreate,
    /// 120 rps by default: AdminInitiateAuth, AdminRespondToAuthChallenge.
    UserAuthentication,
}

impl Operation {
    /// The API name, e.g. `AdminCreateUser`.
    pub fn name(self) -> &'static str {
        match self {
            Self::AdminAddUserToGroup => "AdminAddUserToGroup",
            Self::AdminCreateUser => "AdminCreateUser",
            Self::AdminDeleteUser => "AdminDeleteUser",
            Self::AdminDeleteUserAttributes => "AdminDeleteUserAttributes",
            Self::AdminDisableUser => "AdminDisableUser",
            Self::AdminEnableUser => "AdminEnableUser",
            Self::AdminGetUser => "AdminGetUser",
            Self::AdminInitiateAuth => "AdminInitiateAuth",
            Self::AdminListGroupsForUser => "AdminListGroupsForUser",
            Self::AdminRemoveUserFromGroup => "AdminRemoveUserFromGroup",
            Self::AdminResetUserPassword => "AdminResetUserPassword",
            Self::AdminRespondToAuthChallenge => "AdminRespondToAuthChallenge",
            Self::AdminSetUserMfaPreference => "AdminSetUserMFAPreference",
            Self::AdminSetUserPassword => "AdminSetUserPassword",
            Self::AdminUpdateUserAttributes => "AdminUpdateUserAttributes",
            Self::AdminUserGlobalSignOut => "AdminUserGlobalSignOut",
            Self::CreateGroup => "CreateGroup",
            Self::DeleteGroup => "DeleteGroup",
            Self::DescribeUserPool => "DescribeUserPool",
            Self::GetUserPoolMfaConfig => "GetUserPoolMfaConfig",
            Self::ListGroups => "ListGroups",
            Self::ListUserPoolClients => "ListUserPoolClients",
            Self::ListUsers => "ListUsers",
            Self::ListUsersInGroup => "ListUsersInGroup",
            Self::SetUserPoolMfaConfig => "SetUserPoolMfaConfig",
            Self::CreateUserPool => "CreateUserPool",
            Self::CreateUserPoolClient => "CreateUserPoolClient",
        }
    }

    /// The IAM action that allows it, e.g. `cognito-idp:AdminCreateUser`.
    pub fn iam_action(self) -> String {
        format!("cognito-idp:{}", self.name())
    }

    /// Whether the operation changes nothing.
    pub fn is_read(self) -> bool {
        matches!(
            self,
            Self::AdminGetUser
                | Self::AdminListGroupsForUser
                | Self::DescribeUserPool
                | Self::GetUserPoolMfaConfig
                | Self::ListGroups
                | Self::ListUserPoolClients
                | Self::ListUsers
                | Self::ListUsersInGroup
        )
    }

    /// The quota category the operation counts against.
    pub fn quota_category(self) -> QuotaCategory {
        use QuotaCategory as Q;
        match self {
            Self::AdminCreateUser => Q::UserCreation,
            Self::AdminResetUserPassword | Self::AdminSetUserPassword => Q::UserAccountRecovery,
            Self::AdminGetUser => Q::UserRead,
            Self::AdminAddUserToGroup
            | Self::AdminDeleteUser
            | Self::AdminDeleteUserAttributes
            | Self::AdminDisableUser
            | Self::AdminEnableUser
            | Self::AdminRemoveUserFromGroup
            | Self::AdminSetUserMfaPreference
            | Self::AdminUpdateUserAttributes
            | Self::AdminUserGlobalSignOut => Q::UserUpdate,
            Self::AdminListGroupsForUser => Q::UserResourceRead,
            Self::ListUsers | Self::ListUsersInGroup => Q::UserList,
            Self::DescribeUserPool | Self::GetUserPoolMfaConfig | Self::ListUserPoolClients => {
                Q::UserPoolRead
            }
            Self::ListGroups => Q::UserPoolResourceRead,
            Self::CreateGroup | Self::DeleteGroup => Q::UserPoolResourceUpdate,
            Self::SetUserPoolMfaConfig => Q::UserPoolUpdate,
            Self::CreateUserPool | Self::CreateUserPoolClient => Q::UserPoolCreate,
            Self::AdminInitiateAuth | Self::AdminRespondToAuthChallenge => Q::UserAuthentication,
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
