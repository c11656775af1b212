//! User operations.

use std::collections::BTreeMap;

use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, DeliveryMediumType, MessageActionType,
};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::error::{Subject, finish};
use crate::filter::Filter;
use crate::model::{Outcome, User, UserMfa, UserPage, attributes, time, user_from_sdk};
use crate::{AdminError, CognitoAdmin, Operation, Secret, validate};

/// Default cap on users fetched when `all_pages` is set.
pub const DEFAULT_MAX_USERS: u32 = 1000;
/// Largest cap a caller may ask for with `all_pages`.
pub const MAX_USERS_CAP: u32 = 10_000;
/// How many AdminGetUser calls `include_mfa` runs at once: well under the UserRead quota
/// (120 requests per second).
const MFA_READS_AT_ONCE: usize = 4;

/// Input of `create_user`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// The username: 1 to 128 characters, no spaces. In a pool that signs in by email, the
    /// email address.
    pub username: String,
    /// The user's email address (the `email` attribute).
    #[serde(default)]
    pub email: Option<String>,
    /// Mark the email as verified, so password-reset codes can go to it. Set it only for an
    /// address known to belong to the user: whoever holds a verified address can reset the
    /// password. Default: false.
    #[serde(default)]
    pub email_verified: Option<bool>,
    /// Other attributes by name: standard ones (`name`, `given_name`, `phone_number`, ...) or
    /// custom ones written `custom:NAME`.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// A temporary password the user must change at first sign-in, checked against the pool's
    /// password policy. Leave it out to let Cognito generate one and send it in the invitation.
    #[serde(default)]
    pub temporary_password: Option<Secret>,
    /// Do not send the invitation message. Default: false.
    #[serde(default)]
    pub suppress_invitation: bool,
    /// Groups to add the new user to.
    #[serde(default)]
    pub groups: Vec<String>,
}

/// Input of tools that name one user.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserRef {
    /// The username (call list_users to find it).
    pub username: String,
}

/// Input of `list_users`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListUsers {
    /// Users per page, 1 to 60. Default: 60.
    #[serde(default)]
    #[schemars(range(min = 1, max = 60))]
    pub limit: Option<i32>,
    /// One condition in Cognito's filter syntax: `ATTRIBUTE = "VALUE"` (equals) or
    /// `ATTRIBUTE ^= "VALUE"` (starts with), on username, email, phone_number, name,
    /// given_name, family_name, preferred_username, cognito:user_status, status or sub.
    /// Example: `email ^= "alice"`.
    #[serde(default)]
    pub filter: Option<String>,
    /// The `pagination_token` of the previous page.
    #[serde(default)]
    pub pagination_token: Option<String>,
    /// Fetch page after page until the last one or `max_users`. Default: false.
    #[serde(default)]
    pub all_pages: bool,
    /// With `all_pages`, stop after this many users (1 to 10000). Default: 1000.
    #[serde(default)]
    #[schemars(range(min = 1, max = 10000))]
    pub max_users: Option<u32>,
    /// Also read each listed user's MFA settings (one AdminGetUser per user, so slower);
    /// get_user always includes them. Default: false.
    #[serde(default)]
    pub include_mfa: bool,
}

/// Input of `set_user_password`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetUserPassword {
    /// The username.
    pub username: String,
    /// The new password, checked against the pool's password policy.
    pub password: Secret,
    /// true: the password is final and the user is confirmed. false: it is temporary and
    /// must be changed at next sign-in. Default: false.
    #[serde(default)]
    pub permanent: bool,
}

/// Input of `update_user_attributes`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserAttributes {
    /// The username.
    pub username: String,
    /// Attributes to set, by name: standard ones or `custom:NAME`.
    pub attributes: BTreeMap<String, String>,
}

/// Input of `delete_user_attributes`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteUserAttributes {
    /// The username.
    pub username: String,
    /// Names of the attributes to remove.
    pub attribute_names: Vec<String>,
}

