//! Secret settings read from AWS by the real binary, against moto's Secrets Manager and
//! Parameter Store: the sign-in page (proxy mode, SRP, whose `SECRET_HASH` moto checks) signs
//! in with the app client secret from a JSON secret and seals its state with a state key from
//! a SecureString parameter; a rotation whose current value Cognito does not hold yet still
//! signs in with the previous one; a rotation is taken while serving; a reference that cannot
//! be read fails the start; and no secret value appears in stderr or the audit.

mod common;

use std::time::{Duration, Instant};

use common::login::{PASSWORD, serve_login, srp_client, submit, to_login_page, user};
use common::proxy::{Browser, config, pkce, public_client};
use common::{HttpServer, Pool, moto, new_pool, run_cli, secrets};
use serde_json::json;

/// A name no other test uses.
fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The server in proxy mode with the sign-in page, through app client `client_id`, with
/// `env` (the secret settings) and Secrets Manager and Parameter Store at moto.
async fn serve_with(
    pool: &Pool,
    client_id: &str,
    env: &[(&str, &str)],
) -> (HttpServer, tempfile::TempDir) {
    let state = tempfile::tempdir().expect("state dir");
    let cfg = config(state.path(), "", "");
    let mut all = vec![
        ("AWS_ENDPOINT_URL_SECRETS_MANAGER", moto().endpoint.as_str()),
        ("AWS_ENDPOINT_URL_SSM", moto().endpoint.as_str()),
        ("RUST_LOG", "trace"),
    ];
    all.extend_from_slice(env);
    let client = (client_id.to_owned(), None);
    let server = serve_login(pool, &client, &cfg, &state.path().join("state"), &all).await;
    (server, state)
}

/// Signs `username` in on the sign-in page: whether the page sent the browser on to the
/// callback (the sign-in worked), and the page otherwise.
async fn signs_in(s: &HttpServer, username: &str) -> Result<(), String> {
    let id = public_client(&s.base, "openid mcp/read").await;
    let (_, challenge) = pkce();
    let mut b = Browser::new();
    let page = to_login_page(&mut b, &s.base, &id, &challenge, "openid mcp/read").await;
    let got = submit(
        &mut b,
        &s.base,
        &page,
        "/login",
        &[("username", username), ("password", PASSWORD)],
    )
    .await;
    let to_callback = got
        .location
        .as_deref()
        .is_some_and(|l| l.contains("/auth/callback"));
    if got.status == 303 && to_callback {
        Ok(())
    } else {
        Err(format!("{} {}", got.status, got.text))
    }
}

/// The server's stderr and audit, as one text.
fn everything_written(s: &HttpServer) -> String {
    let read = |name: &str| std::fs::read_to_string(s.dir.path().join(name)).unwrap_or_default();
    format!("{}\n{}", read("stderr.log"), read("audit.jsonl"))
}

const STATE_KEY: &str = "c3RhdGUta2V5LWZyb20tc3NtLTMyLWJ5dGVzLWxvbmc=";

#[tokio::test]
async fn secrets_from_aws_sign_in_and_never_show() {
    let pool = new_pool().await;
    let (client_id, secret) = srp_client(&pool, true).await;
    let secret = secret.expect("a client secret");
    user(&pool, "ada", &["Admins"], false).await;
    let arn = secrets::create_secret(
        &unique("client"),
        &json!({"client_secret": secret}).to_string(),
    )
    .await;
    let parameter = format!("/{}/state-key", unique("app"));
    secrets::put_parameter(&parameter, STATE_KEY, "SecureString").await;
    let reference = format!("secretsmanager:{arn}#client_secret");
    let key_reference = format!("ssm:{parameter}");
    let (s, _state) = serve_with(
        &pool,
        &client_id,
        &[
            ("COGNITO_CLIENT_SECRET", &reference),
            ("COGNITO_MCP_STATE_KEY", &key_reference),
        ],
    )
    .await;
    signs_in(&s, "ada").await.expect("signed in");
    let written = everything_written(&s);
    assert!(written.contains("secret read from AWS"), "{written}");
    assert!(written.contains(&arn), "the reference is named: {written}");
    assert!(
        written.contains(&parameter),
        "the parameter is named: {written}"
    );
    for value in [secret.as_str(), STATE_KEY, PASSWORD] {
        assert!(!written.contains(value), "a secret value leaked");
    }
}

