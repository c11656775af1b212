//! `cognito-mcp check`: validate the configuration and reach the pool, one line per finding.

use std::time::Duration;

use aws_credential_types::provider::ProvideCredentials;
use cognito_admin::{AdminError, CognitoAdmin};

use crate::aws;
use crate::config::Settings;

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Runs the checks, printing `ok:` and `error:` lines. Returns whether everything passed.
pub(crate) async fn run(settings: &Settings) -> bool {
    let problems = settings.serve_problems();
    if !problems.is_empty() {
        for p in problems {
            println!("error: {p}");
        }
        return false;
    }
    let pool_id = settings
        .auth
        .user_pool_id
        .clone()
        .expect("checked by problems()");
    println!(
        "ok: configuration (region {}, pool {pool_id})",
        settings.auth.region
    );
    for line in widening(settings) {
        println!("warning: widens privilege: {line}");
    }
    for line in settings.auth.migration_warnings() {
        println!("warning: {line}");
    }

    let sdk = aws::sdk_config(settings).await;
    let Some(provider) = sdk.credentials_provider() else {
        println!(
            "error: no AWS credentials provider is configured; {}",
            no_credentials_hint()
        );
        return false;
    };
    match tokio::time::timeout(Duration::from_secs(15), provider.provide_credentials()).await {
        Ok(Ok(_)) => println!("ok: AWS credentials found"),
        Ok(Err(e)) => {
            println!(
                "error: no AWS credentials: {}; {}",
                one_line(&e.to_string()),
                no_credentials_hint()
            );
            return false;
        }
        Err(_) => {
            println!(
                "error: looking up AWS credentials took over 15 s; {}",
                no_credentials_hint()
            );
            return false;
        }
    }

    let endpoint = aws::endpoint_for_messages(settings);
    let admin = CognitoAdmin::new(
        aws_sdk_cognitoidentityprovider::Client::new(&sdk),
        pool_id.clone(),
    )
    .protecting(settings.protected());
    let pool = match admin.pool_overview().await {
        Ok(p) => p,
        Err(e) => {
            println!(
                "error: {}",
                describe_failure(&e, settings, &pool_id, &endpoint)
            );
            return false;
        }
    };
    println!(
        "ok: reached pool {} ({}) at {endpoint}: about {} users; password policy: {}; MFA {}",
        pool_id,
        pool.name.as_deref().unwrap_or("unnamed"),
        pool.estimated_number_of_users,
        pool.password_policy.summary(),
        pool.mfa.mode
    );

    let mut ok = super::native::report(settings, &pool_id, &pool).await;
    if let Some(client_id) = &settings.auth.client_id {
        match admin.client_exists(client_id).await {
            Ok(true) => println!("ok: app client {client_id} belongs to the pool"),
            Ok(false) => {
                println!(
                    "error: COGNITO_CLIENT_ID {client_id} is not an app client of pool {pool_id}; \
                     set it to one of the ids `list_user_pool_clients` shows"
                );
                ok = false;
            }
            Err(e) => println!(
                "warning: could not list app clients to verify COGNITO_CLIENT_ID: {}",
                one_line(&e.to_string())
            ),
        }
    }
    if !protected_users_resolve(&admin, &pool_id).await {
        ok = false;
    }
    if !super::identity_pool::report(settings, &sdk).await {
        ok = false;
    }
    match cognito_mcp_auth::secrets::SecretRefresher::start(
        settings.secret_settings(),
        &settings.auth.region,
        settings.auth.secrets_refresh,
        &|k| std::env::var(k).ok(),
    )
    .await
    {
        Ok(None) => {}
        Ok(Some(r)) => {
            for s in r.settings() {
                println!(
                    "ok: {} read from AWS ({}; the value is not shown)",
                    s.name(),
                    s.reference().unwrap_or_default()
                );
            }
        }
        Err(errors) => {
            for e in errors {
                println!("error: {}", one_line(&e.to_string()));
            }
            ok = false;
        }
    }
    if settings.auth.client_secret.is_some() {
        println!("ok: an app client secret is configured (not shown)");
    }
    if settings.audit_enabled {
        println!("ok: audit records go to {}", settings.audit_file.display());
    } else {
        println!("warning: audit is disabled (audit.enabled = false)");
    }
    if let Some(t) = &settings.traces {
        println!(
            "ok: traces go to {} as service {} (sampler {})",
            t.endpoint, t.service_name, t.sampler
        );
    }
    ok
}

