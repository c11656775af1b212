//! `deploy init` and `deploy template`: the config, cfn-lint on every template, the CDK app's
//! synthesis compared with the CloudFormation template, and the template's pool applied to
//! moto with the server running against it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Runs the binary with `args` in `dir` (no AWS needed); returns (status, stdout, stderr).
fn cli_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(common::bin())
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .output()
        .expect("run cognito-mcp");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `deploy init` with `args` in a fresh directory, then `edit` applied to the file's text.
fn config(args: &[&str], edit: impl Fn(String) -> String) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut all = vec!["deploy", "init", "--oauth", "cognito"];
    all.extend_from_slice(args);
    let (status, _, stderr) = cli_in(dir.path(), &all);
    assert_eq!(status, 0, "{stderr}");
    let path = dir.path().join("cognito-mcp.toml");
    let text = std::fs::read_to_string(&path).expect("config");
    std::fs::write(&path, edit(text)).expect("edit config");
    (dir, path)
}

fn set(text: String, pairs: &[(&str, &str)]) -> String {
    pairs.iter().fold(text, |t, (from, to)| {
        assert!(t.contains(from), "the config has no {from:?}");
        t.replacen(from, to, 1)
    })
}

/// Everything switched on: trigger with claims, the server on Lambda with Redis, a custom
/// domain, SAML and OIDC providers, password flows, required MFA.
fn everything(text: String) -> String {
    set(
        text,
        &[
            ("pre_token_trigger = false", "pre_token_trigger = true"),
            ("lambda = false", "lambda = true"),
            ("claim = false", "claim = true"),
            ("password_flows = false", "password_flows = true"),
            ("store = \"embedded\"", "store = \"redis\""),
            ("mfa = \"optional\"", "mfa = \"required\""),
            (
                "public_url = \"http://localhost:8080\"",
                "public_url = \"https://mcp.example.com\"",
            ),
            (
                "callback_urls = [\"http://localhost:8080/auth/callback\"]",
                "callback_urls = [\"https://mcp.example.com/auth/callback\"]",
            ),
        ],
    ) + r#"
[[deploy.identity_providers]]
name = "Okta"
type = "SAML"
metadata_url = "https://example.okta.com/app/abc123/sso/saml/metadata"
attribute_mapping = { email = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress" }

[[deploy.identity_providers]]
name = "Corp"
type = "OIDC"
issuer = "https://login.example.com"
client_id = "cognito-mcp"
attribute_mapping = { email = "email", "custom:department" = "dept" }
"#
}

/// The Lite plan with the trigger on (V1: id-token claims only), no MFA, no server role.
fn lite(text: String) -> String {
    set(
        text,
        &[
            ("feature_plan = \"essentials\"", "feature_plan = \"lite\""),
            ("pre_token_trigger = false", "pre_token_trigger = true"),
            ("mfa = \"optional\"", "mfa = \"off\""),
            ("server_role = true", "server_role = false"),
        ],
    )
}

/// The CloudFormation template of the config at `path`.
fn template(path: &Path) -> Value {
    let dir = path.parent().expect("dir");
    let (status, stdout, stderr) = cli_in(
        dir,
        &[
            "--config",
            path.to_str().expect("utf-8"),
            "deploy",
            "template",
            "--format",
            "cloudformation",
        ],
    );
    assert_eq!(status, 0, "{stderr}");
    serde_json::from_str(&stdout).expect("the template is JSON")
}

/// cfn-lint's exit status and output for `template`.
fn cfn_lint(template: &Value) -> (i32, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("template.json");
    std::fs::write(&file, template.to_string()).expect("write template");
    let lint = common::peers().join("cfn-venv/bin/cfn-lint");
    assert!(
        lint.exists(),
        "{} is missing: run scripts/setup-peers",
        lint.display()
    );
    let out = Command::new(lint)
        .arg(&file)
        .output()
        .expect("run cfn-lint");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// `deploy init` of native mode, for mcp.example.com.
const NATIVE_INIT: &[&str] = &[
    "--native",
    "--domain",
    "native-mcp",
    "--public-url",
    "https://mcp.example.com",
];

/// Native mode with a CIMD policy: the pool is the MCP clients' authorization server.
fn native(text: String) -> String {
    set(
        text,
        &[(
            "url_patterns = []",
            "url_patterns = [\"https://clients.example.com/mcp/*\", \"https://*.tools.example.net/client.json\"]\ncache_duration_secs = 604800",
        )],
    )
}

/// The parts of a template that cfn-lint 1.58.0 (the newest on PyPI, 2026-12; its schemas are
/// of 2026-10-20) does not know yet, taken out: the `AWS::Cognito::CIMDPolicy` resources and the
/// pool's `DcrConfiguration`. [`documented_native_parts`] checks them instead.
/// The IAM actions of the CIMD-policy operations (as the API model names them), which
/// cfn-lint 1.58.0's IAM data does not list yet (W3037).
const CIMD_ACTIONS: [&str; 7] = [
    "cognito-idp:CreateCIMDPolicy",
    "cognito-idp:DeleteCIMDPolicy",
    "cognito-idp:DescribeCIMDPolicy",
    "cognito-idp:ListCIMDPolicies",
    "cognito-idp:ListClientMetadataURLs",
    "cognito-idp:UpdateCIMDPolicy",
    "cognito-idp:UpdateClientMetadataURLState",
];

/// `v` without the CIMD actions in any policy statement's `Action` list.
fn without_cimd_actions(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Array(actions)) = m.get_mut("Action") {
                actions.retain(|a| !CIMD_ACTIONS.contains(&a.as_str().unwrap_or("")));
            }
            m.values_mut().for_each(without_cimd_actions);
        }
        Value::Array(a) => a.iter_mut().for_each(without_cimd_actions),
        _ => {}
    }
}

