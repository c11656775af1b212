//! Which tools are enabled, why a tool is refused, and the IAM policy the enabled tools need.

use std::collections::{BTreeMap, BTreeSet};

use cognito_admin::Operation;
use serde_json::{Value, json};

use crate::catalog::{self, ToolSpec};
use crate::config::Settings;

/// Which tools run: read-only mode, then the allow list, then the deny list; the sign-in
/// checks only when `[sign_in]` enables them.
#[derive(Debug, Clone, Default)]
pub(crate) struct ToolPolicy {
    read_only: bool,
    allow: Vec<String>,
    deny: Vec<String>,
    sign_in_enabled: bool,
}

impl ToolPolicy {
    pub(crate) fn from_settings(s: &Settings) -> Self {
        Self {
            read_only: s.read_only,
            allow: s.allow.clone(),
            deny: s.deny.clone(),
            sign_in_enabled: s.sign_in.enabled,
        }
    }

    /// Why `tool` may not run, or `None` when it may.
    pub(crate) fn refusal(&self, tool: &ToolSpec) -> Option<String> {
        if self.read_only && !tool.is_read() {
            return Some(format!(
                "`{}` changes the user pool, and this server runs read-only (--read-only, \
                 COGNITO_MCP_READ_ONLY or server.read_only). Use the read tools, or ask the \
                 operator to restart the server without read-only mode.",
                tool.name
            ));
        }
        if !self.allow.is_empty() && !self.allow.iter().any(|a| a == tool.name) {
            return Some(format!(
                "`{}` is not in this server's allow list (tools.allow in the config). The \
                 operator can add it there.",
                tool.name
            ));
        }
        if self.deny.iter().any(|d| d == tool.name) {
            return Some(format!(
                "`{}` is disabled by this server's deny list (tools.deny in the config). The \
                 operator can remove it there.",
                tool.name
            ));
        }
        if !self.sign_in_enabled && tool.sign_in {
            return Some(format!(
                "`{}` is a sign-in check, and sign-in checks are off by default. The operator \
                 can enable them with `[sign_in] enabled = true` in the config (or \
                 COGNITO_MCP_SIGN_IN_ENABLED=true).",
                tool.name
            ));
        }
        None
    }

    /// Whether `tool` may run (no message built: this is on the hot path).
    pub(crate) fn allows(&self, tool: &ToolSpec) -> bool {
        (tool.is_read() || !self.read_only)
            && (self.allow.is_empty() || self.allow.iter().any(|a| a == tool.name))
            && !self.deny.iter().any(|d| d == tool.name)
            && (self.sign_in_enabled || !tool.sign_in)
    }

    /// The tools that may run, in catalogue order.
    pub(crate) fn enabled(&self) -> Vec<&'static ToolSpec> {
        catalog::TOOLS
            .iter()
            .filter(|t| self.refusal(t).is_none())
            .collect()
    }
}

/// The scope each tool needs over HTTP: `{resource_server}/{read|write|admin}` from the
/// catalogue, or the config's override. `whoami` needs none: any verified caller may ask who
/// they are.
#[derive(Debug, Clone)]
pub(crate) struct ToolScopes {
    /// The scope each tool needs, computed once: this is read on every HTTP call.
    by_tool: std::collections::HashMap<&'static str, Option<String>>,
    resource_server: String,
}

impl ToolScopes {
    pub(crate) fn new(resource_server: &str, overrides: BTreeMap<String, String>) -> Self {
        let by_tool = catalog::TOOLS
            .iter()
            .map(|t| {
                let scope = match overrides.get(t.name) {
                    Some(s) => Some(s.clone()),
                    None if t.open => None,
                    None => Some(format!("{resource_server}/{}", t.access.name())),
                };
                (t.name, scope)
            })
            .collect();
        Self {
            by_tool,
            resource_server: resource_server.to_owned(),
        }
    }

    /// The resource-server identifier of the default scopes (`mcp`).
    pub(crate) fn resource_server(&self) -> &str {
        &self.resource_server
    }

    pub(crate) fn from_settings(s: &Settings) -> Self {
        Self::new(&s.auth.resource_server, s.auth.tool_scopes.clone())
    }

