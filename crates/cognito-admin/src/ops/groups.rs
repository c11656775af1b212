//! Group operations.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::error::{Subject, finish};
use crate::model::{Group, GroupPage, Outcome, UserPage, group_from_sdk, user_from_sdk};
use crate::{AdminError, CognitoAdmin, Operation, validate};

/// Input of `list_groups`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListGroups {
    /// Groups per page, 1 to 60. Default: 60.
    #[serde(default)]
    #[schemars(range(min = 1, max = 60))]
    pub limit: Option<i32>,
    /// The `pagination_token` of the previous page.
    #[serde(default)]
    pub pagination_token: Option<String>,
}

/// Input of `create_group`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroup {
    /// The group name: 1 to 128 characters, no spaces.
    pub group: String,
    /// What the group is for.
    #[serde(default)]
    pub description: Option<String>,
    /// Precedence, 0 or more; lower wins when a user's groups carry IAM roles.
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub precedence: Option<i32>,
}

/// Input of tools that name one group.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupRef {
    /// The group name (call list_groups to find it).
    pub group: String,
}

/// Input of `add_user_to_group` and `remove_user_from_group`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Membership {
    /// The username.
    pub username: String,
    /// The group name.
    pub group: String,
}

/// Input of `list_groups_for_user`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListGroupsForUser {
    /// The username.
    pub username: String,
    /// Groups per page, 1 to 60. Default: 60.
    #[serde(default)]
    #[schemars(range(min = 1, max = 60))]
    pub limit: Option<i32>,
    /// The `pagination_token` of the previous page.
    #[serde(default)]
    pub pagination_token: Option<String>,
}

/// Input of `list_users_in_group`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListUsersInGroup {
    /// The group name.
    pub group: String,
    /// Users per page, 1 to 60. Default: 60.
    #[serde(default)]
    #[schemars(range(min = 1, max = 60))]
    pub limit: Option<i32>,
    /// The `pagination_token` of the previous page.
    #[serde(default)]
    pub pagination_token: Option<String>,
}

fn limit_or_default(limit: Option<i32>) -> Result<i32, AdminError> {
    let limit = limit.unwrap_or(validate::MAX_PAGE);
    validate::page_limit("limit", limit)?;
    Ok(limit)
}

impl CognitoAdmin {
    /// Lists the pool's groups (ListGroups), one page.
    pub async fn list_groups(&self, req: &ListGroups) -> Result<GroupPage, AdminError> {
        let limit = limit_or_default(req.limit)?;
        let out = finish(
            Operation::ListGroups,
            Subject::None,
            self.client()
                .list_groups()
                .user_pool_id(self.pool_id())
                .limit(limit)
                .set_next_token(req.pagination_token.clone())
                .send()
                .await,
        )?;
        let groups: Vec<Group> = out.groups().iter().map(group_from_sdk).collect();
        Ok(GroupPage {
            count: groups.len(),
            groups,
            pagination_token: out
                .next_token()
                .map(str::to_owned)
                .filter(|t| !t.is_empty()),
        })
    }

    /// Creates a group (CreateGroup).
    pub async fn create_group(&self, req: &CreateGroup) -> Result<Group, AdminError> {
        validate::group_name("group", &req.group)?;
        self.check_group_writable("group", &req.group)?;
        self.check_group_privilege("group", &req.group)?;
        if let Some(d) = &req.description {
            validate::description("description", d)?;
        }
        if let Some(p) = req.precedence.filter(|p| *p < 0) {
            return Err(validate::Invalid::new(
                "precedence",
                format!("is {p}, below 0"),
                "a whole number, 0 or more",
                "10",
            )
            .into());
        }
        let out = finish(
            Operation::CreateGroup,
            Subject::Group(&req.group),
            self.client()
                .create_group()
                .user_pool_id(self.pool_id())
                .group_name(&req.group)
                .set_description(req.description.clone())
                .set_precedence(req.precedence)
                .send()
                .await,
        )?;
        Ok(out.group().map(group_from_sdk).unwrap_or(Group {
            name: req.group.clone(),
            description: req.description.clone(),
            precedence: req.precedence,
            role_arn: None,
            created: None,
        }))
    }

    /// Deletes a group (DeleteGroup). Its members stay in the pool.
    pub async fn delete_group(&self, group: &str) -> Result<Outcome, AdminError> {
        validate::group_name("group", group)?;
        self.check_group_writable("group", group)?;
        self.check_group_privilege("group", group)?;
        finish(
            Operation::DeleteGroup,
            Subject::Group(group),
            self.client()
                .delete_group()
                .user_pool_id(self.pool_id())
                .group_name(group)
                .send()
                .await,
        )?;
        Ok(Outcome::group("group_deleted", group)
            .note("The group's members stay in the pool; only the membership is gone."))
    }

