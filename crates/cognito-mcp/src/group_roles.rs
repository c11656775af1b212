//! The IAM roles of `[aws] act_as = "caller"`: one per Cognito group, assumed through the
//! identity pool by the group's members, allowed exactly the Cognito actions of the tools the
//! group's scopes reach (`cognito-mcp iam-policy --group-roles`).
//!
//! With act_as = "caller", IAM is a second, independent check of what the server already
//! enforces by scope: a member of ReadOnly holds credentials that cannot call AdminDeleteUser
//! whatever the server does. The privilege rule (a caller may not change a user or group that
//! holds a scope they lack) stays the server's: IAM cannot see groups of a target user.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::config::Settings;
use crate::policy::{ToolPolicy, ToolScopes, iam_policy};

/// The role name of `group`'s members: `cognito-mcp-{group}` (IAM allows `+=,.@_-` besides
/// letters and digits; other characters become `-`).
pub(crate) fn role_name(group: &str) -> String {
    let safe: String = group
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "+=,.@_-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut name = format!("cognito-mcp-{safe}");
    name.truncate(64);
    name
}

/// Who may assume a group's role: the identity pool's authenticated identities, by web
/// identity (AWS's documented trust policy for identity-pool roles).
fn trust_policy(identity_pool: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {"cognito-identity.amazonaws.com:aud": identity_pool},
                "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
            },
        }],
    })
}

/// Every group's role: its name, trust policy and permissions (the enabled tools whose scope
/// the group grants), and what to set in Cognito so members get it.
pub(crate) fn group_roles(settings: &Settings, account_id: Option<&str>) -> Value {
    let enabled = ToolPolicy::from_settings(settings).enabled();
    let scopes = ToolScopes::from_settings(settings);
    let identity_pool = settings
        .auth
        .identity_pool
        .as_ref()
        .map_or("IDENTITY_POOL_ID", |p| p.id.as_str());
    let roles: Vec<Value> = settings
        .auth
        .scope_policy()
        .groups()
        .iter()
        .map(|(group, granted)| {
            let tools: Vec<_> = enabled
                .iter()
                .copied()
                .filter(|t| scopes.required(t).is_some_and(|s| granted.contains(s)))
                .collect();
            let names: BTreeSet<&str> = tools.iter().map(|t| t.name).collect();
            json!({
                "Group": group,
                "RoleName": role_name(group),
                "Tools": names,
                "AssumeRolePolicyDocument": trust_policy(identity_pool),
                "PolicyDocument": iam_policy(
                    &tools,
                    &settings.auth.region,
                    account_id,
                    settings.auth.user_pool_id.as_deref(),
                ),
            })
        })
        .collect();
    json!({
        "IdentityPoolId": identity_pool,
        "Roles": roles,
        "Setup": [
            "Create each role with its AssumeRolePolicyDocument and PolicyDocument.",
            "Set each Cognito group's RoleArn to its role (aws cognito-idp update-group --role-arn), so members' ID tokens carry it as cognito:roles and cognito:preferred_role.",
            "Map the user pool's provider in the identity pool to Type Token with AmbiguousRoleResolution Deny (aws cognito-identity set-identity-pool-roles), so a user in no group with a role gets no credentials.",
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_keep_to_what_iam_allows() {
        assert_eq!(role_name("Admins"), "cognito-mcp-Admins");
        assert_eq!(role_name("beta testers/eu"), "cognito-mcp-beta-testers-eu");
        assert_eq!(role_name(&"g".repeat(100)).len(), 64);
    }
}