#[tokio::test]
async fn during_a_rotation_the_previous_secret_still_signs_in() {
    // Cognito holds only the secret from before the rotation; the stored secret's current
    // version is one Cognito does not know yet. moto 5.2.5 has no second app client secret,
    // so this is the state a two-secret rotation passes through on its way.
    let pool = new_pool().await;
    let (client_id, secret) = srp_client(&pool, true).await;
    let secret = secret.expect("a client secret");
    user(&pool, "ada", &["Admins"], false).await;
    let arn = secrets::create_secret(&unique("rotating"), &secret).await;
    secrets::put_secret_value(&arn, "not-yet-added-to-the-app-client").await;
    let reference = format!("secretsmanager:{arn}");
    let (s, _state) = serve_with(&pool, &client_id, &[("COGNITO_CLIENT_SECRET", &reference)]).await;
    // Twice: the second sign-in starts with the secret that worked.
    signs_in(&s, "ada").await.expect("signed in");
    signs_in(&s, "ada").await.expect("signed in again");
    let written = everything_written(&s);
    assert!(
        written.contains("trying the other one of the rotation"),
        "{written}"
    );
    assert!(!written.contains(&secret), "the client secret leaked");
    assert!(!written.contains("not-yet-added"), "the new secret leaked");
}

#[tokio::test]
async fn without_the_previous_secret_a_wrong_secret_fails() {
    let pool = new_pool().await;
    let (client_id, _) = srp_client(&pool, true).await;
    user(&pool, "ada", &["Admins"], false).await;
    let arn = secrets::create_secret(&unique("wrong"), "not-the-app-clients-secret").await;
    let reference = format!("secretsmanager:{arn}");
    let (s, _state) = serve_with(&pool, &client_id, &[("COGNITO_CLIENT_SECRET", &reference)]).await;
    let page = signs_in(&s, "ada").await.expect_err("refused");
    assert!(page.contains("misconfigured"), "{page}");
    assert!(everything_written(&s).contains("Cognito refused the SECRET_HASH"));
}

