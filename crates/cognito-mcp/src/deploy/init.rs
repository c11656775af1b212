//! `deploy init`: the project's config file, with commented defaults.

use std::path::Path;

use anyhow::Context as _;

use super::spec::Domain;

/// Options of `deploy init`.
#[derive(Debug, clap::Args)]
pub(crate) struct InitArgs {
    /// The identity provider; `cognito` is the one there is.
    #[arg(long, value_enum)]
    oauth: OAuthProvider,
    /// The pool's domain for the hosted UI: a prefix (`my-mcp` gives
    /// <https://my-mcp.auth.REGION.amazoncognito.com>) or a custom domain (`auth.example.com`).
    /// Default: the pool name plus a random suffix.
    #[arg(long, conflicts_with = "no_domain")]
    domain: Option<String>,
    /// No domain: the server's own sign-in page signs users in instead of the hosted UI.
    #[arg(long)]
    no_domain: bool,
    /// Native mode: the pool itself is the MCP clients' authorization server (its dynamic
    /// client registration, client ID metadata documents and resource binding); the server only
    /// verifies tokens bound to it. Needs the domain and the Essentials or Plus plan.
    #[arg(long, conflicts_with_all = ["no_domain", "callback_urls"])]
    native: bool,
    /// The URL MCP clients reach the server at, without /mcp.
    #[arg(long, default_value = "http://localhost:8080")]
    public_url: String,
    /// The app client's callback URL; repeat for several. Default: PUBLIC_URL/auth/callback.
    #[arg(long = "callback-url", value_name = "URL")]
    callback_urls: Vec<String>,
    /// The AWS region of the pool (default: AWS_REGION, else us-east-1).
    #[arg(long)]
    region: Option<String>,
    /// The user pool's name.
    #[arg(long, default_value = "cognito-mcp")]
    pool_name: String,
    /// Replace an existing config file.
    #[arg(long)]
    force: bool,
}

/// `--oauth` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum OAuthProvider {
    /// Amazon Cognito.
    Cognito,
}