    /// The scope `tool` needs, or `None` when any verified caller may call it.
    pub(crate) fn required(&self, tool: &ToolSpec) -> Option<&str> {
        self.by_tool.get(tool.name).and_then(|s| s.as_deref())
    }

    /// Every scope some tool needs, sorted.
    pub(crate) fn all(&self) -> BTreeSet<String> {
        self.by_tool.values().flatten().cloned().collect()
    }
}

/// The ARN partition of a region.
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The least-privilege IAM policy for `tools`: exactly their `cognito-idp:` actions, plus
/// `DescribeUserPool` (read-only; `cognito-mcp check` and password validation need it), on the
/// pool's ARN (any pool of the region and account when the pool id is unknown).
pub(crate) fn iam_policy(
    tools: &[&ToolSpec],
    region: &str,
    account_id: Option<&str>,
    pool_id: Option<&str>,
) -> Value {
    let mut actions: BTreeSet<String> = tools
        .iter()
        .flat_map(|t| t.operations.iter().map(|op| op.iam_action()))
        .collect();
    actions.insert(Operation::DescribeUserPool.iam_action());
    let resource = format!(
        "arn:{}:cognito-idp:{region}:{}:userpool/{}",
        partition(region),
        account_id.unwrap_or("*"),
        pool_id.unwrap_or("*")
    );
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "CognitoMcpAdminTools",
            "Effect": "Allow",
            "Action": actions,
            "Resource": resource,
        }],
    })
}

/// The server's policy as `iam-policy` prints it and `deploy template` attaches it to the
/// server role: [`iam_policy`] of the enabled tools, plus the sign-in page's statement when the
/// settings use it.
pub(crate) fn server_policy(
    settings: &Settings,
    account_id: Option<&str>,
    pool_id: Option<&str>,
) -> Value {
    let enabled = ToolPolicy::from_settings(settings).enabled();
    let mut doc = iam_policy(&enabled, &settings.auth.region, account_id, pool_id);
    if !settings.safety.protected.users.is_empty() && enabled.iter().any(|t| !t.is_read()) {
        // Write tools resolve the protected users' aliases with AdminGetUser.
        if let Some(actions) = doc["Statement"][0]["Action"].as_array_mut() {
            let get = Value::String(Operation::AdminGetUser.iam_action());
            if !actions.contains(&get) {
                actions.push(get);
                actions.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            }
        }
    }
    if let Some(p) = settings.auth.proxy.as_ref().filter(|p| p.uses_login_page()) {
        add_sign_in_page(&mut doc, p.login.flow.name());
    }
    add_secret_reads(&mut doc, settings, account_id);
    add_identity_pool_reads(&mut doc, settings, account_id);
    doc
}

/// With `[identity_pool]`: reading the pool's providers and roles, which `check` reports.
/// Acting as callers needs nothing of the server's role: GetId and GetCredentialsForIdentity
/// are unauthenticated calls (the ID token is the proof).
fn add_identity_pool_reads(policy: &mut Value, settings: &Settings, account_id: Option<&str>) {
    let Some(pool) = &settings.auth.identity_pool else {
        return;
    };
    let region = pool.id.split(':').next().unwrap_or(&settings.auth.region);
    if let Some(statements) = policy["Statement"].as_array_mut() {
        statements.push(json!({
            "Sid": "CognitoMcpCheckIdentityPool",
            "Effect": "Allow",
            "Action": [
                "cognito-identity:DescribeIdentityPool",
                "cognito-identity:GetIdentityPoolRoles",
            ],
            "Resource": format!(
                "arn:{}:cognito-identity:{region}:{}:identitypool/{}",
                partition(region),
                account_id.unwrap_or("*"),
                pool.id
            ),
        }));
    }
}

/// The `Sid`s of the statements reading the secret settings' references.
pub(crate) const SECRET_READ_SIDS: [&str; 2] =
    ["CognitoMcpReadSecrets", "CognitoMcpReadParameters"];

