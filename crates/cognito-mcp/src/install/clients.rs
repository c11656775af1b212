//! What each MCP client reads: where its configuration file is, under which key it keeps its
//! servers, and how it spells a local (stdio) and a remote (HTTP) server.
//!
//! From each client's documentation (2026): Claude Desktop `claude_desktop_config.json`
//! (`mcpServers`, stdio only: remote servers are added as connectors in its settings); Claude
//! Code `~/.claude.json` for the user, `.mcp.json` in a project (`mcpServers`, with `type`);
//! Cursor `~/.cursor/mcp.json`, `.cursor/mcp.json` in a project (`mcpServers`, `url` for
//! remote); VS Code `mcp.json` in the user profile, `.vscode/mcp.json` in a workspace
//! (`servers`, with `type`; the file is JSONC); Windsurf `~/.codeium/windsurf/mcp_config.json`
//! (`mcpServers`, `serverUrl` for remote).

use std::path::{Path, PathBuf};

use clap::ValueEnum;

/// The clients `install` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Client {
    /// Claude Desktop.
    ClaudeDesktop,
    /// Claude Code.
    ClaudeCode,
    /// Cursor.
    Cursor,
    /// Visual Studio Code (GitHub Copilot's agent mode).
    Vscode,
    /// Windsurf.
    Windsurf,
    /// Print a generic `mcpServers` entry and write nothing.
    McpJson,
}

/// Whose configuration: the user's, or the project's in the current directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Scope {
    /// The user's configuration (every project).
    User,
    /// The project's, in the current directory (a file to commit and share).
    Project,
}

/// Where a user's files are: the home directory, and the per-user application configuration
/// directory (`~/.config` or `$XDG_CONFIG_HOME` on Linux, `~/Library/Application Support` on
/// macOS, `%APPDATA%` on Windows).
#[derive(Debug, Clone)]
pub(crate) struct Dirs {
    pub(crate) home: PathBuf,
    pub(crate) config: PathBuf,
    pub(crate) project: PathBuf,
}

/// A server entry, in the order its fields are written.
pub(crate) type Fields = Vec<(&'static str, Value)>;

/// A JSON value of an entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    String(String),
    Strings(Vec<String>),
    Map(Vec<(String, String)>),
}

/// What the entry runs or reaches.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Launch {
    /// A local server over stdio: the command, its arguments and its environment.
    Stdio {
        command: String,
        args: Vec<String>,
        env: Vec<(String, String)>,
    },
    /// A remote server over Streamable HTTP.
    Http { url: String },
}

