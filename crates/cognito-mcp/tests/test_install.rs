//! `cognito-mcp install CLIENT` against temporary homes laid out as each client's: the entry
//! lands at the client's standard path under its key, other servers and JSONC comments stay,
//! a same-named entry needs --force (and is backed up), a malformed file is refused and left
//! untouched, --dry-run changes nothing, and the written entry really starts the server.

mod common;

use std::path::{Path, PathBuf};

use common::{bin, moto, new_pool};
use serde_json::Value;

const POOL: &str = "eu-west-1_AbCdEf123";

/// A home directory with nothing of its own: `HOME` and no `XDG_CONFIG_HOME`, so the
/// configuration directory is `HOME/.config`.
struct Home {
    dir: tempfile::TempDir,
    project: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("home"),
            project: tempfile::tempdir().expect("project"),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Runs `cognito-mcp install ARGS` in the project directory; (status, stdout, stderr).
    fn install(&self, args: &[&str]) -> (i32, String, String) {
        let out = std::process::Command::new(bin())
            .arg("install")
            .args(args)
            .current_dir(self.project.path())
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", self.dir.path())
            .output()
            .expect("run install");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn ok(&self, args: &[&str]) -> String {
        let (status, stdout, stderr) = self.install(args);
        assert_eq!(status, 0, "install {args:?}: {stdout}{stderr}");
        stdout
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("dirs");
        std::fs::write(&p, text).expect("write");
        p
    }
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    jsonc_parser::parse_to_serde_value::<Value>(&text, &Default::default()).expect("valid JSONC")
}

#[test]
fn each_client_gets_its_file_at_its_standard_path() {
    let cases: [(&str, &str, &str); 5] = [
        (
            "claude-desktop",
            ".config/Claude/claude_desktop_config.json",
            "mcpServers",
        ),
        ("claude-code", ".claude.json", "mcpServers"),
        ("cursor", ".cursor/mcp.json", "mcpServers"),
        ("vscode", ".config/Code/User/mcp.json", "servers"),
        (
            "windsurf",
            ".codeium/windsurf/mcp_config.json",
            "mcpServers",
        ),
    ];
    for (client, rel, key) in cases {
        let home = Home::new();
        let out = home.ok(&[
            client,
            "--pool-id",
            POOL,
            "--profile",
            "admin",
            "--read-only",
        ]);
        assert!(out.contains(rel), "{client}: {out}");
        let doc = read_json(&home.path(rel));
        if client != "vscode" {
            // Plain JSON files stay plain JSON (VS Code's is JSONC).
            let text = std::fs::read_to_string(home.path(rel)).expect("read");
            serde_json::from_str::<Value>(&text)
                .unwrap_or_else(|e| panic!("{client}: {e}: {text}"));
        }
        let entry = &doc[key]["cognito-mcp"];
        assert_eq!(entry["command"], bin(), "{client}: {doc:#}");
        assert_eq!(
            entry["args"],
            serde_json::json!(["serve", "--read-only"]),
            "{client}"
        );
        assert_eq!(entry["env"]["COGNITO_USER_POOL_ID"], POOL, "{client}");
        assert_eq!(
            entry["env"]["AWS_REGION"], "eu-west-1",
            "the pool's Region ({client})"
        );
        assert_eq!(entry["env"]["AWS_PROFILE"], "admin", "{client}");
        let typed = matches!(client, "claude-code" | "vscode");
        assert_eq!(entry.get("type").is_some(), typed, "{client}: {entry}");
    }
}

#[test]
fn project_scope_writes_the_project_file() {
    let home = Home::new();
    home.ok(&["vscode", "--pool-id", POOL, "--scope", "project"]);
    let doc = read_json(&home.project.path().join(".vscode/mcp.json"));
    assert_eq!(doc["servers"]["cognito-mcp"]["type"], "stdio");
    assert!(!home.path(".config/Code/User/mcp.json").exists());
    let (status, _, stderr) = home.install(&["windsurf", "--pool-id", POOL, "--scope", "project"]);
    assert_eq!(status, 1);
    assert!(
        stderr.contains("Windsurf has no project configuration"),
        "{stderr}"
    );
}

#[test]
fn remote_servers_are_spelt_the_clients_way() {
    let url = "https://mcp.example.com/mcp";
    for (client, rel, key, field) in [
        ("claude-code", ".claude.json", "mcpServers", "url"),
        ("cursor", ".cursor/mcp.json", "mcpServers", "url"),
        ("vscode", ".config/Code/User/mcp.json", "servers", "url"),
        (
            "windsurf",
            ".codeium/windsurf/mcp_config.json",
            "mcpServers",
            "serverUrl",
        ),
    ] {
        let home = Home::new();
        home.ok(&[client, "--url", url]);
        let doc = read_json(&home.path(rel));
        assert_eq!(doc[key]["cognito-mcp"][field], url, "{client}: {doc:#}");
        assert!(doc[key]["cognito-mcp"].get("command").is_none(), "{client}");
    }
    let home = Home::new();
    let (status, _, stderr) = home.install(&["claude-desktop", "--url", url]);
    assert_eq!(status, 1);
    assert!(stderr.contains("Settings > Connectors"), "{stderr}");
    let (status, _, stderr) = home.install(&["cursor", "--url", "http://mcp.example.com/mcp"]);
    assert_eq!(status, 1, "plain http to another host is refused");
    assert!(stderr.contains("https://"), "{stderr}");
}

#[test]
fn other_servers_and_jsonc_comments_stay() {
    let home = Home::new();
    let before = "{\n  // the team's servers\n  \"servers\": {\n    \"memory\": {\n      \"type\": \"stdio\",\n      \"command\": \"npx\", // pinned\n      \"args\": [\"-y\", \"@modelcontextprotocol/server-memory@2026.1.0\"],\n    },\n  },\n  \"inputs\": [],\n}\n";
    let path = home.write(".config/Code/User/mcp.json", before);
    let out = home.ok(&["vscode", "--pool-id", POOL]);
    let after = std::fs::read_to_string(&path).expect("read");
    for kept in [
        "// the team's servers",
        "\"command\": \"npx\", // pinned",
        "\"args\": [\"-y\", \"@modelcontextprotocol/server-memory@2026.1.0\"],",
        "\"inputs\": [],",
    ] {
        assert!(after.contains(kept), "lost {kept:?}:\n{after}");
    }
    let doc = read_json(&path);
    assert_eq!(doc["servers"]["memory"]["command"], "npx");
    assert_eq!(doc["servers"]["cognito-mcp"]["type"], "stdio");
    // The old file is kept beside it.
    let backup = path.with_file_name("mcp.json.bak");
    assert_eq!(std::fs::read_to_string(&backup).expect("backup"), before);
    assert!(out.contains("mcp.json.bak"), "{out}");
}

#[test]
fn an_entry_of_the_same_name_is_replaced_only_with_force() {
    let home = Home::new();
    let before = "{\"mcpServers\": {\"cognito-mcp\": {\"command\": \"/old/cognito-mcp\", \"args\": [\"serve\"]}, \"other\": {\"command\": \"x\"}}}\n";
    let path = home.write(".cursor/mcp.json", before);
    let (status, stdout, stderr) = home.install(&["cursor", "--pool-id", POOL]);
    assert_eq!(status, 1, "{stdout}");
    assert!(
        stderr.contains("already has a server named \"cognito-mcp\"") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        before,
        "untouched"
    );
    assert!(
        !path.with_file_name("mcp.json.bak").exists(),
        "no backup of an unchanged file"
    );
    // Another name is fine.
    home.ok(&["cursor", "--pool-id", POOL, "--name", "cognito-prod"]);
    home.ok(&["cursor", "--pool-id", POOL, "--force"]);
    let doc = read_json(&path);
    assert_eq!(doc["mcpServers"]["cognito-mcp"]["command"], bin());
    assert_eq!(doc["mcpServers"]["other"]["command"], "x");
    assert!(doc["mcpServers"]["cognito-prod"].is_object());
    // Each write kept the file it replaced.
    assert!(path.with_file_name("mcp.json.bak").exists());
    assert!(path.with_file_name("mcp.json.bak.1").exists());
}

#[test]
fn a_malformed_file_gets_a_clear_error_and_stays_untouched() {
    let home = Home::new();
    let before = "{\n  \"mcpServers\": {\n    \"a\": {\"command\": \"x\"}\n";
    let path = home.write(".claude.json", before);
    let (status, _, stderr) = home.install(&["claude-code", "--pool-id", POOL]);
    assert_eq!(status, 1);
    assert!(
        stderr.contains(&path.display().to_string())
            && stderr.contains("is not valid JSON")
            && stderr.contains("it was not changed"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&path).expect("read"), before);
    assert!(!path.with_file_name(".claude.json.bak").exists());
    let path = home.write(".cursor/mcp.json", "{\"mcpServers\": [\"a\"]}");
    let (status, _, stderr) = home.install(&["cursor", "--pool-id", POOL]);
    assert_eq!(status, 1);
    assert!(
        stderr.contains("\"mcpServers\" that is not an object"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        "{\"mcpServers\": [\"a\"]}"
    );
}

#[test]
fn dry_run_shows_the_diff_and_writes_nothing() {
    let home = Home::new();
    let before = "{\n  \"mcpServers\": {}\n}\n";
    let path = home.write(".codeium/windsurf/mcp_config.json", before);
    let out = home.ok(&["windsurf", "--pool-id", POOL, "--dry-run"]);
    assert!(out.contains("+    \"cognito-mcp\": {"), "{out}");
    assert!(out.contains("dry run"), "{out}");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), before);
    let out = home.ok(&["claude-desktop", "--pool-id", POOL, "--dry-run"]);
    assert!(out.contains("--- /dev/null"), "{out}");
    assert!(!home.path(".config/Claude").exists(), "nothing created");
}

