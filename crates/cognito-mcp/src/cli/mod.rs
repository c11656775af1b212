//! The command line: `serve`, `check`, `iam-policy`, `bootstrap`, `deploy`, `install`,
//! `token`, `completions` and `man`.

pub(crate) mod bootstrap;
pub(crate) mod check;
mod identity_pool;
mod native;
pub(crate) mod protected;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use cognito_admin::CognitoAdmin;
use cognito_admin::audit::AuditLog;
use rmcp::ServiceExt;

use crate::config::Settings;
use crate::mcp::{confirm_state, server};
use crate::policy::{ToolPolicy, ToolScopes};
use crate::transport::http;
#[cfg(feature = "lambda")]
use crate::transport::lambda;
use crate::{aws, config, deploy, policy};

/// Administer an Amazon Cognito user pool from AI agents, over MCP.
#[derive(Debug, Parser)]
#[command(name = "cognito-mcp", version, about, long_about = None)]
struct Cli {
    /// A TOML configuration file (environment variables override it).
    #[arg(long, global = true, env = "COGNITO_MCP_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
    /// How log lines on standard error look: text, or json (one JSON object a line, for log
    /// pipelines such as CloudWatch Logs Insights or Loki).
    #[arg(
        long,
        global = true,
        env = "COGNITO_MCP_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// The format of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    /// `2026-12-03T10:00:00Z  INFO message key=value`.
    Text,
    /// `{"timestamp":"...","level":"INFO","fields":{"message":"...","key":"value"}}`.
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the MCP server.
    Serve {
        /// List and allow only the tools that change nothing.
        #[arg(long)]
        read_only: bool,
        /// The MCP transport.
        #[arg(long, value_enum, default_value_t = Transport::Stdio)]
        transport: Transport,
        /// With --transport http: the address to listen on (default 127.0.0.1:8080;
        /// COGNITO_MCP_BIND, server.bind).
        #[arg(long, value_name = "ADDR")]
        bind: Option<String>,
        /// With --transport http or lambda: the URL clients reach this server at, without /mcp
        /// (default http://BIND, on Lambda https:// and the domain of the first request;
        /// COGNITO_MCP_PUBLIC_URL, server.public_url).
        #[arg(long, value_name = "URL")]
        public_url: Option<String>,
    },
    /// Validate the configuration and reach the pool; prints one line per finding.
    Check,
    /// Print the least-privilege IAM policy for the enabled tools.
    IamPolicy {
        /// Policy for read-only mode.
        #[arg(long)]
        read_only: bool,
        /// The AWS account id for the pool ARN (default: any account, `*`).
        #[arg(long)]
        account_id: Option<String>,
        /// Instead: each Cognito group's role for `[aws] act_as = "caller"`.
        #[arg(long)]
        group_roles: bool,
    },
    /// Create a user pool, an app client, the groups Admins, Developers and ReadOnly, and a
    /// first admin user.
    Bootstrap(bootstrap::BootstrapArgs),
    /// Write the config (`init`), then the pool's infrastructure from it (`template`).
    Deploy {
        #[command(subcommand)]
        command: deploy::DeployCommand,
    },
    /// Add this server to an MCP client's configuration (Claude Desktop, Claude Code, Cursor,
    /// VS Code, Windsurf), or print the entry (mcp-json).
    Install(crate::install::InstallArgs),
    /// Print the completion script for a shell: `source <(cognito-mcp completions bash)`, or
    /// see docs/configuration.md for each shell's place.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `cognito-mcp man | man -l -`.
    Man,
    /// Sign a user in (AdminInitiateAuth) and print their tokens, for testing.
    Token {
        /// The username.
        #[arg(long)]
        username: String,
        /// Read the password from standard input (one line). Required: passwords never go on
        /// the command line.
        #[arg(long)]
        password_stdin: bool,
        /// What to print: the JSON answer, the access token alone, or the id token alone.
        #[arg(long, value_enum, default_value_t = TokenOutput::Json)]
        print: TokenOutput,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum TokenOutput {
    /// `{"access_token", "id_token", "expires_in", "token_type"}`.
    Json,
    /// The access token alone.
    Access,
    /// The id token alone.
    Id,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Transport {
    /// Standard input and output (Claude Desktop, Cursor, VS Code, Inspector).
    Stdio,
    /// Streamable HTTP at /mcp, every caller holding a Cognito token.
    Http,
    /// The HTTP transport on AWS Lambda, behind an API Gateway HTTP API or a Function URL
    /// (what `bootstrap` with no arguments does when Lambda starts it).
    #[cfg(feature = "lambda")]
    Lambda,
}

impl Transport {
    /// Whether the host freezes the process once it has answered (AWS Lambda), so work must
    /// not be left in queues (audit lines are then written before the answer).
    fn freezes_after_answering(self) -> bool {
        #[cfg(feature = "lambda")]
        if matches!(self, Transport::Lambda) {
            return true;
        }
        false
    }
}

/// Targets whose debug and trace events carry whole MCP messages or HTTP bodies (tool
/// arguments, so passwords). Whatever `RUST_LOG` says, they log at info at most.
const PAYLOAD_TARGETS: &[&str] = &[
    "rmcp",
    "aws_smithy_runtime",
    "aws_smithy_http",
    "hyper",
    "h2",
];

/// Logs to standard error, and with `traces` the trace spans to their collector (whose
/// exporter is returned, to export the last spans at exit).
fn init_logging(
    format: LogFormat,
    traces: Option<&config::TracesSettings>,
) -> anyhow::Result<Option<crate::traces::Exporter>> {
    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::filter::filter_fn;
    use tracing_subscriber::prelude::*;

    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("cognito_mcp=info,warn"));
    let no_payloads = filter_fn(|meta| {
        // The trace spans are for the exporter: log lines stay as they are without them.
        !crate::spans::exported(meta)
            && (*meta.level() <= tracing::Level::INFO
                || !PAYLOAD_TARGETS
                    .iter()
                    .any(|t| meta.target() == *t || meta.target().starts_with(&format!("{t}::"))))
    });
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false);
    let layer = match format {
        LogFormat::Text => layer.boxed(),
        LogFormat::Json => layer.json().boxed(),
    };
    let (exporter, spans) = crate::traces::start(traces)?;
    tracing_subscriber::registry()
        .with(spans)
        .with(layer.with_filter(no_payloads).with_filter(filter))
        .init();
    Ok(exporter)
}

/// The trace settings `serve` runs with, to set up before anything is logged; none for the
/// other commands, or when the settings do not load (`serve` then says why).
fn traces_to_start(cli: &Cli) -> Option<config::TracesSettings> {
    match &cli.command {
        Command::Serve { read_only, .. } => load(cli, *read_only).ok()?.traces,
        _ => None,
    }
}

fn load(cli: &Cli, read_only_flag: bool) -> Result<Settings, config::Problem> {
    let mut settings = Settings::load(cli.config.as_deref(), &|k| std::env::var(k).ok())?;
    settings.read_only |= read_only_flag;
    Ok(settings)
}

/// The command line. Lambda's `provided` runtimes start `bootstrap` with no arguments: then,
/// and only when the Lambda runtime started the process, it means `serve --transport lambda`.
fn args() -> Vec<std::ffi::OsString> {
    #[cfg_attr(not(feature = "lambda"), allow(unused_mut))]
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    #[cfg(feature = "lambda")]
    if args.len() == 1 && lambda::launched_by_lambda() {
        args.extend(["serve", "--transport", "lambda"].map(Into::into));
    }
    args
}

/// Runs the command line; `main.rs` calls only this.
pub fn main() -> ExitCode {
    let cli = Cli::parse_from(args());
    // One worker thread unless TOKIO_WORKER_THREADS says otherwise: Cognito's quotas (tens of
    // requests per second per account) bound the real work far below what one core serves
    // (about 20,000 authenticated calls a second), and one worker spends a third less CPU
    // per call than two that steal work from each other (docs/benchmarks.md).
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if std::env::var_os("TOKIO_WORKER_THREADS").is_none() {
        builder.worker_threads(1);
    }
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Inside the runtime: the traces' batch processor is one of its tasks.
    let exporter = match runtime
        .block_on(async { init_logging(cli.log_format, traces_to_start(&cli).as_ref()) })
    {
        Ok(exporter) => exporter,
        Err(e) => {
            eprintln!("error: cannot start the traces' export: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(run(cli));
    // Out of the runtime's tasks, which still run the export: the last spans are sent now.
    if let Some(exporter) = exporter {
        exporter.shutdown();
    }
    code
}

async fn run(cli: Cli) -> ExitCode {
    match &cli.command {
        Command::Check => {
            let settings = match load(&cli, false) {
                Ok(s) => s,
                Err(p) => {
                    println!("error: {p}");
                    return ExitCode::FAILURE;
                }
            };
            if check::run(&settings).await {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Command::IamPolicy {
            read_only,
            account_id,
            group_roles,
        } => {
            let settings = match load(&cli, *read_only) {
                Ok(s) => s,
                Err(p) => {
                    eprintln!("error: {p}");
                    return ExitCode::FAILURE;
                }
            };
            let problems: Vec<_> = settings
                .problems()
                .into_iter()
                // The policy needs neither the pool nor the app client nor Redis to exist yet
                // (it is printed before a deploy too).
                .filter(|p| {
                    let m = p.message();
                    !m.starts_with("COGNITO_USER_POOL_ID is not set")
                        && !m.contains("set COGNITO_CLIENT_ID")
                        && !m.starts_with("auth.store is \"redis\" but no Redis server")
                })
                .collect();
            if !problems.is_empty() {
                for p in problems {
                    eprintln!("error: {p}");
                }
                return ExitCode::FAILURE;
            }
            if settings.auth.user_pool_id.is_none() {
                eprintln!(
                    "note: COGNITO_USER_POOL_ID is not set, so the policy covers every pool of the region"
                );
            }
            let doc = if *group_roles {
                crate::group_roles::group_roles(&settings, account_id.as_deref())
            } else {
                policy::server_policy(
                    &settings,
                    account_id.as_deref(),
                    settings.auth.user_pool_id.as_deref(),
                )
            };
            println!(
                "{}",
                serde_json::to_string_pretty(&doc).expect("a JSON value serializes")
            );
            ExitCode::SUCCESS
        }
        Command::Bootstrap(args) => {
            let settings = match load(&cli, false) {
                Ok(s) => s,
                Err(p) => {
                    eprintln!("error: {p}");
                    return ExitCode::FAILURE;
                }
            };
            match bootstrap::run(&settings, args).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Completions { shell } => {
            use clap::CommandFactory as _;
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "cognito-mcp",
                &mut std::io::stdout(),
            );
            ExitCode::SUCCESS
        }
        Command::Man => {
            use clap::CommandFactory as _;
            match clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: cannot write the manual page: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Install(args) => match crate::install::run(args, &mut std::io::stdout()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Deploy { command } => match deploy::run(command, cli.config.as_deref()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Token {
            username,
            password_stdin,
            print,
        } => match token(&cli, username, *password_stdin, *print).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Serve {
            read_only,
            transport,
            bind,
            public_url,
        } => {
            match serve(
                &cli,
                *read_only,
                *transport,
                bind.clone(),
                public_url.clone(),
            )
            .await
            {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    #[cfg(feature = "lambda")]
                    if matches!(transport, Transport::Lambda) && lambda::launched_by_lambda() {
                        lambda::report_init_error(&format!("{e:#}")).await;
                    }
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// Fails with every configuration problem, one per line, when the settings are not usable.
fn ensure_usable(problems: Vec<config::Problem>) -> anyhow::Result<()> {
    if !problems.is_empty() {
        let lines: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        anyhow::bail!("the configuration has problems:\n  {}", lines.join("\n  "));
    }
    Ok(())
}

/// Reads every secret setting that is a reference to AWS; `None` when none is. Fails with
/// every reference that cannot be read, each naming its setting and reference.
async fn read_secrets(
    settings: &Settings,
) -> anyhow::Result<Option<cognito_mcp_auth::secrets::SecretRefresher>> {
    cognito_mcp_auth::secrets::SecretRefresher::start(
        settings.secret_settings(),
        &settings.auth.region,
        settings.auth.secrets_refresh,
        &|k| std::env::var(k).ok(),
    )
    .await
    .map_err(|errors| {
        anyhow::anyhow!(
            "cannot read the secrets from AWS:\n  {}",
            cognito_mcp_auth::secrets::describe(&errors).replace('\n', "\n  ")
        )
    })
}

async fn token(
    cli: &Cli,
    username: &str,
    password_stdin: bool,
    print: TokenOutput,
) -> anyhow::Result<()> {
    use cognito_admin::signin::SignIn;
    let settings = load(cli, false).map_err(|p| anyhow::anyhow!("{p}"))?;
    ensure_usable(settings.problems())?;
    // Read once: the command ends long before a refresh.
    let _ = read_secrets(&settings).await?;
    let client_id = settings
        .auth
        .client_id
        .clone()
        .context("set COGNITO_CLIENT_ID to the app client to sign in through")?;
    if !password_stdin {
        anyhow::bail!("pass the password on standard input with --password-stdin");
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = cognito_admin::Secret::new(line.trim_end_matches(['\r', '\n']));
    if password.is_empty() {
        anyhow::bail!("standard input held no password");
    }
    let pool_id = settings
        .auth
        .user_pool_id
        .clone()
        .expect("checked by problems()");
    let admin = CognitoAdmin::new(aws::client(&settings).await, pool_id);
    let outcome = admin
        .admin_sign_in(
            &client_id,
            settings.auth.client_secret.as_ref().map(|s| s.value()),
            username,
            &password,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}. How to fix: {}", e.hint()))?;
    match outcome {
        SignIn::Tokens {
            access_token,
            id_token,
            expires_in,
        } => {
            match print {
                TokenOutput::Access => println!("{}", access_token.expose()),
                TokenOutput::Id => println!("{}", id_token.expose()),
                TokenOutput::Json => println!(
                    "{}",
                    serde_json::json!({
                        "access_token": access_token.expose(),
                        "id_token": id_token.expose(),
                        "expires_in": expires_in,
                        "token_type": "Bearer",
                    })
                ),
            }
            Ok(())
        }
        SignIn::Challenge { name } => {
            let what = match name.as_str() {
                "NEW_PASSWORD_REQUIRED" => {
                    "the user still has a temporary password: set a permanent one with the set_user_password tool (permanent: true)"
                }
                "SOFTWARE_TOKEN_MFA" | "SMS_MFA" | "EMAIL_OTP" => {
                    "the user has MFA: answer the code in an interactive sign-in"
                }
                "MFA_SETUP" => "the pool requires MFA and the user has none set up yet",
                _ => "answer it in an interactive sign-in",
            };
            anyhow::bail!("Cognito asks for the {name} challenge before it issues tokens: {what}")
        }
        _ => anyhow::bail!("Cognito answered with neither tokens nor a challenge"),
    }
}

async fn serve(
    cli: &Cli,
    read_only: bool,
    transport: Transport,
    bind: Option<String>,
    public_url: Option<String>,
) -> anyhow::Result<()> {
    let mut settings = load(cli, read_only).map_err(|p| anyhow::anyhow!("{p}"))?;
    if let Some(b) = bind {
        settings.http.bind = b;
    }
    if let Some(u) = public_url {
        settings.auth.public_url = Some(u.trim_end_matches('/').to_owned());
    }
    if matches!(transport, Transport::Stdio)
        && settings.act_as == crate::config::act_as::ActAs::Caller
    {
        anyhow::bail!(
            "aws.act_as is \"{}\", but over stdio there is no caller to act as: serve with \
             --transport http (proxy mode), where each request carries a signed-in user",
            settings.act_as.name()
        );
    }
    ensure_usable(settings.serve_problems())?;
    #[cfg(feature = "lambda")]
    if matches!(transport, Transport::Lambda) && settings.traces.is_some() {
        anyhow::bail!(
            "traces are on (COGNITO_MCP_TRACES or traces.enabled) but are not exported on AWS \
             Lambda, which freezes the process between invocations, so batches would wait: turn \
             them off for --transport lambda"
        );
    }
    // Every reference is read before anything uses a secret, and refreshed while serving.
    let _secrets_refresh = read_secrets(&settings).await?.map(|r| r.spawn());
    let confirm_states = confirm_state::ConfirmStates::for_serving(&settings)?;
    if confirm_states.source() == confirm_state::KeySource::Random {
        tracing::debug!(
            "confirmation states are keyed by a random key of this process: set \
             COGNITO_MCP_STATE_KEY for several instances behind one address"
        );
    }
    let pool_id = settings
        .auth
        .user_pool_id
        .clone()
        .expect("checked by problems()");
    let admin = aws::LazyAdmin::new(settings.clone(), pool_id.clone());
    let policy = ToolPolicy::from_settings(&settings);
    let audit = settings.audit_enabled.then(|| {
        let log = AuditLog::new(settings.audit_file.clone());
        Arc::new(if transport.freezes_after_answering() {
            log.into_inline()
        } else {
            log.into_background()
        })
    });
    let audit_path = audit
        .as_ref()
        .map(|a| a.path().display().to_string())
        .unwrap_or_else(|| "off".into());
    let enabled = policy.enabled().len();
    match transport {
        Transport::Stdio => {
            tracing::info!(
                pool = %pool_id,
                region = %settings.auth.region,
                read_only = settings.read_only,
                tools = enabled,
                audit = %audit_path,
                "serving MCP over stdio"
            );
            let server = server::CognitoMcp::new(admin, policy, audit, "local")
                .with_confirm_states(confirm_states)
                .with_auth(
                    std::sync::Arc::new(ToolScopes::from_settings(&settings)),
                    &settings.auth.scope_policy(),
                    settings
                        .auth
                        .verifier()
                        .context("the pool's token verifier")?,
                )
                .with_sign_in(settings.sign_in.clone());
            protected::warn_unresolved(&server);
            let running = server
                .serve(rmcp::transport::stdio())
                .await
                .context("the MCP handshake failed")?;
            running
                .waiting()
                .await
                .context("the MCP session ended with an error")?;
            Ok(())
        }
        Transport::Http => {
            tracing::info!(pool = %pool_id, tools = enabled, audit = %audit_path, "starting the HTTP transport");
            let server = server::CognitoMcp::new(admin, policy, audit, "anonymous")
                .with_confirm_states(confirm_states)
                .with_sign_in(settings.sign_in.clone());
            protected::warn_unresolved(&server);
            http::serve(settings, server).await
        }
        #[cfg(feature = "lambda")]
        Transport::Lambda => {
            tracing::info!(pool = %pool_id, tools = enabled, audit = %audit_path, "starting on AWS Lambda");
            let server = server::CognitoMcp::new(admin, policy, audit, "anonymous")
                .with_confirm_states(confirm_states)
                .with_sign_in(settings.sign_in.clone());
            protected::warn_unresolved(&server);
            lambda::serve(settings, server).await
        }
    }
}
