//! What operations return: plain, serializable views of Cognito's answers.

use std::collections::BTreeMap;

use aws_sdk_cognitoidentityprovider::types::{AttributeType, GroupType, UserType};
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use schemars::JsonSchema;
use serde::Serialize;

use crate::password::PasswordPolicy;

/// A user of the pool.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct User {
    /// The username.
    pub username: String,
    /// The user's immutable id (`sub`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Cognito's status: `CONFIRMED`, `UNCONFIRMED`, `FORCE_CHANGE_PASSWORD`,
    /// `RESET_REQUIRED`, `EXTERNAL_PROVIDER`, ...
    pub status: String,
    /// Whether the user has confirmed their account (status `CONFIRMED`).
    pub confirmed: bool,
    /// Whether the user may sign in.
    pub enabled: bool,
    /// Attributes by name (`email`, `custom:department`, ...).
    pub attributes: BTreeMap<String, String>,
    /// When the user was created (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// When the user was last modified (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// MFA settings (present in `get_user`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa: Option<UserMfa>,
    /// Group names (present in `get_user`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
}

impl User {
    /// Every name Cognito accepts for the user, lowercased: the username, and the `sub`,
    /// email, phone number and preferred username it has.
    pub(crate) fn names(&self) -> impl Iterator<Item = String> + '_ {
        std::iter::once(self.username.to_lowercase()).chain(
            ["sub", "email", "phone_number", "preferred_username"]
                .into_iter()
                .filter_map(|a| self.attributes.get(a).map(|v| v.to_lowercase())),
        )
    }
}

/// A user's MFA settings.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct UserMfa {
    /// The preferred method (`SOFTWARE_TOKEN_MFA`, `SMS_MFA`, `EMAIL_OTP`), if any.
    pub preferred: Option<String>,
    /// Every method the user has enabled.
    pub enabled: Vec<String>,
}

/// A page of users.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct UserPage {
    /// The users.
    pub users: Vec<User>,
    /// How many users are in `users`.
    pub count: usize,
    /// Pass this back as `pagination_token` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pagination_token: Option<String>,
    /// Why fetching all pages stopped early, when it did; `pagination_token` resumes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<String>,
}

/// A group of the pool.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct Group {
    /// The group name.
    pub name: String,
    /// Its description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its precedence (lower wins when a user is in several groups with roles).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precedence: Option<i32>,
    /// The IAM role of its members, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// When the group was created (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
}

/// A page of groups.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct GroupPage {
    /// The groups.
    pub groups: Vec<Group>,
    /// How many groups are in `groups`.
    pub count: usize,
    /// Pass this back as `pagination_token` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pagination_token: Option<String>,
}

/// What a change did.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct Outcome {
    /// What happened, e.g. `user_disabled`, `added_to_group`.
    pub action: String,
    /// The user concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The group concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The attributes concerned.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<String>,
    /// Anything the caller should know about the effect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Outcome {
    pub(crate) fn user(action: &str, username: &str) -> Self {
        Self {
            action: action.to_owned(),
            username: Some(username.to_owned()),
            group: None,
            attributes: Vec::new(),
            note: None,
        }
    }

    pub(crate) fn group(action: &str, group: &str) -> Self {
        Self {
            username: None,
            group: Some(group.to_owned()),
            ..Self::user(action, "")
        }
    }

    pub(crate) fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
}

/// The pool's MFA configuration.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct PoolMfa {
    /// `OFF`, `ON` (required) or `OPTIONAL`.
    pub mode: String,
    /// Authenticator apps (TOTP) are enabled (absent when not read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub software_token: Option<bool>,
    /// SMS codes are enabled (absent when not read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms: Option<bool>,
    /// Email codes are enabled (absent when not read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<bool>,
}

/// A description of the pool.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct PoolDescription {
    /// The pool id.
    pub id: String,
    /// The pool name.
    pub name: Option<String>,
    /// The pool ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// Cognito's estimate of the number of users.
    pub estimated_number_of_users: i32,
    /// Attributes that can be used as the username (`email`, `phone_number`).
    pub username_attributes: Vec<String>,
    /// Attributes that can sign in as aliases.
    pub alias_attributes: Vec<String>,
    /// Attributes Cognito verifies automatically.
    pub auto_verified_attributes: Vec<String>,
    /// Whether only administrators can create users.
    pub admin_create_user_only: bool,
    /// The password policy.
    pub password_policy: PasswordPolicy,
    /// The MFA configuration.
    pub mfa: PoolMfa,
    /// Custom attributes, written `custom:NAME`.
    pub custom_attributes: Vec<String>,
    /// The hosted UI domain prefix, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// The custom domain of managed login, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_domain: Option<String>,
    /// The feature plan: `LITE`, `ESSENTIALS` or `PLUS` (native mode needs Essentials or Plus).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// Whether deletion protection is on.
    pub deletion_protection: bool,
    /// When the pool was created (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
}

/// An app client of the pool.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct AppClient {
    /// The client id.
    pub client_id: String,
    /// The client name.
    pub client_name: Option<String>,
    /// Registered by an application through dynamic client registration (Cognito's
    /// `ClientType` `DCR`): it counts toward the pool's app-client quota like any other, and
    /// `prune_dynamic_clients` can remove it.
    pub dynamic: bool,
    /// When it was created (RFC 3339), when Cognito says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// When it was last changed (RFC 3339), when Cognito says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

impl AppClient {
    /// A client known only by its list entry.
    pub(crate) fn listed(client_id: String, client_name: Option<String>) -> Self {
        Self {
            client_id,
            client_name,
            dynamic: false,
            created: None,
            last_modified: None,
        }
    }
}

/// A page of app clients.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct AppClientPage {
    /// The clients.
    pub clients: Vec<AppClient>,
    /// How many clients are in `clients`.
    pub count: usize,
    /// Pass this back as `pagination_token` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pagination_token: Option<String>,
}

/// A JSON 1.1 date (seconds since the epoch, as the signed-JSON operations answer) in RFC 3339.
pub(crate) fn json_date(v: &serde_json::Value) -> Option<String> {
    DateTime::from_secs_f64(v.as_f64()?)
        .fmt(Format::DateTime)
        .ok()
}

pub(crate) fn time(t: Option<&DateTime>) -> Option<String> {
    t.and_then(|t| t.fmt(Format::DateTime).ok())
}

pub(crate) fn attributes(attrs: &[AttributeType]) -> BTreeMap<String, String> {
    attrs
        .iter()
        .map(|a| {
            (
                a.name().to_owned(),
                a.value().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

pub(crate) fn user_from_sdk(u: &UserType) -> User {
    let attributes = attributes(u.attributes());
    let status = u
        .user_status()
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default();
    User {
        username: u.username().unwrap_or_default().to_owned(),
        sub: attributes.get("sub").cloned(),
        confirmed: status == "CONFIRMED",
        status,
        enabled: u.enabled(),
        attributes,
        created: time(u.user_create_date()),
        last_modified: time(u.user_last_modified_date()),
        mfa: None,
        groups: None,
    }
}

pub(crate) fn group_from_sdk(g: &GroupType) -> Group {
    Group {
        name: g.group_name().unwrap_or_default().to_owned(),
        description: g.description().map(str::to_owned),
        precedence: g.precedence(),
        role_arn: g.role_arn().map(str::to_owned),
        created: time(g.creation_date()),
    }
}