/// Adds reading exactly the secrets the settings refer to: `secretsmanager:GetSecretValue` on
/// each Secrets Manager secret (by its ARN, or by its name with the six characters Secrets
/// Manager adds), `ssm:GetParameter` on each parameter. A parameter encrypted with a customer
/// managed key also needs `kms:Decrypt` on that key, which the policy cannot know.
fn add_secret_reads(policy: &mut Value, settings: &Settings, account_id: Option<&str>) {
    use cognito_mcp_auth::secrets::SecretRef;
    let (region, account) = (&settings.auth.region, account_id.unwrap_or("*"));
    let partition = partition(region);
    let (mut secrets, mut parameters) = (Vec::new(), Vec::new());
    for s in settings.secret_settings() {
        for r in s.references() {
            match r {
                SecretRef::SecretsManager {
                    secret_id,
                    region: Some(_),
                    ..
                } => secrets.push(secret_id),
                SecretRef::SecretsManager { secret_id, .. } => secrets.push(format!(
                    "arn:{partition}:secretsmanager:{region}:{account}:secret:{secret_id}-??????"
                )),
                SecretRef::Ssm { name } => parameters.push(format!(
                    "arn:{partition}:ssm:{region}:{account}:parameter/{}",
                    name.trim_start_matches('/')
                )),
                _ => {}
            }
        }
    }
    let Some(statements) = policy["Statement"].as_array_mut() else {
        return;
    };
    for (sid, action, mut resources) in [
        (
            SECRET_READ_SIDS[0],
            "secretsmanager:GetSecretValue",
            secrets,
        ),
        (SECRET_READ_SIDS[1], "ssm:GetParameter", parameters),
    ] {
        resources.sort();
        resources.dedup();
        if !resources.is_empty() {
            statements.push(json!({
                "Sid": sid,
                "Effect": "Allow",
                "Action": action,
                "Resource": resources,
            }));
        }
    }
}

