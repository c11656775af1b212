//! `cognito-mcp install CLIENT`: writes (or merges) this server's entry into an MCP client's
//! configuration file at its standard path, with the environment it needs (region, pool,
//! profile; never a credential), keeping every other entry and the file's comments, backing the
//! file up first, and refusing to replace an entry of the same name without `--force`.
//! `--dry-run` shows the change as a diff; `mcp-json` only prints the entry.

mod clients;
mod edit;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

pub(crate) use self::clients::{Client, Scope};
use self::clients::{Dirs, Launch};
use self::edit::add_entry;

/// `install`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct InstallArgs {
    /// The MCP client whose configuration to write.
    #[arg(value_enum)]
    client: Client,
    /// The entry's name in the client.
    #[arg(long, default_value = "cognito-mcp")]
    name: String,
    /// The AWS Region of the pool (written as AWS_REGION; default the pool id's Region, else
    /// AWS_REGION).
    #[arg(long)]
    region: Option<String>,
    /// The user pool id (COGNITO_USER_POOL_ID; default from the environment).
    #[arg(long, value_name = "ID")]
    pool_id: Option<String>,
    /// The AWS profile whose credentials the server uses (AWS_PROFILE; default from the
    /// environment, else the client's own environment). Credentials are never written.
    #[arg(long)]
    profile: Option<String>,
    /// Serve only the tools that change nothing.
    #[arg(long)]
    read_only: bool,
    /// A remote cognito-mcp's URL (https://.../mcp) instead of a local server.
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// A configuration file for the local server (passed as --config).
    #[arg(long, value_name = "PATH")]
    server_config: Option<PathBuf>,
    /// The user's configuration (default) or the project's, in the current directory.
    #[arg(long, value_enum, default_value_t = Scope::User)]
    scope: Scope,
    /// Write this file instead of the client's standard one.
    #[arg(long, value_name = "PATH")]
    file: Option<PathBuf>,
    /// How the client starts the server: this binary by its full path, or `npx` / `uvx` with
    /// this version's package (the default when this binary was started by one of them).
    #[arg(long, value_enum)]
    launcher: Option<Launcher>,
    /// The command the client runs (default this binary's full path).
    #[arg(long, value_name = "PATH", conflicts_with = "launcher")]
    command: Option<String>,
    /// Replace an entry of the same name.
    #[arg(long)]
    force: bool,
    /// Show the change as a diff and write nothing.
    #[arg(long)]
    dry_run: bool,
}

/// How an MCP client starts the local server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Launcher {
    /// This binary, by its full path.
    Path,
    /// `npx -y cognito-mcp@VERSION` (the npm package).
    Npx,
    /// `uvx cognito-mcp@VERSION` (the PyPI package).
    Uvx,
}

impl Launcher {
    /// The launcher that started this binary: the npm package's launcher says so in
    /// `COGNITO_MCP_LAUNCHER`, and `uvx` / `pipx run` run it from their caches, paths that
    /// a client's entry should not name because they are cleaned.
    fn detect(env: &dyn Fn(&str) -> Option<String>, exe: &Path) -> Self {
        if env("COGNITO_MCP_LAUNCHER").as_deref() == Some("npx") {
            return Self::Npx;
        }
        let parts: Vec<String> = exe
            .components()
            .map(|c| c.as_os_str().to_string_lossy().to_lowercase())
            .collect();
        let in_uv_cache = parts
            .windows(2)
            .any(|w| w[0] == "uv" && w[1].starts_with("archive-v"));
        let in_pipx_cache = parts.windows(2).any(|w| w[0] == "pipx" && w[1] == ".cache");
        if in_uv_cache || in_pipx_cache {
            Self::Uvx
        } else {
            Self::Path
        }
    }
}