#[tokio::test]
async fn a_rotation_is_taken_while_serving() {
    let pool = new_pool().await;
    let (client_id, secret) = srp_client(&pool, true).await;
    let secret = secret.expect("a client secret");
    user(&pool, "ada", &["Admins"], false).await;
    let name = unique("later");
    let arn = secrets::create_secret(&name, "a-stale-secret").await;
    let reference = format!("secretsmanager:{name}");
    let (s, _state) = serve_with(
        &pool,
        &client_id,
        &[
            ("COGNITO_CLIENT_SECRET", &reference),
            ("COGNITO_MCP_SECRETS_REFRESH_SECS", "1"),
        ],
    )
    .await;
    assert!(
        signs_in(&s, "ada").await.is_err(),
        "the stale secret is refused"
    );
    secrets::put_secret_value(&arn, &secret).await;
    // Refreshed every second; a generous deadline for a loaded machine.
    let deadline = Instant::now() + Duration::from_secs(60);
    while let Err(page) = signs_in(&s, "ada").await {
        assert!(
            Instant::now() < deadline,
            "the rotation was not taken: {page}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let written = everything_written(&s);
    assert!(written.contains("the new value is in use"), "{written}");
    assert!(!written.contains(&secret), "the client secret leaked");
}

#[test]
fn a_reference_that_cannot_be_read_fails_the_start_naming_it() {
    let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:nowhere-AbCdEf";
    let reference = format!("secretsmanager:{arn}#client_secret");
    let (code, stdout, stderr) = run_cli(
        &["serve"],
        &[
            ("COGNITO_USER_POOL_ID", "us-east-1_AbCdEf123"),
            ("COGNITO_CLIENT_ID", "1example23456789"),
            ("COGNITO_CLIENT_SECRET", &reference),
            ("AWS_ENDPOINT_URL_SECRETS_MANAGER", moto().endpoint.as_str()),
        ],
    );
    assert_ne!(code, 0, "{stdout}{stderr}");
    assert!(
        stderr.contains("cannot read the secrets from AWS"),
        "{stderr}"
    );
    assert!(stderr.contains(&reference), "{stderr}");
    assert!(stderr.contains("AWS has no such secret"), "{stderr}");
}

#[test]
fn a_malformed_reference_fails_the_start_with_the_fix() {
    let (code, _, stderr) = run_cli(
        &["serve"],
        &[
            ("COGNITO_USER_POOL_ID", "us-east-1_AbCdEf123"),
            ("COGNITO_CLIENT_ID", "1example23456789"),
            (
                "COGNITO_CLIENT_SECRET",
                "secretsmanager:arn:aws:s3:::bucket",
            ),
        ],
    );
    assert_ne!(code, 0);
    assert!(
        stderr.contains("COGNITO_CLIENT_SECRET (or cognito.client_secret): the ARN after"),
        "{stderr}"
    );
}

/// At the hosted UI's token endpoint (the stand-in refuses a wrong app client secret with
/// `invalid_client`, as Cognito's does) a refresh after a rotation whose new secret Cognito
/// does not hold yet still works: the previous secret is tried once. (The code exchange is
/// retried the same way, but the stand-in's OAuth library spends the PKCE challenge on the
/// refused request, so a refused code cannot be tried again there.)
#[tokio::test]
async fn at_the_hosted_ui_the_previous_secret_of_a_rotation_still_refreshes() {
    use common::proxy::{
        REDIRECT, StandIn, UPSTREAM_SECRET, approve_to_callback, code_form, refresh_form,
        serve_proxy, token,
    };
    let pool = new_pool().await;
    let upstream = StandIn::start("alice", &["Admins"]).await;
    let arn = secrets::create_secret(&unique("hosted"), UPSTREAM_SECRET).await;
    let reference = format!("secretsmanager:{arn}");
    let state = tempfile::tempdir().expect("state dir");
    let cfg = config(state.path(), "", "");
    let server = serve_proxy(
        &pool,
        &upstream,
        &cfg,
        &state.path().join("state"),
        &[
            ("AWS_ENDPOINT_URL_SECRETS_MANAGER", moto().endpoint.as_str()),
            ("COGNITO_CLIENT_SECRET", &reference),
            ("COGNITO_MCP_SECRETS_REFRESH_SECS", "1"),
        ],
    )
    .await;
    let id = public_client(&server.base, "openid mcp/read").await;
    let (verifier, challenge) = pkce();
    let mut b = Browser::new();
    let to_callback =
        approve_to_callback(&mut b, &server.base, &id, &challenge, "openid mcp/read").await;
    let landed = b.get(&to_callback).await;
    let code = landed
        .query()
        .get("code")
        .cloned()
        .unwrap_or_else(|| panic!("no code: {landed:?}"));
    assert!(
        landed
            .location
            .as_deref()
            .is_some_and(|l| l.starts_with(REDIRECT))
    );
    let t = token(&server.base, &code_form(&code, &verifier, &id), None).await;
    assert_eq!(t.status, 200, "{}", t.text);
    let refresh = t.json()["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned();
    // The stored secret rotates to one the app client does not hold yet.
    secrets::put_secret_value(&arn, "not-yet-added-to-the-app-client").await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while !everything_written(&server).contains("the new value is in use") {
        assert!(Instant::now() < deadline, "the rotation was not taken");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let r = token(&server.base, &refresh_form(&refresh, &id), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let log = everything_written(&server);
    assert!(
        log.contains("trying the other one of the rotation"),
        "{log}"
    );
    assert!(!log.contains(UPSTREAM_SECRET), "the client secret leaked");
}

#[tokio::test]
async fn check_names_each_reference_it_read_and_no_value() {
    let pool = new_pool().await;
    let arn = secrets::create_secret(&unique("check"), "checked-client-secret").await;
    let reference = format!("secretsmanager:{arn}");
    let pool_id = pool.id.clone();
    let client_id = pool.client_id.clone();
    let (_, stdout, stderr) = tokio::task::spawn_blocking(move || {
        run_cli(
            &["check"],
            &[
                ("COGNITO_USER_POOL_ID", &pool_id),
                ("COGNITO_CLIENT_ID", &client_id),
                ("COGNITO_CLIENT_SECRET", &reference),
                ("AWS_ENDPOINT_URL_SECRETS_MANAGER", moto().endpoint.as_str()),
            ],
        )
    })
    .await
    .expect("check ran");
    assert!(
        stdout.contains(&format!(
            "ok: COGNITO_CLIENT_SECRET (or cognito.client_secret) read from AWS (secretsmanager:{arn}; the value is not shown)"
        )),
        "{stdout}{stderr}"
    );
    assert!(!format!("{stdout}{stderr}").contains("checked-client-secret"));
}