/// Adds what the sign-in page (`auth.upstream = "login"`) needs to `policy`: reading the app
/// client (the `auto` flow) and the password policy, resolving a typed name to its user
/// (`AdminGetUser`, for the failure budget per user), and, unless the flow is `srp`,
/// `AdminInitiateAuth` and `AdminRespondToAuthChallenge`. SRP, the challenge answers, TOTP
/// enrollment and token revocation are unauthenticated Cognito calls: no IAM action.
pub(crate) fn add_sign_in_page(policy: &mut Value, flow: &str) {
    let mut actions = vec![
        "cognito-idp:DescribeUserPool",
        "cognito-idp:DescribeUserPoolClient",
        "cognito-idp:AdminGetUser",
    ];
    if flow != "srp" {
        actions.push("cognito-idp:AdminInitiateAuth");
        actions.push("cognito-idp:AdminRespondToAuthChallenge");
    }
    let resource = policy["Statement"][0]["Resource"].clone();
    if let Some(statements) = policy["Statement"].as_array_mut() {
        statements.push(json!({
            "Sid": "CognitoMcpSignInPage",
            "Effect": "Allow",
            "Action": actions,
            "Resource": resource,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_page_adds_only_what_its_flow_needs() {
        let all = ToolPolicy::default().enabled();
        let mut p = iam_policy(&all, "us-east-1", None, Some("us-east-1_Abc"));
        add_sign_in_page(&mut p, "srp");
        let srp: Vec<&str> = p["Statement"][1]["Action"]
            .as_array()
            .expect("actions")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(
            srp,
            [
                "cognito-idp:DescribeUserPool",
                "cognito-idp:DescribeUserPoolClient",
                "cognito-idp:AdminGetUser"
            ]
        );
        assert_eq!(p["Statement"][1]["Resource"], p["Statement"][0]["Resource"]);
        let mut p = iam_policy(&all, "us-east-1", None, None);
        add_sign_in_page(&mut p, "auto");
        let acts = p["Statement"][1]["Action"].to_string();
        assert!(acts.contains("AdminRespondToAuthChallenge"), "{acts}");
    }

    fn actions(policy: &Value) -> BTreeSet<String> {
        policy["Statement"][0]["Action"]
            .as_array()
            .expect("actions")
            .iter()
            .map(|a| a.as_str().expect("string").to_owned())
            .collect()
    }

    fn expected(tools: &[&ToolSpec]) -> BTreeSet<String> {
        tools
            .iter()
            .flat_map(|t| t.operations)
            .map(|op| op.iam_action())
            .collect()
    }

    #[test]
    fn actions_equal_the_enabled_tools_operations() {
        let all = ToolPolicy {
            sign_in_enabled: true,
            ..Default::default()
        }
        .enabled();
        assert_eq!(all.len(), catalog::TOOLS.len());
        let p = iam_policy(
            &all,
            "us-east-1",
            Some("123456789012"),
            Some("us-east-1_Abc"),
        );
        assert_eq!(actions(&p), expected(&all));
        assert!(actions(&p).contains("cognito-idp:AdminDeleteUser"));
        assert_eq!(
            p["Statement"][0]["Resource"],
            "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Abc"
        );
    }

    #[test]
    fn read_only_policy_has_only_read_actions() {
        let policy = ToolPolicy {
            read_only: true,
            ..Default::default()
        };
        let enabled = policy.enabled();
        assert!(enabled.iter().all(|t| t.is_read()));
        let p = iam_policy(&enabled, "us-east-1", None, None);
        let acts = actions(&p);
        assert_eq!(acts, expected(&enabled));
        for write in [
            "AdminCreateUser",
            "AdminDeleteUser",
            "AdminSetUserPassword",
            "CreateGroup",
        ] {
            assert!(!acts.contains(&format!("cognito-idp:{write}")), "{write}");
        }
        assert!(acts.contains("cognito-idp:ListUsers"));
        assert_eq!(
            p["Statement"][0]["Resource"],
            "arn:aws:cognito-idp:us-east-1:*:userpool/*"
        );
    }

    #[test]
    fn allow_list_narrows_the_policy() {
        let policy = ToolPolicy {
            allow: vec!["get_user".into(), "list_users".into()],
            ..Default::default()
        };
        let p = iam_policy(&policy.enabled(), "us-east-1", None, None);
        let want: BTreeSet<String> = [
            "AdminGetUser",
            "AdminListGroupsForUser",
            "DescribeUserPool",
            "ListUsers",
        ]
        .iter()
        .map(|a| format!("cognito-idp:{a}"))
        .collect();
        assert_eq!(actions(&p), want);
    }

    #[test]
    fn deny_list_removes_only_what_no_other_tool_needs() {
        let policy = ToolPolicy {
            deny: vec!["delete_user".into(), "add_user_to_group".into()],
            ..Default::default()
        };
        let acts = actions(&iam_policy(&policy.enabled(), "us-east-1", None, None));
        assert!(!acts.contains("cognito-idp:AdminDeleteUser"));
        // create_user still adds new users to groups.
        assert!(acts.contains("cognito-idp:AdminAddUserToGroup"));
    }

    #[test]
    fn refusals_name_the_reason() {
        let create = catalog::find("create_user").expect("tool");
        let ro = ToolPolicy {
            read_only: true,
            ..Default::default()
        };
        assert!(ro.refusal(create).expect("refused").contains("read-only"));
        let deny = ToolPolicy {
            deny: vec!["create_user".into()],
            ..Default::default()
        };
        assert!(deny.refusal(create).expect("refused").contains("deny list"));
        let allow = ToolPolicy {
            allow: vec!["get_user".into()],
            ..Default::default()
        };
        assert!(
            allow
                .refusal(create)
                .expect("refused")
                .contains("allow list")
        );
        assert!(ToolPolicy::default().refusal(create).is_none());
    }

    #[test]
    fn tool_scopes_follow_the_issue_and_the_overrides() {
        let scopes = ToolScopes::new(
            "mcp",
            BTreeMap::from([("delete_user".to_owned(), "mcp/write".to_owned())]),
        );
        let need = |t: &str| {
            scopes
                .required(catalog::find(t).expect("tool"))
                .map(str::to_owned)
        };
        assert_eq!(need("list_users").as_deref(), Some("mcp/read"));
        assert_eq!(need("create_user").as_deref(), Some("mcp/write"));
        assert_eq!(need("set_user_password").as_deref(), Some("mcp/write"));
        assert_eq!(need("add_user_to_group").as_deref(), Some("mcp/write"));
        assert_eq!(need("disable_user").as_deref(), Some("mcp/admin"));
        assert_eq!(need("sign_out_user").as_deref(), Some("mcp/admin"));
        assert_eq!(need("delete_group").as_deref(), Some("mcp/admin"));
        assert_eq!(
            need("delete_user").as_deref(),
            Some("mcp/write"),
            "override"
        );
        assert_eq!(need("whoami"), None);
    }

    #[test]
    fn allows_agrees_with_refusal() {
        let policies = [
            ToolPolicy::default(),
            ToolPolicy {
                read_only: true,
                ..Default::default()
            },
            ToolPolicy {
                allow: vec!["get_user".into(), "create_user".into()],
                ..Default::default()
            },
            ToolPolicy {
                deny: vec!["create_user".into()],
                read_only: true,
                ..Default::default()
            },
        ];
        for p in &policies {
            for t in catalog::TOOLS {
                assert_eq!(
                    p.allows(t),
                    p.refusal(t).is_none(),
                    "{} under {p:?}",
                    t.name
                );
            }
        }
    }

    #[test]
    fn sign_in_checks_need_enabling_and_bring_their_actions() {
        let off = ToolPolicy::default();
        let test = catalog::find("test_sign_in").expect("tool");
        let reason = off.refusal(test).expect("refused");
        assert!(reason.contains("[sign_in] enabled = true"), "{reason}");
        assert!(!off.allows(catalog::find("respond_to_auth_challenge").expect("tool")));
        let acts = actions(&iam_policy(&off.enabled(), "us-east-1", None, None));
        assert!(!acts.contains("cognito-idp:AdminInitiateAuth"));
        assert!(!acts.contains("cognito-idp:AdminRespondToAuthChallenge"));
        let on = ToolPolicy {
            sign_in_enabled: true,
            ..Default::default()
        };
        assert!(on.refusal(test).is_none());
        let acts = actions(&iam_policy(&on.enabled(), "us-east-1", None, None));
        assert!(acts.contains("cognito-idp:AdminInitiateAuth"));
        assert!(acts.contains("cognito-idp:AdminRespondToAuthChallenge"));
        assert!(acts.contains("cognito-idp:SetUserPoolMfaConfig"));
    }

    #[test]
    fn partitions() {
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition("eu-west-1"), "aws");
    }

    #[test]
    fn the_policy_reads_exactly_the_referenced_secrets() {
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:client-AbCdEf";
        let client = format!("secretsmanager:{arn}#client_secret");
        let env = |k: &str| {
            match k {
                "COGNITO_USER_POOL_ID" => Some("us-east-1_AbCdEf123"),
                "COGNITO_CLIENT_SECRET" => Some(client.as_str()),
                "COGNITO_CLIENT_SECRET_PREVIOUS" => Some("secretsmanager:old-client"),
                "COGNITO_MCP_STATE_KEY" => Some("ssm:/cognito-mcp/state-key"),
                _ => None,
            }
            .map(str::to_owned)
        };
        let settings = Settings::load(None, &env).expect("settings");
        let doc = server_policy(&settings, Some("123456789012"), None);
        let statements = doc["Statement"].as_array().expect("statements");
        let find = |sid: &str| {
            statements
                .iter()
                .find(|s| s["Sid"] == sid)
                .unwrap_or_else(|| panic!("no {sid} in {doc}"))
                .clone()
        };
        assert_eq!(
            find("CognitoMcpReadSecrets")["Resource"],
            json!([
                arn,
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:old-client-??????"
            ])
        );
        assert_eq!(
            find("CognitoMcpReadSecrets")["Action"],
            "secretsmanager:GetSecretValue"
        );
        assert_eq!(
            find("CognitoMcpReadParameters")["Resource"],
            json!(["arn:aws:ssm:us-east-1:123456789012:parameter/cognito-mcp/state-key"])
        );
        // Values are not references: nothing to read.
        let plain = |k: &str| match k {
            "COGNITO_CLIENT_SECRET" => Some("a-plain-value".to_owned()),
            _ => None,
        };
        let doc = server_policy(&Settings::load(None, &plain).expect("settings"), None, None);
        assert!(!doc.to_string().contains("secretsmanager:"), "{doc}");
    }
}
