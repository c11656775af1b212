//! Malformed and unknown events are refused with an error that names the field (or the
//! version), never with a panic, and never with a user attribute's value in the message.

mod common;

use common::{config, event};
use lambda_runtime::Diagnostic;
use pre_token_trigger::{EventError, INVALID_EVENT_ERROR_TYPE, respond};
use serde_json::{Value, json};

fn refused(sent: Value) -> EventError {
    match respond(&config(None, Some("custom:department")), sent) {
        Ok(answer) => panic!("expected a refusal, got {answer}"),
        Err(error) => error,
    }
}

fn message(sent: Value) -> String {
    refused(sent).to_string()
}

#[test]
fn an_event_that_is_not_an_object_fails() {
    let text = message(event("malformed_not_object.json"));
    assert!(text.contains("a list, not a JSON object"), "{text}");
    let text = message(json!("TokenGeneration_Authentication"));
    assert!(text.contains("a string, not a JSON object"), "{text}");
}

#[test]
fn a_missing_request_fails_naming_request() {
    let text = message(event("malformed_missing_request.json"));
    assert!(text.contains("no `request` field"), "{text}");
}

#[test]
fn a_missing_version_fails_naming_version() {
    let mut sent = event("v2_groups.json");
    if let Some(object) = sent.as_object_mut() {
        object.remove("version");
    }
    assert!(message(sent).contains("no `version` field"));
}

#[test]
fn a_numeric_version_fails_naming_version_and_its_type() {
    let text = message(event("malformed_version_number.json"));
    assert!(
        text.contains("`version` is a number, where a string is expected"),
        "{text}"
    );
}

#[test]
fn an_unknown_version_fails_naming_it_and_the_supported_ones() {
    let error = refused(event("malformed_unknown_version.json"));
    assert_eq!(
        error,
        EventError::UnsupportedVersion {
            version: "4".to_owned()
        }
    );
    let text = error.to_string();
    assert!(text.contains("\"4\""), "{text}");
    assert!(text.contains("\"1\", \"2\" and \"3\""), "{text}");
}

#[test]
fn groups_as_a_string_fail_naming_the_field() {
    let text = message(event("malformed_groups_string.json"));
    assert!(
        text.contains(
            "`request.groupConfiguration.groupsToOverride` is a string, where a list of strings \
             is expected"
        ),
        "{text}"
    );
}

#[test]
fn a_group_that_is_not_a_string_fails_naming_its_index() {
    let mut sent = event("v2_groups.json");
    sent["request"]["groupConfiguration"]["groupsToOverride"] = json!(["Admins", 7]);
    let text = message(sent);
    assert!(
        text.contains("`request.groupConfiguration.groupsToOverride[1]` is a number"),
        "{text}"
    );
}

#[test]
fn a_group_configuration_that_is_not_an_object_fails() {
    let mut sent = event("v2_groups.json");
    sent["request"]["groupConfiguration"] = json!(["Admins"]);
    let text = message(sent);
    assert!(
        text.contains("`request.groupConfiguration` is a list, where an object"),
        "{text}"
    );
}

#[test]
fn user_attributes_as_a_list_fail_naming_the_field() {
    let text = message(event("malformed_attributes_list.json"));
    assert!(
        text.contains("`request.userAttributes` is a list, where an object is expected"),
        "{text}"
    );
}

#[test]
fn missing_user_attributes_fail_naming_the_field() {
    let mut sent = event("v1_authentication.json");
    if let Some(request) = sent["request"].as_object_mut() {
        request.remove("userAttributes");
    }
    assert!(message(sent).contains("no `request.userAttributes` field"));
}

#[test]
fn scopes_as_a_string_fail_naming_the_field() {
    let mut sent = event("v2_groups.json");
    sent["request"]["scopes"] = json!("openid email");
    assert!(message(sent).contains("`request.scopes` is a string"));
}

#[test]
fn a_non_string_attribute_fails_naming_it_but_not_any_value() {
    let mut sent = event("v2_groups.json");
    sent["request"]["userAttributes"]["custom:department"] = json!({"name": "Platform"});
    let text = message(sent);
    assert!(
        text.contains("`request.userAttributes.custom:department` is an object"),
        "{text}"
    );
    for value in ["Platform", "alice@example.com", "acme"] {
        assert!(!text.contains(value), "{text} shows {value}");
    }
}

#[test]
fn a_wrong_trigger_source_fails_naming_it() {
    let text = message(event("malformed_trigger_source.json"));
    assert!(
        text.contains("`triggerSource` is \"PreSignUp_SignUp\""),
        "{text}"
    );
    assert!(text.contains("TokenGeneration_*"), "{text}");
}

#[test]
fn a_long_version_is_shortened_in_the_message() {
    let mut sent = event("v2_groups.json");
    sent["version"] = json!("9".repeat(500));
    let text = message(sent);
    assert!(text.len() < 300, "{text}");
}

#[test]
fn refusals_become_invalid_event_diagnostics() {
    let diagnostic = Diagnostic::from(refused(event("malformed_groups_string.json")));
    assert_eq!(diagnostic.error_type, INVALID_EVENT_ERROR_TYPE);
    assert!(
        diagnostic
            .error_message
            .contains("request.groupConfiguration.groupsToOverride")
    );
}
