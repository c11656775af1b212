//! OpenTelemetry traces (`--features otel`, `COGNITO_MCP_TRACES=true`): the real binary sends
//! its spans over OTLP/HTTP protobuf to a small collector in the test, which decodes them with
//! `opentelemetry-proto`. A span per HTTP request, tool call and AWS request, nested in that
//! order (over stdio the tool call is the root), continuing a client's `traceparent`; the tool
//! span's call id is the audit line's and the AWS span's request id is moto's; the batch is
//! exported at shutdown; and no span carries a user name, an email, a password or a token.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use common::{HttpServer, new_pool, rpc, serve, serve_http, tokens_for};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use prost::Message as _;
use serde_json::{Value, json};

/// The client's trace, as a `traceparent` names it.
const CLIENT_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN: &str = "00f067aa0ba902b7";

/// OTLP's span kinds.
const SERVER: i32 = 2;
const CLIENT: i32 = 3;
/// OTLP's status code for an error.
const STATUS_ERROR: i32 = 2;

/// One span as the collector received it.
#[derive(Debug, Clone)]
struct Received {
    service: String,
    name: String,
    kind: i32,
    trace_id: String,
    span_id: String,
    /// Empty for a root span.
    parent: String,
    status: i32,
    attrs: BTreeMap<String, String>,
}

impl Received {
    fn attr(&self, key: &str) -> &str {
        self.attrs.get(key).map_or("", String::as_str)
    }
}

/// What the collector has received: every request body as sent, and the spans in them.
#[derive(Debug, Default)]
struct Inbox {
    bodies: Vec<Vec<u8>>,
    spans: Vec<Received>,
}

/// An OTLP/HTTP collector on a loopback port (`POST /v1/traces`, protobuf).
struct Collector {
    url: String,
    inbox: Arc<Mutex<Inbox>>,
}

