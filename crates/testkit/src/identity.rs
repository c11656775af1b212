//! The Cognito identity-pool stand-in, `scripts/identity-stand-in.mjs`: GetId and
//! GetCredentialsForIdentity as AWS documents them (the user pool's ID token verified, a
//! stable identity per user, the role by the pool's mapping), with moto keeping the pools and
//! its STS issuing fresh credentials per call.

use std::process::Stdio;

use serde_json::Value;

use crate::{node_bin, root};

/// The identity-pool stand-in; stops when dropped (its stdin closes).
#[derive(Debug)]
pub struct IdentityStandIn {
    /// Where it listens (`http://127.0.0.1:PORT`): the `cognito-identity` endpoint.
    pub url: String,
    _child: tokio::process::Child,
}

impl IdentityStandIn {
    /// Starts it in front of moto (`aws_upstream`), trusting each `(provider, issuer)`: the
    /// Logins key `cognito-idp.REGION.amazonaws.com/POOL` and the issuer of its ID tokens
    /// (whose keys are at `{issuer}/.well-known/jwks.json`).
    pub async fn start(aws_upstream: &str, providers: &[(&str, &str)]) -> Self {
        use tokio::io::AsyncBufReadExt;
        let mut cmd = tokio::process::Command::new(node_bin().join("node"));
        cmd.arg(root().join("scripts/identity-stand-in.mjs"))
            .args(["--aws-upstream", aws_upstream]);
        for (name, issuer) in providers {
            cmd.arg("--provider").arg(format!("{name}={issuer}"));
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start the identity stand-in");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let line = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
            .await
            .expect("the identity stand-in started in time")
            .expect("read")
            .expect("the identity stand-in printed its URL");
        let url = line
            .strip_prefix("identity ")
            .unwrap_or_else(|| panic!("unexpected {line:?}"))
            .to_owned();
        Self { url, _child: child }
    }

    /// One cognito-identity call (JSON 1.1), as the AWS CLI would make it: (status, answer).
    pub async fn api(&self, operation: &str, body: Value) -> (u16, Value) {
        let r = reqwest::Client::new()
            .post(format!("{}/", self.url))
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", format!("AWSCognitoIdentityService.{operation}"))
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/cognito-identity/aws4_request, SignedHeaders=host, Signature=0",
            )
            .body(body.to_string())
            .send()
            .await
            .expect("cognito-identity call");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// What it served: `{op, identity_pool_id, identity_id, provider, role_arn,
    /// access_key_id, error}` per request (never a token or a secret).
    pub async fn requests(&self) -> Vec<Value> {
        reqwest::get(format!("{}/_control/requests", self.url))
            .await
            .expect("requests")
            .json()
            .await
            .expect("json")
    }
}