#[test]
fn mcp_json_prints_and_writes_nothing() {
    let home = Home::new();
    let out = home.ok(&["mcp-json", "--pool-id", POOL]);
    let doc: Value = serde_json::from_str(&out).expect("plain JSON");
    assert_eq!(
        doc["mcpServers"]["cognito-mcp"]["env"]["COGNITO_USER_POOL_ID"],
        POOL
    );
    assert_eq!(std::fs::read_dir(home.dir.path()).expect("home").count(), 0);
}

#[test]
fn npx_and_uvx_entries_name_this_version() {
    let home = Home::new();
    let version = env!("CARGO_PKG_VERSION");
    for (launcher, command, args) in [
        (
            "npx",
            "npx",
            vec![
                "-y".to_owned(),
                format!("cognito-mcp@{version}"),
                "serve".into(),
                "--read-only".into(),
            ],
        ),
        (
            "uvx",
            "uvx",
            vec![
                format!("cognito-mcp@{version}"),
                "serve".into(),
                "--read-only".into(),
            ],
        ),
    ] {
        let out = home.ok(&[
            "mcp-json",
            "--pool-id",
            POOL,
            "--read-only",
            "--launcher",
            launcher,
        ]);
        let entry =
            &serde_json::from_str::<Value>(&out).expect("JSON")["mcpServers"]["cognito-mcp"];
        assert_eq!(entry["command"], command, "{out}");
        assert_eq!(entry["args"], serde_json::json!(args), "{out}");
    }
    // Started by the npm package's launcher, the entry is npx's without being asked.
    let out = std::process::Command::new(bin())
        .args(["install", "mcp-json", "--pool-id", POOL])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", home.dir.path())
        .env("COGNITO_MCP_LAUNCHER", "npx")
        .output()
        .expect("run install");
    let entry = serde_json::from_slice::<Value>(&out.stdout).expect("JSON");
    assert_eq!(entry["mcpServers"]["cognito-mcp"]["command"], "npx");
}

