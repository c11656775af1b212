//! The tools' schemas and annotations as clients see them: titles and hints from the
//! catalogue, integer formats dropped, the `confirm` argument added where it applies.

use std::sync::Arc;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::ToolAnnotations;
use serde_json::Value;

use crate::catalog::{self, Effect};
use crate::mcp::state::State;

/// Drops schemars' integer `format`s (`int32`, `uint64`, ...): they are not JSON Schema
/// formats, and strict validators (Ajv in the MCP Inspector and the TypeScript SDK) warn on them.
fn drop_integer_formats(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let integer_format = map.get("format").and_then(Value::as_str).is_some_and(|f| {
                matches!(
                    f,
                    "int8"
                        | "int16"
                        | "int32"
                        | "int64"
                        | "uint"
                        | "uint8"
                        | "uint16"
                        | "uint32"
                        | "uint64"
                )
            });
            if integer_format {
                map.remove("format");
            }
            map.values_mut().for_each(drop_integer_formats);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_integer_formats),
        _ => {}
    }
}

fn clean_schema(schema: &mut Arc<serde_json::Map<String, Value>>) {
    let mut v = Value::Object((**schema).clone());
    drop_integer_formats(&mut v);
    if let Value::Object(map) = v {
        *schema = Arc::new(map);
    }
}

/// Adds the `confirm` argument to a tool's input schema.
pub(crate) fn add_confirm_arg(schema: &mut Arc<serde_json::Map<String, Value>>, bulk: bool) {
    let target = if bulk {
        "the number of users the server names, like \"37 users\""
    } else {
        "the exact username (or group) of this call"
    };
    let mut map = (**schema).clone();
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        props.insert(
            crate::mcp::confirm::CONFIRM_ARG.into(),
            serde_json::json!({
                "type": "string",
                "description": format!(
                    "Only when this server answered confirmation_required: {target}. It is \
                     your own deliberate second call, not proof that a person agreed (the server \
                     cannot tell), so send it only after the person agreed to exactly this \
                     change. Clients that support MCP elicitation are asked directly instead, \
                     and this is ignored; a server with safety.confirm.require_person refuses \
                     it."
                ),
            }),
        );
    }
    *schema = Arc::new(map);
}

/// The router with each tool's title and annotations taken from the catalogue.
pub(crate) fn annotated_router() -> ToolRouter<State> {
    let mut router = State::users_router()
        + State::groups_router()
        + State::pool_router()
        + State::clients_router()
        + State::identity_router()
        + State::bulk_router()
        + State::audit_router()
        + State::mfa_router();
    for route in router.map.values_mut() {
        let spec = catalog::find(&route.attr.name).expect("every routed tool is in the catalogue");
        route.attr.title = Some(spec.title.to_owned());
        clean_schema(&mut route.attr.input_schema);
        if let Some(out) = route.attr.output_schema.as_mut() {
            clean_schema(out);
        }
        route.attr.annotations = Some(
            ToolAnnotations::with_title(spec.title)
                .read_only(spec.is_read())
                .destructive(spec.effect == Effect::Destructive)
                .idempotent(spec.idempotent)
                .open_world(spec.sends_messages),
        );
    }
    router
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn router_and_catalogue_agree() {
        let router = annotated_router();
        let mut routed: Vec<String> = router
            .list_all()
            .iter()
            .map(|t| t.name.to_string())
            .collect();
        routed.sort();
        let mut listed: Vec<String> = catalog::TOOLS.iter().map(|t| t.name.to_owned()).collect();
        listed.sort();
        assert_eq!(routed, listed);
    }

    #[test]
    fn every_tool_has_schemas_and_truthful_annotations() {
        for tool in annotated_router().list_all() {
            let spec = catalog::find(&tool.name).expect("in catalogue");
            let a = tool.annotations.as_ref().expect("annotations");
            assert_eq!(a.read_only_hint, Some(spec.is_read()), "{}", tool.name);
            assert_eq!(
                a.destructive_hint,
                Some(spec.effect == Effect::Destructive),
                "{}",
                tool.name
            );
            assert_eq!(a.idempotent_hint, Some(spec.idempotent), "{}", tool.name);
            assert_eq!(
                a.open_world_hint,
                Some(spec.sends_messages),
                "{}",
                tool.name
            );
            assert!(
                tool.output_schema.is_some(),
                "{} has no output schema",
                tool.name
            );
            let text = format!("{:?}{:?}", tool.input_schema, tool.output_schema);
            assert!(
                !text.contains("uint") && !text.contains("int32"),
                "{} keeps integer formats",
                tool.name
            );
            assert_eq!(
                tool.input_schema.get("type").and_then(Value::as_str),
                Some("object"),
                "{}",
                tool.name
            );
            assert!(
                tool.description.as_deref().is_some_and(|d| d.len() > 20),
                "{}",
                tool.name
            );
        }
    }
}
