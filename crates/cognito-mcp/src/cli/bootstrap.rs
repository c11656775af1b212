//! `cognito-mcp bootstrap`: a new pool, app client, the standard groups and a first admin.

use cognito_admin::provision::{self, BootstrapSpec};
use serde_json::json;

use crate::aws;
use crate::config::Settings;

/// Options of `bootstrap`.
#[derive(Debug, clap::Args)]
pub(crate) struct BootstrapArgs {
    /// Name of the new user pool.
    #[arg(long, default_value = "cognito-mcp")]
    pool_name: String,
    /// Name of the new app client.
    #[arg(long, default_value = "cognito-mcp")]
    client_name: String,
    /// Username of the first admin (added to Admins).
    #[arg(long, default_value = "admin")]
    admin_username: String,
    /// Email of the first admin; Cognito sends the invitation there unless --show-password.
    #[arg(long)]
    admin_email: Option<String>,
    /// Create no admin user.
    #[arg(long, conflicts_with_all = ["admin_username", "admin_email", "show_password"])]
    no_admin: bool,
    /// Generate the admin's temporary password, print it, and send no invitation.
    #[arg(long)]
    show_password: bool,
    /// Print the result as JSON instead of shell exports.
    #[arg(long)]
    json: bool,
}

pub(crate) async fn run(settings: &Settings, args: &BootstrapArgs) -> anyhow::Result<()> {
    if !crate::config::is_region(&settings.auth.region) {
        anyhow::bail!(
            "AWS_REGION is {:?}, which is not an AWS region; set it to one such as us-east-1",
            settings.auth.region
        );
    }
    let client = aws::client(settings).await;
    let spec = BootstrapSpec {
        pool_name: args.pool_name.clone(),
        client_name: args.client_name.clone(),
        admin_username: (!args.no_admin).then(|| args.admin_username.clone()),
        admin_email: args.admin_email.clone(),
        generate_admin_password: args.show_password,
    };
    let done = provision::bootstrap(&client, &spec)
        .await
        .map_err(|e| anyhow::anyhow!("{e}. How to fix: {}", e.hint()))?;
    if args.json {
        let mut out = json!({
            "region": settings.auth.region,
            "user_pool_id": done.pool_id,
            "user_pool_arn": done.pool_arn,
            "client_id": done.client_id,
            "groups": done.groups,
            "admin_username": done.admin_username,
        });
        if let Some(pw) = &done.admin_temporary_password {
            out["admin_temporary_password"] = json!(pw.expose());
        }
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    eprintln!(
        "Created user pool {:?} ({}) with app client {} and groups {}.",
        args.pool_name,
        done.pool_id,
        done.client_id,
        done.groups.join(", ")
    );
    if let Some(admin) = &done.admin_username {
        match &done.admin_temporary_password {
            Some(pw) => eprintln!(
                "First admin: {admin} (group Admins), temporary password: {} (it must be changed at first sign-in).",
                pw.expose()
            ),
            None => eprintln!(
                "First admin: {admin} (group Admins). Cognito sends the temporary password to {}.",
                args.admin_email
                    .as_deref()
                    .unwrap_or("the admin's email (none given: use set_user_password)")
            ),
        }
    }
    eprintln!("Use these settings:");
    println!("export AWS_REGION={}", settings.auth.region);
    println!("export COGNITO_USER_POOL_ID={}", done.pool_id);
    println!("export COGNITO_CLIENT_ID={}", done.client_id);
    Ok(())
}
