//! One SigV4-signed AWS JSON 1.1 request over reqwest (feature `aws-secrets`): how the calls
//! made without an SDK crate go out. The secret reads (`secrets`) send theirs through it, and
//! so does `cognito-mcp check` for the identity pool's settings.

use std::time::SystemTime;

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_smithy_runtime_api::client::identity::Identity;

/// Where one call goes and what it is.
#[derive(Debug, Clone, Copy)]
pub struct JsonCall<'a> {
    /// The endpoint URL, ending in `/`.
    pub url: &'a str,
    /// The region to sign for.
    pub region: &'a str,
    /// The SigV4 signing name (`secretsmanager`, `cognito-identity`).
    pub service: &'a str,
    /// The whole `X-Amz-Target` (`AWSCognitoIdentityService.DescribeIdentityPool`).
    pub target: &'a str,
}

/// Why a call did not get an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The request could not be signed with these credentials.
    #[error("cannot sign the request: {0}")]
    Sign(String),
    /// The request could not be made or its answer read (the message names the URL).
    #[error("{0}")]
    Unreachable(String),
}

/// Sends `body` as `call`, signed with `identity`: the answer's status and body.
pub async fn post_json(
    http: &reqwest::Client,
    identity: &Identity,
    call: JsonCall<'_>,
    body: &str,
) -> Result<(u16, Vec<u8>), CallError> {
    let url = call.url;
    let headers = [
        ("content-type", "application/x-amz-json-1.1"),
        ("x-amz-target", call.target),
    ];
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(identity)
        .region(call.region)
        .name(call.service)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| CallError::Sign(e.to_string()))?
        .into();
    let signable = SignableRequest::new(
        "POST",
        url,
        headers.iter().copied(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .map_err(|e| CallError::Unreachable(format!("{url}: {e}")))?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| CallError::Sign(e.to_string()))?
        .into_parts();
    let mut req = http.post(url).body(body.to_owned());
    for (name, value) in headers.iter().copied().chain(instructions.headers()) {
        req = req.header(name, value);
    }
    let resp = req
        .send()
        .await
        .map_err(|e| CallError::Unreachable(format!("{url}: {e}")))?;
    let status = resp.status().as_u16();
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| CallError::Unreachable(format!("{url}: {e}")))?
        .to_vec();
    Ok((status, bytes))
}
