//! `/metrics` (`[metrics] enabled = true`): Prometheus counters of requests, token checks,
//! tool calls and AWS calls that move by exactly what the test did, with labels from bounded
//! sets only: no user, token, client id or caller-chosen name in the text. Off by default; on
//! a listener of its own when `metrics.bind` says so.

mod common;

use std::collections::BTreeMap;

use common::{HttpServer, http_call, new_pool, serve_http, tokens_for};
use serde_json::json;

/// `name{labels}` → value, for every sample of the text format.
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (key, value) = l.rsplit_once(' ')?;
            Some((key.to_owned(), value.parse().ok()?))
        })
        .collect()
}

/// The value of `name` whose labels include every `label="value"` of `labels` (0 if none).
fn value(samples: &BTreeMap<String, f64>, name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|(k, _)| {
            k.split_once('{').map_or(k.as_str(), |(n, _)| n) == name
                && labels
                    .iter()
                    .all(|(l, v)| k.contains(&format!("{l}=\"{v}\"")))
        })
        .map(|(_, v)| v)
        .sum()
}

async fn scrape(url: &str) -> (u16, String) {
    let r = reqwest::get(url).await.expect("GET /metrics");
    (r.status().as_u16(), r.text().await.expect("body"))
}

/// The attacks: reading who uses the server from its metrics, or growing them without bound
/// with caller-chosen names. And the counts must be what happened, not approximations.
#[tokio::test]
async fn metrics_that_leak_identities_or_miscount_fail() {
    let pool = new_pool().await;
    let (reader, _) = tokens_for(&pool, "bob", &["ReadOnly"]).await;
    let s: HttpServer = serve_http(&pool, &[("COGNITO_MCP_METRICS", "true")]).await;

    assert_eq!(
        http_call(&s.base, &reader, "whoami", json!({}))
            .await
            .status,
        200
    );
    let found = http_call(&s.base, &reader, "get_user", json!({"username": "bob"})).await;
    assert_eq!(found.body["result"]["isError"], false, "{:?}", found.body);
    let missing = http_call(&s.base, &reader, "get_user", json!({"username": "ghost"})).await;
    assert_eq!(
        missing.body["result"]["isError"], true,
        "{:?}",
        missing.body
    );
    let secret_name = "tool-named-after-a-secret-7f3a";
    http_call(&s.base, &reader, secret_name, json!({})).await;
    // The real token with its signature cut short: rejected.
    let forged = reader[..reader.len() - 8].to_owned();
    let r = http_call(&s.base, &forged, "whoami", json!({})).await;
    assert_eq!(r.status, 401);

    let (status, text) = scrape(&format!("{}/metrics", s.base)).await;
    assert_eq!(status, 200, "{text}");
    let m = samples(&text);
    let calls = "cognito_mcp_tool_calls_total";
    assert_eq!(
        value(&m, calls, &[("tool", "whoami"), ("outcome", "ok")]),
        1.0,
        "{text}"
    );
    assert_eq!(
        value(&m, calls, &[("tool", "get_user"), ("outcome", "ok")]),
        1.0
    );
    assert_eq!(
        value(
            &m,
            calls,
            &[
                ("tool", "get_user"),
                ("outcome", "error"),
                ("error", "user_not_found")
            ]
        ),
        1.0,
        "{text}"
    );
    assert_eq!(value(&m, calls, &[("tool", "unknown")]), 1.0, "{text}");
    assert_eq!(
        value(
            &m,
            "cognito_mcp_aws_requests_total",
            &[("operation", "AdminGetUser")]
        ),
        2.0,
        "{text}"
    );
    let checks = "cognito_mcp_token_verifications_total";
    assert_eq!(value(&m, checks, &[("outcome", "ok")]), 4.0, "{text}");
    assert_eq!(
        value(&m, checks, &[]) - value(&m, checks, &[("outcome", "ok")]),
        1.0
    );
    let requests = "cognito_mcp_http_requests_total";
    assert_eq!(
        value(&m, requests, &[("route", "/mcp"), ("status", "401")]),
        1.0,
        "{text}"
    );
    assert_eq!(
        value(&m, requests, &[("route", "/mcp"), ("status", "200")]),
        4.0,
        "{text}"
    );

    for leak in [
        "bob",
        "ghost",
        secret_name,
        reader.as_str(),
        pool.client_id.as_str(),
        pool.id.as_str(),
    ] {
        assert!(!text.contains(leak), "the metrics name {leak:?}");
    }
}