fn known_to_cfn_lint(mut t: Value) -> Value {
    without_cimd_actions(&mut t);
    if let Some(resources) = t["Resources"].as_object_mut() {
        resources.retain(|_, r| r["Type"] != "AWS::Cognito::CIMDPolicy");
        for r in resources.values_mut() {
            if r["Type"] == "AWS::Cognito::UserPool"
                && let Some(p) = r["Properties"].as_object_mut()
            {
                p.remove("DcrConfiguration");
            }
        }
    }
    t
}

/// Problems of the native-mode parts against their documentation: `AWS::Cognito::UserPool
/// DcrConfiguration` (AllowedScopes, AuthenticatedGrantTypes, EnableStatus Enabled|Disabled,
/// OpenDcrEnabled, OpenDcrGrantTypes; the grant types Cognito's OAuthFlowType: code, implicit,
/// client_credentials; at most 3, and 50 scopes) and `AWS::Cognito::CIMDPolicy` (CacheDuration
/// 86400 to 31556952, ClientId, PolicyName of 1 to 32 characters, URLPatterns 1 to 5 of 12 to
/// 256 characters matching ^https://[!$-;=@-\[\]_a-z~]+$, UserPoolId), as the CloudFormation
/// reference and the cognito-idp API model (botocore 1.44.8) give them.
fn documented_native_parts(t: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let flows = |v: &Value, name: &str, out: &mut Vec<String>| match v.as_array() {
        Some(a) if a.len() <= 3 => {
            for f in a {
                if !["code", "implicit", "client_credentials"].contains(&f.as_str().unwrap_or("")) {
                    out.push(format!("{name} has {f}, not an OAuthFlowType"));
                }
            }
        }
        _ => out.push(format!(
            "{name} is not a list of at most 3 grant types: {v}"
        )),
    };
    // Every key of `object` is a documented property.
    let only = |object: &Value, documented: &[&str], what: &str, out: &mut Vec<String>| {
        for key in object.as_object().expect("an object").keys() {
            if !documented.contains(&key.as_str()) {
                out.push(format!("{what} has no property {key}"));
            }
        }
    };
    for (id, r) in t["Resources"].as_object().expect("resources") {
        let p = &r["Properties"];
        if r["Type"] == "AWS::Cognito::UserPool"
            && let Some(dcr) = p.get("DcrConfiguration")
        {
            only(
                dcr,
                &[
                    "AllowedScopes",
                    "AuthenticatedGrantTypes",
                    "EnableStatus",
                    "OpenDcrEnabled",
                    "OpenDcrGrantTypes",
                ],
                &format!("{id}: DcrConfiguration"),
                &mut out,
            );
            if !["Enabled", "Disabled"].contains(&dcr["EnableStatus"].as_str().unwrap_or("")) {
                out.push(format!("{id}: EnableStatus {}", dcr["EnableStatus"]));
            }
            if !dcr["OpenDcrEnabled"].is_boolean() {
                out.push(format!("{id}: OpenDcrEnabled is not a boolean"));
            }
            flows(&dcr["OpenDcrGrantTypes"], "OpenDcrGrantTypes", &mut out);
            flows(
                &dcr["AuthenticatedGrantTypes"],
                "AuthenticatedGrantTypes",
                &mut out,
            );
            match dcr["AllowedScopes"].as_array() {
                Some(a)
                    if a.len() <= 50
                        && a.iter().all(|s| {
                            s.as_str().is_some_and(|s| {
                                (1..=256).contains(&s.len()) && !s.contains(['"', '\\', ' '])
                            })
                        }) => {}
                _ => out.push(format!("{id}: AllowedScopes {}", dcr["AllowedScopes"])),
            }
        }
        if r["Type"] == "AWS::Cognito::CIMDPolicy" {
            only(
                p,
                &[
                    "CacheDuration",
                    "ClientId",
                    "PolicyName",
                    "URLPatterns",
                    "UserPoolId",
                ],
                &format!("{id}: CIMDPolicy"),
                &mut out,
            );
            for required in ["ClientId", "PolicyName", "URLPatterns", "UserPoolId"] {
                if p.get(required).is_none() {
                    out.push(format!("{id}: {required} is missing"));
                }
            }
            if let Some(d) = p.get("CacheDuration")
                && !d
                    .as_u64()
                    .is_some_and(|d| (86_400..=31_556_952).contains(&d))
            {
                out.push(format!("{id}: CacheDuration {d}"));
            }
            if !p["PolicyName"]
                .as_str()
                .is_some_and(|n| (1..=32).contains(&n.chars().count()))
            {
                out.push(format!("{id}: PolicyName {}", p["PolicyName"]));
            }
            let allowed = |c: char| matches!(c, '!' | '$'..=';' | '=' | '@'..='[' | ']' | '_' | 'a'..='z' | '~');
            match p["URLPatterns"].as_array() {
                Some(a) if (1..=5).contains(&a.len()) => {
                    for u in a {
                        let ok = u.as_str().is_some_and(|u| {
                            (12..=256).contains(&u.len())
                                && u.strip_prefix("https://")
                                    .is_some_and(|r| !r.is_empty() && r.chars().all(allowed))
                        });
                        if !ok {
                            out.push(format!("{id}: URL pattern {u}"));
                        }
                    }
                }
                _ => out.push(format!("{id}: URLPatterns {}", p["URLPatterns"])),
            }
        }
    }
    out
}