impl Collector {
    async fn start() -> Self {
        let inbox = Arc::new(Mutex::new(Inbox::default()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the collector");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let app = axum::Router::new()
            .route("/v1/traces", axum::routing::post(receive))
            .with_state(inbox.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, inbox }
    }

    fn spans(&self) -> Vec<Received> {
        self.inbox.lock().expect("inbox").spans.clone()
    }

    /// Every byte the server sent, as text (protobuf strings are stored as they are).
    fn raw(&self) -> String {
        let inbox = self.inbox.lock().expect("inbox");
        inbox
            .bodies
            .iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect()
    }

    /// The spans once `done` holds of them; the deadline (20 s) is readiness, not the property.
    async fn until(&self, what: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let spans = self.spans();
            if done(&spans) {
                return spans;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what}: not received within 20 s; received {spans:#?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn receive(
    State(inbox): State<Arc<Mutex<Inbox>>>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> ([(&'static str, &'static str); 1], Vec<u8>) {
    assert_eq!(
        headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/x-protobuf")
    );
    let request = ExportTraceServiceRequest::decode(body.as_ref()).expect("OTLP protobuf");
    let mut inbox = inbox.lock().expect("inbox");
    inbox.bodies.push(body.to_vec());
    for resource in request.resource_spans {
        let service = resource
            .resource
            .iter()
            .flat_map(|r| r.attributes.iter())
            .find(|kv| kv.key == "service.name")
            .map(|kv| text(kv.value.as_ref().and_then(|v| v.value.as_ref())))
            .unwrap_or_default();
        for scope in resource.scope_spans {
            for span in scope.spans {
                inbox.spans.push(Received {
                    service: service.clone(),
                    name: span.name,
                    kind: span.kind,
                    trace_id: hex(&span.trace_id),
                    span_id: hex(&span.span_id),
                    parent: hex(&span.parent_span_id),
                    status: span.status.map_or(0, |s| s.code),
                    attrs: span
                        .attributes
                        .iter()
                        .map(|kv| {
                            let v = kv.value.as_ref().and_then(|v| v.value.as_ref());
                            (kv.key.clone(), text(v))
                        })
                        .collect(),
                });
            }
        }
    }
    (
        [("content-type", "application/x-protobuf")],
        ExportTraceServiceResponse::default().encode_to_vec(),
    )
}

fn text(v: Option<&Any>) -> String {
    match v {
        Some(Any::StringValue(s)) => s.clone(),
        Some(Any::BoolValue(b)) => b.to_string(),
        Some(Any::IntValue(i)) => i.to_string(),
        Some(Any::DoubleValue(d)) => d.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Traces on, sent to `collector`; batches only at exit (the schedule is ten minutes), so what
/// arrives was flushed by the shutdown.
fn traced(collector: &Collector) -> Vec<(&'static str, String)> {
    vec![
        ("COGNITO_MCP_TRACES", "true".into()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url.clone()),
        ("OTEL_BSP_SCHEDULE_DELAY", "600000".into()),
    ]
}

fn pairs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// SIGTERM, as a container stop sends it, and the exit.
async fn terminate(mut s: HttpServer) -> tempfile::TempDir {
    let pid = s.child.id().expect("pid");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(20), s.child.wait())
        .await
        .expect("the server exits after SIGTERM")
        .expect("wait");
    assert!(exit.success(), "{exit:?}");
    s.dir
}

fn audit(dir: &std::path::Path) -> Vec<Value> {
    common::settled_audit(&dir.join("audit.jsonl"))
        .lines()
        .map(|l| serde_json::from_str(l).expect("audit line"))
        .collect()
}

fn children<'a>(spans: &'a [Received], parent: &Received) -> Vec<&'a Received> {
    spans
        .iter()
        .filter(|s| s.parent == parent.span_id && s.trace_id == parent.trace_id)
        .collect()
}

/// The AWS spans under `tool` are the audit record's AWS calls: same operations, same request
/// ids (moto's), in any order.
fn assert_aws_spans_match(spans: &[Received], tool: &Received, record: &Value) {
    let mut from_spans: Vec<(String, String)> = children(spans, tool)
        .into_iter()
        .map(|s| {
            assert_eq!(s.kind, CLIENT, "{s:?}");
            assert_eq!(s.attr("rpc.system"), "aws-api", "{s:?}");
            assert_eq!(s.attr("cognito_mcp.throttled"), "false", "{s:?}");
            assert!(!s.attr("aws.request_id").is_empty(), "{s:?}");
            let op = s.attr("rpc.method").to_owned();
            assert_eq!(s.name, format!("CognitoIdentityProvider/{op}"));
            (op, s.attr("aws.request_id").to_owned())
        })
        .collect();
    let mut from_audit: Vec<(String, String)> = record["aws_calls"]
        .as_array()
        .expect("aws_calls")
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().expect("a string").to_owned();
            (s("operation"), s("request_id"))
        })
        .collect();
    from_spans.sort();
    from_audit.sort();
    assert!(!from_audit.is_empty(), "{record}");
    assert_eq!(from_spans, from_audit);
}

/// The attack on operations: traces that cannot be joined to the audit, or that lose the
/// client's trace, or lose their last batch when the server stops.
#[tokio::test]
async fn http_spans_that_do_not_nest_or_join_the_audit_fail() {
    let pool = new_pool().await;
    let (token, _) = tokens_for(&pool, "bob", &["ReadOnly"]).await;
    let collector = Collector::start().await;
    // At trace level the libraries' own spans are live too: the call's spans still nest.
    let mut env = traced(&collector);
    env.push(("RUST_LOG", "trace".into()));
    let s = serve_http(&pool, &pairs(&env)).await;

    let call = |username: &str| json!({"name": "get_user", "arguments": {"username": username}});
    let traceparent = format!("00-{CLIENT_TRACE}-{CLIENT_SPAN}-01");
    let found = rpc(
        &s.base,
        Some(&token),
        "tools/call",
        call("bob"),
        &[("traceparent", &traceparent)],
    )
    .await;
    assert_eq!(found.body["result"]["isError"], false, "{:?}", found.body);
    let missing = rpc(&s.base, Some(&token), "tools/call", call("ghost"), &[]).await;
    assert_eq!(
        missing.body["result"]["isError"], true,
        "{:?}",
        missing.body
    );
    assert!(
        collector.spans().is_empty(),
        "exported before the shutdown: {:?}",
        collector.spans()
    );

    let dir = terminate(s).await;
    let spans = collector
        .until("two tool calls and their requests", |spans| {
            spans
                .iter()
                .filter(|s| s.name == "tools/call get_user")
                .count()
                == 2
                && spans.iter().filter(|s| s.name == "POST /mcp").count() >= 2
        })
        .await;
    assert!(
        spans.iter().all(|s| s.service == "cognito-mcp"),
        "{spans:#?}"
    );
    let records = audit(dir.path());
    let record_of = |outcome: &str| {
        records
            .iter()
            .find(|r| r["tool"] == "get_user" && r["outcome"] == outcome)
            .unwrap_or_else(|| panic!("no {outcome} get_user in {records:#?}"))
            .clone()
    };

    // The client's trace goes on: its span is the request span's parent.
    let request = spans
        .iter()
        .find(|s| s.name == "POST /mcp" && s.trace_id == CLIENT_TRACE)
        .unwrap_or_else(|| panic!("no request span in the client's trace: {spans:#?}"));
    assert_eq!(request.parent, CLIENT_SPAN);
    assert_eq!(request.kind, SERVER);
    assert_eq!(request.attr("http.request.method"), "POST");
    assert_eq!(request.attr("http.route"), "/mcp");
    assert_eq!(request.attr("http.response.status_code"), "200");

    let tools = children(&spans, request);
    let [tool] = tools.as_slice() else {
        panic!("one tool span under the request, not {tools:#?}");
    };
    assert_eq!(tool.name, "tools/call get_user");
    assert_eq!(tool.attr("gen_ai.tool.name"), "get_user");
    assert_eq!(tool.attr("mcp.method.name"), "tools/call");
    assert_eq!(tool.attr("cognito_mcp.outcome"), "ok");
    let ok = record_of("ok");
    let call_id = ok["call_id"].as_str().expect("the audit line's call id");
    assert_eq!(call_id.len(), 32, "{ok}");
    assert_eq!(tool.attr("cognito_mcp.call_id"), call_id);
    assert_aws_spans_match(&spans, tool, &ok);

    // A request without a traceparent starts a trace of its own; the error is on its tool span.
    let failed = spans
        .iter()
        .find(|s| s.name == "tools/call get_user" && s.attr("cognito_mcp.outcome") == "error")
        .unwrap_or_else(|| panic!("no failed tool span: {spans:#?}"));
    assert_eq!(failed.attr("error.type"), "user_not_found");
    assert_eq!(failed.status, STATUS_ERROR);
    assert_ne!(failed.trace_id, CLIENT_TRACE);
    let parent = spans
        .iter()
        .find(|s| s.span_id == failed.parent)
        .expect("the failed call's request span");
    assert_eq!(
        (parent.name.as_str(), parent.parent.as_str()),
        ("POST /mcp", "")
    );
    let error = record_of("error");
    assert_eq!(
        failed.attr("cognito_mcp.call_id"),
        error["call_id"].as_str().expect("id")
    );
    assert_aws_spans_match(&spans, failed, &error);
}

/// Over stdio there is no request: a tool call's span is the root of its trace, and the spans
/// are exported when the session ends.
#[tokio::test]
async fn stdio_spans_without_their_call_or_lost_at_exit_fail() {
    let pool = new_pool().await;
    let collector = Collector::start().await;
    let s = serve(&pool, &[], &pairs(&traced(&collector))).await;
    s.ok("list_users", json!({})).await;
    let dir = s.stop().await;

    let spans = collector
        .until("the list_users call", |spans| {
            spans.iter().any(|s| s.name == "tools/call list_users")
        })
        .await;
    let tool = spans
        .iter()
        .find(|s| s.name == "tools/call list_users")
        .expect("found above");
    assert_eq!(tool.parent, "", "a root over stdio: {tool:?}");
    assert!(
        !spans.iter().any(|s| s.name.starts_with("POST")),
        "{spans:#?}"
    );
    let records = audit(dir.path());
    let record = records
        .iter()
        .find(|r| r["tool"] == "list_users")
        .expect("audited");
    assert_eq!(
        tool.attr("cognito_mcp.call_id"),
        record["call_id"].as_str().expect("id")
    );
    assert_aws_spans_match(&spans, tool, record);
}

const USERNAME: &str = "trace-user-5e1f";
const EMAIL: &str = "trace-mail-77ab@example.com";
const TEMP_PASSWORD: &str = "Trace-Temp-Pass-41!";
const PASSWORD: &str = "Trace-Final-Pass-93?";
const QUERY_SECRET: &str = "query-secret-0c4d";
const TOOL_NAME: &str = "tool-named-after-a-secret-2b8e";

/// The attack: reading who was changed, with what password, by whom, from the traces (which
/// go to another system, kept by other people). A span holds none of it: not the arguments,
/// not the caller's token, not a query string, not a tool name the caller made up.
#[tokio::test]
async fn spans_carrying_names_emails_passwords_or_tokens_fail() {
    let pool = new_pool().await;
    let (token, _) = tokens_for(&pool, "alice", &["Admins"]).await;
    let collector = Collector::start().await;
    // At trace level, where the libraries' spans and events would carry bodies and headers.
    let mut env = traced(&collector);
    env.push(("RUST_LOG", "trace".into()));
    let s = serve_http(&pool, &pairs(&env)).await;
    let call = |name: &str, arguments: Value| {
        rpc(
            &s.base,
            Some(&token),
            "tools/call",
            json!({"name": name, "arguments": arguments}),
            &[],
        )
    };
    let created = call(
        "create_user",
        json!({"username": USERNAME, "email": EMAIL, "temporary_password": TEMP_PASSWORD,
               "suppress_invitation": true}),
    )
    .await;
    assert_eq!(
        created.body["result"]["isError"], false,
        "{:?}",
        created.body
    );
    let set = call(
        "set_user_password",
        json!({"username": USERNAME, "confirm": USERNAME, "password": PASSWORD,
               "permanent": true}),
    )
    .await;
    assert_eq!(set.body["result"]["isError"], false, "{:?}", set.body);
    call(TOOL_NAME, json!({"password": PASSWORD})).await;
    let queried = reqwest::Client::new()
        .post(format!("{}/mcp?access_token={QUERY_SECRET}", s.base))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(
            json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call",
                   "params": {"name": "get_user", "arguments": {"username": USERNAME}}})
            .to_string(),
        )
        .send()
        .await
        .expect("POST");
    assert_eq!(queried.status(), 200);

