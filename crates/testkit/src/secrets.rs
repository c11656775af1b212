//! Secrets Manager secrets and Parameter Store parameters in moto, for the tests of secret
//! references: moto serves every service on its one port and tells them apart by the
//! signing scope of the `Authorization` header, which it does not verify.

use serde_json::{Value, json};

use crate::{REGION, moto};

/// One JSON 1.1 call to moto's `service` (`secretsmanager`, `ssm`); the answer, or the error
/// type moto gave.
pub async fn call(service: &str, target: &str, body: Value) -> Result<Value, String> {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=testing/20260101/{REGION}/{service}/aws4_request, \
         SignedHeaders=host, Signature=00"
    );
    let resp = reqwest::Client::new()
        .post(format!("{}/", moto().endpoint))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", target)
        .header("authorization", auth)
        .body(body.to_string())
        .send()
        .await
        .expect("moto answers");
    let ok = resp.status().is_success();
    let answer: Value = resp.json().await.unwrap_or(Value::Null);
    if ok {
        Ok(answer)
    } else {
        Err(answer["__type"].as_str().unwrap_or("unknown").to_owned())
    }
}

/// Creates the secret `name` holding `value`; its ARN.
pub async fn create_secret(name: &str, value: &str) -> String {
    let out = call(
        "secretsmanager",
        "secretsmanager.CreateSecret",
        json!({"Name": name, "SecretString": value}),
    )
    .await
    .expect("CreateSecret");
    out["ARN"].as_str().expect("an ARN").to_owned()
}

/// Rotates the secret `id` to `value`: the old value becomes `AWSPREVIOUS`.
pub async fn put_secret_value(id: &str, value: &str) {
    call(
        "secretsmanager",
        "secretsmanager.PutSecretValue",
        json!({"SecretId": id, "SecretString": value}),
    )
    .await
    .expect("PutSecretValue");
}

/// Puts the parameter `name` of type `kind` (`SecureString`, `String`), overwriting it.
pub async fn put_parameter(name: &str, value: &str, kind: &str) {
    call(
        "ssm",
        "AmazonSSM.PutParameter",
        json!({"Name": name, "Value": value, "Type": kind, "Overwrite": true}),
    )
    .await
    .expect("PutParameter");
}
