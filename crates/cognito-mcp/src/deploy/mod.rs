//! `cognito-mcp deploy`: write the config (`init`), then the infrastructure from it
//! (`template`, as CloudFormation or a CDK app).

mod cdk;
mod checks;
mod init;
mod lambda_secrets;
mod model;
mod native;
mod spec;
mod template;

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::config::Settings;

/// Where `deploy` reads and writes the config when `--config` names none.
pub(crate) const DEFAULT_CONFIG: &str = "cognito-mcp.toml";

/// `deploy` subcommands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum DeployCommand {
    /// Write the project's config file (`--config`, default ./cognito-mcp.toml), with commented
    /// defaults: the server's `[cognito]`, `[server]` and `[auth]` tables, and a `[deploy]` table for
    /// the pool's infrastructure.
    Init(init::InitArgs),
    /// Generate the infrastructure from the config: the pool, its resource server, app
    /// client, domain, groups, and optionally identity providers, the pre-token trigger, the
    /// server's IAM role and the server on Lambda.
    Template(TemplateArgs),
}

/// Options of `deploy template`.
#[derive(Debug, clap::Args)]
pub(crate) struct TemplateArgs {
    /// What to write.
    #[arg(long, value_enum, default_value_t = Format::Cloudformation)]
    format: Format,
    /// Where to write: a file for CloudFormation (default: standard output), a directory for
    /// CDK (default ./infrastructure).
    #[arg(long, value_name = "PATH")]
    output: Option<PathBuf>,
}

/// Template formats.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    /// A CloudFormation template (JSON), for `aws cloudformation deploy`.
    Cloudformation,
    /// A CDK app in TypeScript, for `cdk deploy`.
    Cdk,
}

/// Runs a `deploy` subcommand with the config at `config` (or [`DEFAULT_CONFIG`]).
pub(crate) fn run(command: &DeployCommand, config: Option<&Path>) -> anyhow::Result<()> {
    let path = config.unwrap_or(Path::new(DEFAULT_CONFIG));
    match command {
        DeployCommand::Init(args) => init::run(args, path),
        DeployCommand::Template(args) => {
            if !path.exists() {
                anyhow::bail!(
                    "there is no config file at {}; write one with `cognito-mcp deploy init \
                     --oauth cognito`, or name yours with --config",
                    path.display()
                );
            }
            let settings = Settings::load(Some(path), &|k| std::env::var(k).ok())
                .map_err(|p| anyhow::anyhow!("{p}"))?;
            let template = template_of(&settings)?;
            match args.format {
                Format::Cloudformation => {
                    let text = serde_json::to_string_pretty(&template.cloudformation())? + "\n";
                    match &args.output {
                        Some(file) => {
                            std::fs::write(file, text)
                                .with_context(|| format!("cannot write {}", file.display()))?;
                            eprintln!("wrote {}", file.display());
                        }
                        None => print!("{text}"),
                    }
                }
                Format::Cdk => {
                    let dir = args
                        .output
                        .clone()
                        .unwrap_or_else(|| PathBuf::from("infrastructure"));
                    for (name, text) in cdk::app(&template) {
                        let file = dir.join(name);
                        if let Some(parent) = file.parent() {
                            std::fs::create_dir_all(parent)
                                .with_context(|| format!("cannot create {}", parent.display()))?;
                        }
                        std::fs::write(&file, text)
                            .with_context(|| format!("cannot write {}", file.display()))?;
                    }
                    eprintln!(
                        "wrote the CDK app to {0}; then: cd {0} && npm install && npx cdk synth",
                        dir.display()
                    );
                }
            }
            Ok(())
        }
    }
}

/// The template of `settings`' `[deploy]` table (defaults when the file has none).
pub(crate) fn template_of(settings: &Settings) -> anyhow::Result<model::Template> {
    let file = settings.deploy.clone().unwrap_or_default();
    let spec = spec::DeploySpec::from_file(&file).map_err(lines)?;
    template::build(settings, &spec).map_err(lines)
}

fn lines(problems: Vec<crate::config::Problem>) -> anyhow::Error {
    anyhow::anyhow!(
        "the config cannot become a template:\n{}",
        problems
            .iter()
            .map(|p| format!("  - {p}"))
            .collect::<Vec<_>>()
            .join("\n")
    )
}
