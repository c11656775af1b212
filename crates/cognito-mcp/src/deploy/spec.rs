//! The `[deploy]` table: what `deploy template` builds, as written in the config file.

use std::collections::BTreeMap;

use crate::config::DeployFile;
use crate::config::Problem;

/// MFA as the template writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mfa {
    Off,
    Optional,
    Required,
}

impl Mfa {
    /// CloudFormation's `MfaConfiguration`.
    pub(crate) fn cfn(self) -> &'static str {
        match self {
            Self::Off => "OFF",
            Self::Optional => "OPTIONAL",
            Self::Required => "ON",
        }
    }
}

/// Native mode's dynamic client registration at the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dcr {
    /// Anyone registers (`OpenDcrEnabled`).
    Open,
    /// Only with an initial access token holding `aws.cognito/dcr/register`.
    Authenticated,
    /// No registration: clients sign in by metadata documents or a configured client id.
    Off,
}

/// The identity provider kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdpKind {
    Saml,
    Oidc,
}

/// Where the pool's hosted UI lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Domain {
    /// `https://{prefix}.auth.{region}.amazoncognito.com`.
    Prefix(String),
    /// A custom domain; the template asks for its certificate.
    Custom(String),
}

impl Domain {
    /// Parses `deploy.domain` (a prefix, a custom domain, or either as a URL).
    pub(crate) fn parse(raw: &str) -> Result<Self, Problem> {
        let s = raw.trim();
        let s = s
            .strip_prefix("https://")
            .unwrap_or(s)
            .trim_end_matches('/');
        if let Some(prefix) = s.strip_suffix(".amazoncognito.com") {
            // A full hosted-UI host: keep its prefix.
            if let Some((p, _)) = prefix.split_once(".auth.") {
                return Self::parse(p);
            }
        }
        if s.contains('.') {
            let ok = s.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
            return if ok {
                Ok(Self::Custom(s.to_ascii_lowercase()))
            } else {
                Err(Problem::new(format!(
                    "deploy.domain {raw:?} is not a domain name; use a prefix such as \
                     \"my-mcp\" or a custom domain such as \"auth.example.com\""
                )))
            };
        }
        let ok = (1..=63).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !["aws", "amazon", "cognito"].iter().any(|w| s.contains(w));
        if ok {
            Ok(Self::Prefix(s.to_owned()))
        } else {
            Err(Problem::new(format!(
                "deploy.domain {raw:?} is not a usable domain prefix; use 1 to 63 lowercase \
                 letters, digits and hyphens, not starting or ending with a hyphen, without \
                 the words aws, amazon or cognito"
            )))
        }
    }

    /// The hosted UI's base URL, for `auth.domain`.
    pub(crate) fn url(&self, region: &str) -> String {
        match self {
            Self::Prefix(p) => format!("https://{p}.auth.{region}.amazoncognito.com"),
            Self::Custom(d) => format!("https://{d}"),
        }
    }
}

/// `[deploy]` with its defaults applied and checked.
#[derive(Debug, Clone)]
pub(crate) struct DeploySpec {
    pub(crate) pool_name: String,
    pub(crate) domain: Option<Domain>,
    pub(crate) mfa: Mfa,
    pub(crate) admin_only: bool,
    pub(crate) password_flows: bool,
    pub(crate) deletion_protection: bool,
    pub(crate) feature_plan: String,
    pub(crate) pre_token_trigger: bool,
    pub(crate) lambda: bool,
    pub(crate) server_role: bool,
    pub(crate) server_role_service: String,
    pub(crate) dcr: Dcr,
    pub(crate) scopes: BTreeMap<String, String>,
    pub(crate) password_policy: PasswordPolicy,
    pub(crate) custom_attributes: Vec<CustomAttribute>,
    pub(crate) identity_providers: Vec<IdentityProvider>,
}

/// The pool's password policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PasswordPolicy {
    pub(crate) min_length: u32,
    pub(crate) require_lowercase: bool,
    pub(crate) require_uppercase: bool,
    pub(crate) require_numbers: bool,
    pub(crate) require_symbols: bool,
    pub(crate) temporary_password_validity_days: u32,
}

/// A custom attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CustomAttribute {
    pub(crate) name: String,
    pub(crate) number: bool,
    pub(crate) mutable: bool,
    pub(crate) claim: bool,
}

/// A federated identity provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IdentityProvider {
    pub(crate) name: String,
    pub(crate) kind: IdpKind,
    pub(crate) metadata_url: Option<String>,
    pub(crate) issuer: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) attribute_mapping: BTreeMap<String, String>,
}