    let dir = terminate(s).await;
    let spans = collector
        .until("four tool calls", |spans| {
            spans
                .iter()
                .filter(|s| s.name.starts_with("tools/call"))
                .count()
                == 4
        })
        .await;
    // The traces are real: the calls are in them, by tool, with their AWS requests.
    for name in [
        "tools/call create_user",
        "tools/call set_user_password",
        "tools/call unknown",
        "CognitoIdentityProvider/AdminCreateUser",
        "CognitoIdentityProvider/AdminSetUserPassword",
    ] {
        assert!(
            spans.iter().any(|s| s.name == name),
            "no {name}: {spans:#?}"
        );
    }
    let audit = common::settled_audit(&dir.path().join("audit.jsonl"));
    assert!(
        audit.contains(USERNAME),
        "the audit names the user: {audit}"
    );

    let raw = collector.raw();
    for leak in [
        USERNAME,
        EMAIL,
        TEMP_PASSWORD,
        PASSWORD,
        QUERY_SECRET,
        TOOL_NAME,
        &token,
    ] {
        assert!(!raw.contains(leak), "a span carries {leak:?}: {spans:#?}");
    }
    for span in &spans {
        for (key, value) in &span.attrs {
            assert!(
                !value.contains("alice") && !value.contains('@'),
                "{} has {key} = {value:?}",
                span.name
            );
        }
    }
}

