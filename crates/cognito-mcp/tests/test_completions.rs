//! `cognito-mcp completions SHELL` and `cognito-mcp man`: each script is checked by its own
//! shell (Debian's bash, zsh and fish, which scripts/setup-peers installs), and the manual page
//! is rendered by mandoc; each names every command.

mod common;

use std::process::Command;

use common::run_cli;

const COMMANDS: &[&str] = &[
    "serve",
    "check",
    "iam-policy",
    "bootstrap",
    "deploy",
    "install",
    "token",
    "completions",
    "man",
];

fn generated(args: &[&str]) -> (tempfile::TempDir, std::path::PathBuf, String) {
    let (status, stdout, stderr) = run_cli(args, &[]);
    assert_eq!(status, 0, "{args:?}: {stderr}");
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("out");
    std::fs::write(&path, &stdout).expect("write");
    (dir, path, stdout)
}

/// Runs `shell ARGS FILE`; a missing shell fails the test: it is a test peer.
fn check_with(shell: &str, args: &[&str], file: &std::path::Path) {
    let out = Command::new(shell)
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {shell} ({e}); scripts/setup-peers installs it"));
    assert!(
        out.status.success(),
        "{shell} {args:?} rejects the script: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn completion_scripts_pass_their_shells_syntax_check() {
    for (shell, checker, args) in [
        ("bash", "bash", &["-n"][..]),
        ("zsh", "zsh", &["-n"][..]),
        ("fish", "fish", &["--no-execute"][..]),
    ] {
        let (_dir, path, script) = generated(&["completions", shell]);
        check_with(checker, args, &path);
        for c in COMMANDS {
            assert!(script.contains(c), "{shell}: no {c}");
        }
        // Options of a subcommand are completed too.
        assert!(script.contains("pool-id"), "{shell}: install's --pool-id");
    }
    // The shells clap_complete knows beyond these still generate (no syntax check here:
    // PowerShell and Elvish are not in Debian).
    for shell in ["powershell", "elvish"] {
        let (_dir, _path, script) = generated(&["completions", shell]);
        assert!(script.contains("cognito-mcp"), "{shell}");
    }
    let (status, _, stderr) = run_cli(&["completions", "tcsh"], &[]);
    assert_ne!(status, 0);
    assert!(
        stderr.contains("possible values") && stderr.contains("bash"),
        "{stderr}"
    );
}

#[test]
fn a_bash_completion_really_completes() {
    // Source the script in bash and ask it for the words after `cognito-mcp ins`.
    let (_dir, path, _) = generated(&["completions", "bash"]);
    // The function the script registers for the command, whatever its name.
    let probe = format!(
        "source {}; f=$(complete -p cognito-mcp | sed -E 's/.*-F ([^ ]+).*/\\1/'); \
         COMP_WORDS=(cognito-mcp ins); COMP_CWORD=1; COMP_LINE='cognito-mcp ins'; \
         COMP_POINT=${{#COMP_LINE}}; \"$f\" cognito-mcp ins cognito-mcp; \
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        path.display()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(&probe)
        .output()
        .expect("bash");
    let words = String::from_utf8_lossy(&out.stdout);
    assert!(
        words.lines().any(|w| w == "install"),
        "{words}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_manual_page_renders() {
    let (_dir, path, page) = generated(&["man"]);
    assert!(
        page.starts_with(".ie") || page.contains(".TH cognito-mcp"),
        "{}",
        &page[..200.min(page.len())]
    );
    let out = Command::new("mandoc")
        .args(["-T", "utf8", "-W", "error"])
        .arg(&path)
        .output()
        .expect("cannot run mandoc; scripts/setup-peers installs it");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "mandoc: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for c in COMMANDS {
        assert!(text.contains(c), "the page lists {c}: {text}");
    }
}
