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
    /// `DescribeUserPoolClient`
    DescribeUserPoolClient,
    /// `DeleteUserPoolClient`
    DeleteUserPoolClient,
    /// `CreateCIMDPolicy` (not in the Rust SDK yet: called as signed JSON, `json_api`)
    CreateCimdPolicy,
    /// `DescribeCIMDPolicy` (signed JSON)
    DescribeCimdPolicy,
    /// `ListCIMDPolicies` (signed JSON)
    ListCimdPolicies,
    /// `UpdateCIMDPolicy` (signed JSON)
    UpdateCimdPolicy,
    /// `DeleteCIMDPolicy` (signed JSON)
    DeleteCimdPolicy,
    /// `ListClientMetadataURLs` (signed JSON)
    ListClientMetadataUrls,
    /// `UpdateClientMetadataURLState` (signed JSON)
    UpdateClientMetadataUrlState,
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
    /// 15 rps by default: DescribeUserPool, GetUserPoolMfaConfig.
    UserPoolRead,
    /// 20 rps per account by default, and at most 5 rps per operation on any one pool:
    /// GetGroup, ListGroups.
    UserPoolResourceRead,
    /// 15 rps per account by default, and at most 5 rps per operation on any one pool:
    /// CreateGroup, DeleteGroup.
    UserPoolResourceUpdate,
    /// 15 rps by default: SetUserPoolMfaConfig (and UpdateUserPool, which this crate does not
    /// call).
    UserPoolUpdate,
    /// 5 rps by default: pool and client creation.
    UserPoolCreate,
    /// 15 rps per account by default, and at most 5 rps on any one pool: ListUserPoolClients,
    /// DescribeUserPoolClient; the CIMD policies' reads are counted here too (AWS names no
    /// category for them: inferred from their resource, the app client).
    UserPoolClientRead,
    /// 15 rps per account by default, and at most 5 rps on any one pool:
    /// DeleteUserPoolClient; the CIMD policies' writes are counted here too (inferred, as
    /// above).
    UserPoolClientUpdate,
    /// 120 rps by default: AdminInitiateAuth, AdminRespondToAuthChallenge.
    UserAuthentication,
}

impl Operation {
    /// Every operation.
    pub const ALL: &'static [Operation] = &[
        Self::AdminAddUserToGroup,
        Self::AdminCreateUser,
        Self::AdminDeleteUser,
        Self::AdminDeleteUserAttributes,
        Self::AdminDisableUser,
        Self::AdminEnableUser,
        Self::AdminGetUser,
        Self::AdminInitiateAuth,
        Self::AdminListGroupsForUser,
        Self::AdminRemoveUserFromGroup,
        Self::AdminResetUserPassword,
        Self::AdminSetUserPassword,
        Self::AdminUpdateUserAttributes,
        Self::AdminUserGlobalSignOut,
        Self::CreateGroup,
        Self::DeleteGroup,
        Self::DescribeUserPool,
        Self::GetUserPoolMfaConfig,
        Self::ListGroups,
        Self::ListUserPoolClients,
        Self::ListUsers,
        Self::ListUsersInGroup,
        Self::CreateUserPool,
        Self::CreateUserPoolClient,
        Self::AdminSetUserMfaPreference,
        Self::AdminRespondToAuthChallenge,
        Self::SetUserPoolMfaConfig,
        Self::DescribeUserPoolClient,
        Self::DeleteUserPoolClient,
        Self::CreateCimdPolicy,
        Self::DescribeCimdPolicy,
        Self::ListCimdPolicies,
        Self::UpdateCimdPolicy,
        Self::DeleteCimdPolicy,
        Self::ListClientMetadataUrls,
        Self::UpdateClientMetadataUrlState,
    ];

    /// The operation whose API name is `name` (`AdminCreateUser`), if this crate knows it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|op| op.name() == name)
    }

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
            Self::DescribeUserPoolClient => "DescribeUserPoolClient",
            Self::DeleteUserPoolClient => "DeleteUserPoolClient",
            Self::CreateCimdPolicy => "CreateCIMDPolicy",
            Self::DescribeCimdPolicy => "DescribeCIMDPolicy",
            Self::ListCimdPolicies => "ListCIMDPolicies",
            Self::UpdateCimdPolicy => "UpdateCIMDPolicy",
            Self::DeleteCimdPolicy => "DeleteCIMDPolicy",
            Self::ListClientMetadataUrls => "ListClientMetadataURLs",
            Self::UpdateClientMetadataUrlState => "UpdateClientMetadataURLState",
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
                | Self::DescribeUserPoolClient
                | Self::DescribeCimdPolicy
                | Self::ListCimdPolicies
                | Self::ListClientMetadataUrls
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
            Self::DescribeUserPool | Self::GetUserPoolMfaConfig => Q::UserPoolRead,
            Self::ListUserPoolClients
            | Self::DescribeUserPoolClient
            | Self::DescribeCimdPolicy
            | Self::ListCimdPolicies
            | Self::ListClientMetadataUrls => Q::UserPoolClientRead,
            Self::DeleteUserPoolClient
            | Self::CreateCimdPolicy
            | Self::UpdateCimdPolicy
            | Self::DeleteCimdPolicy
            | Self::UpdateClientMetadataUrlState => Q::UserPoolClientUpdate,
            Self::ListGroups => Q::UserPoolResourceRead,
            Self::CreateGroup | Self::DeleteGroup => Q::UserPoolResourceUpdate,
            Self::SetUserPoolMfaConfig => Q::UserPoolUpdate,
            Self::CreateUserPool | Self::CreateUserPoolClient => Q::UserPoolCreate,
            Self::AdminInitiateAuth | Self::AdminRespondToAuthChallenge => Q::UserAuthentication,
        }
    }
}

