//! Secret references against moto's Secrets Manager and Parameter Store: each kind of
//! reference, each way of being wrong, and a rotation taken without a restart.

use std::time::{Duration, Instant};

use cognito_mcp_auth::config::Secret;
use cognito_mcp_auth::secrets::{Failure, SecretRefresher, SecretSetting};
use cognito_mcp_testkit::{REGION, moto, secrets};

/// The environment the refresher reads: moto's endpoint and its fake credentials.
fn env(k: &str) -> Option<String> {
    match k {
        "AWS_ENDPOINT_URL" => Some(moto().endpoint.clone()),
        "AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY" => Some("testing".into()),
        _ => None,
    }
}

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

fn setting(text: &str) -> SecretSetting {
    SecretSetting::new("COGNITO_CLIENT_SECRET", &Secret::new(text))
}

async fn start(
    s: &SecretSetting,
) -> Result<SecretRefresher, Vec<cognito_mcp_auth::secrets::SecretError>> {
    SecretRefresher::start([s.clone()], REGION, Duration::from_secs(1), &env)
        .await
        .map(|r| r.expect("a reference to read"))
}

#[tokio::test]
async fn a_secret_string_is_read_by_arn_and_by_name() {
    let name = unique("plain");
    let arn = secrets::create_secret(&name, "the-client-secret-1").await;
    for text in [
        format!("secretsmanager:{arn}"),
        format!("secretsmanager:{name}"),
    ] {
        let s = setting(&text);
        assert!(s.current().is_empty(), "nothing before it is read");
        start(&s).await.expect("read");
        assert_eq!(s.current().expose(), "the-client-secret-1");
        assert!(s.value().versions().previous().is_none());
    }
}

#[tokio::test]
async fn a_json_member_is_read_by_key() {
    let name = unique("json");
    let arn = secrets::create_secret(
        &name,
        r#"{"client_secret":"from-json","redis_url":"redis://:pw@cache:6379"}"#,
    )
    .await;
    let s = setting(&format!("secretsmanager:{arn}#client_secret"));
    start(&s).await.expect("read");
    assert_eq!(s.current().expose(), "from-json");
}

#[tokio::test]
async fn a_secure_string_parameter_is_read_decrypted() {
    let name = format!("/{}/state-key", unique("app"));
    secrets::put_parameter(&name, "c2VjdXJlLXN0cmluZy12YWx1ZQ==", "SecureString").await;
    let s = setting(&format!("ssm:{name}"));
    start(&s).await.expect("read");
    assert_eq!(s.current().expose(), "c2VjdXJlLXN0cmluZy12YWx1ZQ==");
}

#[tokio::test]
async fn a_plain_string_parameter_fails() {
    let name = format!("/{}/in-the-clear", unique("app"));
    secrets::put_parameter(&name, "not-encrypted", "String").await;
    let errors = start(&setting(&format!("ssm:{name}")))
        .await
        .expect_err("refused");
    assert_eq!(errors[0].failure, Failure::NotSecureString("String".into()));
    let text = errors[0].to_string();
    assert!(
        text.contains(&name) && text.contains("SecureString"),
        "{text}"
    );
    assert!(!text.contains("not-encrypted"), "{text}");
}

#[tokio::test]
async fn a_missing_secret_fails_naming_the_arn() {
    let arn = format!(
        "arn:aws:secretsmanager:{REGION}:123456789012:secret:{}-AbCdEf",
        unique("missing")
    );
    let errors = start(&setting(&format!("secretsmanager:{arn}")))
        .await
        .expect_err("no such secret");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].failure, Failure::NotFound);
    let text = errors[0].to_string();
    assert!(
        text.starts_with("COGNITO_CLIENT_SECRET (secretsmanager:arn:aws:secretsmanager:"),
        "{text}"
    );
    assert!(text.contains(&arn), "{text}");
}