impl Client {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::ClaudeDesktop => "Claude Desktop",
            Self::ClaudeCode => "Claude Code",
            Self::Cursor => "Cursor",
            Self::Vscode => "VS Code",
            Self::Windsurf => "Windsurf",
            Self::McpJson => "an MCP client",
        }
    }

    /// The key of the servers' object.
    pub(crate) fn servers_key(self) -> &'static str {
        match self {
            Self::Vscode => "servers",
            _ => "mcpServers",
        }
    }

    /// The client's standard configuration file for `scope` on `os`, or why there is none.
    pub(crate) fn path(self, scope: Scope, dirs: &Dirs) -> Result<PathBuf, String> {
        let under =
            |base: &Path, parts: &[&str]| parts.iter().fold(base.to_path_buf(), |p, s| p.join(s));
        let home = |rel: &[&str]| under(&dirs.home, rel);
        let project = |rel: &[&str]| under(&dirs.project, rel);
        match (self, scope) {
            (Self::McpJson, _) => Err("mcp-json prints the entry and writes no file".into()),
            (Self::ClaudeDesktop, Scope::User) => Ok(under(
                &dirs.config,
                &["Claude", "claude_desktop_config.json"],
            )),
            (Self::ClaudeCode, Scope::User) => Ok(home(&[".claude.json"])),
            (Self::ClaudeCode, Scope::Project) => Ok(project(&[".mcp.json"])),
            (Self::Cursor, Scope::User) => Ok(home(&[".cursor", "mcp.json"])),
            (Self::Cursor, Scope::Project) => Ok(project(&[".cursor", "mcp.json"])),
            (Self::Vscode, Scope::User) => Ok(under(&dirs.config, &["Code", "User", "mcp.json"])),
            (Self::Vscode, Scope::Project) => Ok(project(&[".vscode", "mcp.json"])),
            (Self::Windsurf, Scope::User) => Ok(home(&[".codeium", "windsurf", "mcp_config.json"])),
            (Self::ClaudeDesktop | Self::Windsurf, Scope::Project) => Err(format!(
                "{} has no project configuration; leave out --scope project",
                self.name()
            )),
        }
    }

    /// The entry's fields for `launch`, as this client spells them.
    pub(crate) fn entry(self, launch: &Launch) -> Result<Fields, String> {
        let typed = matches!(self, Self::ClaudeCode | Self::Vscode);
        match launch {
            Launch::Stdio { command, args, env } => {
                let mut f: Fields = Vec::new();
                if typed {
                    f.push(("type", Value::String("stdio".into())));
                }
                f.push(("command", Value::String(command.clone())));
                f.push(("args", Value::Strings(args.clone())));
                if !env.is_empty() {
                    f.push(("env", Value::Map(env.clone())));
                }
                Ok(f)
            }
            Launch::Http { url } => match self {
                Self::ClaudeDesktop => Err(format!(
                    "Claude Desktop's configuration file takes local servers only; add {url} in \
                     Claude Desktop under Settings > Connectors > Add custom connector, or \
                     install the local server (leave out --url)"
                )),
                Self::ClaudeCode | Self::Vscode => Ok(vec![
                    ("type", Value::String("http".into())),
                    ("url", Value::String(url.clone())),
                ]),
                Self::Windsurf => Ok(vec![("serverUrl", Value::String(url.clone()))]),
                Self::Cursor | Self::McpJson => Ok(vec![("url", Value::String(url.clone()))]),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy)]
    enum Os {
        Linux,
        Mac,
        Windows,
    }

    /// The directories `dirs` gives on each system.
    fn dirs(os: Os) -> Dirs {
        match os {
            Os::Linux => Dirs {
                home: "/home/ana".into(),
                config: "/home/ana/.config".into(),
                project: "/src/app".into(),
            },
            Os::Mac => Dirs {
                home: "/Users/ana".into(),
                config: "/Users/ana/Library/Application Support".into(),
                project: "/src/app".into(),
            },
            Os::Windows => Dirs {
                home: r"C:\Users\ana".into(),
                config: r"C:\Users\ana\AppData\Roaming".into(),
                project: r"C:\src\app".into(),
            },
        }
    }

    #[test]
    fn standard_paths_per_os() {
        let p = |c: Client, s: Scope, os: Os| c.path(s, &dirs(os)).expect("a path");
        let mac = Os::Mac;
        assert_eq!(
            p(Client::ClaudeDesktop, Scope::User, mac),
            Path::new("/Users/ana/Library/Application Support/Claude/claude_desktop_config.json")
        );
        assert_eq!(
            p(Client::Vscode, Scope::User, mac),
            Path::new("/Users/ana/Library/Application Support/Code/User/mcp.json")
        );
        assert_eq!(
            p(Client::ClaudeDesktop, Scope::User, Os::Linux),
            Path::new("/home/ana/.config/Claude/claude_desktop_config.json")
        );
        assert_eq!(
            p(Client::ClaudeCode, Scope::User, Os::Linux),
            Path::new("/home/ana/.claude.json")
        );
        assert_eq!(
            p(Client::ClaudeCode, Scope::Project, Os::Linux),
            Path::new("/src/app/.mcp.json")
        );
        assert_eq!(
            p(Client::Cursor, Scope::Project, Os::Windows),
            Path::new(r"C:\src\app").join(".cursor").join("mcp.json")
        );
        assert_eq!(
            p(Client::Windsurf, Scope::User, Os::Linux),
            Path::new("/home/ana/.codeium/windsurf/mcp_config.json")
        );
        let win = p(Client::ClaudeDesktop, Scope::User, Os::Windows);
        assert!(win.starts_with(r"C:\Users\ana\AppData\Roaming"), "{win:?}");
        assert!(
            Client::Windsurf
                .path(Scope::Project, &dirs(Os::Linux))
                .expect_err("no project file")
                .contains("no project configuration")
        );
    }

    #[test]
    fn remote_entries_as_each_client_spells_them() {
        let http = Launch::Http {
            url: "https://mcp.example.com/mcp".into(),
        };
        let key = |c: Client| c.entry(&http).expect("entry")[0].0;
        assert_eq!(key(Client::Cursor), "url");
        assert_eq!(key(Client::Windsurf), "serverUrl");
        assert_eq!(key(Client::Vscode), "type");
        assert!(
            Client::ClaudeDesktop
                .entry(&http)
                .expect_err("no remote")
                .contains("Connectors")
        );
    }
}