impl QuotaCategory {
    /// Every category.
    pub const ALL: &'static [QuotaCategory] = &[
        Self::UserCreation,
        Self::UserAccountRecovery,
        Self::UserRead,
        Self::UserUpdate,
        Self::UserResourceRead,
        Self::UserList,
        Self::UserPoolRead,
        Self::UserPoolResourceRead,
        Self::UserPoolResourceUpdate,
        Self::UserPoolUpdate,
        Self::UserPoolCreate,
        Self::UserAuthentication,
        Self::UserPoolClientRead,
        Self::UserPoolClientUpdate,
    ];

    /// The category's name as AWS writes it, e.g. `UserCreation`.
    pub fn name(self) -> &'static str {
        match self {
            Self::UserCreation => "UserCreation",
            Self::UserAccountRecovery => "UserAccountRecovery",
            Self::UserRead => "UserRead",
            Self::UserUpdate => "UserUpdate",
            Self::UserResourceRead => "UserResourceRead",
            Self::UserList => "UserList",
            Self::UserPoolRead => "UserPoolRead",
            Self::UserPoolResourceRead => "UserPoolResourceRead",
            Self::UserPoolResourceUpdate => "UserPoolResourceUpdate",
            Self::UserPoolUpdate => "UserPoolUpdate",
            Self::UserPoolCreate => "UserPoolCreate",
            Self::UserAuthentication => "UserAuthentication",
            Self::UserPoolClientRead => "UserPoolClientRead",
            Self::UserPoolClientUpdate => "UserPoolClientUpdate",
        }
    }

    /// The name as a configuration key, e.g. `user_creation`.
    pub fn key(self) -> String {
        let mut out = String::new();
        for (i, c) in self.name().char_indices() {
            if c.is_ascii_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        }
        out
    }

    /// The category whose configuration key is `key`.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.key() == key)
    }

    /// Cognito's default request-rate quota for the category, in requests per second per
    /// account and region.
    pub fn default_rate(self) -> f64 {
        match self {
            Self::UserCreation => 50.0,
            Self::UserAccountRecovery => 30.0,
            Self::UserRead => 120.0,
            Self::UserUpdate => 25.0,
            Self::UserResourceRead => 50.0,
            Self::UserList => 30.0,
            Self::UserPoolRead => 15.0,
            // AWS's quota table marks these categories: any one of their operations is held to
            // 5 rps on a single pool (the account's 20 and 15 are the category's total). This
            // server works on one pool.
            Self::UserPoolResourceRead | Self::UserPoolResourceUpdate => 5.0,
            Self::UserPoolUpdate => 15.0,
            Self::UserPoolCreate => 5.0,
            Self::UserAuthentication => 120.0,
            // The per-pool constraint, lower than the account's 15: this server works on one
            // pool.
            Self::UserPoolClientRead | Self::UserPoolClientUpdate => 5.0,
        }
    }
}

impl fmt::Display for QuotaCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
