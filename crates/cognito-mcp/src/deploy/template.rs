//! What the settings and `[deploy]` build: the pool and everything around it, as one
//! [`Template`] (`model.rs`), rendered as CloudFormation JSON or as a CDK app.
//!
//! Both renderings come from that model, so `cdk synth` of the CDK app gives the same
//! resources as the CloudFormation template (the tests compare them). Native mode's parts are
//! in `native.rs`.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::checks::{callback_urls, problems};
use super::model::{Output, Parameter, Resource, Template, get_att, r#ref, sub};
use super::spec::{DeploySpec, Domain, IdpKind, Mfa};
use crate::config::{Problem, Settings};
use cognito_mcp_auth::AuthMode;

/// A logical id not in `taken`: `prefix` and the words of `name` (letters and digits),
/// capitalized, with a number added when two names give the same id.
fn logical_id(prefix: &str, name: &str, taken: &mut BTreeSet<String>) -> String {
    let base: String = std::iter::once(prefix.to_owned())
        .chain(
            name.split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(|w| {
                    let mut cs = w.chars();
                    cs.next()
                        .map(|f| f.to_ascii_uppercase().to_string() + cs.as_str())
                        .unwrap_or_default()
                }),
        )
        .collect();
    let mut id = base.clone();
    let mut n = 2;
    while !taken.insert(id.clone()) {
        id = format!("{base}{n}");
        n += 1;
    }
    id
}

/// The path of the config file inside the server's deployment package.
pub(crate) const LAMBDA_CONFIG_PATH: &str = "/var/task/cognito-mcp.toml";

const LAMBDA_BASIC_EXECUTION: &str =
    "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";

/// Builds the template from the settings and `[deploy]`.
pub(crate) fn build(settings: &Settings, spec: &DeploySpec) -> Result<Template, Vec<Problem>> {
    let problems = problems(settings, spec);
    if !problems.is_empty() {
        return Err(problems);
    }
    let rs = settings.auth.resource_server.clone();
    let groups = settings.auth.scope_policy().groups().clone();
    let callback_urls = callback_urls(settings);
    let native = settings.auth.mode == AuthMode::Native;
    let rs_scopes: Vec<String> = spec.scopes.keys().map(|s| format!("{rs}/{s}")).collect();

    let mut parameters = Vec::new();
    let mut resources: Vec<Resource> = Vec::new();
    let mut outputs = Vec::new();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut add = |id: &str, kind: &'static str, properties: Value, depends_on: Vec<String>| {
        resources.push(Resource {
            id: id.to_owned(),
            kind,
            retain: kind == "AWS::Cognito::UserPool",
            properties,
            depends_on,
        });
    };

    let needs_code = spec.pre_token_trigger || spec.lambda;
    if needs_code {
        parameters.push(Parameter {
            id: "CodeBucket".into(),
            description: "The S3 bucket holding the Lambda deployment packages (zip files).".into(),
            default: None,
            no_echo: false,
        });
    }

    // The pre-token trigger comes first: the pool refers to it.
    if spec.pre_token_trigger {
        parameters.push(Parameter {
            id: "PreTokenTriggerCodeKey".into(),
            description: "The S3 key of the pre-token-trigger package (cargo lambda build \
                          --release --arm64 --bin pre-token-trigger --output-format zip)."
                .into(),
            default: Some("pre-token-trigger.zip".into()),
            no_echo: false,
        });
        add(
            "PreTokenTriggerRole",
            "AWS::IAM::Role",
            json!({
                "AssumeRolePolicyDocument": assume_role("lambda.amazonaws.com"),
                "ManagedPolicyArns": [sub(LAMBDA_BASIC_EXECUTION)],
            }),
            vec![],
        );
        let group_scopes: Map<String, Value> =
            groups.iter().map(|(g, s)| (g.clone(), json!(s))).collect();
        let claims: Vec<String> = spec
            .custom_attributes
            .iter()
            .filter(|a| a.claim)
            .map(|a| format!("custom:{}", a.name))
            .collect();
        add(
            "PreTokenTrigger",
            "AWS::Lambda::Function",
            json!({
                "Description": "cognito-mcp pre-token-generation trigger: group scopes and attribute claims",
                "Runtime": "provided.al2023",
                "Handler": "bootstrap",
                "Architectures": ["arm64"],
                "MemorySize": 128,
                "Timeout": 5,
                "Code": { "S3Bucket": r#ref("CodeBucket"), "S3Key": r#ref("PreTokenTriggerCodeKey") },
                "Role": get_att("PreTokenTriggerRole", "Arn"),
                "Environment": { "Variables": {
                    "GROUP_SCOPES": Value::Object(group_scopes).to_string(),
                    "ATTRIBUTE_CLAIMS": claims.join(","),
                } },
            }),
            vec![],
        );
    }

    // The pool.
    let p = &spec.password_policy;
    let mut schema = vec![json!({
        "Name": "email",
        "AttributeDataType": "String",
        "Required": true,
        "Mutable": true,
    })];
    for a in &spec.custom_attributes {
        let mut attr = json!({
            "Name": a.name,
            "AttributeDataType": if a.number { "Number" } else { "String" },
            "Mutable": a.mutable,
        });
        if a.number {
            attr["NumberAttributeConstraints"] = json!({ "MinValue": "0" });
        } else {
            attr["StringAttributeConstraints"] = json!({ "MinLength": "0", "MaxLength": "256" });
        }
        schema.push(attr);
    }
    let mut pool = json!({
        "UserPoolName": spec.pool_name,
        "UsernameAttributes": ["email"],
        "AutoVerifiedAttributes": ["email"],
        "UsernameConfiguration": { "CaseSensitive": false },
        "Policies": { "PasswordPolicy": {
            "MinimumLength": p.min_length,
            "RequireLowercase": p.require_lowercase,
            "RequireUppercase": p.require_uppercase,
            "RequireNumbers": p.require_numbers,
            "RequireSymbols": p.require_symbols,
            "TemporaryPasswordValidityDays": p.temporary_password_validity_days,
        } },
        "MfaConfiguration": spec.mfa.cfn(),
        "AdminCreateUserConfig": { "AllowAdminCreateUserOnly": spec.admin_only },
        "AccountRecoverySetting": { "RecoveryMechanisms": [
            { "Name": "verified_email", "Priority": 1 },
        ] },
        "UserAttributeUpdateSettings": { "AttributesRequireVerificationBeforeUpdate": ["email"] },
        "Schema": schema,
        "UserPoolTier": spec.feature_plan.to_ascii_uppercase(),
        "DeletionProtection": if spec.deletion_protection { "ACTIVE" } else { "INACTIVE" },
    });
    if spec.mfa != Mfa::Off {
        pool["EnabledMfas"] = json!(["SOFTWARE_TOKEN_MFA"]);
    }
    if native && let Some(dcr) = super::native::dcr_configuration(spec, &rs_scopes) {
        pool["DcrConfiguration"] = dcr;
    }
    if spec.pre_token_trigger {
        pool["LambdaConfig"] = json!({ "PreTokenGenerationConfig": {
            "LambdaArn": get_att("PreTokenTrigger", "Arn"),
            "LambdaVersion": if spec.feature_plan == "lite" { "V1_0" } else { "V2_0" },
        } });
    }
    add("UserPool", "AWS::Cognito::UserPool", pool, vec![]);
    if spec.pre_token_trigger {
        add(
            "PreTokenTriggerPermission",
            "AWS::Lambda::Permission",
            json!({
                "Action": "lambda:InvokeFunction",
                "FunctionName": get_att("PreTokenTrigger", "Arn"),
                "Principal": "cognito-idp.amazonaws.com",
                "SourceArn": get_att("UserPool", "Arn"),
            }),
            vec![],
        );
    }

    // The resource server, the domain, the identity providers.
    add(
        "ResourceServer",
        "AWS::Cognito::UserPoolResourceServer",
        json!({
            "UserPoolId": r#ref("UserPool"),
            "Identifier": rs,
            "Name": spec.pool_name,
            "Scopes": spec.scopes.iter().map(|(name, description)| json!({
                "ScopeName": name,
                "ScopeDescription": description,
            })).collect::<Vec<_>>(),
        }),
        vec![],
    );
    match &spec.domain {
        Some(Domain::Prefix(prefix)) => add(
            "UserPoolDomain",
            "AWS::Cognito::UserPoolDomain",
            json!({ "UserPoolId": r#ref("UserPool"), "Domain": prefix }),
            vec![],
        ),
        Some(Domain::Custom(domain)) => {
            parameters.push(Parameter {
                id: "DomainCertificateArn".into(),
                description: format!(
                    "The ACM certificate (in us-east-1) for the custom domain {domain}."
                ),
                default: None,
                no_echo: false,
            });
            add(
                "UserPoolDomain",
                "AWS::Cognito::UserPoolDomain",
                json!({
                    "UserPoolId": r#ref("UserPool"),
                    "Domain": domain,
                    "CustomDomainConfig": { "CertificateArn": r#ref("DomainCertificateArn") },
                }),
                vec![],
            );
        }
        None => {}
    }
    let mut idp_ids = Vec::new();
    for idp in &spec.identity_providers {
        let id = logical_id("IdentityProvider", &idp.name, &mut taken);
        let details = match idp.kind {
            IdpKind::Saml => json!({ "MetadataURL": idp.metadata_url }),
            IdpKind::Oidc => {
                let secret_id = logical_id("Secret", &idp.name, &mut taken);
                parameters.push(Parameter {
                    id: secret_id.clone(),
                    description: format!(
                        "The client secret Cognito uses at the OIDC identity provider {}.",
                        idp.name
                    ),
                    default: None,
                    no_echo: true,
                });
                json!({
                    "client_id": idp.client_id,
                    "client_secret": r#ref(&secret_id),
                    "oidc_issuer": idp.issuer,
                    "authorize_scopes": idp.scopes.join(" "),
                    "attributes_request_method": "GET",
                })
            }
        };
        let mut props = json!({
            "UserPoolId": r#ref("UserPool"),
            "ProviderName": idp.name,
            "ProviderType": match idp.kind { IdpKind::Saml => "SAML", IdpKind::Oidc => "OIDC" },
            "ProviderDetails": details,
        });
        if !idp.attribute_mapping.is_empty() {
            props["AttributeMapping"] = json!(idp.attribute_mapping);
        }
        add(&id, "AWS::Cognito::UserPoolIdentityProvider", props, vec![]);
        idp_ids.push(id);
    }

    // The app client.
    let mut flows = vec!["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"];
    if spec.password_flows {
        flows.push("ALLOW_ADMIN_USER_PASSWORD_AUTH");
    }
    let mut client = json!({
        "UserPoolId": r#ref("UserPool"),
        "ClientName": spec.pool_name,
        "GenerateSecret": true,
        "ExplicitAuthFlows": flows,
        "PreventUserExistenceErrors": "ENABLED",
        "EnableTokenRevocation": true,
        "SupportedIdentityProviders": std::iter::once("COGNITO".to_owned())
            .chain(spec.identity_providers.iter().map(|i| i.name.clone()))
            .collect::<Vec<_>>(),
    });
    if !callback_urls.is_empty() {
        let mut scopes = vec!["openid".to_owned(), "email".into(), "profile".into()];
        scopes.extend(spec.scopes.keys().map(|s| format!("{rs}/{s}")));
        client["AllowedOAuthFlowsUserPoolClient"] = json!(true);
        client["AllowedOAuthFlows"] = json!(["code"]);
        client["AllowedOAuthScopes"] = json!(scopes);
        client["CallbackURLs"] = json!(callback_urls);
    }
    let mut client_deps = vec!["ResourceServer".to_owned()];
    client_deps.extend(idp_ids);
    add(
        "AppClient",
        "AWS::Cognito::UserPoolClient",
        client,
        client_deps,
    );

    if native {
        for r in super::native::resources(settings, spec, &rs_scopes) {
            add(&r.id, r.kind, r.properties, r.depends_on);
        }
    }

    // The groups.
    for (precedence, (group, scopes)) in groups.iter().enumerate() {
        let id = logical_id("Group", group, &mut taken);
        let list: Vec<&str> = scopes.iter().map(String::as_str).collect();
        add(
            &id,
            "AWS::Cognito::UserPoolGroup",
            json!({
                "UserPoolId": r#ref("UserPool"),
                "GroupName": group,
                "Description": format!("cognito-mcp scopes: {}", list.join(" ")),
                "Precedence": precedence,
            }),
            vec![],
        );
    }

    // The server's secrets on Lambda, the server's role and, optionally, the server on Lambda.
    let lambda_secrets = if spec.lambda {
        super::lambda_secrets::LambdaSecrets::for_settings(settings)
    } else {
        Default::default()
    };
    for p in &lambda_secrets.parameters {
        parameters.push(Parameter {
            id: p.id.into(),
            description: p.description.into(),
            default: None,
            no_echo: true,
        });
    }
    for s in &lambda_secrets.resources {
        add(
            s.id,
            "AWS::SecretsManager::Secret",
            s.properties.clone(),
            vec![],
        );
    }
    if spec.server_role {
        let service = if spec.lambda {
            "lambda.amazonaws.com"
        } else {
            spec.server_role_service.as_str()
        };
        let mut role = json!({ "AssumeRolePolicyDocument": assume_role(service) });
        if spec.lambda {
            role["ManagedPolicyArns"] = json!([sub(LAMBDA_BASIC_EXECUTION)]);
        }
        add("ServerRole", "AWS::IAM::Role", role, vec![]);
        let mut document = crate::policy::server_policy(settings, None, None);
        if let Some(statements) = document["Statement"].as_array_mut() {
            for s in statements.iter_mut() {
                // The pool's statements; the reads of referenced secrets keep their ARNs.
                let sid = s["Sid"].as_str().unwrap_or_default();
                if !crate::policy::SECRET_READ_SIDS.contains(&sid) {
                    s["Resource"] = get_att("UserPool", "Arn");
                }
            }
            statements.extend(lambda_secrets.read_statement());
        }
        add(
            "ServerPolicy",
            "AWS::IAM::Policy",
            json!({
                "PolicyName": "cognito-mcp",
                "Roles": [r#ref("ServerRole")],
                "PolicyDocument": document,
            }),
            vec![],
        );
    }
    if spec.lambda {
        parameters.push(Parameter {
            id: "ServerCodeKey".into(),
            description: "The S3 key of the server package (cargo lambda build --release \
                          --arm64 --bin cognito-mcp --output-format zip --include \
                          cognito-mcp.toml)."
                .into(),
            default: Some("cognito-mcp.zip".into()),
            no_echo: false,
        });
        let mut env = json!({
            "COGNITO_USER_POOL_ID": r#ref("UserPool"),
            "COGNITO_CLIENT_ID": r#ref("AppClient"),
            "COGNITO_MCP_CONFIG": LAMBDA_CONFIG_PATH,
        });
        // Only references: the values are in Secrets Manager.
        for (variable, reference) in &lambda_secrets.env {
            env[*variable] = reference.clone();
        }
        // A loopback URL (init's default) is not where the function is: it learns its own.
        if let Some(url) = settings
            .auth
            .public_url
            .as_ref()
            .filter(|u| u.starts_with("https://"))
        {
            env["COGNITO_MCP_PUBLIC_URL"] = json!(url);
        }
        add(
            "Server",
            "AWS::Lambda::Function",
            json!({
                "Description": "cognito-mcp: the MCP server administering the user pool",
                "Runtime": "provided.al2023",
                "Handler": "bootstrap",
                "Architectures": ["arm64"],
                "MemorySize": 256,
                "Timeout": 30,
                "Code": { "S3Bucket": r#ref("CodeBucket"), "S3Key": r#ref("ServerCodeKey") },
                "Role": get_att("ServerRole", "Arn"),
                "Environment": { "Variables": env },
            }),
            vec!["ServerPolicy".to_owned()],
        );
        add(
            "ServerFunctionUrl",
            "AWS::Lambda::Url",
            json!({ "TargetFunctionArn": get_att("Server", "Arn"), "AuthType": "NONE" }),
            vec![],
        );
        // A public Function URL needs both: the URL permission, and InvokeFunction through it.
        add(
            "ServerUrlPermission",
            "AWS::Lambda::Permission",
            json!({
                "Action": "lambda:InvokeFunctionUrl",
                "FunctionName": get_att("Server", "Arn"),
                "Principal": "*",
                "FunctionUrlAuthType": "NONE",
            }),
            vec![],
        );
        add(
            "ServerInvokePermission",
            "AWS::Lambda::Permission",
            json!({
                "Action": "lambda:InvokeFunction",
                "FunctionName": get_att("Server", "Arn"),
                "Principal": "*",
                "InvokedViaFunctionUrl": true,
            }),
            vec![],
        );
    }

    let issuer = "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}";
    outputs.push(Output {
        id: "UserPoolId",
        description: "COGNITO_USER_POOL_ID",
        value: r#ref("UserPool"),
    });
    outputs.push(Output {
        id: "ClientId",
        description: "COGNITO_CLIENT_ID (its secret: aws cognito-idp describe-user-pool-client)",
        value: r#ref("AppClient"),
    });
    outputs.push(Output {
        id: "Issuer",
        description: "The issuer of the pool's tokens",
        value: sub(issuer),
    });
    outputs.push(Output {
        id: "JwksUrl",
        description: "The pool's signing keys",
        value: sub(&format!("{issuer}/.well-known/jwks.json")),
    });
    match &spec.domain {
        Some(Domain::Prefix(_)) => outputs.push(Output {
            id: "Domain",
            description: "auth.domain: the hosted UI",
            value: sub("https://${UserPoolDomain}.auth.${AWS::Region}.amazoncognito.com"),
        }),
        Some(Domain::Custom(d)) => outputs.push(Output {
            id: "Domain",
            description: "auth.domain: the hosted UI (point the domain's DNS at DomainTarget)",
            value: json!(format!("https://{d}")),
        }),
        None => {}
    }
    if matches!(spec.domain, Some(Domain::Custom(_))) {
        outputs.push(Output {
            id: "DomainTarget",
            description: "The CloudFront name the custom domain's DNS record (alias) points at",
            value: get_att("UserPoolDomain", "CloudFrontDistribution"),
        });
    }
    if native {
        outputs.extend(super::native::outputs(spec));
    }
    if spec.server_role {
        outputs.push(Output {
            id: "ServerRoleArn",
            description: "The role the server runs as",
            value: get_att("ServerRole", "Arn"),
        });
    }
    if spec.lambda {
        outputs.push(Output {
            id: "ServerUrl",
            description: "The server on Lambda (its MCP endpoint is this URL plus mcp)",
            value: get_att("ServerFunctionUrl", "FunctionUrl"),
        });
    }

    Ok(Template {
        description: format!(
            "cognito-mcp: the user pool {:?}, its resource server, app client and groups{}",
            spec.pool_name,
            if spec.lambda {
                ", and the server on AWS Lambda"
            } else {
                ""
            }
        ),
        parameters,
        resources,
        outputs,
    })
}

fn assume_role(service: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": service },
            "Action": "sts:AssumeRole",
        }],
    })
}
