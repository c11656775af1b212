//! The resources: the pool (`cognito://pool`) and each user (`cognito://users/{username}`).
//! Each mirrors a read tool and goes through the same gate and audit.

use cognito_admin::audit::AuditOutcome;
use cognito_admin::calls;
use cognito_jwt::Principal;
use rmcp::ErrorData;
use rmcp::model::{ReadResourceResult, Resource, ResourceContents, ResourceTemplate};

use crate::catalog;
use crate::mcp::error::resource_error;
use crate::mcp::state::State;

/// The pool description resource.
pub(crate) const POOL_URI: &str = "cognito://pool";
/// The user resource template.
pub(crate) const USER_URI_TEMPLATE: &str = "cognito://users/{username}";
const USER_URI_PREFIX: &str = "cognito://users/";

/// The resources `principal` may read.
pub(crate) fn list(state: &State, principal: Option<&Principal>) -> Vec<Resource> {
    let mut resources = Vec::new();
    if catalog::find("describe_user_pool").is_some_and(|s| state.gate.allows(s, principal)) {
        resources.push(
            Resource::new(POOL_URI, "user_pool")
                .with_title("The user pool")
                .with_description("The pool's settings, password policy and MFA configuration")
                .with_mime_type("application/json"),
        );
    }
    resources
}

/// The resource templates `principal` may read.
pub(crate) fn templates(state: &State, principal: Option<&Principal>) -> Vec<ResourceTemplate> {
    let mut templates = Vec::new();
    if catalog::find("get_user").is_some_and(|s| state.gate.allows(s, principal)) {
        templates.push(
            ResourceTemplate::new(USER_URI_TEMPLATE, "user")
                .with_title("A user")
                .with_description("One user: status, attributes, MFA settings and groups")
                .with_mime_type("application/json"),
        );
    }
    templates
}

/// Reads `uri` for `principal`: resolved, gated by the tool it mirrors, read, audited.
pub(crate) async fn read(
    state: &State,
    uri: &str,
    principal: Option<&Principal>,
    extensions: &rmcp::model::Extensions,
) -> Result<ReadResourceResult, ErrorData> {
    let actor = state.auditor.actor_for(principal);
    let entry = state
        .auditor
        .begin(actor, "read_resource", serde_json::json!({ "uri": uri }));
    let (tool, username) = match resolve(uri) {
        Ok(resolved) => resolved,
        Err(e) => {
            state.auditor.write(entry.finish(
                AuditOutcome::Error,
                Some(format!("{:?}", e.code)),
                &[],
            ));
            return Err(e);
        }
    };
    let spec = catalog::find(tool).expect("resource tools are in the catalogue");
    if let Err(refusal) = state.gate.check(spec, principal) {
        state
            .auditor
            .write(entry.finish(refusal.outcome(), Some(refusal.code().into()), &[]));
        return Err(ErrorData::invalid_request(
            format!("resource {uri} is unavailable: {}", refusal.reason()),
            None,
        ));
    }
    let acting = match state.acting.credentials(extensions, true).await {
        Ok(c) => c,
        Err(refusal) => {
            state
                .auditor
                .write(entry.finish(refusal.outcome(), Some(refusal.code().into()), &[]));
            return Err(ErrorData::invalid_request(
                format!("resource {uri} is unavailable: {}", refusal.text()),
                None,
            ));
        }
    };
    // Boxed: the read's future is large, and the caller's credentials scope wraps it again.
    let work = Box::pin(fetch(state, uri, username.as_deref()));
    let (result, aws_calls) = calls::collect(crate::aws::as_caller(acting, work)).await;
    let (outcome, error) = match &result {
        Ok(_) => (AuditOutcome::Ok, None),
        Err(e) => (AuditOutcome::Error, Some(format!("{:?}", e.code))),
    };
    state
        .auditor
        .write(entry.finish(outcome, error, &aws_calls));
    result
}

/// Which resource a URI names: the tool that serves it and the username, if any.
fn resolve(uri: &str) -> Result<(&'static str, Option<String>), ErrorData> {
    if uri == POOL_URI {
        Ok(("describe_user_pool", None))
    } else if let Some(username) = uri.strip_prefix(USER_URI_PREFIX) {
        let username = percent_decode(username).ok_or_else(|| {
            ErrorData::invalid_params(format!("{uri:?} is not a valid user URI"), None)
        })?;
        Ok(("get_user", Some(username)))
    } else {
        Err(ErrorData::resource_not_found(
            format!("no resource {uri:?}; the resources are {POOL_URI} and {USER_URI_TEMPLATE}"),
            None,
        ))
    }
}

/// Reads a resource whose tool the gate allowed.
async fn fetch(
    state: &State,
    uri: &str,
    username: Option<&str>,
) -> Result<ReadResourceResult, ErrorData> {
    let admin = state.admin.get().await;
    let value = match username {
        None => admin.describe_user_pool().await.map(serde_json::to_value),
        Some(username) => admin.get_user(username).await.map(serde_json::to_value),
    };
    match value {
        Ok(Ok(v)) => Ok(ReadResourceResult::new(vec![
            ResourceContents::text(v.to_string(), uri).with_mime_type("application/json"),
        ])),
        Ok(Err(e)) => Err(ErrorData::internal_error(
            format!("cannot serialize {uri}: {e}"),
            None,
        )),
        Err(e) => Err(resource_error(&e)),
    }
}

/// Decodes `%XX` escapes of a URI path segment.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(
            percent_decode("alice%40example.com").as_deref(),
            Some("alice@example.com")
        );
        assert_eq!(percent_decode("plain").as_deref(), Some("plain"));
        assert_eq!(percent_decode("bad%4"), None);
        assert_eq!(percent_decode("bad%zz"), None);
        assert_eq!(percent_decode("bad%+1"), None);
    }
}
