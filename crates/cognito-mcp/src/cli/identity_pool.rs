//! `check`'s lines about `[identity_pool]`: does the identity pool trust this user pool through
//! the server's app client, and will it give each caller the role of their groups? Read with
//! the server's own credentials (DescribeIdentityPool and GetIdentityPoolRoles, SigV4-signed
//! JSON 1.1 to `cognito-identity`).

use aws_config::SdkConfig;
use aws_credential_types::provider::ProvideCredentials as _;
use cognito_mcp_auth::sigv4::{JsonCall, post_json};
use serde_json::{Value, json};

use crate::config::Settings;
use crate::config::act_as::ActAs;

/// Prints the identity pool's lines; `false` when callers could not get credentials.
pub(super) async fn report(settings: &Settings, sdk: &SdkConfig) -> bool {
    let Some(pool) = &settings.auth.identity_pool else {
        return true;
    };
    let described = match call(
        sdk,
        pool,
        "DescribeIdentityPool",
        json!({"IdentityPoolId": pool.id}),
    )
    .await
    {
        Ok(v) => v,
        Err(e) => {
            println!(
                "warning: could not read identity pool {}: {e} (this check needs \
                 cognito-identity:DescribeIdentityPool and GetIdentityPoolRoles; `iam-policy` \
                 grants them)",
                pool.id
            );
            return true;
        }
    };
    let client = settings.auth.client_id.as_deref().unwrap_or("");
    let providers = described["CognitoIdentityProviders"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let trusted = providers
        .iter()
        .find(|p| p["ProviderName"] == pool.provider.as_str() && p["ClientId"] == client);
    let mut ok = true;
    match trusted {
        Some(p) => {
            println!(
                "ok: identity pool {} trusts {} through app client {client}",
                pool.id, pool.provider
            );
            if p["ServerSideTokenCheck"] != true {
                println!(
                    "warning: identity pool {}: ServerSideTokenCheck is off for this user \
                     pool, so a user signed out everywhere still gets AWS credentials until \
                     their ID token expires; turn it on (aws cognito-identity \
                     update-identity-pool)",
                    pool.id
                );
            }
        }
        None => {
            println!(
                "error: identity pool {} does not trust {} through app client {client}: \
                 callers' ID tokens will be refused; add it as a Cognito identity provider \
                 with that ClientId (aws cognito-identity update-identity-pool)",
                pool.id, pool.provider
            );
            ok = false;
        }
    }
    match call(
        sdk,
        pool,
        "GetIdentityPoolRoles",
        json!({"IdentityPoolId": pool.id}),
    )
    .await
    {
        Ok(roles) => ok &= roles_report(&roles, &pool.id, &format!("{}:{client}", pool.provider)),
        Err(e) => println!(
            "warning: could not read identity pool {}'s roles: {e}",
            pool.id
        ),
    }
    if settings.act_as != ActAs::Caller {
        println!(
            "note: the identity pool is configured, but the tools act as the server (aws.act_as \
             = \"server\"); set aws.act_as = \"caller\" to sign their calls as each caller"
        );
    }
    ok
}

/// What the roles mean for callers: the role of their groups, everyone the same role, or none.
fn roles_report(roles: &Value, pool: &str, key: &str) -> bool {
    let authenticated = roles["Roles"]["authenticated"].as_str();
    let mapping = &roles["RoleMappings"][key];
    match (mapping["Type"].as_str(), authenticated) {
        (Some("Token"), _) if mapping["AmbiguousRoleResolution"] == "Deny" => {
            println!(
                "ok: identity pool {pool} gives each caller the role of their groups \
                 (cognito:preferred_role), and none to a user in no group with a role"
            );
            true
        }
        (Some(kind), Some(role)) => {
            println!(
                "warning: identity pool {pool} maps roles by {kind} but gives the authenticated \
                 role {role} when none applies; set AmbiguousRoleResolution = Deny so a user \
                 in no group with a role gets no credentials"
            );
            true
        }
        (Some(_), None) => true,
        (None, Some(role)) => {
            println!(
                "warning: identity pool {pool} gives every signed-in user the same role {role}: \
                 map roles from the token (`iam-policy --group-roles` prints one per group)"
            );
            true
        }
        (None, None) => {
            println!(
                "error: identity pool {pool} has no authenticated role and no role mapping: \
                 no caller can get AWS credentials (`iam-policy --group-roles` prints the roles)"
            );
            false
        }
    }
}

/// One SigV4-signed JSON 1.1 call (the library's `sigv4`, as the secret reads use) to the
/// identity pool's `cognito-identity` endpoint with the SDK configuration's credentials.
async fn call(
    sdk: &SdkConfig,
    pool: &cognito_mcp_auth::IdentityPoolConfig,
    operation: &str,
    body: Value,
) -> Result<Value, String> {
    let provider = sdk
        .credentials_provider()
        .ok_or_else(|| "no AWS credentials provider".to_owned())?;
    let identity: aws_smithy_runtime_api::client::identity::Identity = provider
        .provide_credentials()
        .await
        .map_err(|e| format!("no AWS credentials: {e}"))?
        .into();
    let region = pool.id.split(':').next().unwrap_or("us-east-1");
    let url = format!("{}/", pool.endpoint.trim_end_matches('/'));
    let target = format!("AWSCognitoIdentityService.{operation}");
    let call = JsonCall {
        url: &url,
        region,
        service: "cognito-identity",
        target: &target,
    };
    let (status, bytes) = post_json(&reqwest::Client::new(), &identity, call, &body.to_string())
        .await
        .map_err(|e| e.to_string())?;
    let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if (200..300).contains(&status) {
        Ok(v)
    } else {
        Err(format!(
            "{} {}",
            v["__type"].as_str().unwrap_or("error"),
            v["message"].as_str().unwrap_or("")
        ))
    }
}