fn check_attributes(field: &str, attrs: &BTreeMap<String, String>) -> Result<(), AdminError> {
    for (name, value) in attrs {
        let f = format!("{field}.{name}");
        validate::attribute_name(&f, name, true)?;
        validate::attribute_value(&f, name, value)?;
    }
    Ok(())
}

fn sdk_attributes(attrs: &BTreeMap<String, String>) -> Vec<AttributeType> {
    attrs
        .iter()
        .map(|(n, v)| {
            AttributeType::builder()
                .name(n)
                .value(v)
                .build()
                .expect("name is set")
        })
        .collect()
}

impl CognitoAdmin {
    /// Creates a user (AdminCreateUser), then adds it to `groups`.
    pub async fn create_user(&self, req: &CreateUser) -> Result<User, AdminError> {
        let attrs = self.checked_create(req).await?;
        let mut user = self.send_create(req, attrs).await?;
        let mut added = Vec::new();
        for g in &req.groups {
            if let Err(e) = self.add_user_to_group(&req.username, g).await {
                let mut completed = format!("user {:?} was created", req.username);
                if !added.is_empty() {
                    completed.push_str(&format!(" and added to {}", added.join(", ")));
                }
                completed.push_str(&format!("; call add_user_to_group for {g:?}"));
                return Err(AdminError::Incomplete {
                    completed,
                    source: Box::new(e),
                });
            }
            added.push(g.clone());
        }
        user.groups = Some(added);
        Ok(user)
    }

    /// Every check `create_user` makes before AWS sees the request (input, protected names,
    /// the password policy): the attributes to send.
    pub(crate) async fn checked_create(
        &self,
        req: &CreateUser,
    ) -> Result<BTreeMap<String, String>, AdminError> {
        validate::username("username", &req.username)?;
        self.check_user_writable("username", &req.username).await?;
        let mut attrs = req.attributes.clone();
        if let Some(email) = &req.email {
            validate::email("email", email)?;
            if attrs.get("email").is_some_and(|e| e != email) {
                return Err(validate::Invalid::new(
                    "attributes.email",
                    "differs from `email`",
                    "give the email once, in `email`",
                    "{\"email\": \"alice@example.com\"}",
                )
                .into());
            }
            attrs.insert("email".into(), email.clone());
        }
        if let Some(verified) = req.email_verified {
            if attrs
                .get("email_verified")
                .is_some_and(|v| *v != verified.to_string())
            {
                return Err(validate::Invalid::new(
                    "attributes.email_verified",
                    "differs from `email_verified`",
                    "give it once, in `email_verified`",
                    "{\"email_verified\": true}",
                )
                .into());
            }
            attrs.insert("email_verified".into(), verified.to_string());
        }
        check_attributes("attributes", &attrs)?;
        for (i, g) in req.groups.iter().enumerate() {
            validate::group_name(&format!("groups[{i}]"), g)?;
            self.check_group_writable(&format!("groups[{i}]"), g)?;
            self.check_group_privilege(&format!("groups[{i}]"), g)?;
        }
        if let Some(pw) = &req.temporary_password {
            self.check_password("temporary_password", pw).await?;
        }
        Ok(attrs)
    }

    /// AdminCreateUser with checked attributes: the new user, without groups.
    pub(crate) async fn send_create(
        &self,
        req: &CreateUser,
        attrs: BTreeMap<String, String>,
    ) -> Result<User, AdminError> {
        let mut call = self
            .client()
            .admin_create_user()
            .user_pool_id(self.pool_id())
            .username(&req.username)
            .set_user_attributes(Some(sdk_attributes(&attrs)));
        if let Some(pw) = &req.temporary_password {
            call = call.temporary_password(pw.expose());
        }
        if req.suppress_invitation {
            call = call.message_action(MessageActionType::Suppress);
        } else {
            // Without this Cognito sends the invitation by SMS only.
            if attrs.contains_key("email") {
                call = call.desired_delivery_mediums(DeliveryMediumType::Email);
            }
            if attrs.contains_key("phone_number") {
                call = call.desired_delivery_mediums(DeliveryMediumType::Sms);
            }
        }
        let out = finish(
            Operation::AdminCreateUser,
            Subject::User(&req.username),
            call.send().await,
        )?;
        Ok(out.user().map(user_from_sdk).unwrap_or_else(|| User {
            username: req.username.clone(),
            sub: None,
            status: String::new(),
            confirmed: false,
            enabled: true,
            attributes: attrs,
            created: None,
            last_modified: None,
            mfa: None,
            groups: None,
        }))
    }

