//! The server on AWS Lambda: the real binary under a Lambda Runtime API emulator
//! (`scripts/lambda-invoke.py`), fed API Gateway HTTP API and Function URL events, with real
//! Cognito tokens from moto. The public URL is learned from the request context's domain.

mod common;

use common::lambda::{API_DOMAIN, CargoLambda, Front, Request, URL_DOMAIN, invoke};
use common::{new_pool, run_cli, tokens_for};
use serde_json::{Value, json};

fn tool_names(body: &Value) -> Vec<String> {
    let mut names: Vec<String> = body["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("no tool list in {body}"))
        .iter()
        .filter_map(|t| t["name"].as_str().map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// What `tools/list` shows a `ReadOnly` user: read tools, no write tools.
fn assert_read_only_list(body: &Value) {
    let names = tool_names(body);
    assert!(names.contains(&"list_users".to_owned()), "{names:?}");
    assert!(names.contains(&"whoami".to_owned()), "{names:?}");
    assert!(!names.contains(&"create_user".to_owned()), "{names:?}");
}

#[tokio::test]
async fn tools_list_through_an_http_api() {
    let pool = new_pool().await;
    let (reader, _) = tokens_for(&pool, "rita", &["ReadOnly"]).await;
    // No arguments, as Lambda's provided.al2023 runtime starts `bootstrap`.
    let run = invoke(
        &pool,
        &[Request::rpc(
            Front::HttpApi,
            Some(&reader),
            "tools/list",
            json!({}),
        )],
        &[],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.init_ms.is_some());
    let a = &run.answers[0];
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_read_only_list(&a.body);
}

#[tokio::test]
async fn tools_list_under_cargo_lambda_watch() {
    let pool = new_pool().await;
    let (reader, _) = tokens_for(&pool, "cleo", &["ReadOnly"]).await;
    let emulator = CargoLambda::start(&pool);
    let a = emulator
        .invoke(&Request::rpc(Front::FunctionUrl, Some(&reader), "tools/list", json!({})).base64());
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_read_only_list(&a.body);
}

#[tokio::test]
async fn tools_list_through_a_function_url_with_a_base64_body() {
    let pool = new_pool().await;
    let (admin, _) = tokens_for(&pool, "ada", &["Admins"]).await;
    let (reader, _) = tokens_for(&pool, "rory", &["ReadOnly"]).await;
    let run = invoke(
        &pool,
        &[
            Request::rpc(Front::FunctionUrl, Some(&reader), "tools/list", json!({})).base64(),
            Request::rpc(Front::FunctionUrl, Some(&admin), "tools/list", json!({})).base64(),
        ],
        &["serve", "--transport", "lambda"],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.answers[0].status, 200, "{:?}", run.answers[0].body);
    assert_read_only_list(&run.answers[0].body);
    let all = tool_names(&run.answers[1].body);
    assert!(all.contains(&"delete_user".to_owned()), "{all:?}");
    assert!(all.len() > tool_names(&run.answers[0].body).len());
}

#[tokio::test]
async fn no_token_fails_and_the_challenge_names_the_learned_url() {
    let pool = new_pool().await;
    let run = invoke(
        &pool,
        &[
            Request::rpc(Front::FunctionUrl, None, "tools/list", json!({})).base64(),
            Request::get(
                Front::FunctionUrl,
                "/.well-known/oauth-protected-resource/mcp",
            ),
        ],
        &[],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let challenge = &run.answers[0];
    assert_eq!(challenge.status, 401, "{:?}", challenge.body);
    let www = challenge.header("www-authenticate");
    assert!(www.starts_with("Bearer "), "{www}");
    assert!(
        www.contains(&format!(
            "resource_metadata=\"https://{URL_DOMAIN}/.well-known/oauth-protected-resource/mcp\""
        )),
        "{www}"
    );
    let doc = &run.answers[1];
    assert_eq!(doc.status, 200);
    assert_eq!(doc.body["resource"], format!("https://{URL_DOMAIN}/mcp"));
    assert_eq!(
        doc.body["authorization_servers"],
        json!([format!(
            "https://cognito-idp.us-east-1.amazonaws.com/{}",
            pool.id
        )])
    );
}

#[tokio::test]
async fn http_api_metadata_names_the_api_domain() {
    let pool = new_pool().await;
    let run = invoke(
        &pool,
        &[Request::get(
            Front::HttpApi,
            "/.well-known/oauth-protected-resource/mcp",
        )],
        &[],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.answers[0].body["resource"],
        format!("https://{API_DOMAIN}/mcp")
    );
}

#[tokio::test]
async fn wrong_host_fails() {
    let pool = new_pool().await;
    let (reader, _) = tokens_for(&pool, "hal", &["ReadOnly"]).await;
    let list = |host: &str| {
        Request::rpc(Front::FunctionUrl, Some(&reader), "tools/list", json!({}))
            .header("host", host)
    };
    let run = invoke(
        &pool,
        &[
            // Before the URL is known: refused, and nothing is learned from it.
            list("evil.example.com"),
            list(URL_DOMAIN),
            // After: the MCP endpoint's own Host allow-list refuses it.
            list("evil.example.com"),
        ],
        &[],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.answers[0].status, 403, "{:?}", run.answers[0].body);
    assert_eq!(run.answers[1].status, 200, "{:?}", run.answers[1].body);
    assert_eq!(run.answers[2].status, 403, "{:?}", run.answers[2].body);
}

#[tokio::test]
async fn tool_calls_are_audited_on_stderr_without_the_token() {
    let pool = new_pool().await;
    let (dev, _) = tokens_for(&pool, "dana", &["Developers"]).await;
    let run = invoke(
        &pool,
        &[Request::rpc(
            Front::FunctionUrl,
            Some(&dev),
            "tools/call",
            json!({"name": "list_users", "arguments": {}}),
        )
        .base64()],
        &[],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.answers[0].status, 200);
    assert_eq!(
        run.answers[0].body["result"]["isError"], false,
        "{:?}",
        run.answers[0].body
    );
    let audit: Vec<Value> = run
        .stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("tool").is_some())
        .collect();
    assert_eq!(audit.len(), 1, "{}", run.stderr);
    assert_eq!(audit[0]["tool"], "list_users");
    assert_eq!(audit[0]["outcome"], "ok");
    assert!(
        audit[0]["actor"]
            .as_str()
            .is_some_and(|a| a.contains("dana")),
        "{}",
        audit[0]
    );
    assert!(!run.stderr.contains(&dev), "the token reached the log");
}

#[tokio::test]
async fn embedded_store_fails_at_start() {
    let pool = new_pool().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = common::proxy::config(dir.path(), "upstream = \"login\"", "");
    let run = invoke(
        &pool,
        &[Request::get(Front::FunctionUrl, "/healthz")],
        &[],
        &[("COGNITO_MCP_CONFIG", config.to_str().expect("utf-8"))],
    );
    assert_ne!(run.code, 0);
    assert!(run.answers.is_empty());
    let error = run
        .init_error
        .expect("an init error posted to the Runtime API");
    assert_eq!(error["errorType"], "CognitoMcp.StartFailed");
    let message = error["errorMessage"].as_str().unwrap_or_default();
    assert!(message.contains("auth.store = \"redis\""), "{message}");
}

#[tokio::test]
async fn memory_store_serves_the_authorization_server_at_the_learned_url() {
    let pool = new_pool().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = common::proxy::config(dir.path(), "upstream = \"login\"\nstore = \"memory\"", "");
    let run = invoke(
        &pool,
        &[Request::get(
            Front::FunctionUrl,
            "/.well-known/oauth-authorization-server",
        )],
        &[],
        &[("COGNITO_MCP_CONFIG", config.to_str().expect("utf-8"))],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = &run.answers[0].body;
    assert_eq!(doc["issuer"], format!("https://{URL_DOMAIN}"), "{doc}");
    assert_eq!(
        doc["token_endpoint"],
        format!("https://{URL_DOMAIN}/token"),
        "{doc}"
    );
    assert!(
        run.stderr.contains("reserved concurrency"),
        "{}",
        run.stderr
    );
}

#[test]
fn lambda_transport_outside_lambda_fails() {
    let (code, _, stderr) = run_cli(
        &["serve", "--transport", "lambda"],
        &[
            ("COGNITO_USER_POOL_ID", "us-east-1_AbCdEf123"),
            ("COGNITO_CLIENT_ID", "1example23456789"),
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("AWS_LAMBDA_RUNTIME_API"), "{stderr}");
}

#[test]
fn no_arguments_outside_lambda_still_print_usage() {
    let (code, _, stderr) = run_cli(&[], &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("Usage"), "{stderr}");
}