/// The attack on availability: a collector that is down, or that takes connections and never
/// answers, failing the calls or holding the server at exit past what an orchestrator waits.
#[tokio::test]
async fn a_collector_that_is_down_or_hangs_failing_a_call_or_the_exit_fails() {
    let pool = new_pool().await;
    let (token, _) = tokens_for(&pool, "bob", &["ReadOnly"]).await;
    // Takes connections and never reads them.
    let hole = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let hole_url = format!("http://{}", hole.local_addr().expect("address"));
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((conn, _)) = hole.accept().await {
            open.push(conn);
        }
    });
    // Nothing listens there.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", l.local_addr().expect("address"))
    };
    for endpoint in [hole_url, closed] {
        let s = serve_http(
            &pool,
            &[
                ("COGNITO_MCP_TRACES", "true"),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
                ("OTEL_EXPORTER_OTLP_TIMEOUT", "1000"),
                ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ],
        )
        .await;
        for _ in 0..3 {
            let r =
                common::http_call(&s.base, &token, "get_user", json!({"username": "bob"})).await;
            assert_eq!(
                r.body["result"]["isError"], false,
                "{endpoint}: {:?}",
                r.body
            );
        }
        // Exits (within terminate's 20 s, far under an orchestrator's 30) after one export try.
        terminate(s).await;
    }
    held.abort();
}

