//! `scripts/lambda-invoke.py`, the Lambda Runtime API emulator, against a tiny Python function
//! (`tests/support/echo-function.py`): the headers and variables it hands a function, the
//! output lines, and the exits for a function that dies, hangs or is missing.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{Run, at, lambda_invoke};
use serde_json::json;

fn echo_function() -> Vec<String> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/echo-function.py");
    vec!["python3".to_owned(), script.display().to_string()]
}

/// Writes `events` to files in a fresh directory and returns the `--event` arguments.
fn event_args(test: &str, events: &[serde_json::Value]) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("lambda-invoke-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut args = Vec::new();
    for (index, event) in events.iter().enumerate() {
        let path = dir.join(format!("{index}.json"));
        std::fs::write(&path, event.to_string()).expect("event file");
        args.push("--event".to_owned());
        args.push(path.display().to_string());
    }
    args
}

fn args(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|part| (*part).to_owned()).collect()
}

#[test]
fn events_are_handed_out_in_order_with_the_runtime_headers_and_variables() {
    let mut arguments = event_args("order", &[json!({"n": 1}), json!([2]), json!({"n": 3})]);
    arguments.extend(args(&[
        "--env",
        "ECHO_EXTRA=yes",
        "--env",
        "AWS_REGION=eu-west-1",
    ]));
    let run = lambda_invoke(&arguments, &echo_function());
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.lines.len(), 4, "{:?}", run.lines);
    assert!(at(&run.lines[0], "/init_ms").as_f64().expect("a number") > 0.0);
    let answers = &run.lines[1..];
    for (line, event) in answers
        .iter()
        .zip([json!({"n": 1}), json!([2]), json!({"n": 3})])
    {
        assert_eq!(at(line, "/ok"), &json!(true));
        assert!(at(line, "/ms").as_f64().expect("a number") >= 0.0);
        assert_eq!(at(line, "/response/event"), &event);
    }
    let first = at(&answers[0], "/response");
    let id = at(first, "/headers/Lambda-Runtime-Aws-Request-Id")
        .as_str()
        .expect("an id");
    let second_id = at(
        &answers[1],
        "/response/headers/Lambda-Runtime-Aws-Request-Id",
    );
    assert_ne!(&json!(id), second_id, "each invocation has its own id");
    let deadline: u64 = at(first, "/headers/Lambda-Runtime-Deadline-Ms")
        .as_str()
        .and_then(|ms| ms.parse().ok())
        .expect("a deadline in ms");
    assert!(deadline > 1_600_000_000_000, "{deadline}");
    let arn = at(first, "/headers/Lambda-Runtime-Invoked-Function-Arn")
        .as_str()
        .expect("arn");
    assert!(arn.starts_with("arn:aws:lambda:eu-west-1:"), "{arn}");
    assert!(arn.ends_with(":function:python3"), "{arn}");
    let trace = at(first, "/headers/Lambda-Runtime-Trace-Id")
        .as_str()
        .expect("trace");
    assert!(trace.starts_with("Root=1-"), "{trace}");
    let env = at(first, "/env");
    assert_eq!(at(env, "/AWS_LAMBDA_FUNCTION_NAME"), &json!("python3"));
    assert_eq!(at(env, "/AWS_LAMBDA_FUNCTION_VERSION"), &json!("$LATEST"));
    assert_eq!(at(env, "/AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), &json!("128"));
    assert_eq!(
        at(env, "/AWS_LAMBDA_LOG_GROUP_NAME"),
        &json!("/aws/lambda/python3")
    );
    assert!(at(env, "/AWS_LAMBDA_LOG_STREAM_NAME").as_str().is_some());
    assert_eq!(at(env, "/_HANDLER"), &json!("python3"));
    assert_eq!(at(env, "/AWS_REGION"), &json!("eu-west-1"));
    assert_eq!(at(env, "/ECHO_EXTRA"), &json!("yes"));
    let api = at(env, "/AWS_LAMBDA_RUNTIME_API").as_str().expect("api");
    assert!(api.starts_with("127.0.0.1:"), "{api}");
}

#[test]
fn a_posted_invocation_error_is_an_ok_false_line() {
    let arguments = event_args("error", &[json!({"fail": "no good"}), json!({"n": 2})]);
    let run = lambda_invoke(&arguments, &echo_function());
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(at(&run.lines[1], "/ok"), &json!(false));
    assert_eq!(
        at(&run.lines[1], "/error"),
        &json!({"errorType": "Echo.Failed", "errorMessage": "no good"})
    );
    assert_eq!(at(&run.lines[2], "/ok"), &json!(true));
}

fn assert_exit_2(run: &Run, says: &str) {
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains(says), "{}", run.stderr);
}

#[test]
fn a_function_that_exits_early_is_exit_2_with_its_status() {
    let arguments = event_args("dies", &[json!({})]);
    let command = args(&["sh", "-c", "echo dying >&2; exit 3"]);
    let run = lambda_invoke(&arguments, &command);
    assert_exit_2(&run, "exited with status 3 after answering 0 of 1 events");
    assert!(
        run.stderr.contains("dying"),
        "the function's stderr is forwarded"
    );
}

#[test]
fn a_function_that_never_asks_is_exit_2_at_the_timeout() {
    let mut arguments = event_args("hangs", &[json!({})]);
    arguments.extend(args(&["--timeout", "1"]));
    let started = Instant::now();
    let run = lambda_invoke(&arguments, &args(&["sleep", "30"]));
    assert_exit_2(&run, "timed out after 1 s");
    assert!(run.lines.is_empty(), "{:?}", run.lines);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn bad_arguments_are_exit_2() {
    let run = lambda_invoke(
        &args(&["--event", "/nonexistent/event.json"]),
        &args(&["true"]),
    );
    assert_exit_2(&run, "cannot read event file /nonexistent/event.json");
    let arguments = event_args("missing", &[json!({})]);
    let run = lambda_invoke(&arguments, &args(&["/nonexistent/function"]));
    assert_exit_2(&run, "cannot start /nonexistent/function");
    let mut arguments = event_args("env", &[json!({})]);
    arguments.extend(args(&["--env", "NOEQUALS"]));
    let run = lambda_invoke(&arguments, &echo_function());
    assert_exit_2(&run, "--env 'NOEQUALS' is not K=V");
}
