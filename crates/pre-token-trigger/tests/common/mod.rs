//! Helpers shared by the integration tests: event fixtures and runs of the real binary under
//! `scripts/lambda-invoke.py`.
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;
use std::process::Command;

use pre_token_trigger::Config;
use serde_json::Value;

/// `tests/events/NAME`.
pub fn event_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/events")
        .join(name)
}

/// The fixture `tests/events/NAME`, parsed.
pub fn event(name: &str) -> Value {
    let path = event_path(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// A configuration from the two variables, as the binary would read them.
pub fn config(group_scopes: Option<&str>, attribute_claims: Option<&str>) -> Config {
    Config::from_lookup(|name| match name {
        "GROUP_SCOPES" => group_scopes.map(Into::into),
        "ATTRIBUTE_CLAIMS" => attribute_claims.map(Into::into),
        _ => None,
    })
    .expect("test configuration is valid")
}

/// `scripts/lambda-invoke.py`.
pub fn lambda_invoke_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/lambda-invoke.py")
}

/// What one run of `lambda-invoke.py` printed.
#[derive(Debug)]
pub struct Run {
    /// Its exit code.
    pub code: Option<i32>,
    /// Each stdout line, parsed.
    pub lines: Vec<Value>,
    /// Its stderr (the function's logs and the script's messages).
    pub stderr: String,
}

/// Runs `lambda-invoke.py` with `args` before `--` and `command` after it. The trigger's
/// variables are removed from the environment first, so only `--env` sets them.
pub fn lambda_invoke(args: &[String], command: &[String]) -> Run {
    let output = Command::new("python3")
        .arg(lambda_invoke_script())
        .args(args)
        .arg("--")
        .args(command)
        .env_remove("GROUP_SCOPES")
        .env_remove("ATTRIBUTE_CLAIMS")
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}")))
        .collect();
    Run {
        code: output.status.code(),
        lines,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs the built `pre-token-trigger` under `lambda-invoke.py` with the fixtures `events` and
/// the variables `env`.
pub fn run_trigger(events: &[&str], env: &[(&str, &str)]) -> Run {
    let mut args = Vec::new();
    for name in events {
        args.push("--event".to_owned());
        args.push(event_path(name).display().to_string());
    }
    for (key, value) in env {
        args.push("--env".to_owned());
        args.push(format!("{key}={value}"));
    }
    args.push("--timeout".to_owned());
    args.push("60".to_owned());
    lambda_invoke(&args, &[env!("CARGO_BIN_EXE_pre-token-trigger").to_owned()])
}

/// `value` at the `/`-separated JSON pointer `pointer`, or a panic naming it.
pub fn at<'a>(value: &'a Value, pointer: &str) -> &'a Value {
    value
        .pointer(pointer)
        .unwrap_or_else(|| panic!("{pointer} is missing from {value}"))
}

/// A list of strings as JSON.
pub fn strings(items: &[&str]) -> Value {
    Value::from(items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
}
