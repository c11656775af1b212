//! The wire shape of the operations the Rust SDK does not model yet (`json_api`): what goes
//! out is the operation's own JSON 1.1 request, SigV4-signed over the body actually sent.
//! When the SDK ships these operations and the callers switch to it, this test still says
//! what Cognito must receive.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use cognito_admin::{CognitoAdmin, CreateCimdPolicy, ListUserPoolClients};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const POOL: &str = "us-east-1_Wire";

/// One request as it arrived: method line, headers (lowercase names), body.
struct Captured {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Captured {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A server on 127.0.0.1 that answers each request with `answer` and hands over what came.
async fn capture(answer: Value) -> (String, tokio::sync::mpsc::Receiver<Captured>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let (head, mut body) = loop {
                let n = s.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    return;
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break (
                        String::from_utf8_lossy(&buf[..i]).into_owned(),
                        buf[i + 4..].to_vec(),
                    );
                }
            };
            let headers: Vec<(String, String)> = head
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                .collect();
            let len: usize = headers
                .iter()
                .find(|(k, _)| k == "content-length")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            while body.len() < len {
                let n = s.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
            }
            let text = answer.to_string();
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.1\r\n\
                 x-amzn-requestid: wire-1\r\ncontent-length: {}\r\n\r\n{text}",
                text.len()
            );
            let _ = s.write_all(reply.as_bytes()).await;
            let _ = tx.send(Captured { headers, body }).await;
        }
    });
    (url, rx)
}

async fn admin_at(url: &str) -> CognitoAdmin {
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(Credentials::new(
            "AKIDWIRE",
            "wire-secret",
            None,
            None,
            "test",
        ))
        .load()
        .await;
    CognitoAdmin::new(aws_sdk_cognitoidentityprovider::Client::new(&conf), POOL)
}

/// The signature over `c` as sent, computed afresh from the headers it says it signed.
fn signature_of(c: &Captured, url: &str, body: &[u8]) -> String {
    let auth = c.header("authorization").expect("signed");
    let signed: Vec<&str> = auth
        .split("SignedHeaders=")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .expect("SignedHeaders")
        .split(';')
        .collect();
    let date = c.header("x-amz-date").expect("x-amz-date");
    let time = chrono_free_time(date);
    let headers: Vec<(&str, &str)> = c
        .headers
        .iter()
        .filter(|(k, _)| signed.contains(&k.as_str()) && k != "x-amz-date")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let identity = Credentials::new("AKIDWIRE", "wire-secret", None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("cognito-idp")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .expect("params")
        .into();
    let request = SignableRequest::new(
        "POST",
        format!("{url}/"),
        headers.into_iter(),
        SignableBody::Bytes(body),
    )
    .expect("signable");
    sign(request, &params).expect("sign").signature().to_owned()
}

/// `20261204T211500Z` as a time.
fn chrono_free_time(amz: &str) -> SystemTime {
    let n = |r: std::ops::Range<usize>| amz[r].parse::<i64>().expect("digits");
    let (y, m, d) = (n(0..4), n(4..6), n(6..8));
    let (hh, mm, ss) = (n(9..11), n(11..13), n(13..15));
    // Days from the civil date (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss;
    SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs as u64)
}

#[tokio::test]
async fn create_cimd_policy_goes_out_as_its_own_signed_json_request() {
    let answer = json!({"CIMDPolicy": {
        "UserPoolId": POOL, "CIMDPolicyId": "p1", "PolicyName": "agents",
        "ClientId": "client1", "URLPatterns": ["https://clients.example.com/*"],
        "CacheDuration": 86400, "CreationDate": 1_765_000_000.0
    }});
    let (url, mut seen) = capture(answer).await;
    let admin = admin_at(&url).await;
    let created = admin
        .create_cimd_policy(
            &serde_json::from_value::<CreateCimdPolicy>(json!({
                "policy_name": "agents",
                "client_id": "client1",
                "url_patterns": ["https://clients.example.com/*"],
                "cache_duration_secs": 86400
            }))
            .expect("input"),
        )
        .await
        .expect("created");
    assert_eq!(
        created.summary.policy_id, "p1",
        "the answer is read from the raw body"
    );
    assert_eq!(created.url_patterns, ["https://clients.example.com/*"]);

    let c = seen.recv().await.expect("one request");
    assert_eq!(
        c.header("x-amz-target"),
        Some("AWSCognitoIdentityProviderService.CreateCIMDPolicy")
    );
    assert_eq!(c.header("content-type"), Some("application/x-amz-json-1.1"));
    let body: Value = serde_json::from_slice(&c.body).expect("JSON body");
    assert_eq!(
        body,
        json!({
            "UserPoolId": POOL,
            "ClientId": "client1",
            "PolicyName": "agents",
            "URLPatterns": ["https://clients.example.com/*"],
            "CacheDuration": 86400
        }),
        "the operation's own members, nothing of the carrier"
    );
    assert_eq!(
        c.header("content-length"),
        Some(c.body.len().to_string().as_str())
    );

    let auth = c.header("authorization").expect("signed");
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDWIRE/"),
        "{auth}"
    );
    assert!(
        auth.contains("/us-east-1/cognito-idp/aws4_request"),
        "{auth}"
    );
    assert!(
        auth.contains("x-amz-target"),
        "the target is signed: {auth}"
    );
    let sent = auth.rsplit("Signature=").next().expect("signature");
    assert_eq!(
        signature_of(&c, &url, &c.body),
        sent,
        "the signature covers the body sent"
    );
    let mut other = c.body.clone();
    other[1] ^= 0x20;
    assert_ne!(
        signature_of(&c, &url, &other),
        sent,
        "and would not cover another one"
    );
}

#[tokio::test]
async fn listing_clients_sends_the_client_type_filter_the_sdk_lacks() {
    let (url, mut seen) = capture(json!({"UserPoolClients": []})).await;
    let admin = admin_at(&url).await;
    let page = admin
        .list_user_pool_clients(
            &serde_json::from_value::<ListUserPoolClients>(json!({
                "kind": "dynamic", "limit": 5
            }))
            .expect("input"),
        )
        .await
        .expect("listed");
    assert_eq!(page.count, 0);
    let c = seen.recv().await.expect("one request");
    assert_eq!(
        c.header("x-amz-target"),
        Some("AWSCognitoIdentityProviderService.ListUserPoolClients")
    );
    let body: Value = serde_json::from_slice(&c.body).expect("JSON body");
    assert_eq!(
        body,
        json!({"UserPoolId": POOL, "MaxResults": 5, "ClientType": "DCR"})
    );
}
