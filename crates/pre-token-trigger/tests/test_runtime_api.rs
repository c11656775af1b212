//! The built `pre-token-trigger` binary under a Lambda Runtime API (`scripts/lambda-invoke.py`):
//! V1, V2, V3 and malformed events in one warm function, init errors for a bad configuration,
//! and logs that hold no user attributes.

mod common;

use common::{at, run_trigger, strings};
use pre_token_trigger::{INVALID_CONFIG_ERROR_TYPE, INVALID_EVENT_ERROR_TYPE};
use serde_json::json;

#[test]
fn one_function_answers_v1_v2_v3_and_malformed_events_in_order() {
    let run = run_trigger(
        &[
            "v2_groups.json",
            "v1_authentication.json",
            "malformed_groups_string.json",
            "v3_client_credentials.json",
            "malformed_unknown_version.json",
            "v3_refresh.json",
        ],
        &[("ATTRIBUTE_CLAIMS", "custom:department")],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.lines.len(), 7, "{:?}", run.lines);
    assert!(at(&run.lines[0], "/init_ms").as_f64().expect("init_ms") > 0.0);

    let v2 = &run.lines[1];
    assert_eq!(at(v2, "/ok"), &json!(true), "{v2}");
    let details = at(v2, "/response/response/claimsAndScopeOverrideDetails");
    assert_eq!(
        at(details, "/accessTokenGeneration/scopesToAdd"),
        &strings(&["mcp/write", "mcp/admin"])
    );
    assert_eq!(
        at(details, "/accessTokenGeneration/claimsToAddOrOverride"),
        &json!({"department": "Platform"})
    );

    let v1 = &run.lines[2];
    assert_eq!(
        at(
            v1,
            "/response/response/claimsOverrideDetails/claimsToAddOrOverride"
        ),
        &json!({"department": "Engineering"})
    );

    let malformed = &run.lines[3];
    assert_eq!(at(malformed, "/ok"), &json!(false));
    assert_eq!(
        at(malformed, "/error/errorType"),
        &json!(INVALID_EVENT_ERROR_TYPE)
    );
    let text = at(malformed, "/error/errorMessage")
        .as_str()
        .expect("a message");
    assert!(
        text.contains("request.groupConfiguration.groupsToOverride"),
        "{text}"
    );

    let m2m = &run.lines[4];
    assert_eq!(
        at(m2m, "/response"),
        &common::event("v3_client_credentials.json")
    );

    let unknown = &run.lines[5];
    let text = at(unknown, "/error/errorMessage")
        .as_str()
        .expect("a message");
    assert!(text.contains("\"4\""), "{text}");

    let v3 = &run.lines[6];
    assert_eq!(
        at(
            v3,
            "/response/response/claimsAndScopeOverrideDetails/accessTokenGeneration/scopesToAdd"
        ),
        &strings(&["mcp/read"]),
        "the function still answers after refusing events"
    );
}

#[test]
fn group_scopes_from_the_environment_are_used() {
    let run = run_trigger(
        &["v2_groups.json"],
        &[("GROUP_SCOPES", r#"{"Auditors":["audit/read"],"Admins":[]}"#)],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        at(
            &run.lines[1],
            "/response/response/claimsAndScopeOverrideDetails/accessTokenGeneration/scopesToAdd"
        ),
        &strings(&["audit/read"])
    );
}

#[test]
fn bad_group_scopes_is_reported_as_an_init_error() {
    let run = run_trigger(
        &["v2_groups.json"],
        &[("GROUP_SCOPES", r#"{"Admins":"mcp/admin"}"#)],
    );
    assert_eq!(run.code, Some(2), "{run:?}");
    assert_eq!(run.lines.len(), 1, "{:?}", run.lines);
    let error = at(&run.lines[0], "/init_error");
    assert_eq!(at(error, "/errorType"), &json!(INVALID_CONFIG_ERROR_TYPE));
    let text = at(error, "/errorMessage").as_str().expect("a message");
    assert!(
        text.starts_with("GROUP_SCOPES gives group \"Admins\""),
        "{text}"
    );
    assert!(run.stderr.contains("init error"), "{}", run.stderr);
    assert!(
        run.stderr.contains("exited with status 1"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_reserved_attribute_claim_is_reported_as_an_init_error() {
    let run = run_trigger(
        &["v2_groups.json"],
        &[("ATTRIBUTE_CLAIMS", "custom:dept,custom:sub")],
    );
    assert_eq!(run.code, Some(2), "{run:?}");
    let text = at(&run.lines[0], "/init_error/errorMessage")
        .as_str()
        .expect("a message");
    assert!(
        text.contains("ATTRIBUTE_CLAIMS entry \"custom:sub\""),
        "{text}"
    );
    assert!(text.contains("the claim \"sub\""), "{text}");
}

#[test]
fn logs_name_the_invocation_but_hold_no_user_attributes() {
    let run = run_trigger(
        &["v2_groups.json", "malformed_groups_string.json"],
        &[("ATTRIBUTE_CLAIMS", "custom:department,custom:tenant")],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stderr.contains("tokens customized"), "{}", run.stderr);
    assert!(run.stderr.contains("user_name=alice"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("trigger_source=TokenGeneration_HostedAuth"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("event refused"), "{}", run.stderr);
    assert!(
        !run.stderr.contains('\u{1b}'),
        "colour codes in CloudWatch logs: {}",
        run.stderr
    );
    for value in ["Platform", "acme", "alice@example.com", "EXAMPLE22222"] {
        assert!(
            !run.stderr.contains(value),
            "the logs show {value}: {}",
            run.stderr
        );
    }
}

#[test]
fn a_payload_that_is_not_json_is_refused_and_the_function_goes_on() {
    let run = run_trigger(&["malformed_not_json.txt", "v3_refresh.json"], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(at(&run.lines[1], "/ok"), &json!(false), "{:?}", run.lines);
    let text = at(&run.lines[1], "/error/errorMessage")
        .as_str()
        .expect("a message");
    assert!(text.contains("deserialize"), "{text}");
    assert_eq!(at(&run.lines[2], "/ok"), &json!(true), "{:?}", run.lines);
}