/// On AWS Lambda the process is frozen between invocations, so a batch would wait for the next
/// one (or be lost with the instance): traces on there are refused at start, saying why.
#[test]
fn traces_on_lambda_fail_at_start() {
    let (status, stdout, stderr) = common::run_cli(
        &["serve", "--transport", "lambda"],
        &[
            ("COGNITO_USER_POOL_ID", "us-east-1_Abc"),
            ("COGNITO_CLIENT_ID", "client"),
            ("COGNITO_MCP_TRACES", "true"),
        ],
    );
    assert_eq!(status, 1, "{stdout}{stderr}");
    assert!(stderr.contains("not exported on AWS Lambda"), "{stderr}");
}

/// A switch that is not a boolean is refused, naming the fix.
#[test]
fn a_traces_switch_that_is_not_a_boolean_fails() {
    let (status, stdout, stderr) = common::run_cli(
        &["check"],
        &[
            ("COGNITO_USER_POOL_ID", "us-east-1_Abc"),
            ("COGNITO_MCP_TRACES", "maybe"),
        ],
    );
    assert_eq!(status, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("COGNITO_MCP_TRACES is \"maybe\"; set it to true or false"),
        "{stdout}"
    );
}

/// `check` says where the traces go.
#[tokio::test]
async fn check_reports_the_traces_endpoint() {
    let pool = new_pool().await;
    let (status, stdout, stderr) = common::run_cli(
        &["check"],
        &[
            ("COGNITO_USER_POOL_ID", &pool.id),
            ("COGNITO_CLIENT_ID", &pool.client_id),
            ("COGNITO_MCP_TRACES", "true"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"),
            ("OTEL_SERVICE_NAME", "pool-admin"),
        ],
    );
    assert_eq!(status, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains(
            "ok: traces go to http://127.0.0.1:4318/v1/traces as service pool-admin \
             (sampler parentbased_always_on)"
        ),
        "{stdout}"
    );
}