    /// Reads a user (AdminGetUser), with MFA settings and groups (AdminListGroupsForUser).
    pub async fn get_user(&self, username: &str) -> Result<User, AdminError> {
        validate::username("username", username)?;
        let mut user = self.admin_get_user(username).await?;
        user.groups = Some(self.groups_for_user_all(username).await?);
        Ok(user)
    }

    /// One AdminGetUser: the user with MFA settings, without groups.
    pub(crate) async fn admin_get_user(&self, username: &str) -> Result<User, AdminError> {
        let out = finish(
            Operation::AdminGetUser,
            Subject::User(username),
            self.client()
                .admin_get_user()
                .user_pool_id(self.pool_id())
                .username(username)
                .send()
                .await,
        )?;
        let attributes = attributes(out.user_attributes());
        let status = out
            .user_status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default();
        Ok(User {
            username: out.username().to_owned(),
            sub: attributes.get("sub").cloned(),
            confirmed: status == "CONFIRMED",
            status,
            enabled: out.enabled(),
            attributes,
            created: time(out.user_create_date()),
            last_modified: time(out.user_last_modified_date()),
            mfa: Some(UserMfa {
                preferred: out
                    .preferred_mfa_setting()
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
                enabled: out.user_mfa_setting_list().to_vec(),
            }),
            groups: None,
        })
    }

    /// Lists users (ListUsers), one page or every page up to a cap.
    pub async fn list_users(&self, req: &ListUsers) -> Result<UserPage, AdminError> {
        let limit = req.limit.unwrap_or(validate::MAX_PAGE);
        validate::page_limit("limit", limit)?;
        let filter = req
            .filter
            .as_deref()
            .map(|f| Filter::parse("filter", f))
            .transpose()?;
        let cap = req.max_users.unwrap_or(DEFAULT_MAX_USERS);
        if req.all_pages && !(1..=MAX_USERS_CAP).contains(&cap) {
            return Err(validate::Invalid::new(
                "max_users",
                format!("is {cap}, outside the allowed range"),
                "a whole number from 1 to 10000",
                "1000",
            )
            .into());
        }
        let mut users = Vec::new();
        let mut token = req.pagination_token.clone();
        let mut seen = std::collections::HashSet::new();
        let mut incomplete = None;
        loop {
            let page_limit = if req.all_pages {
                limit.min(i32::try_from(cap as usize - users.len()).unwrap_or(limit))
            } else {
                limit
            };
            let result = finish(
                Operation::ListUsers,
                Subject::None,
                self.client()
                    .list_users()
                    .user_pool_id(self.pool_id())
                    .limit(page_limit)
                    .set_filter(filter.as_ref().map(ToString::to_string))
                    .set_pagination_token(token.clone())
                    .send()
                    .await,
            );
            let out = match result {
                Ok(out) => out,
                // A later page failed: keep what was read, and say where to resume.
                Err(e) if !users.is_empty() => {
                    incomplete = Some(format!(
                        "stopped after {} users: {e}; call list_users again with this \
                         pagination_token to continue",
                        users.len()
                    ));
                    break;
                }
                Err(e) => return Err(e),
            };
            users.extend(out.users().iter().map(user_from_sdk));
            token = out
                .pagination_token()
                .map(str::to_owned)
                .filter(|t| !t.is_empty());
            if !req.all_pages || users.len() >= cap as usize {
                break;
            }
            match &token {
                None => break,
                Some(t) if !seen.insert(t.clone()) => {
                    incomplete = Some("stopped: Cognito returned a pagination token twice".into());
                    token = None;
                    break;
                }
                Some(_) => {}
            }
        }
        if req.include_mfa {
            self.fill_mfa(&mut users).await?;
        }
        Ok(UserPage {
            count: users.len(),
            users,
            pagination_token: token,
            incomplete,
        })
    }

