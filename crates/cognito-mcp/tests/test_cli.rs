//! `check` and `bootstrap`: each configuration problem gets its own one-line message, never a
//! backtrace; bootstrap makes a usable pool and shows a password only when asked.

mod common;

use common::{moto, new_pool, run_cli, run_cli_exact};
use serde_json::Value;

fn assert_clean(out: &str) {
    for bad in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
        assert!(!out.contains(bad), "{out}");
    }
}

/// Each finding is one line starting with ok:, error:, warning: or note:.
fn assert_one_line_findings(stdout: &str) {
    for line in stdout.lines() {
        assert!(
            line.starts_with("ok: ")
                || line.starts_with("error: ")
                || line.starts_with("warning: ")
                || line.starts_with("note: "),
            "{line:?}"
        );
    }
}

#[tokio::test]
async fn check_passes_for_a_reachable_pool() {
    let pool = new_pool().await;
    let (status, stdout, stderr) = run_cli(
        &["check"],
        &[
            ("COGNITO_USER_POOL_ID", &pool.id),
            ("COGNITO_CLIENT_ID", &pool.client_id),
        ],
    );
    assert_eq!(status, 0, "{stdout}{stderr}");
    assert_one_line_findings(&stdout);
    assert!(
        stdout.contains(&format!("ok: reached pool {}", pool.id)),
        "{stdout}"
    );
    assert!(
        stdout.contains("password policy: at least 12 characters"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "ok: app client {} belongs to the pool",
            pool.client_id
        )),
        "{stdout}"
    );
}

#[test]
fn check_missing_pool_id_fails() {
    let (status, stdout, stderr) = run_cli(&["check"], &[]);
    assert_eq!(status, 1);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.starts_with("error: COGNITO_USER_POOL_ID is not set"),
        "{stdout}"
    );
    assert_clean(&(stdout + &stderr));
}

#[test]
fn check_bad_region_fails() {
    let (status, stdout, stderr) = run_cli(
        &["check"],
        &[
            ("AWS_REGION", "mars-north"),
            ("COGNITO_USER_POOL_ID", "us-east-1_Abc"),
        ],
    );
    assert_eq!(status, 1);
    assert!(
        stdout.contains("AWS_REGION is \"mars-north\", which is not an AWS region"),
        "{stdout}"
    );
    assert_one_line_findings(&stdout);
    assert_clean(&(stdout + &stderr));
}

#[test]
fn check_without_credentials_fails() {
    let home = tempfile::tempdir().expect("empty home");
    let (status, stdout, stderr) = run_cli_exact(
        &["check"],
        &[
            ("HOME", home.path().to_str().expect("utf-8")),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            (
                "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
                &moto().endpoint,
            ),
            ("COGNITO_USER_POOL_ID", "us-east-1_Abc"),
        ],
    );
    assert_eq!(status, 1, "{stdout}{stderr}");
    assert!(stdout.contains("error: no AWS credentials"), "{stdout}");
    assert!(stdout.contains("AWS_ACCESS_KEY_ID"), "{stdout}");
    assert_one_line_findings(&stdout);
    assert_clean(&(stdout + &stderr));
}

#[test]
fn check_unreachable_endpoint_fails() {
    // Port 9 (discard) on loopback: nothing listens there in a test sandbox.
    let (status, stdout, stderr) = run_cli(
        &["check"],
        &[
            (
                "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
                "http://127.0.0.1:9",
            ),
            ("COGNITO_USER_POOL_ID", "us-east-1_Abc"),
        ],
    );
    assert_eq!(status, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("error: cannot reach the Cognito endpoint http://127.0.0.1:9"),
        "{stdout}"
    );
    assert_one_line_findings(&stdout);
    assert_clean(&(stdout + &stderr));
}

#[test]
fn check_unknown_pool_fails() {
    let (status, stdout, stderr) = run_cli(
        &["check"],
        &[("COGNITO_USER_POOL_ID", "us-east-1_DoesNotExist")],
    );
    assert_eq!(status, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("error: pool us-east-1_DoesNotExist does not exist in region us-east-1"),
        "{stdout}"
    );
    assert_clean(&(stdout + &stderr));
}

#[tokio::test]
async fn check_foreign_client_id_fails() {
    let pool = new_pool().await;
    let (status, stdout, _) = run_cli(
        &["check"],
        &[
            ("COGNITO_USER_POOL_ID", &pool.id),
            ("COGNITO_CLIENT_ID", "not-a-client-of-this-pool"),
        ],
    );
    assert_eq!(status, 1);
    assert!(
        stdout.contains("error: COGNITO_CLIENT_ID not-a-client-of-this-pool is not an app client"),
        "{stdout}"
    );
}

/// Traces switched on in a build without them: `check` and `serve` refuse, naming the build
/// that has them, rather than serving without the traces the operator asked for.
#[cfg(not(feature = "otel"))]
#[test]
fn traces_on_in_a_build_without_them_fails() {
    let env = [
        ("COGNITO_USER_POOL_ID", "us-east-1_Abc"),
        ("COGNITO_CLIENT_ID", "client"),
        ("COGNITO_MCP_TRACES", "true"),
    ];
    let says = "this build has no traces: build with --features otel";
    let (status, stdout, stderr) = run_cli(&["check"], &env);
    assert_eq!(status, 1, "{stdout}{stderr}");
    assert!(stdout.contains(says), "{stdout}");
    assert_one_line_findings(&stdout);
    let (status, stdout, stderr) = run_cli(&["serve", "--transport", "http"], &env);
    assert_eq!(status, 1, "{stdout}{stderr}");
    assert!(stderr.contains(says), "{stderr}");
    // The other commands do not serve, and do not care.
    let (status, stdout, stderr) = run_cli(&["iam-policy"], &env);
    assert_eq!(status, 0, "{stdout}{stderr}");
}