#[tokio::test]
async fn metrics_served_when_not_asked_for_or_on_the_wrong_listener_fail() {
    let pool = new_pool().await;
    let off = serve_http(&pool, &[]).await;
    assert_eq!(
        scrape(&format!("{}/metrics", off.base)).await.0,
        404,
        "off by default"
    );

    let own = serve_http(
        &pool,
        &[
            ("COGNITO_MCP_METRICS", "true"),
            ("COGNITO_MCP_METRICS_BIND", "127.0.0.1:0"),
        ],
    )
    .await;
    let log = std::fs::read_to_string(own.dir.path().join("stderr.log")).unwrap_or_default();
    let addr = log
        .lines()
        .find(|l| l.contains("serving metrics"))
        .and_then(|l| l.split("addr=").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no metrics address in the log: {log}"))
        .to_owned();
    assert_eq!(
        scrape(&format!("{}/metrics", own.base)).await.0,
        404,
        "not on the public listener when it has its own"
    );
    let (status, text) = scrape(&format!("http://{addr}/metrics")).await;
    assert_eq!(status, 200);
    assert!(text.contains("cognito_mcp_") || text.is_empty(), "{text}");
}

/// Proxy mode with the sign-in page: a registration, a wrong password and a right one, then
/// a tool call, each moves its counter by exactly one, the store's operations are counted with
/// their latency, and neither the user, the client id nor the password shows in the text.
#[tokio::test]
async fn proxy_mode_counts_registrations_sign_ins_and_store_operations() {
    use common::login::{PASSWORD, password_client, serve_login, submit, to_login_page, user};
    use common::proxy::{Browser, code_form, config, pkce, public_client, token};

    let pool = new_pool().await;
    let client = password_client(&pool, true).await;
    user(&pool, "rhea", &["ReadOnly"], false).await;
    let state = tempfile::tempdir().expect("state");
    let cfg = config(state.path(), "", "");
    let s = serve_login(
        &pool,
        &client,
        &cfg,
        &state.path().join("state"),
        &[("COGNITO_MCP_METRICS", "true")],
    )
    .await;
    let metrics_url = format!("{}/metrics", s.base);
    let before = samples(&scrape(&metrics_url).await.1);

    let id = public_client(&s.base, "openid mcp/read").await;
    let (verifier, challenge) = pkce();
    let mut b = Browser::new();
    let page = to_login_page(&mut b, &s.base, &id, &challenge, "openid mcp/read").await;
    let wrong = submit(
        &mut b,
        &s.base,
        &page,
        "/login",
        &[("username", "rhea"), ("password", "Not-Her-Password-1")],
    )
    .await;
    assert_eq!(wrong.status, 401, "the page again, with the error");
    let page = to_login_page(&mut b, &s.base, &id, &challenge, "openid mcp/read").await;
    let got = submit(
        &mut b,
        &s.base,
        &page,
        "/login",
        &[("username", "rhea"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(got.status, 303, "{}", got.text);
    let done = b.follow(got).await;
    let code = done.query()["code"].clone();
    let t = token(&s.base, &code_form(&code, &verifier, &id), None).await;
    assert_eq!(t.status, 200, "{}", t.text);
    let access = t.json()["access_token"].as_str().expect("at").to_owned();
    assert_eq!(
        http_call(&s.base, &access, "whoami", json!({}))
            .await
            .status,
        200
    );

    let (_, text) = scrape(&metrics_url).await;
    let after = samples(&text);
    let moved = |name: &str, labels: &[(&str, &str)]| {
        value(&after, name, labels) - value(&before, name, labels)
    };
    assert_eq!(
        moved(
            "cognito_mcp_registrations_total",
            &[("outcome", "registered")]
        ),
        1.0,
        "{text}"
    );
    assert_eq!(
        moved("cognito_mcp_sign_in_attempts_total", &[("outcome", "ok")]),
        1.0,
        "{text}"
    );
    let failed: f64 = after
        .iter()
        .filter(|(k, _)| {
            k.starts_with("cognito_mcp_sign_in_attempts_total{") && !k.contains("outcome=\"ok\"")
        })
        .map(|(_, v)| v)
        .sum();
    assert_eq!(failed, 1.0, "the wrong password, under its code: {text}");
    // The registration was written once, new; the code taken once; the revocation asked once
    // per authenticated request at least.
    assert!(
        moved(
            "cognito_mcp_store_operations_total",
            &[("operation", "put_new"), ("outcome", "ok")]
        ) >= 1.0,
        "{text}"
    );
    assert!(
        moved(
            "cognito_mcp_store_operations_total",
            &[("operation", "take"), ("outcome", "ok")]
        ) >= 1.0,
        "{text}"
    );
    assert!(
        moved(
            "cognito_mcp_store_operations_total",
            &[("operation", "any_live")]
        ) >= 1.0,
        "{text}"
    );
    assert!(
        value(
            &after,
            "cognito_mcp_store_operation_duration_seconds_count",
            &[]
        ) >= 3.0,
        "latency recorded: {text}"
    );
    for secret in ["rhea", &id, PASSWORD, "Not-Her-Password-1", &access] {
        assert!(!text.contains(secret), "{secret} in the metrics");
    }
}