/// The default resource-server scopes.
pub(crate) fn default_scopes() -> BTreeMap<String, String> {
    [
        ("read", "Read users, groups and the pool"),
        ("write", "Create and change users and groups"),
        ("admin", "Delete users, reset passwords, sign users out"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn is_https(url: &str) -> bool {
    url.strip_prefix("https://")
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
}

impl DeploySpec {
    /// Applies the defaults to `file` and checks it; every problem is phrased as what to fix.
    pub(crate) fn from_file(file: &DeployFile) -> Result<Self, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut bad = |s: String| problems.push(Problem::new(s));

        let pool_name = file
            .pool_name
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or("cognito-mcp")
            .to_owned();
        if pool_name.len() > 128
            || !pool_name
                .chars()
                .all(|c| c.is_alphanumeric() || " +=,.@-_".contains(c))
        {
            bad(format!(
                "deploy.pool_name {pool_name:?} is not a valid pool name; use 1 to 128 letters, \
                 digits, spaces and + = , . @ - _"
            ));
        }
        let domain = match file.domain.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(d) => match Domain::parse(d) {
                Ok(d) => Some(d),
                Err(p) => {
                    bad(p.message().to_owned());
                    None
                }
            },
        };
        let mfa = match file.mfa.as_deref().unwrap_or("optional") {
            "off" => Mfa::Off,
            "optional" => Mfa::Optional,
            "required" => Mfa::Required,
            other => {
                bad(format!(
                    "deploy.mfa is {other:?}; set it to \"off\", \"optional\" or \"required\""
                ));
                Mfa::Optional
            }
        };
        let feature_plan = file
            .feature_plan
            .as_deref()
            .unwrap_or("essentials")
            .to_owned();
        if !["lite", "essentials", "plus"].contains(&feature_plan.as_str()) {
            bad(format!(
                "deploy.feature_plan is {feature_plan:?}; set it to \"lite\", \"essentials\" or \
                 \"plus\""
            ));
        }
        let dcr = match file.dcr.as_deref().unwrap_or("open") {
            "open" => Dcr::Open,
            "authenticated" => Dcr::Authenticated,
            "off" => Dcr::Off,
            other => {
                bad(format!(
                    "deploy.dcr is {other:?}; set it to \"open\", \"authenticated\" or \"off\""
                ));
                Dcr::Off
            }
        };
        let scopes = file.scopes.clone().unwrap_or_else(default_scopes);
        if scopes.is_empty() {
            bad("deploy.scopes is empty; name at least one scope, e.g. read = \"Read\"".into());
        }
        for (name, description) in &scopes {
            if name.is_empty()
                || name.len() > 256
                || !name
                    .chars()
                    .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
            {
                bad(format!(
                    "deploy.scopes has the scope name {name:?}; use printable ASCII without \
                     spaces, quotes or backslashes"
                ));
            }
            if description.is_empty() || description.len() > 256 {
                bad(format!(
                    "deploy.scopes.{name} needs a description of 1 to 256 characters"
                ));
            }
        }

        let p = &file.password_policy;
        let password_policy = PasswordPolicy {
            min_length: p.min_length.unwrap_or(12),
            require_lowercase: p.require_lowercase.unwrap_or(true),
            require_uppercase: p.require_uppercase.unwrap_or(true),
            require_numbers: p.require_numbers.unwrap_or(true),
            require_symbols: p.require_symbols.unwrap_or(true),
            temporary_password_validity_days: p.temporary_password_validity_days.unwrap_or(7),
        };
        if !(6..=99).contains(&password_policy.min_length) {
            bad(format!(
                "deploy.password_policy.min_length is {}; Cognito allows 6 to 99 (12 or more is \
                 recommended)",
                password_policy.min_length
            ));
        }
        if !(1..=365).contains(&password_policy.temporary_password_validity_days) {
            bad(format!(
                "deploy.password_policy.temporary_password_validity_days is {}; use 1 to 365",
                password_policy.temporary_password_validity_days
            ));
        }

        let mut custom_attributes = Vec::new();
        for a in &file.custom_attributes {
            let name = a.name.trim().trim_start_matches("custom:").to_owned();
            if name.is_empty()
                || name.len() > 20
                || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                bad(format!(
                    "deploy.custom_attributes has the name {:?}; use 1 to 20 letters, digits \
                     or underscores (Cognito adds the custom: prefix)",
                    a.name
                ));
            }
            let number = match a.kind.as_deref().unwrap_or("String") {
                "String" | "string" => false,
                "Number" | "number" => true,
                other => {
                    bad(format!(
                        "deploy.custom_attributes {name:?} has type {other:?}; use \"String\" or \
                         \"Number\""
                    ));
                    false
                }
            };
            if custom_attributes
                .iter()
                .any(|c: &CustomAttribute| c.name == name)
            {
                bad(format!(
                    "deploy.custom_attributes names {name:?} twice; keep one"
                ));
            }
            custom_attributes.push(CustomAttribute {
                name,
                number,
                mutable: a.mutable.unwrap_or(true),
                claim: a.claim.unwrap_or(false),
            });
        }
        let pre_token_trigger = file.pre_token_trigger.unwrap_or(false);
        if custom_attributes.iter().any(|a| a.claim) && !pre_token_trigger {
            bad(
                "deploy.custom_attributes asks for claims, which the pre-token trigger adds; \
                 set deploy.pre_token_trigger = true or drop `claim = true`"
                    .into(),
            );
        }

        let mut identity_providers = Vec::new();
        for idp in &file.identity_providers {
            let name = idp.name.trim().to_owned();
            if name.is_empty()
                || name.len() > 32
                || name.eq_ignore_ascii_case("cognito")
                || !name
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.')
            {
                bad(format!(
                    "deploy.identity_providers has the name {:?}; use 1 to 32 letters, digits, \
                     _ - or . (not \"COGNITO\")",
                    idp.name
                ));
            }
            if identity_providers
                .iter()
                .any(|i: &IdentityProvider| i.name == name)
            {
                bad(format!(
                    "deploy.identity_providers names {name:?} twice; keep one"
                ));
            }
            let kind = match idp.kind.to_ascii_uppercase().as_str() {
                "SAML" => IdpKind::Saml,
                "OIDC" => IdpKind::Oidc,
                _ => {
                    bad(format!(
                        "deploy.identity_providers {name:?} has type {:?}; use \"SAML\" or \
                         \"OIDC\"",
                        idp.kind
                    ));
                    IdpKind::Saml
                }
            };
            match kind {
                IdpKind::Saml => {
                    if !idp.metadata_url.as_deref().is_some_and(is_https) {
                        bad(format!(
                            "deploy.identity_providers {name:?} (SAML) needs metadata_url, the \
                             https URL of the IdP's SAML metadata"
                        ));
                    }
                }
                IdpKind::Oidc => {
                    if !idp.issuer.as_deref().is_some_and(is_https) {
                        bad(format!(
                            "deploy.identity_providers {name:?} (OIDC) needs issuer, the IdP's \
                             https issuer URL"
                        ));
                    }
                    if idp.client_id.as_deref().is_none_or(|c| c.trim().is_empty()) {
                        bad(format!(
                            "deploy.identity_providers {name:?} (OIDC) needs client_id, the \
                             client Cognito uses at the IdP"
                        ));
                    }
                }
            }
            identity_providers.push(IdentityProvider {
                name,
                kind,
                metadata_url: idp.metadata_url.clone(),
                issuer: idp.issuer.clone(),
                client_id: idp.client_id.clone(),
                scopes: idp
                    .scopes
                    .clone()
                    .unwrap_or_else(|| ["openid", "email", "profile"].map(String::from).to_vec()),
                attribute_mapping: idp.attribute_mapping.clone(),
            });
        }
        if !identity_providers.is_empty() && domain.is_none() {
            bad(
                "deploy.identity_providers need the hosted UI: set deploy.domain (federated \
                 sign-in goes through the pool's domain)"
                    .into(),
            );
        }
        let lambda = file.lambda.unwrap_or(false);
        let server_role = file.server_role.unwrap_or(true);
        if lambda && !server_role {
            bad(
                "deploy.lambda needs deploy.server_role = true: the function runs as that role"
                    .into(),
            );
        }

        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            pool_name,
            domain,
            mfa,
            admin_only: file.admin_only.unwrap_or(true),
            password_flows: file.password_flows.unwrap_or(false),
            deletion_protection: file.deletion_protection.unwrap_or(true),
            feature_plan,
            pre_token_trigger,
            lambda,
            server_role,
            server_role_service: file
                .server_role_service
                .clone()
                .unwrap_or_else(|| "ecs-tasks.amazonaws.com".to_owned()),
            dcr,
            scopes,
            password_policy,
            custom_attributes,
            identity_providers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_parse_as_prefix_or_custom() {
        assert_eq!(Domain::parse("my-mcp"), Ok(Domain::Prefix("my-mcp".into())));
        assert_eq!(
            Domain::parse("https://my-mcp.auth.eu-west-1.amazoncognito.com/"),
            Ok(Domain::Prefix("my-mcp".into()))
        );
        assert_eq!(
            Domain::parse("Auth.Example.com"),
            Ok(Domain::Custom("auth.example.com".into()))
        );
        assert_eq!(
            Domain::Prefix("my-mcp".into()).url("eu-west-1"),
            "https://my-mcp.auth.eu-west-1.amazoncognito.com"
        );
        for bad in [
            "",
            "-lead",
            "trail-",
            "Upper",
            "my_mcp",
            "my-aws-pool",
            "a..b",
            &"x".repeat(64),
        ] {
            assert!(Domain::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_empty_deploy_table_is_the_recommended_pool() {
        let spec = DeploySpec::from_file(&DeployFile::default()).expect("valid");
        assert_eq!(spec.password_policy.min_length, 12);
        assert!(spec.password_policy.require_symbols && spec.password_policy.require_numbers);
        assert_eq!(spec.mfa, Mfa::Optional);
        assert!(spec.admin_only && !spec.password_flows && spec.server_role);
        assert_eq!(
            spec.scopes.keys().collect::<Vec<_>>(),
            ["admin", "read", "write"]
        );
    }
}