#[tokio::test]
async fn a_missing_json_key_fails_naming_the_key() {
    let arn = secrets::create_secret(&unique("nokey"), r#"{"other":"x-value"}"#).await;
    let errors = start(&setting(&format!("secretsmanager:{arn}#client_secret")))
        .await
        .expect_err("no such member");
    assert_eq!(
        errors[0].failure,
        Failure::MissingKey("client_secret".into())
    );
    let text = errors[0].to_string();
    assert!(text.contains("\"client_secret\""), "{text}");
    assert!(!text.contains("x-value"), "{text}");
}

#[tokio::test]
async fn a_json_key_of_a_plain_secret_fails() {
    let arn = secrets::create_secret(&unique("notjson"), "plain-value").await;
    let errors = start(&setting(&format!("secretsmanager:{arn}#k")))
        .await
        .expect_err("not JSON");
    assert_eq!(errors[0].failure, Failure::NotJson);
}

#[tokio::test]
async fn a_value_the_check_refuses_fails_without_showing_it() {
    let arn = secrets::create_secret(&unique("checked"), "short-key").await;
    let s = setting(&format!("secretsmanager:{arn}")).check(|v| {
        (v.len() == 44)
            .then_some(())
            .ok_or_else(|| "not 32 bytes in base64".to_owned())
    });
    let errors = start(&s).await.expect_err("refused by the check");
    let text = errors[0].to_string();
    assert!(text.contains("not 32 bytes in base64"), "{text}");
    assert!(!text.contains("short-key"), "{text}");
    assert!(s.current().is_empty(), "an unusable value is not taken");
}

#[tokio::test]
async fn a_rotation_is_taken_at_the_next_refresh_with_the_previous_value_kept() {
    let arn = secrets::create_secret(&unique("rotated"), "secret-before").await;
    let s = setting(&format!("secretsmanager:{arn}"));
    let refresher = start(&s).await.expect("read");
    let user = s.value().clone();
    assert_eq!(refresher.refresh_now().await, 0, "nothing changed yet");
    secrets::put_secret_value(&arn, "secret-after").await;
    assert_eq!(refresher.refresh_now().await, 1);
    assert_eq!(user.current().expose(), "secret-after");
    assert_eq!(
        user.versions().previous().map(Secret::expose),
        Some("secret-before"),
        "AWSPREVIOUS is the value before the rotation"
    );
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_last_value() {
    let arn = secrets::create_secret(&unique("deleted"), "kept-value").await;
    let s = setting(&format!("secretsmanager:{arn}"));
    let refresher = start(&s).await.expect("read");
    secrets::call(
        "secretsmanager",
        "secretsmanager.DeleteSecret",
        serde_json::json!({"SecretId": arn, "ForceDeleteWithoutRecovery": true}),
    )
    .await
    .expect("DeleteSecret");
    assert_eq!(refresher.refresh_now().await, 0);
    assert_eq!(s.current().expose(), "kept-value");
}

#[tokio::test]
async fn the_background_refresh_takes_a_rotation() {
    let arn = secrets::create_secret(&unique("background"), "first-value").await;
    let s = setting(&format!("secretsmanager:{arn}"));
    let refresher = start(&s).await.expect("read");
    let _task = refresher.spawn();
    secrets::put_secret_value(&arn, "second-value").await;
    // Every second; a generous deadline for a loaded machine.
    let deadline = Instant::now() + Duration::from_secs(60);
    while s.current().expose() != "second-value" {
        assert!(Instant::now() < deadline, "the rotation was not taken");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_explicit_previous_setting_wins_over_awsprevious() {
    let arn = secrets::create_secret(&unique("explicit"), "v1").await;
    secrets::put_secret_value(&arn, "v2").await;
    let s = setting(&format!("secretsmanager:{arn}")).previous(
        "COGNITO_CLIENT_SECRET_PREVIOUS",
        &Secret::new("literal-before"),
    );
    start(&s).await.expect("read");
    assert_eq!(s.current().expose(), "v2");
    assert_eq!(
        s.value().versions().previous().map(Secret::expose),
        Some("literal-before")
    );
}