/// A TOML string (a JSON string is a TOML basic string).
fn q(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

fn list(items: &[String]) -> String {
    format!(
        "[{}]",
        items.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
    )
}

/// A domain prefix from the pool name plus 8 random hex digits (prefixes are global).
fn default_prefix(pool_name: &str) -> anyhow::Result<String> {
    let mut stem: String = pool_name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    for word in ["aws", "amazon", "cognito"] {
        stem = stem.replace(word, "");
    }
    let stem: String = stem
        .split('-')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let stem = if stem.is_empty() {
        "mcp".to_owned()
    } else {
        stem
    };
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let suffix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let stem: String = stem.chars().take(63 - 9).collect();
    Ok(format!("{}-{suffix}", stem.trim_end_matches('-')))
}

pub(super) fn run(args: &InitArgs, path: &Path) -> anyhow::Result<()> {
    if path.exists() && !args.force {
        anyhow::bail!(
            "{} already exists; keep it, or pass --force to replace it",
            path.display()
        );
    }
    let text = render(args)?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!(
        "wrote {0}; next: cognito-mcp --config {0} deploy template --format cloudformation \
         --output cognito-mcp.template.json (docs/deployment.md)",
        path.display()
    );
    Ok(())
}

fn render(args: &InitArgs) -> anyhow::Result<String> {
    let region = args
        .region
        .clone()
        .or_else(|| std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty()))
        .unwrap_or_else(|| cognito_mcp_auth::config::DEFAULT_REGION.to_owned());
    if !crate::config::is_region(&region) {
        anyhow::bail!("--region {region:?} is not an AWS region; use one such as us-east-1");
    }
    let public_url = args.public_url.trim_end_matches('/').to_owned();
    if !(public_url.starts_with("https://") || public_url.starts_with("http://")) {
        anyhow::bail!("--public-url {public_url:?} is not an http(s) URL");
    }
    let callbacks = if args.callback_urls.is_empty() {
        vec![format!("{public_url}/auth/callback")]
    } else {
        args.callback_urls.clone()
    };
    let domain = if args.no_domain {
        None
    } else {
        let raw = match &args.domain {
            Some(d) => d.clone(),
            None => default_prefix(&args.pool_name)?,
        };
        Some(Domain::parse(&raw).map_err(|p| anyhow::anyhow!("--domain: {p}"))?)
    };
    let (deploy_domain, auth_domain) = match &domain {
        Some(d) => {
            let raw = match d {
                Domain::Prefix(p) | Domain::Custom(p) => p.clone(),
            };
            (
                format!("domain = {}", q(&raw)),
                format!(
                    "# The hosted UI signs users in (the [deploy] domain below).\n\
                     domain = {}",
                    q(&d.url(&region))
                ),
            )
        }
        None => (
            "# domain = \"my-mcp\"  # none: the server's sign-in page signs users in".to_owned(),
            "# No domain: the server's own sign-in page signs users in ([auth.login]).".to_owned(),
        ),
    };
    let auth = if args.native {
        let rs = format!("{public_url}/mcp");
        format!(
            r#"[auth]
# Native mode: the pool is the MCP clients' authorization server. They register with it
# (dynamic client registration, [deploy] dcr) or sign in by a client ID metadata document
# ([auth.cimd]), and ask for tokens bound to this server (resource); this server verifies them.
mode = "native"
# The resource server is named for the MCP URL, the resource tokens are bound to; its scopes
# are {rs}/read, /write and /admin.
resource_server = {rs_q}

# The scopes each Cognito group grants (the template creates these groups).
[auth.group_scopes]
Admins = [{read}, {write}, {admin}]
Developers = [{read}, {write}]
ReadOnly = [{read}]

# Client ID metadata documents: the https URLs (* a wildcard, at most 5 patterns) of the MCP
# clients' documents the pool accepts. The template makes them a CIMD policy. For example:
# url_patterns = ["https://clients.example.com/mcp/*"]
[auth.cimd]
url_patterns = []
"#,
            rs_q = q(&rs),
            read = q(&format!("{rs}/read")),
            write = q(&format!("{rs}/write")),
            admin = q(&format!("{rs}/admin")),
        )
    } else {
        let defaults = cognito_mcp_auth::DcrPolicy::for_resource_server("mcp");
        format!(
            r#"[auth]
# Verify Cognito tokens, and act as the OAuth authorization server MCP clients register with;
# sign-in itself is Cognito's. (`deploy init --native` makes the pool the authorization server.)
enabled = true
provider = "cognito"
# The Cognito app client's callback URLs: this server's /auth/callback.
callback_urls = {callbacks}
{auth_domain}
# The resource server whose scopes tools need: mcp/read, mcp/write, mcp/admin.
resource_server = "mcp"
# Where the authorization server keeps registrations and grants: "embedded" (one instance) or
# "redis" (several instances, or Lambda; set COGNITO_MCP_REDIS_URL and COGNITO_MCP_STATE_KEY).
store = "embedded"

# The scopes each Cognito group grants (the template creates these groups).
[auth.group_scopes]
Admins = ["mcp/read", "mcp/write", "mcp/admin"]
Developers = ["mcp/read", "mcp/write"]
ReadOnly = ["mcp/read"]

# Dynamic client registration for MCP clients.
[auth.dcr]
enabled = true
# Clients whose names match are public (PKCE, no secret).
public_client_patterns = {patterns}
default_scopes = {default_scopes}
allowed_scopes = {allowed_scopes}
"#,
            callbacks = list(&callbacks),
            patterns = list(&defaults.public_client_patterns),
            default_scopes = list(&defaults.default_scopes),
            allowed_scopes = list(&defaults.allowed_scopes),
        )
    };
    let dcr = if args.native {
        "# Native mode: dynamic client registration at the pool. \"open\" lets anyone register an
# app client (MCP clients have no initial access token), and so fill the pool's app-client
# quota; \"authenticated\" takes only an initial access token with aws.cognito/dcr/register;
# \"off\" leaves clients the metadata documents of [auth.cimd].
dcr = \"open\"
"
    } else {
        ""
    };
    Ok(format!(
        r#"# cognito-mcp configuration, written by `cognito-mcp deploy init --oauth cognito`.
#
# The server reads [cognito], [server] and [auth]; environment variables override them
# (docs/configuration.md). `cognito-mcp deploy template` turns [deploy], with the scopes and
# groups of [auth], into the pool's infrastructure (docs/deployment.md).

[cognito]
region = {region}
# After the stack is deployed, set these from its outputs (UserPoolId, ClientId), here or as
# COGNITO_USER_POOL_ID and COGNITO_CLIENT_ID; the client secret only as COGNITO_CLIENT_SECRET.
# user_pool_id = "{region_raw}_XXXXXXXXX"
# client_id = "..."

[server]
# The URL MCP clients reach this server at, without /mcp.
public_url = {public_url}

{auth}
# The infrastructure `cognito-mcp deploy template` generates.
[deploy]
pool_name = {pool_name}
# A prefix gives https://PREFIX.auth.REGION.amazoncognito.com; a name with dots is a custom
# domain (the template then asks for its ACM certificate).
{deploy_domain}
# "off", "optional" or "required": TOTP authenticator apps.
mfa = "optional"
# Only administrators create users: no self sign-up.
admin_only = true
# Also allow ADMIN_USER_PASSWORD_AUTH (for `cognito-mcp token` and the sign-in page's
# admin_password flow); SRP and refresh are always allowed.
password_flows = false
# CloudFormation refuses to delete the pool while this is on.
deletion_protection = true
# "lite", "essentials" or "plus": the pre-token trigger changes access tokens on essentials or plus.
feature_plan = "essentials"
# The pre-token-generation trigger (crate pre-token-trigger): group scopes into access tokens,
# custom attributes marked `claim = true` into tokens.
pre_token_trigger = false
{dcr}# The server itself on AWS Lambda, behind a Function URL.
lambda = false
# An IAM role for the server, with exactly the policy `cognito-mcp iam-policy` prints.
server_role = true
# The AWS service that assumes that role when the server is not on Lambda.
server_role_service = "ecs-tasks.amazonaws.com"

# The resource server's scopes (name = description).
[deploy.scopes]
read = "Read users, groups and the pool"
write = "Create and change users and groups"
admin = "Delete users, reset passwords, sign users out"

# At least 12 characters with every class is the recommended floor.
[deploy.password_policy]
min_length = 12
require_lowercase = true
require_uppercase = true
require_numbers = true
require_symbols = true
temporary_password_validity_days = 7

# Custom attributes (users have them as custom:NAME). `claim = true` puts the attribute into
# tokens through the pre-token trigger.
[[deploy.custom_attributes]]
name = "department"
type = "String"
mutable = true
claim = false

# Federation: SAML or OIDC identity providers (they need the domain). Uncomment to use.
# [[deploy.identity_providers]]
# name = "Okta"
# type = "SAML"
# metadata_url = "https://example.okta.com/app/abc123/sso/saml/metadata"
# attribute_mapping = {{ email = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress" }}
#
# [[deploy.identity_providers]]
# name = "Corp"
# type = "OIDC"
# issuer = "https://login.example.com"
# client_id = "cognito-mcp"
# # Its client secret is a template parameter (NoEcho), never in this file.
# scopes = ["openid", "email", "profile"]
# attribute_mapping = {{ email = "email" }}
"#,
        region = q(&region),
        region_raw = region,
        public_url = q(&public_url),
        pool_name = q(&args.pool_name),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_prefixes_are_valid_and_differ() {
        let a = default_prefix("cognito-mcp").expect("prefix");
        let b = default_prefix("cognito-mcp").expect("prefix");
        assert_ne!(a, b);
        assert!(matches!(Domain::parse(&a), Ok(Domain::Prefix(_))), "{a}");
        let long = default_prefix(&"x".repeat(200)).expect("prefix");
        assert!(
            matches!(Domain::parse(&long), Ok(Domain::Prefix(_))),
            "{long}"
        );
    }
}
