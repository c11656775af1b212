//! Provisioning: a new pool with an app client, the standard groups and a first admin.
//!
//! This is what `cognito-mcp bootstrap` runs. It works against real AWS and against moto.

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::{
    AdminCreateUserConfigType, ExplicitAuthFlowsType, PasswordPolicyType,
    PreventUserExistenceErrorTypes, UserPoolPolicyType, UsernameConfigurationType,
    VerifiedAttributeType,
};

use crate::error::{Subject, finish};
use crate::password::{PasswordPolicy, SYMBOLS};
use crate::{AdminError, CognitoAdmin, CreateGroup, CreateUser, Operation, Secret, validate};

/// The groups every pool gets, with their scopes in words and their precedence.
pub const STANDARD_GROUPS: [(&str, &str, i32); 3] = [
    (
        "Admins",
        "Full administration (scopes mcp/admin, mcp/write, mcp/read)",
        0,
    ),
    (
        "Developers",
        "Read and write (scopes mcp/write, mcp/read)",
        10,
    ),
    ("ReadOnly", "Read only (scope mcp/read)", 20),
];

/// The password policy of a bootstrapped pool: 12 characters, every class.
pub fn bootstrap_policy() -> PasswordPolicy {
    PasswordPolicy {
        minimum_length: 12,
        ..PasswordPolicy::default()
    }
}

/// What to create.
#[derive(Debug, Clone)]
pub struct BootstrapSpec {
    /// The pool name.
    pub pool_name: String,
    /// The app client name.
    pub client_name: String,
    /// The first admin's username; no admin is created when absent.
    pub admin_username: Option<String>,
    /// The first admin's email, where Cognito sends the invitation.
    pub admin_email: Option<String>,
    /// Set a generated temporary password and suppress the invitation, so the caller can
    /// hand the password over itself; otherwise Cognito generates one and emails it.
    pub generate_admin_password: bool,
}

/// What was created.
#[derive(Debug)]
#[non_exhaustive]
pub struct Bootstrapped {
    /// The new pool's id.
    pub pool_id: String,
    /// The new pool's ARN, when AWS returned one.
    pub pool_arn: Option<String>,
    /// The app client's id.
    pub client_id: String,
    /// The groups created.
    pub groups: Vec<String>,
    /// The admin's username, if one was created.
    pub admin_username: Option<String>,
    /// The admin's temporary password, when [`BootstrapSpec::generate_admin_password`] was set.
    pub admin_temporary_password: Option<Secret>,
}

