//! The `[deploy]` table as written in the config file; `crate::deploy` turns it into what
//! `deploy template` builds.

use std::collections::BTreeMap;

use serde::Deserialize;

/// `[deploy]` as written. Every field has a default, so an empty table is a valid pool.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeployFile {
    /// The user pool's name; default `cognito-mcp`.
    pub(crate) pool_name: Option<String>,
    /// The pool's domain: a prefix (`my-mcp` gives `https://my-mcp.auth.REGION.amazoncognito.com`)
    /// or a custom domain with dots (then the template asks for its ACM certificate). None: no
    /// domain, and the server's sign-in page signs users in.
    pub(crate) domain: Option<String>,
    /// `off`, `optional` (default) or `required`: TOTP authenticator apps.
    pub(crate) mfa: Option<String>,
    /// Only administrators create users (default true): no self sign-up.
    pub(crate) admin_only: Option<bool>,
    /// The app client also allows `ADMIN_USER_PASSWORD_AUTH` (default false): for
    /// `cognito-mcp token` and the sign-in page's `admin_password` flow.
    pub(crate) password_flows: Option<bool>,
    /// CloudFormation refuses to delete the pool (default true).
    pub(crate) deletion_protection: Option<bool>,
    /// The pool's feature plan: `lite`, `essentials` (default) or `plus`. The pre-token trigger
    /// changes access tokens only on essentials or plus.
    pub(crate) feature_plan: Option<String>,
    /// Add the pre-token-generation trigger (crate `pre-token-trigger`); default false.
    pub(crate) pre_token_trigger: Option<bool>,
    /// Add the server itself on AWS Lambda behind a Function URL; default false.
    pub(crate) lambda: Option<bool>,
    /// Add an IAM role for the server with the least-privilege policy of `iam-policy`;
    /// default true.
    pub(crate) server_role: Option<bool>,
    /// The AWS service that assumes the server role when the server is not on Lambda;
    /// default `ecs-tasks.amazonaws.com`.
    pub(crate) server_role_service: Option<String>,
    /// Native mode's dynamic client registration at the pool (`DcrConfiguration`): `open`
    /// (default; no initial access token), `authenticated` (an initial access token with
    /// `aws.cognito/dcr/register`) or `off`.
    pub(crate) dcr: Option<String>,
    /// The resource server's scopes, name to description; default read, write, admin.
    pub(crate) scopes: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub(crate) password_policy: PasswordPolicyFile,
    #[serde(default)]
    pub(crate) custom_attributes: Vec<CustomAttributeFile>,
    #[serde(default)]
    pub(crate) identity_providers: Vec<IdentityProviderFile>,
}

/// `[deploy.password_policy]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordPolicyFile {
    pub(crate) min_length: Option<u32>,
    pub(crate) require_lowercase: Option<bool>,
    pub(crate) require_uppercase: Option<bool>,
    pub(crate) require_numbers: Option<bool>,
    pub(crate) require_symbols: Option<bool>,
    pub(crate) temporary_password_validity_days: Option<u32>,
}

/// One `[[deploy.custom_attributes]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CustomAttributeFile {
    pub(crate) name: String,
    /// `String` (default) or `Number`.
    #[serde(rename = "type")]
    pub(crate) kind: Option<String>,
    /// Default true.
    pub(crate) mutable: Option<bool>,
    /// The pre-token trigger copies it into tokens as a claim named `name` (default false).
    pub(crate) claim: Option<bool>,
}

/// One `[[deploy.identity_providers]]`: a SAML or OIDC identity provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IdentityProviderFile {
    pub(crate) name: String,
    /// `SAML` or `OIDC`.
    #[serde(rename = "type")]
    pub(crate) kind: String,
    /// SAML: the IdP's metadata document URL.
    pub(crate) metadata_url: Option<String>,
    /// OIDC: the issuer URL.
    pub(crate) issuer: Option<String>,
    /// OIDC: the client id Cognito uses at the IdP (its secret is a template parameter).
    pub(crate) client_id: Option<String>,
    /// OIDC: the scopes Cognito asks for; default `openid email profile`.
    pub(crate) scopes: Option<Vec<String>>,
    /// Pool attribute to IdP attribute or claim, e.g. `email = "email"`.
    #[serde(default)]
    pub(crate) attribute_mapping: BTreeMap<String, String>,
}
