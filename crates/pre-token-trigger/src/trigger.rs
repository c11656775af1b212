//! The trigger itself: from an event and the [`Config`], the event Cognito gets back.

use std::collections::HashMap;

use aws_lambda_events::cognito::{
    ClaimsAndScopeOverrideDetailsV2, ClaimsOverrideDetails, CognitoAccessTokenGenerationV2,
    CognitoEventUserPoolsPreTokenGenResponse, CognitoEventUserPoolsPreTokenGenResponseV2,
    CognitoIdTokenGenerationV2,
};
use lambda_runtime::LambdaEvent;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::Config;
use crate::error::{EventError, shorten};
use crate::event::{UserRequest, Version, as_event_object, read_header, read_user_request};

/// Answers one pre token generation event: the same event with its `response` set.
///
/// - Versions 2 and 3 (user sign-ins): the access token gets the scopes of the user's groups
///   (`scopesToAdd`, without repeats and without the scopes the token already has, in the
///   order of the user's groups and then of each group's list), and both tokens get the
///   configured attribute claims (`claimsToAddOrOverride`).
/// - Version 1: the ID token gets the attribute claims; a V1 response can't change the access
///   token, so no scopes are added.
/// - `TokenGeneration_ClientCredentials` (machine-to-machine, no user): returned unchanged.
///
/// The user's groups are copied into `groupOverrideDetails`, which Cognito documents as the
/// way to keep them: an empty one would remove the groups from the tokens. A user attribute
/// the user doesn't have is skipped.
pub fn respond(config: &Config, event: Value) -> Result<Value, EventError> {
    let object = as_event_object(&event)?;
    let header = read_header(object)?;
    if header.is_client_credentials() {
        return Ok(event);
    }
    let request = read_user_request(object, header.version)?;
    let response = match header.version {
        Version::V1 => encode(&response_v1(config, &request)?)?,
        Version::V2 | Version::V3 => encode(&response_v2(config, &request)?)?,
    };
    let mut answered: Map<String, Value> = object.clone();
    answered.insert("response".to_owned(), response);
    Ok(Value::Object(answered))
}

/// [`respond`] for `lambda_runtime`: logs what it did (trigger source, version and user name
/// only, never the attributes) and returns the error Cognito reports as a failed trigger.
pub async fn handle(config: &Config, event: LambdaEvent<Value>) -> Result<Value, EventError> {
    let (payload, context) = event.into_parts();
    let summary = summarize(&payload);
    match respond(config, payload) {
        Ok(answer) => {
            tracing::info!(
                request_id = %context.request_id,
                version = %summary.version,
                trigger_source = %summary.trigger_source,
                user_name = %summary.user_name,
                "tokens customized"
            );
            Ok(answer)
        }
        Err(error) => {
            tracing::error!(
                request_id = %context.request_id,
                version = %summary.version,
                trigger_source = %summary.trigger_source,
                user_name = %summary.user_name,
                error = %error,
                "event refused"
            );
            Err(error)
        }
    }
}

/// What may be logged about an event, read without trusting its shape.
struct Summary {
    version: String,
    trigger_source: String,
    user_name: String,
}

fn summarize(event: &Value) -> Summary {
    let field = |name: &str| match event.get(name) {
        Some(Value::String(text)) => shorten(text),
        Some(_) => "(not a string)".to_owned(),
        None => "(absent)".to_owned(),
    };
    Summary {
        version: field("version"),
        trigger_source: field("triggerSource"),
        user_name: field("userName"),
    }
}

fn response_v1(
    config: &Config,
    request: &UserRequest<'_>,
) -> Result<CognitoEventUserPoolsPreTokenGenResponse, EventError> {
    let mut details = ClaimsOverrideDetails::default();
    details.group_override_details = request.groups.clone();
    details.claims_to_add_or_override = attribute_claims(config, request)?.into_iter().collect();
    let mut response = CognitoEventUserPoolsPreTokenGenResponse::default();
    response.claims_override_details = Some(details);
    Ok(response)
}

fn response_v2(
    config: &Config,
    request: &UserRequest<'_>,
) -> Result<CognitoEventUserPoolsPreTokenGenResponseV2, EventError> {
    let claims: HashMap<String, Value> = attribute_claims(config, request)?
        .into_iter()
        .map(|(claim, value)| (claim, Value::String(value)))
        .collect();
    let mut id_token = CognitoIdTokenGenerationV2::default();
    id_token.claims_to_add_or_override = claims.clone();
    let mut access_token = CognitoAccessTokenGenerationV2::default();
    access_token.claims_to_add_or_override = claims;
    access_token.scopes_to_add =
        scopes_to_add(config, &request.groups.groups_to_override, &request.scopes);
    let mut details = ClaimsAndScopeOverrideDetailsV2::default();
    details.group_override_details = request.groups.clone();
    details.id_token_generation = Some(id_token);
    details.access_token_generation = Some(access_token);
    let mut response = CognitoEventUserPoolsPreTokenGenResponseV2::default();
    response.claims_and_scope_override_details = Some(details);
    Ok(response)
}

/// The scopes `groups` grant that `present` lacks: in group order, then each group's order,
/// each once. Groups without a mapping grant nothing.
pub fn scopes_to_add(config: &Config, groups: &[String], present: &[String]) -> Vec<String> {
    let mut added: Vec<String> = Vec::new();
    for group in groups {
        for scope in config.group_scopes.get(group).into_iter().flatten() {
            if !present.contains(scope) && !added.contains(scope) {
                added.push(scope.clone());
            }
        }
    }
    added
}

/// The configured claims whose attribute the user has, as (claim, value).
fn attribute_claims(
    config: &Config,
    request: &UserRequest<'_>,
) -> Result<Vec<(String, String)>, EventError> {
    let mut claims = Vec::with_capacity(config.attribute_claims.len());
    for mapping in &config.attribute_claims {
        if let Some(value) = request.attribute(&mapping.attribute)? {
            claims.push((mapping.claim.clone(), value.to_owned()));
        }
    }
    Ok(claims)
}

fn encode(response: &impl Serialize) -> Result<Value, EventError> {
    serde_json::to_value(response).map_err(|e| EventError::Encode {
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| (*item).to_owned()).collect()
    }

    #[test]
    fn scopes_follow_group_order_without_repeats_or_present_scopes() {
        let config = Config::default();
        let groups = strings(&["ReadOnly", "Unmapped", "Admins", "Developers"]);
        let present = strings(&["openid", "mcp/write"]);
        let added = scopes_to_add(&config, &groups, &present);
        assert_eq!(added, strings(&["mcp/read", "mcp/admin"]));
    }

    #[test]
    fn no_groups_add_no_scopes() {
        assert!(scopes_to_add(&Config::default(), &[], &[]).is_empty());
    }
}