    /// Adds a user to a group (AdminAddUserToGroup). Adding a member again changes nothing.
    pub async fn add_user_to_group(
        &self,
        username: &str,
        group: &str,
    ) -> Result<Outcome, AdminError> {
        validate::username("username", username)?;
        validate::group_name("group", group)?;
        self.check_group_writable("group", group)?;
        self.check_group_privilege("group", group)?;
        self.check_user_writable("username", username).await?;
        finish(
            Operation::AdminAddUserToGroup,
            Subject::UserInGroup(username, group),
            self.client()
                .admin_add_user_to_group()
                .user_pool_id(self.pool_id())
                .username(username)
                .group_name(group)
                .send()
                .await,
        )?;
        let mut out = Outcome::user("added_to_group", username);
        out.group = Some(group.to_owned());
        Ok(out.note("New tokens carry the group in cognito:groups; tokens already issued do not."))
    }

    /// Removes a user from a group (AdminRemoveUserFromGroup).
    pub async fn remove_user_from_group(
        &self,
        username: &str,
        group: &str,
    ) -> Result<Outcome, AdminError> {
        validate::username("username", username)?;
        validate::group_name("group", group)?;
        self.check_group_writable("group", group)?;
        self.check_group_privilege("group", group)?;
        self.check_user_writable("username", username).await?;
        finish(
            Operation::AdminRemoveUserFromGroup,
            Subject::UserInGroup(username, group),
            self.client()
                .admin_remove_user_from_group()
                .user_pool_id(self.pool_id())
                .username(username)
                .group_name(group)
                .send()
                .await,
        )?;
        let mut out = Outcome::user("removed_from_group", username);
        out.group = Some(group.to_owned());
        Ok(out.note("Tokens already issued still list the group until they expire."))
    }

    /// Lists a user's groups (AdminListGroupsForUser), one page.
    pub async fn list_groups_for_user(
        &self,
        req: &ListGroupsForUser,
    ) -> Result<GroupPage, AdminError> {
        validate::username("username", &req.username)?;
        let limit = limit_or_default(req.limit)?;
        let out = finish(
            Operation::AdminListGroupsForUser,
            Subject::User(&req.username),
            self.client()
                .admin_list_groups_for_user()
                .user_pool_id(self.pool_id())
                .username(&req.username)
                .limit(limit)
                .set_next_token(req.pagination_token.clone())
                .send()
                .await,
        )?;
        let groups: Vec<Group> = out.groups().iter().map(group_from_sdk).collect();
        Ok(GroupPage {
            count: groups.len(),
            groups,
            pagination_token: out
                .next_token()
                .map(str::to_owned)
                .filter(|t| !t.is_empty()),
        })
    }

    /// Every group name of a user, all pages.
    pub(crate) async fn groups_for_user_all(
        &self,
        username: &str,
    ) -> Result<Vec<String>, AdminError> {
        // Cognito allows 10,000 groups per pool: 200 pages of 60 is more than enough, and the
        // cap stops a service that never ends its pages.
        const MAX_PAGES: usize = 200;
        let mut names = Vec::new();
        let mut token = None;
        let mut seen = std::collections::HashSet::new();
        for _ in 0..MAX_PAGES {
            let page = self
                .list_groups_for_user(&ListGroupsForUser {
                    username: username.to_owned(),
                    limit: None,
                    pagination_token: token,
                })
                .await?;
            names.extend(page.groups.into_iter().map(|g| g.name));
            token = page.pagination_token;
            match &token {
                Some(t) if seen.insert(t.clone()) => {}
                _ => break,
            }
        }
        Ok(names)
    }

    /// Lists a group's members (ListUsersInGroup), one page.
    pub async fn list_users_in_group(
        &self,
        req: &ListUsersInGroup,
    ) -> Result<UserPage, AdminError> {
        validate::group_name("group", &req.group)?;
        let limit = limit_or_default(req.limit)?;
        let out = finish(
            Operation::ListUsersInGroup,
            Subject::Group(&req.group),
            self.client()
                .list_users_in_group()
                .user_pool_id(self.pool_id())
                .group_name(&req.group)
                .limit(limit)
                .set_next_token(req.pagination_token.clone())
                .send()
                .await,
        )?;
        let users: Vec<_> = out.users().iter().map(user_from_sdk).collect();
        Ok(UserPage {
            count: users.len(),
            users,
            incomplete: None,
            pagination_token: out
                .next_token()
                .map(str::to_owned)
                .filter(|t| !t.is_empty()),
        })
    }
}