/// A pool id's Region: `eu-west-1_AbC123` is in `eu-west-1`.
fn region_of(pool_id: &str) -> Option<&str> {
    pool_id
        .split_once('_')
        .map(|(r, _)| r)
        .filter(|r| crate::config::is_region(r))
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl InstallArgs {
    /// What the entry runs or reaches, from the arguments and `env`.
    fn launch(&self, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Launch> {
        if let Some(url) = &self.url {
            let ok = url.starts_with("https://")
                || ["http://localhost", "http://127.0.0.1", "http://[::1]"]
                    .iter()
                    .any(|p| url.starts_with(p));
            if !ok || url::Url::parse(url).is_err() {
                bail!(
                    "--url is {url:?}; give the server's https:// URL ending in /mcp \
                     (http:// only for localhost)"
                );
            }
            return Ok(Launch::Http { url: url.clone() });
        }
        let pool_id = non_empty(self.pool_id.clone())
            .or_else(|| non_empty(env("COGNITO_USER_POOL_ID")))
            .context(
                "install needs the user pool: pass --pool-id (for example --pool-id \
                 eu-west-1_AbCdEf123) or set COGNITO_USER_POOL_ID",
            )?;
        let Some(pool_region) = region_of(&pool_id) else {
            bail!(
                "--pool-id is {pool_id:?}, which is not a pool id; it looks like \
                 REGION_ID, for example eu-west-1_AbCdEf123"
            );
        };
        let region = non_empty(self.region.clone()).unwrap_or_else(|| pool_region.to_owned());
        if region != pool_region {
            bail!(
                "--region is {region} but the pool {pool_id} is in {pool_region}; leave out \
                 --region, or name the pool of that Region"
            );
        }
        let mut args = vec!["serve".to_owned()];
        if self.read_only {
            args.push("--read-only".into());
        }
        if let Some(config) = &self.server_config {
            let full = std::path::absolute(config)
                .with_context(|| format!("--server-config {}", config.display()))?;
            if !full.is_file() {
                bail!("--server-config {} is not a file", full.display());
            }
            args.push("--config".into());
            args.push(full.display().to_string());
        }
        let mut vars = vec![
            ("AWS_REGION".to_owned(), region),
            ("COGNITO_USER_POOL_ID".to_owned(), pool_id),
        ];
        if let Some(profile) =
            non_empty(self.profile.clone()).or_else(|| non_empty(env("AWS_PROFILE")))
        {
            vars.push(("AWS_PROFILE".to_owned(), profile));
        }
        let exe = std::env::current_exe();
        let launcher = match (self.launcher, &exe) {
            (Some(l), _) => l,
            (None, Ok(exe)) if self.command.is_none() => Launcher::detect(env, exe),
            (None, _) => Launcher::Path,
        };
        let package = format!("cognito-mcp@{}", env!("CARGO_PKG_VERSION"));
        let command = match (launcher, &self.command) {
            (Launcher::Npx, _) => {
                args.splice(0..0, ["-y".to_owned(), package]);
                "npx".to_owned()
            }
            (Launcher::Uvx, _) => {
                args.insert(0, package);
                "uvx".to_owned()
            }
            (Launcher::Path, Some(c)) => c.clone(),
            (Launcher::Path, None) => exe
                .context("cannot tell this program's path; pass --command")?
                .display()
                .to_string(),
        };
        Ok(Launch::Stdio {
            command,
            args,
            env: vars,
        })
    }
}

/// The directories of this user and the current directory.
fn dirs_here() -> anyhow::Result<Dirs> {
    let home = dirs::home_dir().context("cannot tell the home directory; pass --file")?;
    let config =
        dirs::config_dir().context("cannot tell the configuration directory; pass --file")?;
    Ok(Dirs {
        home,
        config,
        project: std::env::current_dir().context("cannot tell the current directory")?,
    })
}

/// Runs `install`; `out` receives what it prints.
pub(crate) fn run(args: &InstallArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let env = |k: &str| std::env::var(k).ok();
    if args.name.trim().is_empty() {
        bail!("--name is empty; give the entry a name, for example --name cognito-mcp");
    }
    let launch = args.launch(&env)?;
    let fields = args.client.entry(&launch).map_err(anyhow::Error::msg)?;
    if args.client == Client::McpJson {
        write!(out, "{}", edit::document("mcpServers", &args.name, &fields))?;
        return Ok(());
    }
    let path = match &args.file {
        Some(f) => f.clone(),
        None => args
            .client
            .path(args.scope, &dirs_here()?)
            .map_err(anyhow::Error::msg)?,
    };
    let before = match std::fs::read_to_string(&path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => bail!("cannot read {}: {e}", path.display()),
    };
    let after = add_entry(
        before.as_deref().unwrap_or(""),
        args.client.servers_key(),
        &args.name,
        &fields,
        args.force,
    )
    .map_err(|e| anyhow::anyhow!("{} {e}; it was not changed", path.display()))?;
    if args.dry_run {
        let old = before.as_deref().unwrap_or("");
        let diff = similar::TextDiff::from_lines(old, &after);
        let label = path.display().to_string();
        write!(
            out,
            "{}",
            diff.unified_diff().header(
                if before.is_some() {
                    &label
                } else {
                    "/dev/null"
                },
                &label
            )
        )?;
        writeln!(out, "(dry run: {} was not changed)", path.display())?;
        return Ok(());
    }
    let backup = match &before {
        Some(old) => Some(back_up(&path, old)?),
        None => None,
    };
    write_atomically(&path, &after)?;
    writeln!(
        out,
        "wrote {:?} to {}{}; restart {} (or reload its MCP servers) to use it",
        args.name,
        path.display(),
        backup
            .map(|b| format!(" (the previous file is in {})", b.display()))
            .unwrap_or_default(),
        args.client.name()
    )?;
    Ok(())
}

/// Copies `path`'s content `old` to `path.bak` (or `.bak.1`, `.bak.2`, ... if taken).
fn back_up(path: &Path, old: &str) -> anyhow::Result<PathBuf> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut candidate = path.with_file_name(format!("{name}.bak"));
    let mut n = 1;
    while candidate.exists() {
        candidate = path.with_file_name(format!("{name}.bak.{n}"));
        n += 1;
    }
    std::fs::write(&candidate, old)
        .with_context(|| format!("cannot back up to {}", candidate.display()))?;
    copy_permissions(path, &candidate);
    Ok(candidate)
}

#[cfg(unix)]
fn copy_permissions(from: &Path, to: &Path) {
    if let Ok(m) = std::fs::metadata(from) {
        let _ = std::fs::set_permissions(to, m.permissions());
    }
}

#[cfg(not(unix))]
fn copy_permissions(_: &Path, _: &Path) {}

/// Writes `text` to `path` through a temporary file in the same directory and a rename, so a
/// crash leaves the old file or the new one, never half of one; keeps the old file's
/// permissions (Claude Code's file is private to the user).
fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = dir.join(format!(
        ".{}.cognito-mcp-{}",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        copy_permissions(path, &tmp);
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        bail!("cannot write {}: {e}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Launcher;
    use std::path::Path;

    fn detect(launcher_env: Option<&str>, exe: &str) -> Launcher {
        let env = |k: &str| {
            (k == "COGNITO_MCP_LAUNCHER")
                .then_some(launcher_env)
                .flatten()
        };
        Launcher::detect(&|k| env(k).map(str::to_owned), Path::new(exe))
    }

    #[test]
    fn the_npm_launcher_says_so() {
        assert_eq!(
            detect(
                Some("npx"),
                "/home/a/.npm/_npx/1f2e/node_modules/@cognito-mcp/linux-x64/bin/cognito-mcp"
            ),
            Launcher::Npx
        );
    }

    #[test]
    fn uvx_and_pipx_run_from_their_caches() {
        assert_eq!(
            detect(None, "/home/a/.cache/uv/archive-v0/Xy12/bin/cognito-mcp"),
            Launcher::Uvx
        );
        assert_eq!(
            detect(None, "/home/a/.local/pipx/.cache/3b2a/bin/cognito-mcp"),
            Launcher::Uvx
        );
    }

    #[test]
    fn an_installed_binary_is_named_by_its_path() {
        for exe in [
            "/home/a/.cargo/bin/cognito-mcp",
            "/home/a/.local/share/uv/tools/cognito-mcp/bin/cognito-mcp",
            "/usr/local/bin/cognito-mcp",
        ] {
            assert_eq!(detect(None, exe), Launcher::Path, "{exe}");
        }
    }
}