    /// Reads the MFA settings of `users` (AdminGetUser each, `MFA_READS_AT_ONCE` at a time).
    /// The reads run on this task, not spawned ones, so [`crate::calls::collect`] records them.
    /// A user deleted since the listing keeps `mfa` absent.
    async fn fill_mfa(&self, users: &mut [User]) -> Result<(), AdminError> {
        use futures_util::{StreamExt as _, TryStreamExt as _};
        let usernames: Vec<String> = users.iter().map(|u| u.username.clone()).collect();
        let reads: Vec<Option<UserMfa>> = futures_util::stream::iter(usernames)
            .map(|username| self.mfa_unless_gone(username))
            .buffered(MFA_READS_AT_ONCE)
            .try_collect()
            .await?;
        for (user, mfa) in users.iter_mut().zip(reads) {
            user.mfa = mfa;
        }
        Ok(())
    }

    /// A user's MFA settings, or `None` when the user no longer exists.
    async fn mfa_unless_gone(&self, username: String) -> Result<Option<UserMfa>, AdminError> {
        match self.user_mfa(&username).await {
            Ok(mfa) => Ok(Some(mfa)),
            Err(AdminError::UserNotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sets a user's password (AdminSetUserPassword), after checking it against the policy.
    pub async fn set_user_password(&self, req: &SetUserPassword) -> Result<Outcome, AdminError> {
        validate::username("username", &req.username)?;
        self.check_user_writable("username", &req.username).await?;
        self.check_user_privilege("username", &req.username).await?;
        self.check_password("password", &req.password).await?;
        finish(
            Operation::AdminSetUserPassword,
            Subject::User(&req.username),
            self.client()
                .admin_set_user_password()
                .user_pool_id(self.pool_id())
                .username(&req.username)
                .password(req.password.expose())
                .permanent(req.permanent)
                .send()
                .await,
        )?;
        Ok(if req.permanent {
            Outcome::user("password_set_permanent", &req.username)
                .note("The password is final and the user is CONFIRMED.")
        } else {
            Outcome::user("password_set_temporary", &req.username).note(
                "The user is FORCE_CHANGE_PASSWORD and must choose a new password at next sign-in.",
            )
        })
    }

    /// Resets a user's password (AdminResetUserPassword): the user gets a code to choose a
    /// new one.
    pub async fn reset_user_password(&self, username: &str) -> Result<Outcome, AdminError> {
        validate::username("username", username)?;
        self.check_user_writable("username", username).await?;
        self.check_user_privilege("username", username).await?;
        finish(
            Operation::AdminResetUserPassword,
            Subject::User(username),
            self.client()
                .admin_reset_user_password()
                .user_pool_id(self.pool_id())
                .username(username)
                .send()
                .await,
        )?;
        Ok(Outcome::user("password_reset", username).note(
            "The current password no longer works. Cognito sent the user a code to set a new one \
             (status RESET_REQUIRED).",
        ))
    }

    /// Enables a user (AdminEnableUser).
    pub async fn enable_user(&self, username: &str) -> Result<Outcome, AdminError> {
        validate::username("username", username)?;
        self.check_user_writable("username", username).await?;
        self.check_user_privilege("username", username).await?;
        finish(
            Operation::AdminEnableUser,
            Subject::User(username),
            self.client()
                .admin_enable_user()
                .user_pool_id(self.pool_id())
                .username(username)
                .send()
                .await,
        )?;
        Ok(Outcome::user("user_enabled", username))
    }

    /// Disables a user (AdminDisableUser): they can no longer sign in.
    pub async fn disable_user(&self, username: &str) -> Result<Outcome, AdminError> {
        validate::username("username", username)?;
        self.check_user_writable("username", username).await?;
        self.check_user_privilege("username", username).await?;
        finish(
            Operation::AdminDisableUser,
            Subject::User(username),
            self.client()
                .admin_disable_user()
                .user_pool_id(self.pool_id())
                .username(username)
                .send()
                .await,
        )?;
        Ok(Outcome::user("user_disabled", username).note(
            "The user can no longer sign in or refresh tokens; access tokens already issued stay \
             valid until they expire. Call enable_user to undo.",
        ))
    }

    /// Deletes a user (AdminDeleteUser). This cannot be undone.
    pub async fn delete_user(&self, username: &str) -> Result<Outcome, AdminError> {
        validate::username("username", username)?;
        self.check_user_writable("username", username).await?;
        self.check_user_privilege("username", username).await?;
        finish(
            Operation::AdminDeleteUser,
            Subject::User(username),
            self.client()
                .admin_delete_user()
                .user_pool_id(self.pool_id())
                .username(username)
                .send()
                .await,
        )?;
        Ok(Outcome::user("user_deleted", username))
    }

    /// Sets attributes (AdminUpdateUserAttributes).
    pub async fn update_user_attributes(
        &self,
        req: &UpdateUserAttributes,
    ) -> Result<Outcome, AdminError> {
        validate::username("username", &req.username)?;
        self.check_user_writable("username", &req.username).await?;
        self.check_user_privilege("username", &req.username).await?;
        if req.attributes.is_empty() {
            return Err(validate::Invalid::new(
                "attributes",
                "is empty",
                "at least one attribute to set",
                "{\"given_name\": \"Alice\"}",
            )
            .into());
        }
        check_attributes("attributes", &req.attributes)?;
        finish(
            Operation::AdminUpdateUserAttributes,
            Subject::User(&req.username),
            self.client()
                .admin_update_user_attributes()
                .user_pool_id(self.pool_id())
                .username(&req.username)
                .set_user_attributes(Some(sdk_attributes(&req.attributes)))
                .send()
                .await,
        )?;
        let mut out = Outcome::user("attributes_updated", &req.username);
        out.attributes = req.attributes.keys().cloned().collect();
        Ok(out)
    }

    /// Removes attributes (AdminDeleteUserAttributes).
    pub async fn delete_user_attributes(
        &self,
        req: &DeleteUserAttributes,
    ) -> Result<Outcome, AdminError> {
        validate::username("username", &req.username)?;
        self.check_user_writable("username", &req.username).await?;
        self.check_user_privilege("username", &req.username).await?;
        if req.attribute_names.is_empty() {
            return Err(validate::Invalid::new(
                "attribute_names",
                "is empty",
                "at least one attribute name",
                "[\"custom:department\"]",
            )
            .into());
        }
        for (i, name) in req.attribute_names.iter().enumerate() {
            validate::attribute_name(&format!("attribute_names[{i}]"), name, true)?;
        }
        finish(
            Operation::AdminDeleteUserAttributes,
            Subject::User(&req.username),
            self.client()
                .admin_delete_user_attributes()
                .user_pool_id(self.pool_id())
                .username(&req.username)
                .set_user_attribute_names(Some(req.attribute_names.clone()))
                .send()
                .await,
        )?;
        let mut out = Outcome::user("attributes_deleted", &req.username);
        out.attributes = req.attribute_names.clone();
        Ok(out)
    }

    /// Signs a user out everywhere (AdminUserGlobalSignOut).
    pub async fn sign_out_user(&self, username: &str) -> Result<Outcome, AdminError> {
        validate::username("username", username)?;
        self.check_user_writable("username", username).await?;
        self.check_user_privilege("username", username).await?;
        finish(
            Operation::AdminUserGlobalSignOut,
            Subject::User(username),
            self.client()
                .admin_user_global_sign_out()
                .user_pool_id(self.pool_id())
                .username(username)
                .send()
                .await,
        )?;
        Ok(Outcome::user("signed_out", username).note(
            "Refresh tokens are revoked. Access and id tokens already issued stay valid until \
             they expire (the app client's access-token validity, one hour by default).",
        ))
    }
}