#[test]
fn bad_input_names_what_to_fix() {
    let home = Home::new();
    for (args, says) in [
        (vec!["cursor"], "pass --pool-id"),
        (vec!["cursor", "--pool-id", "not-a-pool"], "not a pool id"),
        (
            vec!["cursor", "--pool-id", POOL, "--region", "us-east-1"],
            "the pool eu-west-1_AbCdEf123 is in eu-west-1",
        ),
        (
            vec!["cursor", "--pool-id", POOL, "--name", " "],
            "--name is empty",
        ),
        (
            vec![
                "cursor",
                "--pool-id",
                POOL,
                "--server-config",
                "/nonexistent.toml",
            ],
            "is not a file",
        ),
    ] {
        let (status, _, stderr) = home.install(&args);
        assert_eq!(status, 1, "{args:?}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    assert_eq!(
        std::fs::read_dir(home.dir.path()).expect("home").count(),
        0,
        "nothing written"
    );
}

#[tokio::test]
async fn the_written_entry_starts_the_server() {
    // What Claude Desktop would run: the entry's command, arguments and environment (plus the
    // credentials and endpoint a real user's profile would give), spoken to over stdio.
    let pool = new_pool().await;
    let home = Home::new();
    home.ok(&["claude-desktop", "--pool-id", &pool.id]);
    let doc = read_json(&home.path(".config/Claude/claude_desktop_config.json"));
    let entry = &doc["mcpServers"]["cognito-mcp"];
    let mut cmd = tokio::process::Command::new(entry["command"].as_str().expect("command"));
    cmd.args(
        entry["args"]
            .as_array()
            .expect("args")
            .iter()
            .map(|a| a.as_str().expect("arg")),
    )
    .env_clear()
    .envs(common::base_env())
    .env(
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
        &moto().endpoint,
    )
    .env("COGNITO_MCP_AUDIT_FILE", home.path("audit.jsonl"));
    for (k, v) in entry["env"].as_object().expect("env") {
        cmd.env(k, v.as_str().expect("string"));
    }
    let transport = rmcp::transport::TokioChildProcess::new(cmd).expect("spawn");
    use rmcp::ServiceExt as _;
    let client = ().serve(transport).await.expect("MCP handshake");
    let tools = client.list_all_tools().await.expect("tools/list");
    assert!(tools.iter().any(|t| t.name == "list_users"), "{tools:?}");
    client.cancel().await.ok();
}