/// The variants every test below generates.
fn variants() -> Vec<(&'static str, tempfile::TempDir, PathBuf)> {
    let mut out = Vec::new();
    let (d, p) = config(&["--domain", "my-mcp-test"], |t| t);
    out.push(("default", d, p));
    let (d, p) = config(&["--no-domain"], |t| t);
    out.push(("sign-in page, no domain", d, p));
    let (d, p) = config(&["--domain", "auth.example.com"], everything);
    out.push(("everything", d, p));
    let (d, p) = config(&["--domain", "lite-pool"], lite);
    out.push(("lite plan, V1 trigger, no MFA, no role", d, p));
    let (d, p) = config(NATIVE_INIT, native);
    out.push(("native", d, p));
    out
}

#[test]
fn init_writes_a_config_and_never_overwrites_it_without_force() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (status, _, stderr) = cli_in(
        dir.path(),
        &["deploy", "init", "--oauth", "cognito", "--domain", "my-mcp"],
    );
    assert_eq!(status, 0, "{stderr}");
    let path = dir.path().join("cognito-mcp.toml");
    let first = std::fs::read_to_string(&path).expect("written");
    for table in [
        "[cognito]",
        "[auth]",
        "[auth.dcr]",
        "[auth.group_scopes]",
        "[deploy]",
        "[deploy.scopes]",
        "[deploy.password_policy]",
        "[[deploy.custom_attributes]]",
        "# [[deploy.identity_providers]]",
    ] {
        assert!(first.contains(table), "no {table} in\n{first}");
    }
    assert!(first.contains("domain = \"https://my-mcp.auth.us-east-1.amazoncognito.com\""));
    assert!(first.contains("provider = \"cognito\""));
    assert!(first.contains("callback_urls = [\"http://localhost:8080/auth/callback\"]"));
    assert!(first.contains("min_length = 12"));

    // The server reads what init wrote.
    let (status, stdout, stderr) =
        cli_in(dir.path(), &["--config", "cognito-mcp.toml", "iam-policy"]);
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.contains("cognito-idp:AdminCreateUser"), "{stdout}");

    let (status, _, stderr) = cli_in(
        dir.path(),
        &["deploy", "init", "--oauth", "cognito", "--domain", "other"],
    );
    assert_eq!(status, 1);
    assert!(
        stderr.contains("already exists") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&path).expect("kept"), first);

    let (status, _, stderr) = cli_in(
        dir.path(),
        &[
            "deploy", "init", "--oauth", "cognito", "--domain", "other", "--force",
        ],
    );
    assert_eq!(status, 0, "{stderr}");
    assert!(
        std::fs::read_to_string(&path)
            .expect("replaced")
            .contains("domain = \"other\"")
    );
}