/// The settings that let a caller do more than their Cognito groups grant, or let more callers
/// reach a tool than the default: machine clients with scopes, and tool scopes changed from
/// their defaults.
pub(crate) fn widening(settings: &Settings) -> Vec<String> {
    let mut out = settings.auth.widening_settings();
    let defaults =
        crate::policy::ToolScopes::new(&settings.auth.resource_server, Default::default());
    for (tool, scope) in &settings.auth.tool_scopes {
        let Some(spec) = crate::catalog::find(tool) else {
            continue;
        };
        let default = defaults.required(spec).unwrap_or("no scope");
        if default != scope {
            out.push(format!(
                "auth.tool_scopes.{tool} = {scope:?} replaces the default {default:?}: every \
                 caller holding {scope} may call {tool}"
            ));
        }
    }
    out
}

/// One line per `safety.protected_users` entry: whom it protects, or that it protects nobody.
async fn protected_users_resolve(admin: &CognitoAdmin, pool_id: &str) -> bool {
    if admin.protected().users.is_empty() {
        return true;
    }
    match admin.resolve_protected().await {
        Ok(resolutions) => {
            let mut ok = true;
            for r in resolutions {
                if let Some(problem) = crate::cli::protected::unresolved(&r, pool_id) {
                    println!("error: {problem}");
                    ok = false;
                } else {
                    println!(
                        "ok: protected user {:?} is {}",
                        r.entry,
                        r.usernames.join(", ")
                    );
                }
            }
            ok
        }
        Err(e) => {
            println!(
                "error: could not resolve safety.protected_users: {}",
                one_line(&format!("{e}; {}", e.hint()))
            );
            false
        }
    }
}

fn no_credentials_hint() -> &'static str {
    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run `aws sso login`, or \
     run where an instance or task role is available"
}

fn describe_failure(e: &AdminError, settings: &Settings, pool_id: &str, endpoint: &str) -> String {
    match e {
        AdminError::ResourceNotFound { .. } => format!(
            "pool {pool_id} does not exist in region {} at {endpoint}; check COGNITO_USER_POOL_ID \
             and AWS_REGION",
            settings.auth.region
        ),
        AdminError::Unreachable { detail, .. } => {
            let lower = detail.to_ascii_lowercase();
            if settings.auth.endpoint_url.is_none()
                && (lower.contains("dns") || lower.contains("lookup"))
            {
                return format!(
                    "cannot resolve {endpoint}: the region {} may not exist or may not offer \
                     Cognito; check AWS_REGION (or the machine's DNS) ({})",
                    settings.auth.region,
                    one_line(detail)
                );
            }
            format!(
                "cannot reach the Cognito endpoint {endpoint} ({}); check the network, or the \
                 endpoint override AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
                one_line(detail)
            )
        }
        AdminError::Timeout { .. } => format!(
            "the Cognito endpoint {endpoint} did not answer in time; check the network, or the \
             endpoint override AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"
        ),
        AdminError::InvalidCredentials { detail } => format!(
            "AWS rejected the credentials ({}); check the access key, secret and session token, \
             or refresh them (`aws sso login`)",
            one_line(detail)
        ),
        AdminError::NoCredentials { detail } => {
            format!(
                "AWS rejected or found no credentials ({}); {}",
                one_line(detail),
                no_credentials_hint()
            )
        }
        AdminError::AccessDenied { operation, .. } => format!(
            "the credentials may not call {}; attach the policy `cognito-mcp iam-policy` prints",
            operation.iam_action()
        ),
        other => one_line(&format!("{other}; {}", other.hint())),
    }
}