/// Creates the pool, the app client, the [`STANDARD_GROUPS`] and the first admin.
pub async fn bootstrap(client: &Client, spec: &BootstrapSpec) -> Result<Bootstrapped, AdminError> {
    if spec.pool_name.is_empty() || spec.pool_name.chars().count() > 128 {
        return Err(validate::Invalid::new(
            "pool_name",
            "is empty or longer than 128 characters",
            "1 to 128 characters",
            "mcp-users",
        )
        .into());
    }
    if let Some(u) = &spec.admin_username {
        validate::username("admin_username", u)?;
    }
    if let Some(e) = &spec.admin_email {
        validate::email("admin_email", e)?;
    }
    let policy = bootstrap_policy();
    let pool = finish(
        Operation::CreateUserPool,
        Subject::None,
        client
            .create_user_pool()
            .pool_name(&spec.pool_name)
            .policies(
                UserPoolPolicyType::builder()
                    .password_policy(
                        PasswordPolicyType::builder()
                            .minimum_length(policy.minimum_length as i32)
                            .require_uppercase(true)
                            .require_lowercase(true)
                            .require_numbers(true)
                            .require_symbols(true)
                            .temporary_password_validity_days(
                                policy.temporary_password_validity_days as i32,
                            )
                            .build(),
                    )
                    .build(),
            )
            .auto_verified_attributes(VerifiedAttributeType::Email)
            .username_configuration(
                UsernameConfigurationType::builder()
                    .case_sensitive(false)
                    .build()
                    .map_err(|e| AdminError::Aws {
                        operation: Operation::CreateUserPool,
                        code: "BuildError".into(),
                        message: e.to_string(),
                    })?,
            )
            .admin_create_user_config(
                AdminCreateUserConfigType::builder()
                    .allow_admin_create_user_only(true)
                    .build(),
            )
            .send()
            .await,
    )?;
    let pool = pool.user_pool().ok_or_else(|| AdminError::Aws {
        operation: Operation::CreateUserPool,
        code: "EmptyResponse".into(),
        message: "CreateUserPool returned no pool".into(),
    })?;
    let pool_id = pool.id().unwrap_or_default().to_owned();

    let app = finish(
        Operation::CreateUserPoolClient,
        Subject::None,
        client
            .create_user_pool_client()
            .user_pool_id(&pool_id)
            .client_name(&spec.client_name)
            .generate_secret(false)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserSrpAuth)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
            .prevent_user_existence_errors(PreventUserExistenceErrorTypes::Enabled)
            .send()
            .await,
    )?;
    let client_id = app
        .user_pool_client()
        .and_then(|c| c.client_id())
        .unwrap_or_default()
        .to_owned();

    let admin = CognitoAdmin::new(client.clone(), pool_id.clone());
    admin.remember_policy(policy.clone()).await;
    let mut groups = Vec::new();
    for (name, description, precedence) in STANDARD_GROUPS {
        admin
            .create_group(&CreateGroup {
                group: name.into(),
                description: Some(description.into()),
                precedence: Some(precedence),
            })
            .await?;
        groups.push(name.to_owned());
    }

    let mut temporary = None;
    if let Some(username) = &spec.admin_username {
        let password = spec
            .generate_admin_password
            .then(|| generate_password(&policy));
        admin
            .create_user(&CreateUser {
                username: username.clone(),
                email: spec.admin_email.clone(),
                // The operator gave their own address.
                email_verified: spec.admin_email.as_ref().map(|_| true),
                attributes: Default::default(),
                temporary_password: password.clone(),
                suppress_invitation: spec.generate_admin_password,
                groups: vec!["Admins".into()],
            })
            .await?;
        temporary = password;
    }

    Ok(Bootstrapped {
        pool_id,
        pool_arn: pool.arn().map(str::to_owned),
        client_id,
        groups,
        admin_username: spec.admin_username.clone(),
        admin_temporary_password: temporary,
    })
}

/// A random password of 20 characters that meets `policy` (and any Cognito policy of at most
/// 20 characters), drawn from the operating system's random source.
pub fn generate_password(policy: &PasswordPolicy) -> Secret {
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
    const DIGITS: &[u8] = b"23456789";
    const SYMS: &[u8] = b"!#%*+-=?@^_";
    debug_assert!(SYMS.iter().all(|c| SYMBOLS.contains(*c as char)));
    let len = (policy.minimum_length as usize).max(20);
    let mut bytes = vec![0u8; len * 2];
    // The OS random source failing is not something to recover from here.
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    let all: Vec<u8> = [UPPER, LOWER, DIGITS, SYMS].concat();
    let mut out: Vec<u8> = Vec::with_capacity(len);
    // One of each class first, then the rest from all classes, then shuffle.
    for (i, class) in [UPPER, LOWER, DIGITS, SYMS].iter().enumerate() {
        out.push(class[bytes[i] as usize % class.len()]);
    }
    for b in &bytes[4..len] {
        out.push(all[*b as usize % all.len()]);
    }
    for i in (1..out.len()).rev() {
        let j = bytes[len + i] as usize % (i + 1);
        out.swap(i, j);
    }
    Secret::new(String::from_utf8(out).expect("ASCII"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_meet_the_policy_and_differ() {
        let p = bootstrap_policy();
        let a = generate_password(&p);
        let b = generate_password(&p);
        assert!(p.violations(a.expose()).is_empty());
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), 20);
    }
}