#[test]
fn init_and_template_refuse_bad_input_naming_what_to_fix() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (args, wanted) in [
        (vec!["--domain", "my_bad domain"], "--domain"),
        (vec!["--domain", "aws-thing"], "aws, amazon or cognito"),
        (vec!["--region", "mars-1"], "--region"),
        (vec!["--public-url", "mcp.example.com"], "--public-url"),
        (vec![], "--oauth"),
    ] {
        let mut all = vec!["deploy", "init"];
        if wanted != "--oauth" {
            all.extend(["--oauth", "cognito"]);
        }
        all.extend(args.iter().copied());
        let (status, _, stderr) = cli_in(dir.path(), &all);
        assert_ne!(status, 0, "{all:?}");
        assert!(stderr.contains(wanted), "{all:?}: {stderr}");
        assert!(
            !dir.path().join("cognito-mcp.toml").exists(),
            "{all:?} wrote a file"
        );
    }

    let (status, _, stderr) = cli_in(dir.path(), &["deploy", "template"]);
    assert_eq!(status, 1);
    assert!(stderr.contains("deploy init"), "{stderr}");

    for (edit, wanted) in [
        (
            ("mfa = \"optional\"", "mfa = \"sometimes\""),
            "deploy.mfa is \"sometimes\"",
        ),
        (("min_length = 12", "min_length = 4"), "min_length is 4"),
        (
            ("claim = false", "claim = true"),
            "set deploy.pre_token_trigger = true",
        ),
        (
            (
                "ReadOnly = [\"mcp/read\"]",
                "ReadOnly = [\"mcp/read\", \"mcp/audit\"]",
            ),
            "add audit = \"what it allows\" to [deploy.scopes]",
        ),
        (
            ("lambda = false", "lambda = true"),
            "needs auth.store = \"redis\"",
        ),
        (
            (
                "callback_urls = [\"http://localhost:8080/auth/callback\"]",
                "callback_urls = [\"http://mcp.example.com/auth/callback\"]",
            ),
            "only https URLs",
        ),
    ] {
        let (_d, path) = config(&["--domain", "my-mcp-test"], |t| set(t, &[edit]));
        let (status, stdout, stderr) = cli_in(
            path.parent().expect("dir"),
            &[
                "--config",
                path.to_str().expect("utf-8"),
                "deploy",
                "template",
            ],
        );
        assert_eq!(status, 1, "{edit:?}: {stdout}");
        assert!(stderr.contains(wanted), "{edit:?}: {stderr}");
        assert!(stdout.is_empty(), "{edit:?} printed a template");
    }
    let (_d, path) = config(&["--no-domain"], |t| {
        t + "\n[[deploy.identity_providers]]\nname = \"Okta\"\ntype = \"SAML\"\n"
    });
    let (status, _, stderr) = cli_in(
        path.parent().expect("dir"),
        &[
            "--config",
            path.to_str().expect("utf-8"),
            "deploy",
            "template",
        ],
    );
    assert_eq!(status, 1);
    assert!(stderr.contains("needs metadata_url"), "{stderr}");
    assert!(stderr.contains("set deploy.domain"), "{stderr}");
}

#[test]
fn every_generated_template_passes_cfn_lint() {
    for (name, _dir, path) in variants() {
        let t = template(&path);
        let (status, out) = cfn_lint(&known_to_cfn_lint(t.clone()));
        assert_eq!(status, 0, "{name}: cfn-lint found\n{out}");
        let problems = documented_native_parts(&t);
        assert!(problems.is_empty(), "{name}: {problems:?}");
    }
    // cfn-lint does not know the native parts yet (when it does, lint them and drop
    // known_to_cfn_lint): the day it learns them, this fails.
    let (_d, path) = config(
        &[
            "--native",
            "--domain",
            "n-mcp",
            "--public-url",
            "https://mcp.example.com",
        ],
        native,
    );
    let (status, out) = cfn_lint(&template(&path));
    assert_ne!(status, 0, "{out}");
    assert!(
        out.contains("AWS::Cognito::CIMDPolicy") && out.contains("DcrConfiguration"),
        "{out}"
    );
    for action in CIMD_ACTIONS {
        let lower = action
            .trim_start_matches("cognito-idp:")
            .to_ascii_lowercase();
        assert!(
            out.contains(&format!("'{lower}' is not one of")),
            "cfn-lint now knows {action}: lint it, and drop it from CIMD_ACTIONS\n{out}"
        );
    }
    // And the documented-properties check can fail too.
    let mut t = template(&path);
    t["Resources"]["CimdPolicy"]["Properties"]["URLPatterns"] =
        serde_json::json!(["http://a.example.com/*"]);
    t["Resources"]["UserPool"]["Properties"]["DcrConfiguration"]["OpenDcrGrantTypes"] =
        serde_json::json!(["authorization_code"]);
    assert_eq!(
        documented_native_parts(&t).len(),
        2,
        "{:?}",
        documented_native_parts(&t)
    );
    // The check can fail: a property CloudFormation does not have is reported.
    let (_d, path) = config(&["--domain", "my-mcp-test"], |t| t);
    let mut t = template(&path);
    t["Resources"]["UserPool"]["Properties"]["MinimumPasswordLength"] = 12.into();
    let (status, out) = cfn_lint(&t);
    assert_ne!(status, 0, "cfn-lint accepted an unknown property:\n{out}");
    assert!(out.contains("MinimumPasswordLength"), "{out}");
}

