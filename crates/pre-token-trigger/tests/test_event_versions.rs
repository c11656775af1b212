//! AWS's documented V1, V2 and V3 event shapes through [`respond`]: what each version's
//! response carries, and that everything but `response` comes back as it was sent.

mod common;

use common::{at, config, event, strings};
use pre_token_trigger::respond;
use serde_json::{Value, json};

/// The event without its `response`, to compare what the trigger must leave alone.
fn without_response(mut event: Value) -> Value {
    if let Some(object) = event.as_object_mut() {
        object.remove("response");
    }
    event
}

#[test]
fn documented_v2_event_gets_a_v2_response_that_keeps_its_groups() {
    let sent = event("v2_documented.json");
    let answer = respond(&config(None, Some("custom:department")), sent.clone()).expect("answered");
    let details = at(&answer, "/response/claimsAndScopeOverrideDetails");
    // No groups: no scopes. No custom:department: no claim.
    assert_eq!(
        at(details, "/accessTokenGeneration/scopesToAdd"),
        &json!([])
    );
    assert_eq!(
        at(details, "/accessTokenGeneration/claimsToAddOrOverride"),
        &json!({})
    );
    assert_eq!(
        at(details, "/idTokenGeneration/claimsToAddOrOverride"),
        &json!({})
    );
    assert_eq!(
        at(details, "/groupOverrideDetails"),
        at(&sent, "/request/groupConfiguration")
    );
    assert_eq!(without_response(answer), without_response(sent));
}

#[test]
fn v2_groups_become_access_token_scopes_in_group_order_without_repeats() {
    let sent = event("v2_groups.json");
    // Developers, Admins and the unmapped Auditors; the token already has mcp/read.
    let answer = respond(&config(None, None), sent.clone()).expect("answered");
    assert_eq!(
        at(
            &answer,
            "/response/claimsAndScopeOverrideDetails/accessTokenGeneration/scopesToAdd"
        ),
        &strings(&["mcp/write", "mcp/admin"])
    );
    assert_eq!(
        at(
            &answer,
            "/response/claimsAndScopeOverrideDetails/groupOverrideDetails"
        ),
        at(&sent, "/request/groupConfiguration"),
        "the user's groups and roles are kept"
    );
    assert_eq!(without_response(answer), without_response(sent));
}

#[test]
fn v2_scopes_follow_the_configured_mapping() {
    let mapping = r#"{"Developers":["api/x","mcp/read"],"Admins":["api/x","api/y"],"Auditors":["audit/read"]}"#;
    let answer = respond(&config(Some(mapping), None), event("v2_groups.json")).expect("answered");
    assert_eq!(
        at(
            &answer,
            "/response/claimsAndScopeOverrideDetails/accessTokenGeneration/scopesToAdd"
        ),
        &strings(&["api/x", "api/y", "audit/read"])
    );
}

#[test]
fn v2_attribute_claims_go_into_both_tokens_and_missing_attributes_are_skipped() {
    let claims = "custom:department,custom:tenant=org,custom:cost_center,email=contact";
    let answer = respond(&config(None, Some(claims)), event("v2_groups.json")).expect("answered");
    let expected = json!({"department": "Platform", "org": "acme", "contact": "alice@example.com"});
    let details = at(&answer, "/response/claimsAndScopeOverrideDetails");
    assert_eq!(
        at(details, "/idTokenGeneration/claimsToAddOrOverride"),
        &expected
    );
    assert_eq!(
        at(details, "/accessTokenGeneration/claimsToAddOrOverride"),
        &expected
    );
    assert_eq!(
        at(details, "/accessTokenGeneration/claimsToSuppress"),
        &json!([])
    );
    assert_eq!(
        at(details, "/accessTokenGeneration/scopesToSuppress"),
        &json!([])
    );
}

#[test]
fn v3_user_events_are_answered_like_v2() {
    let sent = event("v3_refresh.json");
    let answer = respond(&config(None, Some("email")), sent.clone()).expect("answered");
    let details = at(&answer, "/response/claimsAndScopeOverrideDetails");
    assert_eq!(
        at(details, "/accessTokenGeneration/scopesToAdd"),
        &strings(&["mcp/read"])
    );
    assert_eq!(
        at(details, "/idTokenGeneration/claimsToAddOrOverride"),
        &json!({"email": "bob@example.com"})
    );
    assert_eq!(without_response(answer), without_response(sent));
}

#[test]
fn v3_client_credentials_events_pass_through_unchanged() {
    let sent = event("v3_client_credentials.json");
    let answer = respond(&config(None, Some("custom:department")), sent.clone()).expect("answered");
    assert_eq!(answer, sent);
}

#[test]
fn v1_attribute_claims_go_into_the_id_token_and_no_scopes_are_added() {
    let sent = event("v1_authentication.json");
    let answer = respond(
        &config(None, Some("custom:department,email=mail")),
        sent.clone(),
    )
    .expect("ok");
    let details = at(&answer, "/response/claimsOverrideDetails");
    assert_eq!(
        at(details, "/claimsToAddOrOverride"),
        &json!({"department": "Engineering", "mail": "janedoe@example.com"})
    );
    assert_eq!(at(details, "/claimsToSuppress"), &json!([]));
    assert_eq!(
        at(details, "/groupOverrideDetails"),
        at(&sent, "/request/groupConfiguration")
    );
    let response = at(&answer, "/response").as_object().expect("an object");
    assert_eq!(
        response.keys().collect::<Vec<_>>(),
        ["claimsOverrideDetails"],
        "a V1 response has no access token part"
    );
    assert_eq!(without_response(answer), without_response(sent));
}

#[test]
fn a_null_group_configuration_means_no_groups() {
    let mut sent = event("v2_groups.json");
    sent["request"]["groupConfiguration"] = Value::Null;
    let answer = respond(&config(None, None), sent).expect("answered");
    let details = at(&answer, "/response/claimsAndScopeOverrideDetails");
    assert_eq!(
        at(details, "/accessTokenGeneration/scopesToAdd"),
        &json!([])
    );
    assert_eq!(
        at(details, "/groupOverrideDetails/groupsToOverride"),
        &json!([])
    );
}

#[test]
fn v2_events_without_scopes_still_get_group_scopes() {
    let mut sent = event("v2_groups.json");
    if let Some(request) = sent["request"].as_object_mut() {
        request.remove("scopes");
    }
    let answer = respond(&config(None, None), sent).expect("answered");
    assert_eq!(
        at(
            &answer,
            "/response/claimsAndScopeOverrideDetails/accessTokenGeneration/scopesToAdd"
        ),
        &strings(&["mcp/read", "mcp/write", "mcp/admin"])
    );
}

#[test]
fn a_null_attribute_is_skipped() {
    let mut sent = event("v2_groups.json");
    sent["request"]["userAttributes"]["custom:department"] = Value::Null;
    let answer = respond(&config(None, Some("custom:department")), sent).expect("answered");
    assert_eq!(
        at(
            &answer,
            "/response/claimsAndScopeOverrideDetails/idTokenGeneration/claimsToAddOrOverride"
        ),
        &json!({})
    );
}
