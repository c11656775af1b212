//! The ways users install cognito-mcp, end to end on this machine, built by the very scripts the
//! release workflow runs (scripts/release/*, for linux-x64, in the dev profile):
//! - the PyPI wheel (maturin's `bin` bindings) in a fresh venv with no index, and through uvx;
//! - the npm launcher and the linux-x64 package from their packed tarballs, offline, through npx;
//! - the Claude Desktop bundle: `mcpb validate`, its tools equal to what the binary serves, and
//!   the server started the way Claude Desktop starts it from the form's answers;
//! - the MCP registry entry against the registry's published schema;
//! - the release workflow itself, through actionlint (and shellcheck).
//!
//! Each serves the official MCP Inspector over stdio against moto.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use common::{base_env, new_pool, node_bin, node_path, peers, root};
use serde_json::{Value, json};

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What scripts/release built, once for this test binary.
struct Dist {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    wheel: PathBuf,
    binary: PathBuf,
    npm_platform: PathBuf,
    npm_launcher: PathBuf,
    mcpb: PathBuf,
    server_json: PathBuf,
}

fn release_venv() -> PathBuf {
    peers().join("release-venv/bin")
}

fn mcpb_cli() -> PathBuf {
    peers().join("mcpb/node_modules/.bin/mcpb")
}