#[test]
fn templates_build_what_the_issue_asks() {
    let (_d, path) = config(&["--domain", "my-mcp-test"], |t| t);
    let t = template(&path);
    let r = &t["Resources"];
    let pool = &r["UserPool"]["Properties"];
    assert_eq!(pool["UsernameAttributes"], serde_json::json!(["email"]));
    assert_eq!(pool["AutoVerifiedAttributes"], serde_json::json!(["email"]));
    let policy = &pool["Policies"]["PasswordPolicy"];
    assert_eq!(policy["MinimumLength"], 12);
    for class in [
        "RequireLowercase",
        "RequireUppercase",
        "RequireNumbers",
        "RequireSymbols",
    ] {
        assert_eq!(policy[class], true, "{class}");
    }
    assert_eq!(pool["MfaConfiguration"], "OPTIONAL");
    assert_eq!(
        pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"],
        true
    );
    assert!(
        pool["Schema"]
            .as_array()
            .expect("schema")
            .iter()
            .any(|a| a["Name"] == "department")
    );
    let scopes: Vec<&str> = r["ResourceServer"]["Properties"]["Scopes"]
        .as_array()
        .expect("scopes")
        .iter()
        .filter_map(|s| s["ScopeName"].as_str())
        .collect();
    assert_eq!(scopes, ["admin", "read", "write"]);
    let client = &r["AppClient"]["Properties"];
    assert_eq!(client["GenerateSecret"], true);
    assert_eq!(client["AllowedOAuthFlows"], serde_json::json!(["code"]));
    assert_eq!(
        client["ExplicitAuthFlows"],
        serde_json::json!(["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]),
        "password flows only when asked"
    );
    assert_eq!(r["UserPoolDomain"]["Properties"]["Domain"], "my-mcp-test");
    let groups: Vec<&str> = r
        .as_object()
        .expect("resources")
        .values()
        .filter(|v| v["Type"] == "AWS::Cognito::UserPoolGroup")
        .filter_map(|v| v["Properties"]["GroupName"].as_str())
        .collect();
    assert_eq!(groups, ["Admins", "Developers", "ReadOnly"]);
    for output in ["UserPoolId", "ClientId", "Issuer", "Domain", "JwksUrl"] {
        assert!(t["Outputs"][output].is_object(), "no output {output}");
    }

    // The server role's policy is what `iam-policy` prints, on the pool's ARN.
    let (status, stdout, stderr) = cli_in(
        path.parent().expect("dir"),
        &["--config", path.to_str().expect("utf-8"), "iam-policy"],
    );
    assert_eq!(status, 0, "{stderr}");
    let printed: Value = serde_json::from_str(&stdout).expect("policy");
    let doc = &r["ServerPolicy"]["Properties"]["PolicyDocument"];
    assert_eq!(
        doc["Statement"][0]["Action"],
        printed["Statement"][0]["Action"]
    );
    assert_eq!(
        doc["Statement"][0]["Resource"],
        serde_json::json!({"Fn::GetAtt": ["UserPool", "Arn"]})
    );

    // Everything: the trigger wired with its permission, federation, Lambda behind a URL.
    let (_d, path) = config(&["--domain", "auth.example.com"], everything);
    let t = template(&path);
    let r = &t["Resources"];
    assert_eq!(
        r["UserPool"]["Properties"]["LambdaConfig"]["PreTokenGenerationConfig"],
        serde_json::json!({
            "LambdaArn": {"Fn::GetAtt": ["PreTokenTrigger", "Arn"]},
            "LambdaVersion": "V2_0",
        })
    );
    let permission = &r["PreTokenTriggerPermission"]["Properties"];
    assert_eq!(permission["Principal"], "cognito-idp.amazonaws.com");
    assert_eq!(
        permission["SourceArn"],
        serde_json::json!({"Fn::GetAtt": ["UserPool", "Arn"]})
    );
    let env = &r["PreTokenTrigger"]["Properties"]["Environment"]["Variables"];
    let group_scopes: Value =
        serde_json::from_str(env["GROUP_SCOPES"].as_str().expect("GROUP_SCOPES")).expect("json");
    assert_eq!(
        group_scopes["Developers"],
        serde_json::json!(["mcp/read", "mcp/write"])
    );
    assert_eq!(env["ATTRIBUTE_CLAIMS"], "custom:department");
    assert_eq!(
        r["IdentityProviderOkta"]["Properties"]["ProviderType"],
        "SAML"
    );
    let oidc = &r["IdentityProviderCorp"]["Properties"]["ProviderDetails"];
    assert_eq!(
        oidc["client_secret"],
        serde_json::json!({"Ref": "SecretCorp"})
    );
    assert_eq!(t["Parameters"]["SecretCorp"]["NoEcho"], true);
    assert_eq!(
        r["AppClient"]["Properties"]["SupportedIdentityProviders"],
        serde_json::json!(["COGNITO", "Okta", "Corp"])
    );
    assert!(
        r["AppClient"]["Properties"]["ExplicitAuthFlows"]
            .as_array()
            .expect("flows")
            .contains(&"ALLOW_ADMIN_USER_PASSWORD_AUTH".into())
    );
    let server_env = &r["Server"]["Properties"]["Environment"]["Variables"];
    // The function's environment holds only references to its secrets in Secrets Manager,
    // and its role reads exactly those.
    for (variable, secret) in [
        ("COGNITO_CLIENT_SECRET", "ClientSecretSecret"),
        ("COGNITO_MCP_REDIS_URL", "RedisUrlSecret"),
        ("COGNITO_MCP_STATE_KEY", "StateKeySecret"),
    ] {
        assert_eq!(
            server_env[variable],
            serde_json::json!({"Fn::Sub": format!("secretsmanager:${{{secret}}}")}),
            "{variable}"
        );
        assert_eq!(r[secret]["Type"], "AWS::SecretsManager::Secret");
    }
    assert_eq!(
        r["ClientSecretSecret"]["Properties"]["SecretString"],
        serde_json::json!({"Fn::GetAtt": ["AppClient", "ClientSecret"]})
    );
    assert_eq!(
        r["RedisUrlSecret"]["Properties"]["SecretString"],
        serde_json::json!({"Ref": "RedisUrl"})
    );
    assert_eq!(
        r["StateKeySecret"]["Properties"]["GenerateSecretString"]["PasswordLength"],
        64
    );
    assert!(
        t["Parameters"].get("StateKey").is_none(),
        "generated, not typed in"
    );
    let statements = r["ServerPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        .as_array()
        .expect("statements");
    let reads: Vec<&serde_json::Value> = statements
        .iter()
        .filter(|s| s["Action"] == "secretsmanager:GetSecretValue")
        .collect();
    assert_eq!(reads.len(), 1, "{statements:?}");
    assert_eq!(
        reads[0]["Resource"],
        serde_json::json!([
            {"Ref": "ClientSecretSecret"},
            {"Ref": "RedisUrlSecret"},
            {"Ref": "StateKeySecret"}
        ])
    );
    assert!(
        !r["ServerPolicy"].to_string().contains("secretsmanager:*")
            && !reads[0].to_string().contains('*'),
        "no wildcard"
    );
    assert_eq!(
        server_env["COGNITO_MCP_PUBLIC_URL"],
        "https://mcp.example.com"
    );
    assert_eq!(r["ServerFunctionUrl"]["Properties"]["AuthType"], "NONE");
    assert_eq!(
        r["ServerRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
        "lambda.amazonaws.com"
    );
    assert!(t["Outputs"]["ServerUrl"].is_object());
    // No secret or credential is written into the template.
    let text = t.to_string();
    assert!(
        !text.contains("\"client_secret\":\"") && !text.contains("\":\"redis://"),
        "{text}"
    );

    // The lite plan gets the V1 trigger (id-token claims only).
    let (_d, path) = config(&["--domain", "lite-pool"], lite);
    let t = template(&path);
    assert_eq!(
        t["Resources"]["UserPool"]["Properties"]["LambdaConfig"]["PreTokenGenerationConfig"]["LambdaVersion"],
        "V1_0"
    );
}

/// Drops what the CDK adds of its own (metadata, the stack's bootstrap check).
fn comparable(mut t: Value) -> Value {
    if let Some(resources) = t["Resources"].as_object_mut() {
        resources.remove("CDKMetadata");
        for r in resources.values_mut() {
            if let Some(o) = r.as_object_mut() {
                o.remove("Metadata");
            }
        }
    }
    if let Some(o) = t.as_object_mut() {
        o.remove("Rules");
        o.remove("Conditions");
        o.remove("AWSTemplateFormatVersion");
        if let Some(params) = o.get_mut("Parameters").and_then(Value::as_object_mut) {
            params.remove("BootstrapVersion");
        }
    }
    t
}

#[test]
fn cdk_app_synthesizes_to_the_cloudformation_resources() {
    let cdk = common::peers().join("cdk/node_modules");
    assert!(
        cdk.exists(),
        "{} is missing: run scripts/setup-peers",
        cdk.display()
    );
    for (name, _dir, path) in variants()
        .into_iter()
        .filter(|(n, _, _)| ["default", "everything", "native"].contains(n))
    {
        let dir = path.parent().expect("dir");
        let app = dir.join("infrastructure");
        let (status, _, stderr) = cli_in(
            dir,
            &[
                "--config",
                path.to_str().expect("utf-8"),
                "deploy",
                "template",
                "--format",
                "cdk",
                "--output",
                app.to_str().expect("utf-8"),
            ],
        );
        assert_eq!(status, 0, "{name}: {stderr}");
        std::os::unix::fs::symlink(&cdk, app.join("node_modules")).expect("link node_modules");
        let out = Command::new(cdk.join(".bin/cdk"))
            .args([
                "synth",
                "--no-version-reporting",
                "--no-path-metadata",
                "--no-asset-metadata",
                "--no-notices",
                "--ci",
                "-q",
            ])
            .current_dir(&app)
            .env_clear()
            .env("PATH", common::node_path())
            .env("HOME", dir)
            .env("CDK_DISABLE_CLI_TELEMETRY", "true")
            .output()
            .expect("run cdk synth");
        assert!(
            out.status.success(),
            "{name}: cdk synth failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let synthesized: Value = serde_json::from_str(
            &std::fs::read_to_string(app.join("cdk.out/CognitoMcp.template.json"))
                .expect("synthesized template"),
        )
        .expect("json");
        let cfn = template(&path);
        let (a, b) = (comparable(synthesized), comparable(cfn));
        for section in ["Parameters", "Resources", "Outputs", "Description"] {
            assert_eq!(a[section], b[section], "{name}: {section} differ");
        }
        assert!(
            a["Resources"].as_object().is_some_and(|r| r.len() >= 8),
            "{name}: too few resources"
        );
    }
}

#[tokio::test]
async fn the_templates_pool_applied_to_moto_serves_tokens_and_tools() {
    use aws_sdk_cognitoidentityprovider::types::MessageActionType;

    let (_d, path) = config(&["--domain", "my-mcp-test"], |t| {
        set(t, &[("password_flows = false", "password_flows = true")])
    });
    let t = template(&path);
    let file = path.with_file_name("template.json");
    std::fs::write(&file, t.to_string()).expect("write template");
    let out = Command::new(common::peers().join("venv/bin/python"))
        .arg(common::root().join("crates/cognito-mcp/tests/clients/apply_template.py"))
        .arg(&common::moto().endpoint)
        .arg(&file)
        .output()
        .expect("apply the template");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let applied: Value = serde_json::from_slice(&out.stdout).expect("json");
    // What moto's CloudFormation lacks, said by moto itself: every Cognito type.
    let lacks = applied["cloudformation_lacks"].as_array().expect("lacks");
    for kind in [
        "AWS::Cognito::UserPool",
        "AWS::Cognito::UserPoolClient",
        "AWS::Cognito::UserPoolResourceServer",
    ] {
        assert!(lacks.contains(&kind.into()), "{lacks:?}");
    }
    eprintln!("moto's CloudFormation lacks {lacks:?}");
    let outputs = &applied["outputs"];
    let pool_id = outputs["UserPoolId"].as_str().expect("pool id").to_owned();
    let client_id = outputs["ClientId"].as_str().expect("client id").to_owned();
    let secret = applied["client_secret"]
        .as_str()
        .expect("a client secret")
        .to_owned();
    assert!(
        outputs["Issuer"]
            .as_str()
            .is_some_and(|i| i.ends_with(&pool_id))
    );

    // The pool is the template's: email usernames, the password policy, the groups.
    let sdk = common::sdk_client().await;
    let described = sdk
        .describe_user_pool()
        .user_pool_id(&pool_id)
        .send()
        .await
        .expect("describe");
    let pool = described.user_pool().expect("pool");
    assert_eq!(
        pool.policies()
            .and_then(|p| p.password_policy())
            .and_then(|p| p.minimum_length()),
        Some(12)
    );

    let env = [
        ("COGNITO_USER_POOL_ID", pool_id.as_str()),
        ("COGNITO_CLIENT_ID", client_id.as_str()),
        ("COGNITO_CLIENT_SECRET", secret.as_str()),
        ("COGNITO_MCP_CONFIG", path.to_str().expect("utf-8")),
    ];
    let (status, stdout, _) = common::run_cli(&["check"], &env);
    assert_eq!(status, 0, "{stdout}");

    for (user, group) in [
        ("ada@example.com", "Admins"),
        ("rory@example.com", "ReadOnly"),
    ] {
        sdk.admin_create_user()
            .user_pool_id(&pool_id)
            .username(user)
            .message_action(MessageActionType::Suppress)
            .send()
            .await
            .expect("create user");
        sdk.admin_set_user_password()
            .user_pool_id(&pool_id)
            .username(user)
            .password("Correct-Horse-Battery-42!")
            .permanent(true)
            .send()
            .await
            .expect("set password");
        sdk.admin_add_user_to_group()
            .user_pool_id(&pool_id)
            .username(user)
            .group_name(group)
            .send()
            .await
            .expect("add to group");
    }
    // `token` signs in with the client's secret (SECRET_HASH).
    let token = |user: &str| {
        let (status, stdout, stderr) = common::run_cli_stdin(
            &[
                "token",
                "--username",
                user,
                "--password-stdin",
                "--print",
                "access",
            ],
            &env,
            "Correct-Horse-Battery-42!\n",
        );
        assert_eq!(status, 0, "{stderr}");
        assert!(!stderr.contains("Correct-Horse"), "{stderr}");
        stdout.trim().to_owned()
    };
    let admin_token = token("ada@example.com");
    let reader_token = token("rory@example.com");

    let pool = common::Pool {
        admin: cognito_admin::CognitoAdmin::new(sdk.clone(), pool_id.clone()),
        id: pool_id.clone(),
        client_id: client_id.clone(),
    };
    // Resource-server mode: the hosted UI of the template's domain is not reachable here.
    let server = common::serve_http(
        &pool,
        &[
            ("COGNITO_MCP_CONFIG", path.to_str().expect("utf-8")),
            ("COGNITO_MCP_AUTH_ENABLED", "false"),
            ("COGNITO_MCP_PUBLIC_URL", ""),
        ],
    )
    .await;
    let admin_tools = common::http_tools(&server.base, &admin_token).await;
    let reader_tools = common::http_tools(&server.base, &reader_token).await;
    assert!(
        admin_tools.contains(&"delete_user".to_owned()),
        "{admin_tools:?}"
    );
    assert!(
        reader_tools.contains(&"list_users".to_owned()),
        "{reader_tools:?}"
    );
    assert!(
        !reader_tools.contains(&"delete_user".to_owned()),
        "{reader_tools:?}"
    );
    let reply = common::http_call(
        &server.base,
        &admin_token,
        "list_users",
        serde_json::json!({}),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert!(
        reply.body.to_string().contains("rory@example.com"),
        "{:?}",
        reply.body
    );
}

#[test]
fn native_templates_make_the_pool_the_authorization_server() {
    let (_d, path) = config(NATIVE_INIT, native);
    let t = template(&path);
    let r = &t["Resources"];
    let rs = "https://mcp.example.com/mcp";
    // The resource server is named for the MCP URL, the resource tokens are bound to.
    assert_eq!(r["ResourceServer"]["Properties"]["Identifier"], rs);
    let dcr = &r["UserPool"]["Properties"]["DcrConfiguration"];
    assert_eq!(dcr["EnableStatus"], "Enabled");
    assert_eq!(
        dcr["OpenDcrEnabled"], true,
        "init's default: MCP clients hold no initial token"
    );
    assert_eq!(dcr["OpenDcrGrantTypes"], serde_json::json!(["code"]));
    assert_eq!(
        dcr["AllowedScopes"],
        serde_json::json!([
            format!("{rs}/admin"),
            format!("{rs}/read"),
            format!("{rs}/write")
        ])
    );
    // The public client the policy maps documents to: no secret, code only, rotation.
    let client = &r["McpClients"]["Properties"];
    assert_eq!(client["GenerateSecret"], false);
    assert_eq!(client["AllowedOAuthFlows"], serde_json::json!(["code"]));
    assert_eq!(client["RefreshTokenRotation"]["Feature"], "ENABLED");
    let policy = &r["CimdPolicy"]["Properties"];
    assert_eq!(policy["ClientId"], serde_json::json!({"Ref": "McpClients"}));
    assert_eq!(policy["CacheDuration"], 604_800);
    assert_eq!(
        policy["URLPatterns"],
        serde_json::json!([
            "https://clients.example.com/mcp/*",
            "https://*.tools.example.net/client.json"
        ])
    );
    assert!(t["Outputs"]["RegistrationEndpoint"].is_object());
    assert!(t["Outputs"]["McpClientId"].is_object());

    // Registration authenticated, or off; no patterns, no policy.
    let (_d, path) = config(NATIVE_INIT, |t| {
        set(t, &[("dcr = \"open\"", "dcr = \"authenticated\"")])
    });
    let t = template(&path);
    assert_eq!(
        t["Resources"]["UserPool"]["Properties"]["DcrConfiguration"]["OpenDcrEnabled"],
        false
    );
    assert!(t["Resources"].get("CimdPolicy").is_none());
    let (_d, path) = config(NATIVE_INIT, |t| {
        set(t, &[("dcr = \"open\"", "dcr = \"off\"")])
    });
    let t = template(&path);
    assert!(
        t["Resources"]["UserPool"]["Properties"]
            .get("DcrConfiguration")
            .is_none()
    );
    assert!(t["Outputs"].get("RegistrationEndpoint").is_none());
}

#[test]
fn native_templates_refuse_what_native_mode_cannot_serve() {
    let refused = |edit: &dyn Fn(String) -> String, expect: &str| {
        let (_d, path) = config(NATIVE_INIT, edit);
        let dir = path.parent().expect("dir");
        let (status, _, stderr) = cli_in(
            dir,
            &[
                "--config",
                path.to_str().expect("utf-8"),
                "deploy",
                "template",
            ],
        );
        assert_ne!(status, 0, "{expect}");
        assert!(stderr.contains(expect), "{expect}: {stderr}");
    };
    refused(
        &|t| {
            set(
                t,
                &[("feature_plan = \"essentials\"", "feature_plan = \"lite\"")],
            )
        },
        "needs deploy.feature_plan = \"essentials\" or \"plus\"",
    );
    refused(
        &|t| set(t, &[("domain = \"native-mcp\"", "")]),
        "needs deploy.domain",
    );
    refused(
        &|t| {
            set(
                t,
                &[(
                    "resource_server = \"https://mcp.example.com/mcp\"",
                    "resource_server = \"mcp\"",
                )],
            )
        },
        "in native mode it is the MCP URL",
    );
    refused(
        &|t| {
            set(
                t,
                &[(
                    "url_patterns = []",
                    "url_patterns = [\"https://a.example.com/?x=1\"]",
                )],
            )
        },
        "without a query or fragment",
    );
    refused(
        &|t| {
            set(
                t,
                &[(
                    "url_patterns = []",
                    "url_patterns = [\"https://a.example.com/*\"]\ncache_duration_secs = 60",
                )],
            )
        },
        "86400",
    );
    refused(
        &|t| set(t, &[("dcr = \"open\"", "dcr = \"anyone\"")]),
        "deploy.dcr is \"anyone\"",
    );
    // And init itself: native mode with no domain is refused before any file is written.
    let dir = tempfile::tempdir().expect("temp dir");
    let (status, _, stderr) = cli_in(
        dir.path(),
        &[
            "deploy",
            "init",
            "--oauth",
            "cognito",
            "--native",
            "--no-domain",
        ],
    );
    assert_ne!(status, 0);
    assert!(stderr.contains("--no-domain"), "{stderr}");
    assert!(!dir.path().join("cognito-mcp.toml").exists());
}