#[test]
fn check_bad_config_file_fails_with_its_line() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("c.toml");
    std::fs::write(&path, "[cognito]\nregion = 5\n").expect("write");
    let (status, stdout, stderr) =
        run_cli(&["check", "--config", path.to_str().expect("utf-8")], &[]);
    assert_eq!(status, 1);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.contains("is not valid") && stdout.contains("region"),
        "{stdout}"
    );
    assert_clean(&(stdout + &stderr));
}

#[test]
fn bootstrap_shows_the_password_only_when_asked() {
    let (status, stdout, stderr) =
        run_cli(&["bootstrap", "--admin-email", "root@example.com"], &[]);
    assert_eq!(status, 0, "{stderr}");
    assert!(
        stdout.contains("export COGNITO_USER_POOL_ID=us-east-1_"),
        "{stdout}"
    );
    assert!(
        !(stdout.clone() + &stderr)
            .to_lowercase()
            .contains("temporary password:"),
        "{stdout}{stderr}"
    );
    assert!(
        stderr.contains("Cognito sends the temporary password to root@example.com"),
        "{stderr}"
    );

    let (status, stdout, stderr) = run_cli(
        &[
            "bootstrap",
            "--show-password",
            "--json",
            "--pool-name",
            "shown",
        ],
        &[],
    );
    assert_eq!(status, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).expect("json");
    let password = v["admin_temporary_password"]
        .as_str()
        .expect("password shown");
    assert!(password.len() >= 12);
    assert_eq!(
        v["groups"],
        serde_json::json!(["Admins", "Developers", "ReadOnly"])
    );

    // The printed settings work.
    let pool_id = v["user_pool_id"].as_str().expect("pool id");
    let client_id = v["client_id"].as_str().expect("client id");
    let (status, stdout, _) = run_cli(
        &["check"],
        &[
            ("COGNITO_USER_POOL_ID", pool_id),
            ("COGNITO_CLIENT_ID", client_id),
        ],
    );
    assert_eq!(status, 0, "{stdout}");
    assert!(stdout.contains("about 1 users"), "{stdout}");
}

#[tokio::test]
async fn token_prints_tokens_for_a_confirmed_user() {
    let pool = new_pool().await;
    let (_, _) = common::tokens_for(&pool, "tina", &["ReadOnly"]).await;
    let env = [
        ("COGNITO_USER_POOL_ID", pool.id.as_str()),
        ("COGNITO_CLIENT_ID", pool.client_id.as_str()),
    ];
    let (status, stdout, stderr) = common::run_cli_stdin(
        &["token", "--username", "tina", "--password-stdin"],
        &env,
        "Correct-Horse-42\n",
    );
    assert_eq!(status, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(
        v["access_token"]
            .as_str()
            .expect("access")
            .split('.')
            .count(),
        3
    );
    assert_eq!(v["token_type"], "Bearer");
    let (status, stdout, _) = common::run_cli_stdin(
        &[
            "token",
            "--username",
            "tina",
            "--password-stdin",
            "--print",
            "access",
        ],
        &env,
        "Correct-Horse-42\n",
    );
    assert_eq!(status, 0);
    assert_eq!(stdout.trim().split('.').count(), 3);
    assert!(!stderr.contains("Correct-Horse-42"));
}

#[tokio::test]
async fn token_reports_a_challenge_and_a_wrong_password() {
    let pool = new_pool().await;
    pool.admin
        .create_user(&cognito_admin::CreateUser {
            username: "newbie".into(),
            email: None,
            email_verified: None,
            attributes: Default::default(),
            temporary_password: Some(cognito_admin::Secret::new("Temp-Pass-1234!")),
            suppress_invitation: true,
            groups: vec![],
        })
        .await
        .expect("user");
    let env = [
        ("COGNITO_USER_POOL_ID", pool.id.as_str()),
        ("COGNITO_CLIENT_ID", pool.client_id.as_str()),
    ];
    let (status, _, stderr) = common::run_cli_stdin(
        &["token", "--username", "newbie", "--password-stdin"],
        &env,
        "Temp-Pass-1234!\n",
    );
    assert_eq!(status, 1);
    assert!(
        stderr.contains("NEW_PASSWORD_REQUIRED") && stderr.contains("set_user_password"),
        "{stderr}"
    );
    let (status, _, stderr) = common::run_cli_stdin(
        &["token", "--username", "newbie", "--password-stdin"],
        &env,
        "Wrong-Pass-1234!\n",
    );
    assert_eq!(status, 1);
    assert!(
        stderr.contains("not_authorized") || stderr.contains("Cognito refused"),
        "{stderr}"
    );
    assert!(!stderr.contains("Wrong-Pass-1234!"), "{stderr}");
    let (status, _, stderr) = run_cli(&["token", "--username", "newbie"], &env);
    assert_eq!(status, 1);
    assert!(stderr.contains("--password-stdin"), "{stderr}");
}