/// PATH for the release scripts: the release tools and Node 22 before this process's PATH
/// (which has cargo, for maturin).
fn release_path() -> String {
    format!(
        "{}:{}:{}",
        release_venv().display(),
        node_bin().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn must(out: Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Runs scripts/release/NAME ARGS and returns the path it printed last.
fn release_script(name: &str, args: &[&str]) -> PathBuf {
    let out = Command::new(root().join("scripts/release").join(name))
        .args(args)
        .env("PATH", release_path())
        .env("MATURIN", release_venv().join("maturin"))
        .env("MCPB", mcpb_cli())
        .output()
        .unwrap_or_else(|e| panic!("run scripts/release/{name}: {e}"));
    let stdout = must(out, &format!("scripts/release/{name} {args:?}"));
    let path = PathBuf::from(stdout.lines().last().unwrap_or_default().trim());
    assert!(
        path.is_file(),
        "scripts/release/{name} printed {path:?}, not a file"
    );
    path
}

fn dist() -> &'static Dist {
    static DIST: OnceLock<Dist> = OnceLock::new();
    DIST.get_or_init(|| {
        for tool in [release_venv().join("maturin"), mcpb_cli()] {
            assert!(
                tool.exists(),
                "{} is missing: run scripts/setup-peers",
                tool.display()
            );
        }
        let dir = tempfile::tempdir().expect("dist dir");
        let d = dir.path().to_str().expect("utf-8 path").to_owned();
        let wheel = release_script("wheel", &[&d, "--profile", "dev"]);
        let bin_dir = format!("{d}/bin/linux-x64");
        let binary = release_script(
            "binary-from-wheel",
            &[wheel.to_str().expect("utf-8 path"), &bin_dir],
        );
        let binary_s = binary.to_str().expect("utf-8 path");
        let npm_platform = release_script("npm-package", &["platform", binary_s, "linux-x64", &d]);
        let npm_launcher = release_script("npm-package", &["launcher", &d]);
        let mcpb = release_script("mcpb", &[&d, &format!("linux-x64={binary_s}")]);
        let server_json = release_script(
            "server-json",
            &[
                mcpb.to_str().expect("utf-8 path"),
                &format!("{d}/server.json"),
            ],
        );
        Dist {
            dir: dir.path().to_owned(),
            _dir: dir,
            wheel,
            binary,
            npm_platform,
            npm_launcher,
            mcpb,
            server_json,
        }
    })
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The official Inspector CLI over stdio: `COMMAND ARGS` started with `env` (in `cwd`), asked
/// `method_args`; its JSON answer.
fn inspector(
    cwd: &Path,
    env: &[(String, String)],
    command: &str,
    args: &[&str],
    method: &[&str],
) -> Value {
    let cli = peers().join("npm/node_modules/.bin/mcp-inspector");
    assert!(
        cli.exists(),
        "{} is missing: run scripts/setup-peers",
        cli.display()
    );
    let mut cmd = Command::new(cli);
    cmd.current_dir(cwd).env("PATH", node_path()).arg("--cli");
    for (k, v) in env {
        cmd.arg("-e").arg(format!("{k}={v}"));
    }
    let out = cmd
        .arg(command)
        .args(args)
        .args(method)
        .output()
        .expect("run the Inspector CLI");
    let stdout = must(out, &format!("the Inspector against {command} {args:?}"));
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("inspector printed no JSON ({e}): {stdout}"))
}

/// The environment a local server gets against moto (credentials included), less PATH.
fn moto_env(pool_id: &str, audit: &Path) -> Vec<(String, String)> {
    let mut env = base_env();
    env.retain(|(k, _)| k != "PATH");
    env.push(("COGNITO_USER_POOL_ID".into(), pool_id.into()));
    env.push((
        "COGNITO_MCP_AUDIT_FILE".into(),
        audit.join("audit.jsonl").display().to_string(),
    ));
    env
}

fn tool_names(list: &Value) -> Vec<String> {
    list["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("no tools in {list}"))
        .iter()
        .map(|t| t["name"].as_str().expect("name").to_owned())
        .collect()
}

/// tools/list has every tool, and list_users answers from the pool `user` was created in.
fn lists_and_calls(cwd: &Path, env: &[(String, String)], command: &str, args: &[&str]) {
    let names = tool_names(&inspector(
        cwd,
        env,
        command,
        args,
        &["--method", "tools/list"],
    ));
    assert_eq!(names.len(), 39, "{names:?}");
    let listed = inspector(
        cwd,
        env,
        command,
        args,
        &["--method", "tools/call", "--tool-name", "list_users"],
    );
    let users = &listed["structuredContent"]["users"];
    assert!(
        users
            .as_array()
            .is_some_and(|u| u.iter().any(|u| u["username"] == "packaged")),
        "{listed}"
    );
}

#[tokio::test]
async fn the_wheel_installs_offline_into_a_fresh_venv_and_serves_the_inspector() {
    let dist = dist();
    let name = dist
        .wheel
        .file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned();
    assert!(
        name.starts_with(&format!("cognito_mcp-{VERSION}-py3-none-manylinux_"))
            && name.ends_with("_x86_64.whl"),
        "{name}"
    );
    let venv = tempfile::tempdir().expect("venv dir");
    must(
        Command::new("python3")
            .args(["-m", "venv"])
            .arg(venv.path())
            .output()
            .expect("venv"),
        "python3 -m venv",
    );
    must(
        Command::new(venv.path().join("bin/pip"))
            .args([
                "install",
                "--quiet",
                "--no-index",
                "--disable-pip-version-check",
            ])
            .arg(&dist.wheel)
            .output()
            .expect("pip"),
        "pip install --no-index WHEEL",
    );
    let exe = venv.path().join("bin/cognito-mcp");
    let version = must(
        Command::new(&exe).arg("--version").output().expect("run"),
        "--version",
    );
    assert_eq!(version.trim(), format!("cognito-mcp {VERSION}"));

    let pool = new_pool().await;
    cognito_mcp_testkit::login::user(&pool, "packaged", &[], false).await;
    let audit = tempfile::tempdir().expect("audit");
    lists_and_calls(
        venv.path(),
        &moto_env(&pool.id, audit.path()),
        exe.to_str().expect("utf-8 path"),
        &["serve"],
    );

    // uvx, offline, from the wheel: what `uvx cognito-mcp` runs once the wheel is on PyPI.
    let cache = tempfile::tempdir().expect("uv cache");
    let out = Command::new(release_venv().join("uvx"))
        .args(["--offline", "--from"])
        .arg(&dist.wheel)
        .args(["cognito-mcp", "--version"])
        .env("UV_CACHE_DIR", cache.path())
        .env("UV_PYTHON_DOWNLOADS", "never")
        .env("UV_NO_CONFIG", "1")
        .output()
        .expect("uvx");
    assert_eq!(
        must(out, "uvx --offline --from WHEEL").trim(),
        format!("cognito-mcp {VERSION}")
    );
}

/// A temp project with `tarballs` installed by npm, offline, from an empty cache.
fn npm_project(tarballs: &[&Path]) -> (tempfile::TempDir, PathBuf, Output) {
    let project = tempfile::tempdir().expect("project");
    let cache = project.path().join(".npm-cache");
    std::fs::write(
        project.path().join("package.json"),
        r#"{"name":"t","private":true}"#,
    )
    .expect("package.json");
    let out = Command::new("npm")
        .current_dir(project.path())
        .args(["install", "--offline", "--no-audit", "--no-fund", "--cache"])
        .arg(&cache)
        .args(tarballs)
        .env("PATH", node_path())
        .output()
        .expect("npm install");
    (project, cache, out)
}

fn npx(project: &Path, cache: &Path, args: &[&str]) -> Output {
    Command::new("npx")
        .current_dir(project)
        .args(["--offline", "--cache"])
        .arg(cache)
        .args(args)
        .env("PATH", node_path())
        .output()
        .expect("npx")
}

#[tokio::test]
async fn npx_runs_the_packed_tarballs_offline_and_serves_the_inspector() {
    let dist = dist();
    // The platform package installs only where its os, cpu and libc say.
    let platform = dist
        .npm_platform
        .file_name()
        .expect("file name")
        .to_string_lossy();
    assert_eq!(platform, format!("cognito-mcp-linux-x64-{VERSION}.tgz"));
    let (project, cache, out) = npm_project(&[&dist.npm_launcher, &dist.npm_platform]);
    must(out, "npm install --offline the two tarballs");
    let installed = read_json(
        &project
            .path()
            .join("node_modules/@cognito-mcp/linux-x64/package.json"),
    );
    assert_eq!(
        (&installed["os"], &installed["cpu"], &installed["libc"]),
        (&json!(["linux"]), &json!(["x64"]), &json!(["glibc"]))
    );
    let launcher = read_json(&project.path().join("node_modules/cognito-mcp/package.json"));
    let table = read_json(&root().join("packaging/platforms.json"));
    let expected: BTreeSet<String> = table["platforms"]
        .as_array()
        .expect("platforms")
        .iter()
        .map(|p| format!("@cognito-mcp/{}", p["platform"].as_str().expect("platform")))
        .collect();
    let optional = launcher["optionalDependencies"]
        .as_object()
        .expect("optionalDependencies");
    assert_eq!(optional.keys().cloned().collect::<BTreeSet<_>>(), expected);
    assert!(optional.values().all(|v| v == VERSION), "{optional:?}");

    let version = must(
        npx(project.path(), &cache, &["cognito-mcp", "--version"]),
        "npx cognito-mcp --version",
    );
    assert_eq!(version.trim(), format!("cognito-mcp {VERSION}"));

    // Started by npx, `install` writes an npx entry pinned to this version, not npm's cache path.
    let entry = must(
        npx(
            project.path(),
            &cache,
            &[
                "cognito-mcp",
                "install",
                "mcp-json",
                "--pool-id",
                "eu-west-1_AbC123",
            ],
        ),
        "npx cognito-mcp install mcp-json",
    );
    let entry: Value = serde_json::from_str(&entry).expect("JSON");
    assert_eq!(entry["mcpServers"]["cognito-mcp"]["command"], "npx");
    assert_eq!(
        entry["mcpServers"]["cognito-mcp"]["args"],
        json!(["-y", format!("cognito-mcp@{VERSION}"), "serve"])
    );

    let pool = new_pool().await;
    cognito_mcp_testkit::login::user(&pool, "packaged", &[], false).await;
    let audit = tempfile::tempdir().expect("audit");
    let mut env = moto_env(&pool.id, audit.path());
    env.push(("npm_config_cache".into(), cache.display().to_string()));
    env.push(("npm_config_offline".into(), "true".into()));
    env.push(("npm_config_update_notifier".into(), "false".into()));
    lists_and_calls(project.path(), &env, "npx", &["cognito-mcp", "serve"]);
}

#[test]
fn the_launcher_without_its_platform_package_says_what_to_do() {
    let dist = dist();
    let (project, cache, out) = npm_project(&[&dist.npm_launcher]);
    must(out, "npm install --offline the launcher alone");
    let out = npx(project.path(), &cache, &["cognito-mcp", "--version"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "ran without a binary: {stderr}");
    assert!(
        stderr.contains("npm did not install @cognito-mcp/linux-x64")
            && stderr.contains("--omit=optional"),
        "{stderr}"
    );
}

/// The bundle, unpacked by mcpb itself.
fn unpacked_bundle(dist: &Dist) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("unpack dir");
    must(
        Command::new(mcpb_cli())
            .arg("unpack")
            .arg(&dist.mcpb)
            .arg(dir.path())
            .env("PATH", node_path())
            .output()
            .expect("mcpb unpack"),
        "mcpb unpack",
    );
    dir
}

#[tokio::test]
async fn the_bundle_validates_lists_what_it_serves_and_starts_as_claude_desktop_starts_it() {
    let dist = dist();
    let bundle = unpacked_bundle(dist);
    let manifest_path = bundle.path().join("manifest.json");
    must(
        Command::new(mcpb_cli())
            .arg("validate")
            .arg(&manifest_path)
            .env("PATH", node_path())
            .output()
            .expect("mcpb validate"),
        "mcpb validate",
    );
    let manifest = read_json(&manifest_path);
    assert_eq!(manifest["version"], VERSION);
    assert_eq!(manifest["compatibility"]["platforms"], json!(["linux"]));
    for field in ["user_pool_id", "aws_region", "aws_profile", "read_only"] {
        assert!(
            manifest["user_config"][field].is_object(),
            "{field} not asked for"
        );
    }

    // The bundle carries the wheel's binary: each platform is compiled once.
    let binary = bundle.path().join("server/linux-x64/cognito-mcp");
    assert!(
        std::fs::read(&binary).expect("bundle binary")
            == std::fs::read(&dist.binary).expect("wheel binary")
    );
    // The tools the manifest declares are exactly the ones the bundle's binary serves.
    let pool = new_pool().await;
    cognito_mcp_testkit::login::user(&pool, "packaged", &[], false).await;
    let audit = tempfile::tempdir().expect("audit");
    let served = inspector(
        bundle.path(),
        &moto_env(&pool.id, audit.path()),
        binary.to_str().expect("utf-8 path"),
        &["serve"],
        &["--method", "tools/list"],
    );
    let served: Vec<Value> = served["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| json!({"name": t["name"], "description": t["description"]}))
        .collect();
    assert_eq!(manifest["tools"], Value::Array(served));

    // Claude Desktop's form: the pool id, Region and profile left empty, read-only ticked. The
    // credentials are in the default profile of ~/.aws, as on a laptop: none in the environment.
    let home = tempfile::tempdir().expect("home");
    std::fs::create_dir_all(home.path().join(".aws")).expect(".aws");
    std::fs::write(
        home.path().join(".aws/credentials"),
        "[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n",
    )
    .expect("credentials");
    let answers =
        json!({"user_pool_id": pool.id, "aws_region": "", "aws_profile": "", "read_only": true});
    let host_env = json!({
        "HOME": home.path(),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": common::moto().endpoint,
        "COGNITO_MCP_AUDIT_FILE": audit.path().join("bundle.jsonl"),
    });
    // ESM resolves the SDK next to the script, so the copy sits beside node_modules.
    let script = peers().join(format!(
        "npm/cognito_mcp_mcpb_launch_{}.mjs",
        std::process::id()
    ));
    std::fs::copy(
        root().join("crates/cognito-mcp/tests/clients/mcpb_launch.mjs"),
        &script,
    )
    .expect("copy");
    let out = Command::new(node_bin().join("node"))
        .arg(&script)
        .arg(peers().join("mcpb/node_modules/@anthropic-ai/mcpb/dist/index.js"))
        .arg(bundle.path())
        .arg(answers.to_string())
        .arg(host_env.to_string())
        .env_clear()
        .env("PATH", node_path())
        .output()
        .expect("start the bundle");
    let _ = std::fs::remove_file(&script);
    let ran: Value = serde_json::from_str(&must(out, "mcpb_launch.mjs")).expect("JSON");
    assert_eq!(
        Path::new(ran["launch"]["command"].as_str().expect("command")),
        binary,
        "{ran}"
    );
    // The empty fields reach the server empty, as Claude Desktop passes them.
    assert_eq!(ran["launch"]["env"]["AWS_PROFILE"], "", "{ran}");
    assert_eq!(ran["launch"]["env"]["AWS_REGION"], "", "{ran}");
    let names: Vec<&str> = ran["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        names.contains(&"list_users") && !names.contains(&"delete_user"),
        "read-only not honoured: {names:?}"
    );
    assert!(
        ran["list_users"]["users"]
            .as_array()
            .is_some_and(|u| u.iter().any(|u| u["username"] == "packaged")),
        "{ran}"
    );
}

/// jsonschema (Draft 7, formats checked) on `doc` against the registry's schema: the errors.
fn schema_errors(doc: &Value) -> Vec<String> {
    let schema = peers().join("registry-schema/server.schema.json");
    assert!(
        schema.exists(),
        "{} is missing: run scripts/setup-peers",
        schema.display()
    );
    let script = "import json, sys, jsonschema\n\
        schema = json.load(open(sys.argv[1]))\n\
        doc = json.load(sys.stdin)\n\
        v = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())\n\
        print(json.dumps([f\"{list(e.absolute_path)}: {e.message}\" for e in v.iter_errors(doc)]))\n";
    let mut child = Command::new(release_venv().join("python"))
        .args(["-c", script])
        .arg(&schema)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python");
    std::io::Write::write_all(
        &mut child.stdin.take().expect("stdin"),
        doc.to_string().as_bytes(),
    )
    .expect("write");
    let out = child.wait_with_output().expect("jsonschema");
    serde_json::from_str(&must(out, "jsonschema")).expect("errors")
}

#[test]
fn the_registry_entry_matches_the_published_schema_and_the_packages() {
    let dist = dist();
    let doc = read_json(&dist.server_json);
    assert_eq!(schema_errors(&doc), Vec::<String>::new(), "{doc:#}");
    // The schema allows unknown fields; a misspelt one would be ignored by the registry.
    let schema = read_json(&peers().join("registry-schema/server.schema.json"));
    let known = schema["definitions"]["ServerDetail"]["properties"]
        .as_object()
        .expect("properties");
    for key in doc.as_object().expect("object").keys() {
        assert!(known.contains_key(key), "{key} is not a server.json field");
    }
    // The validator does refuse: a name without its namespace.
    let mut bad = doc.clone();
    bad["name"] = json!("cognito-mcp");
    assert!(
        !schema_errors(&bad).is_empty(),
        "the schema took a name with no namespace"
    );

    assert_eq!(doc["version"], VERSION);
    let packages = doc["packages"].as_array().expect("packages");
    let by_type = |t: &str| {
        packages
            .iter()
            .find(|p| p["registryType"] == t)
            .unwrap_or_else(|| panic!("no {t} package in {doc}"))
    };
    let launcher = read_json(&root().join("packaging/npm/cognito-mcp/package.json"));
    assert_eq!(by_type("npm")["identifier"], launcher["name"]);
    let pyproject = std::fs::read_to_string(root().join("pyproject.toml")).expect("pyproject.toml");
    let pypi_name = by_type("pypi")["identifier"].as_str().expect("identifier");
    assert!(
        pyproject.contains(&format!("name = \"{pypi_name}\"")),
        "{pypi_name}"
    );
    let mcpb = by_type("mcpb");
    let bytes = std::fs::read(&dist.mcpb).expect("bundle");
    let sha = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &bytes);
    let hex: String = sha.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(mcpb["fileSha256"], hex);
    assert!(
        mcpb["identifier"]
            .as_str()
            .expect("identifier")
            .ends_with(&format!("/v{VERSION}/cognito-mcp.mcpb"))
    );
    // Every variable a package names is one the server reads.
    let configuration =
        std::fs::read_to_string(root().join("docs/configuration.md")).expect("docs");
    for p in packages {
        assert_eq!(p["version"], VERSION);
        for var in p["environmentVariables"]
            .as_array()
            .expect("environmentVariables")
        {
            let name = var["name"].as_str().expect("name");
            assert!(
                configuration.contains(&format!("`{name}`")),
                "{name} is not in docs/configuration.md"
            );
        }
    }
}

#[test]
fn the_release_workflow_passes_actionlint_and_runs_the_scripts_tested_here() {
    let workflow = root().join(".github/workflows/release.yml");
    let actionlint = release_venv().join("actionlint");
    assert!(
        actionlint.exists(),
        "{} is missing: run scripts/setup-peers",
        actionlint.display()
    );
    let lint = |file: &Path| {
        Command::new(&actionlint)
            .arg(file)
            .env("PATH", "/usr/bin:/bin")
            .output()
            .expect("actionlint")
    };
    must(lint(&workflow), "actionlint release.yml");
    // The linter does refuse: a job that needs one that does not exist.
    let text = std::fs::read_to_string(&workflow).expect("release.yml");
    let broken = tempfile::tempdir().expect("dir");
    let broken_file = broken.path().join("release.yml");
    std::fs::write(
        &broken_file,
        text.replace("needs: [plan, build]", "needs: [plan, biuld]"),
    )
    .expect("write");
    assert!(
        !lint(&broken_file).status.success(),
        "actionlint took a job needing a missing job"
    );

    // Every script the workflow runs exists, and every release script is run by it.
    let scripts_dir = root().join("scripts/release");
    let mut in_repo = BTreeSet::new();
    for e in std::fs::read_dir(&scripts_dir).expect("scripts/release") {
        let name = e.expect("entry").file_name().to_string_lossy().into_owned();
        in_repo.insert(name);
    }
    let named: BTreeSet<String> = text
        .split("scripts/release/")
        .skip(1)
        .map(|rest| {
            rest.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '.'))
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    for script in &named {
        assert!(
            in_repo.contains(script),
            "the workflow runs scripts/release/{script}, which is missing"
        );
    }
    // version is run by the others, tools-json.mjs by mcpb.
    let helpers = BTreeSet::from(["version".to_owned(), "tools-json.mjs".to_owned()]);
    let unrun: Vec<_> = in_repo
        .difference(&named)
        .filter(|s| !helpers.contains(*s))
        .collect();
    assert!(
        unrun.is_empty(),
        "scripts/release has scripts the workflow never runs: {unrun:?}"
    );
    // The matrix is the platform table, so the two cannot drift apart.
    assert!(
        text.contains("jq -c .platforms packaging/platforms.json")
            && text.contains("fromJSON(needs.plan.outputs.platforms)")
    );

    let shell_scripts: Vec<PathBuf> = in_repo
        .iter()
        .filter(|s| !s.ends_with(".mjs"))
        .map(|s| scripts_dir.join(s))
        .collect();
    must(
        Command::new("shellcheck")
            .args(&shell_scripts)
            .output()
            .expect("shellcheck (scripts/setup-peers installs it)"),
        "shellcheck scripts/release",
    );
}

#[test]
fn the_publish_dry_run_checks_every_package() {
    let dist = dist();
    let out = Command::new(root().join("scripts/release/publish"))
        .arg(&dist.dir)
        .arg("--dry-run")
        .env("PATH", release_path())
        .output()
        .expect("publish --dry-run");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    must(out, "scripts/release/publish --dry-run");
    for seen in [
        format!("+ @cognito-mcp/linux-x64@{VERSION}"),
        format!("+ cognito-mcp@{VERSION}"),
        format!("cognito_mcp-{VERSION}-py3-none-manylinux"),
        "would go to PyPI".to_owned(),
        "done (dry run)".to_owned(),
    ] {
        assert!(said.contains(&seen), "{seen} not in:\n{said}");
    }
    // A dist without the bundle is refused before anything is published.
    let partial = tempfile::tempdir().expect("dir");
    for f in [
        &dist.npm_launcher,
        &dist.npm_platform,
        &dist.wheel,
        &dist.server_json,
    ] {
        std::fs::copy(f, partial.path().join(f.file_name().expect("file name"))).expect("copy");
    }
    let out = Command::new(root().join("scripts/release/publish"))
        .arg(partial.path())
        .arg("--dry-run")
        .env("PATH", release_path())
        .output()
        .expect("publish --dry-run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("cognito-mcp.mcpb is missing"),
        "{stderr}"
    );
}
