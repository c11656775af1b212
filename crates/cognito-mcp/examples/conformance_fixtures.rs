//! The MCP conformance suite's fixture server (test only), not part of the release binary.
//! `tests/test_conformance.rs` includes this file and serves [`router`] in process; run it by
//! hand with `cargo run -p cognito-mcp --example conformance_fixtures -- --bind ADDR`.
//!
//! The official MCP conformance suite (`@modelcontextprotocol/conformance` 0.2.0-alpha.12,
//! server mode) calls a fixed set of tools, resources and prompts (`test_simple_text`,
//! `test://static-text`, `test_simple_prompt`, ...). [`ConformanceFixtures`] serves exactly
//! those, kept apart from the real Cognito tool set: no AWS client, no configuration, no bearer
//! tokens. It exists so the suite can check the MCP plumbing this binary shares with the real
//! server (rmcp's Streamable HTTP transport, sessions and stateless requests, Host/Origin
//! protection), never to be deployed.
//!
//! It speaks both wires the suite's requirement sets test:
//! - 2025-11-25 and earlier (`initialize`, a session): the session tools (`test_sampling`,
//!   `test_elicitation`, ...) send their `sampling/createMessage` and `elicitation/create`
//!   requests inside the call; `logging/setLevel` sets the session's log level;
//!   `resources/subscribe` records a subscription;
//! - 2026-07-28 (SEP-2575: every request stands alone, its `_meta` carries the protocol version
//!   and the client's capabilities): the session tools are not listed and are refused, as a
//!   server must not send a request inside a call; the multi round-trip tools of [`mrtr`] (and
//!   its prompt) ask with `input_required` results instead, their `requestState` sealed by
//!   [`request_state`]; a tool logs only at the request's own `logLevel`; `subscriptions/listen`
//!   acknowledges updates of the fixture's resources (the tool and prompt lists never change, so
//!   no `listChanged` is advertised). The multi round-trip tools are listed at 2026-07-28 only.
//!
//! Several fixtures exercise features the newest protocol revision deprecates (logging,
//! sampling, roots, `resources/subscribe`), hence the `allow(deprecated)`.
#![allow(deprecated)]

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ClientResult, CompleteRequestParams,
    CompleteResult, CompletionInfo, ContentBlock, CreateMessageRequestParams, ElicitRequestParams,
    GetPromptRequestParams, GetPromptResponse, GetPromptResult, Implementation, JsonObject,
    ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
    LoggingLevel, LoggingMessageNotificationParam, PaginatedRequestParams,
    ProgressNotificationParam, Prompt, PromptArgument, PromptMessage, ProtocolVersion,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Reference, Request,
    Resource, ResourceContents, ResourceTemplate, Role, ServerCapabilities, ServerConfig,
    ServerRequest, SetLevelRequestParams, SubscribeRequestParams, SubscriptionFilter, Tool,
    UnsubscribeRequestParams,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use clap::Parser;
use cognito_mcp::transport::http;

#[path = "conformance_fixtures/mrtr.rs"]
mod mrtr;
#[path = "conformance_fixtures/request_state.rs"]
mod request_state;

use request_state::StateSeal;

/// A 1x1 red pixel, PNG.
const PNG_BASE64: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";
/// Eight samples of silence, 8 kHz mono 8-bit PCM, WAV.
const WAV_BASE64: &str = "UklGRiwAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQgAAACAgICAgICAgA==";

const STATIC_TEXT_URI: &str = "test://static-text";
const STATIC_BINARY_URI: &str = "test://static-binary";
const WATCHED_URI: &str = "test://watched-resource";
const TEMPLATE_URI: &str = "test://template/{id}/data";
const TEMPLATE_PREFIX: &str = "test://template/";
const TEMPLATE_SUFFIX: &str = "/data";
/// The 2020-12 dialect the `json_schema_2020_12_tool` fixture declares.
const JSON_SCHEMA_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";
/// The pause between the steps of the logging and progress fixtures.
const STEP: Duration = Duration::from_millis(50);

/// The suite's fixture server. One instance per MCP session (the HTTP service builds one for
/// each `initialize`, and one for each stand-alone 2026-07-28 request), so the log level and
/// the subscriptions are the session's own; the `requestState` key is the process's.
#[derive(Debug, Clone)]
struct ConformanceFixtures {
    level: Arc<Mutex<LoggingLevel>>,
    subscriptions: Arc<Mutex<BTreeSet<String>>>,
    seal: Arc<StateSeal>,
}

impl ConformanceFixtures {
    fn new(seal: Arc<StateSeal>) -> Self {
        Self {
            level: Arc::new(Mutex::new(LoggingLevel::Info)),
            subscriptions: Arc::default(),
            seal,
        }
    }
}

/// Whether the request is on protocol 2026-07-28 or later, whose requests stand alone
/// (SEP-2575): no session, no request to the client inside a call, logs only at the request's
/// own `logLevel`.
fn stateless(context: &RequestContext<RoleServer>) -> bool {
    context
        .protocol_version()
        .is_some_and(|v| v >= ProtocolVersion::V_2026_07_28)
}

/// The tools that send `sampling/createMessage` or `elicitation/create` inside the call: for
/// sessions before 2026-07-28 only; [`mrtr`] has their 2026-07-28 counterparts.
const SESSION_TOOLS: &[&str] = &[
    "test_sampling",
    "test_elicitation",
    "test_elicitation_sep1034_defaults",
    "test_elicitation_sep1330_enums",
];

/// The tools a client on this request's protocol can call: the session tools before
/// 2026-07-28, the multi round-trip tools from it, and the rest on both.
fn listed_tools(stateless: bool) -> Vec<Tool> {
    let mut listed: Vec<Tool> = tools()
        .into_iter()
        .filter(|t| !(stateless && SESSION_TOOLS.contains(&t.name.as_ref())))
        .collect();
    if stateless {
        listed.extend(mrtr::tools());
    }
    listed
}

/// Builds an rmcp model value from its JSON form (the fixtures are written as the suite
/// documents them, in JSON).
fn model<T: DeserializeOwned>(value: Value) -> Result<T, ErrorData> {
    serde_json::from_value(value)
        .map_err(|e| ErrorData::internal_error(format!("bad fixture: {e}"), None))
}

fn schema(value: Value) -> Arc<JsonObject> {
    match value {
        Value::Object(map) => Arc::new(map),
        _ => Arc::new(JsonObject::new()),
    }
}

fn no_arguments() -> Arc<JsonObject> {
    schema(json!({ "type": "object", "properties": {} }))
}

fn string_arguments(names: &[(&str, &str)]) -> Arc<JsonObject> {
    let properties: JsonObject = names
        .iter()
        .map(|(name, description)| {
            (
                (*name).to_owned(),
                json!({ "type": "string", "description": description }),
            )
        })
        .collect();
    let required: Vec<&str> = names.iter().map(|(name, _)| *name).collect();
    schema(json!({ "type": "object", "properties": properties, "required": required }))
}

/// The fixture tools, as the suite's scenarios name and describe them.
fn tools() -> Vec<Tool> {
    vec![
        Tool::new(
            "test_simple_text",
            "Returns a simple text response",
            no_arguments(),
        ),
        Tool::new(
            "test_image_content",
            "Returns a PNG image (1x1 red pixel)",
            no_arguments(),
        ),
        Tool::new(
            "test_audio_content",
            "Returns a WAV audio clip",
            no_arguments(),
        ),
        Tool::new(
            "test_embedded_resource",
            "Returns an embedded text resource",
            no_arguments(),
        ),
        Tool::new(
            "test_multiple_content_types",
            "Returns text, an image and an embedded resource",
            no_arguments(),
        ),
        Tool::new(
            "test_tool_with_logging",
            "Sends three info log notifications while it runs",
            no_arguments(),
        ),
        Tool::new(
            "test_logging_tool",
            "Sends three info log notifications while it runs, as test_tool_with_logging (the \
             name server-stateless calls); at 2026-07-28 only when the request sets a logLevel",
            no_arguments(),
        ),
        Tool::new(
            "test_tool_with_progress",
            "Reports progress 0, 50 and 100 of 100 to the request's progress token",
            no_arguments(),
        ),
        Tool::new(
            "test_error_handling",
            "Always fails with a tool error (isError: true)",
            no_arguments(),
        ),
        Tool::new(
            "test_sampling",
            "Asks the client's LLM to answer a prompt (sampling/createMessage)",
            string_arguments(&[("prompt", "The prompt to send to the LLM")]),
        ),
        Tool::new(
            "test_elicitation",
            "Asks the user for a username and an email (elicitation/create)",
            string_arguments(&[("message", "The message to show the user")]),
        ),
        Tool::new(
            "test_elicitation_sep1034_defaults",
            "Elicits a form whose string, integer, number, enum and boolean fields have defaults (SEP-1034)",
            no_arguments(),
        ),
        Tool::new(
            "test_elicitation_sep1330_enums",
            "Elicits a form with the five enum schema variants (SEP-1330)",
            no_arguments(),
        ),
        Tool::new(
            "json_schema_2020_12_tool",
            "Tool with JSON Schema 2020-12 features",
            schema(json!({
                "$schema": JSON_SCHEMA_2020_12,
                "type": "object",
                "$defs": {
                    "address": {
                        "$anchor": "addressDef",
                        "type": "object",
                        "properties": {
                            "street": { "type": "string" },
                            "city": { "type": "string" }
                        }
                    }
                },
                "properties": {
                    "name": { "type": "string" },
                    "address": { "$ref": "#/$defs/address" },
                    "contactMethod": { "type": "string", "enum": ["phone", "email"] },
                    "phone": { "type": "string" },
                    "email": { "type": "string" }
                },
                "allOf": [{ "anyOf": [{ "required": ["phone"] }, { "required": ["email"] }] }],
                "if": {
                    "properties": { "contactMethod": { "const": "phone" } },
                    "required": ["contactMethod"]
                },
                "then": { "required": ["phone"] },
                "else": { "required": ["email"] },
                "additionalProperties": false
            })),
        ),
        // rmcp's Streamable HTTP service checks the header against the body (SEP-2243) before
        // the call reaches the handler.
        Tool::new(
            "test_mcp_param_header",
            "Echoes its region, which a 2026-07-28 client also sends as the Mcp-Param-Region \
             header (SEP-2243)",
            schema(json!({
                "type": "object",
                "properties": {
                    "region": {
                        "type": "string",
                        "description": "Any text; sent again in the Mcp-Param-Region header",
                        "x-mcp-header": "Region"
                    }
                },
                "required": ["region"]
            })),
        ),
        // rmcp gives a handler no handle on the SSE stream of its own request, so this
        // fixture cannot close that stream mid-call as the (pending) server-sse-polling
        // scenario would like: it answers on the stream, after a pause.
        Tool::new(
            "test_reconnection",
            "Answers after a short pause (does not close its SSE stream mid-call)",
            no_arguments(),
        ),
    ]
}

fn text_result(text: impl Into<String>) -> CallToolResponse {
    CallToolResult::success(vec![ContentBlock::text(text)]).into()
}

fn string_argument(request: &CallToolRequestParams, name: &str) -> Result<String, ErrorData> {
    request
        .arguments
        .as_ref()
        .and_then(|a| a.get(name))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| ErrorData::invalid_params(format!("missing string argument {name:?}"), None))
}

/// The `requestedSchema` of `test_elicitation_sep1034_defaults`.
fn sep1034_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "name": { "type": "string", "description": "User name", "default": "John Doe" },
            "age": { "type": "integer", "description": "User age", "default": 30 },
            "score": { "type": "number", "description": "User score", "default": 95.5 },
            "status": {
                "type": "string",
                "description": "User status",
                "enum": ["active", "inactive", "pending"],
                "default": "active"
            },
            "verified": { "type": "boolean", "description": "Verification status", "default": true }
        }
    })
}

/// The `requestedSchema` of `test_elicitation_sep1330_enums`.
fn sep1330_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "untitledSingle": {
                "type": "string",
                "description": "Untitled single-select",
                "enum": ["option1", "option2", "option3"]
            },
            "titledSingle": {
                "type": "string",
                "description": "Titled single-select",
                "oneOf": [
                    { "const": "value1", "title": "First Option" },
                    { "const": "value2", "title": "Second Option" },
                    { "const": "value3", "title": "Third Option" }
                ]
            },
            "legacyEnum": {
                "type": "string",
                "description": "Legacy titled enum",
                "enum": ["opt1", "opt2", "opt3"],
                "enumNames": ["Option One", "Option Two", "Option Three"]
            },
            "untitledMulti": {
                "type": "array",
                "description": "Untitled multi-select",
                "items": { "type": "string", "enum": ["option1", "option2", "option3"] }
            },
            "titledMulti": {
                "type": "array",
                "description": "Titled multi-select",
                "items": {
                    "anyOf": [
                        { "const": "value1", "title": "First Choice" },
                        { "const": "value2", "title": "Second Choice" },
                        { "const": "value3", "title": "Third Choice" }
                    ]
                }
            }
        }
    })
}

/// The `requestedSchema` of `test_elicitation`.
fn contact_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "username": { "type": "string", "description": "User's response" },
            "email": { "type": "string", "description": "User's email address" }
        },
        "required": ["username", "email"]
    })
}

/// The severity rank of a log level (debug lowest).
fn rank(level: LoggingLevel) -> u8 {
    match level {
        LoggingLevel::Debug => 0,
        LoggingLevel::Info => 1,
        LoggingLevel::Notice => 2,
        LoggingLevel::Warning => 3,
        LoggingLevel::Error => 4,
        LoggingLevel::Critical => 5,
        LoggingLevel::Alert => 6,
        LoggingLevel::Emergency => 7,
    }
}

/// `{id}` of `test://template/{id}/data`.
fn template_id(uri: &str) -> Option<&str> {
    uri.strip_prefix(TEMPLATE_PREFIX)?
        .strip_suffix(TEMPLATE_SUFFIX)
        .filter(|id| !id.is_empty() && !id.contains('/'))
}

impl ConformanceFixtures {
    /// The lowest level a log notification of this request may have: the request's own
    /// `logLevel` (its `_meta`), else the session's (`logging/setLevel`, before 2026-07-28);
    /// none for a 2026-07-28 request without one, which must get no log notifications.
    fn log_threshold(&self, context: &RequestContext<RoleServer>) -> Option<LoggingLevel> {
        match context.meta.log_level() {
            Some(level) => Some(level),
            None if stateless(context) => None,
            None => Some(*self.level.lock().unwrap_or_else(PoisonError::into_inner)),
        }
    }

    /// Sends a log notification if the request's threshold lets it through.
    async fn log(&self, context: &RequestContext<RoleServer>, level: LoggingLevel, message: &str) {
        let Some(threshold) = self.log_threshold(context) else {
            return;
        };
        if rank(level) < rank(threshold) {
            return;
        }
        let param = LoggingMessageNotificationParam::new(level, json!(message))
            .with_logger("conformance-fixtures");
        if let Err(e) = context.peer.notify_logging_message(param).await {
            tracing::warn!(error = %e, "could not send a log notification");
        }
    }

    async fn elicit(
        &self,
        context: &RequestContext<RoleServer>,
        message: String,
        requested_schema: Value,
    ) -> Result<Value, ErrorData> {
        let params: ElicitRequestParams = model(json!({
            "mode": "form",
            "message": message,
            "requestedSchema": requested_schema,
        }))?;
        let answer = context
            .peer
            .send_request(ServerRequest::ElicitRequest(Request::new(params)))
            .await
            .map_err(|e| ErrorData::internal_error(format!("elicitation failed: {e}"), None))?;
        match answer {
            ClientResult::ElicitResult(result) => serde_json::to_value(result)
                .map_err(|e| ErrorData::internal_error(e.to_string(), None)),
            other => Err(ErrorData::internal_error(
                format!("unexpected answer to elicitation/create: {other:?}"),
                None,
            )),
        }
    }

    async fn run_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.as_ref();
        if stateless(&context) && SESSION_TOOLS.contains(&name) {
            return Err(ErrorData::invalid_request(
                format!(
                    "{name} sends its request to the client inside the call, which protocol \
                     2026-07-28 forbids; call its input_required counterpart (\
                     test_input_required_result_elicitation or _sampling) instead"
                ),
                None,
            ));
        }
        if mrtr::is_tool(name) {
            if !stateless(&context) {
                return Err(ErrorData::invalid_request(
                    format!(
                        "{name} answers with input_required rounds, which need protocol \
                         2026-07-28 or later; this session negotiated an earlier one"
                    ),
                    None,
                ));
            }
            return mrtr::call_tool(&self.seal, &request, &context);
        }
        match name {
            "test_simple_text" => Ok(text_result("This is a simple text response for testing.")),
            "test_image_content" => Ok(CallToolResult::success(vec![ContentBlock::image(
                PNG_BASE64,
                "image/png",
            )])
            .into()),
            "test_audio_content" => Ok(CallToolResult::success(vec![ContentBlock::audio(
                WAV_BASE64,
                "audio/wav",
            )])
            .into()),
            "test_embedded_resource" => Ok(CallToolResult::success(vec![ContentBlock::resource(
                ResourceContents::text(
                    "This is an embedded resource content.",
                    "test://embedded-resource",
                ),
            )])
            .into()),
            "test_multiple_content_types" => Ok(CallToolResult::success(vec![
                ContentBlock::text("Multiple content types test:"),
                ContentBlock::image(PNG_BASE64, "image/png"),
                ContentBlock::resource(
                    ResourceContents::text(
                        json!({ "test": "data", "value": 123 }).to_string(),
                        "test://mixed-content-resource",
                    )
                    .with_mime_type("application/json"),
                ),
            ])
            .into()),
            "test_tool_with_logging" | "test_logging_tool" => {
                self.log(&context, LoggingLevel::Info, "Tool execution started")
                    .await;
                tokio::time::sleep(STEP).await;
                self.log(&context, LoggingLevel::Info, "Tool processing data")
                    .await;
                tokio::time::sleep(STEP).await;
                self.log(&context, LoggingLevel::Info, "Tool execution completed")
                    .await;
                Ok(text_result("Tool with logging executed successfully"))
            }
            "test_tool_with_progress" => {
                let token = context.meta.get_progress_token();
                for (i, progress) in [0.0, 50.0, 100.0].into_iter().enumerate() {
                    if i > 0 {
                        tokio::time::sleep(STEP).await;
                    }
                    if let Some(token) = &token {
                        let param = ProgressNotificationParam::new(token.clone(), progress)
                            .with_total(100.0);
                        if let Err(e) = context.peer.notify_progress(param).await {
                            tracing::warn!(error = %e, "could not send a progress notification");
                        }
                    }
                }
                Ok(text_result("Tool with progress executed successfully"))
            }
            "test_error_handling" => Ok(CallToolResult::error(vec![ContentBlock::text(
                "This tool intentionally returns an error for testing",
            )])
            .into()),
            "test_sampling" => {
                let prompt = string_argument(&request, "prompt")?;
                let params: CreateMessageRequestParams = model(json!({
                    "messages": [{ "role": "user", "content": { "type": "text", "text": prompt } }],
                    "maxTokens": 100
                }))?;
                let answer = context.peer.create_message(params).await.map_err(|e| {
                    ErrorData::internal_error(format!("sampling failed: {e}"), None)
                })?;
                let answer = serde_json::to_value(&answer)
                    .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
                let text = answer["content"]["text"]
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| answer["content"].to_string());
                Ok(text_result(format!("LLM response: {text}")))
            }
            "test_elicitation" => {
                let message = string_argument(&request, "message")?;
                let answer = self.elicit(&context, message, contact_schema()).await?;
                Ok(text_result(format!("User response: {answer}")))
            }
            "test_elicitation_sep1034_defaults" => {
                let answer = self
                    .elicit(
                        &context,
                        "Please review and update the form fields with defaults".into(),
                        sep1034_schema(),
                    )
                    .await?;
                Ok(text_result(format!(
                    "Elicitation completed: action={}, content={}",
                    answer["action"].as_str().unwrap_or("?"),
                    answer.get("content").unwrap_or(&Value::Null)
                )))
            }
            "test_elicitation_sep1330_enums" => {
                let answer = self
                    .elicit(
                        &context,
                        "Please select options from the enum fields".into(),
                        sep1330_schema(),
                    )
                    .await?;
                Ok(text_result(format!(
                    "Elicitation completed: action={}, content={}",
                    answer["action"].as_str().unwrap_or("?"),
                    answer.get("content").unwrap_or(&Value::Null)
                )))
            }
            "json_schema_2020_12_tool" => Ok(text_result(format!(
                "Received arguments: {}",
                Value::Object(request.arguments.unwrap_or_default())
            ))),
            "test_mcp_param_header" => Ok(text_result(format!(
                "Region: {}",
                string_argument(&request, "region")?
            ))),
            "test_reconnection" => {
                tokio::time::sleep(STEP * 2).await;
                Ok(text_result("Reconnection test completed successfully"))
            }
            other => Err(ErrorData::invalid_params(
                format!("no fixture tool {other:?}"),
                None,
            )),
        }
    }
}

impl ServerHandler for ConformanceFixtures {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_logging()
                .enable_completions()
                .enable_prompts()
                .enable_resources()
                .enable_resources_subscribe()
                .enable_tools()
                .build(),
        )
        .with_server_info(Implementation::new(
            "cognito-mcp-conformance-fixtures",
            env!("CARGO_PKG_VERSION"),
        ))
        .with_instructions(
            "Test-only fixtures for the MCP conformance suite; no Cognito tools.".to_owned(),
        )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(listed_tools(stateless(
            &context,
        ))))
    }

    /// Any fixture tool, for rmcp's check of `Mcp-Param-*` headers against the arguments.
    fn get_tool(&self, name: &str) -> Option<Tool> {
        tools()
            .into_iter()
            .chain(mrtr::tools())
            .find(|t| t.name == name)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        self.run_tool(request, context).await
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        *self.level.lock().unwrap_or_else(PoisonError::into_inner) = request.level;
        Ok(())
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let candidates: &[&str] = match (&request.r#ref, request.argument.name.as_str()) {
            (Reference::Prompt(p), "arg1" | "arg2") if p.name == "test_prompt_with_arguments" => {
                &["paris", "park", "party", "test", "testing"]
            }
            (Reference::Resource(r), "id") if r.uri == TEMPLATE_URI => &["1", "2", "3", "123"],
            _ => &[],
        };
        let values: Vec<String> = candidates
            .iter()
            .filter(|v| v.starts_with(request.argument.value.as_str()))
            .map(|v| (*v).to_owned())
            .collect();
        let info = CompletionInfo::new(values).map_err(|e| ErrorData::internal_error(e, None))?;
        Ok(CompleteResult::new(info))
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(vec![
            Resource::new(STATIC_TEXT_URI, "static-text")
                .with_description("A static text resource")
                .with_mime_type("text/plain"),
            Resource::new(STATIC_BINARY_URI, "static-binary")
                .with_description("A static binary resource (a PNG image)")
                .with_mime_type("image/png"),
            Resource::new(WATCHED_URI, "watched-resource")
                .with_description("A resource clients may subscribe to")
                .with_mime_type("text/plain"),
        ]))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(vec![
            ResourceTemplate::new(TEMPLATE_URI, "template-data")
                .with_description("Data for one id, substituted into the URI")
                .with_mime_type("application/json"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let uri = request.uri.as_str();
        let contents = match uri {
            STATIC_TEXT_URI => {
                ResourceContents::text("This is the content of the static text resource.", uri)
            }
            STATIC_BINARY_URI => {
                ResourceContents::blob(PNG_BASE64, uri).with_mime_type("image/png")
            }
            WATCHED_URI => ResourceContents::text("Watched resource content.", uri),
            _ => match template_id(uri) {
                Some(id) => ResourceContents::text(
                    json!({ "id": id, "templateTest": true, "data": format!("Data for ID: {id}") })
                        .to_string(),
                    uri,
                )
                .with_mime_type("application/json"),
                None => {
                    return Err(ErrorData::resource_not_found(
                        format!("no fixture resource {uri:?}"),
                        Some(json!({ "uri": uri })),
                    ));
                }
            },
        };
        Ok(ReadResourceResult::new(vec![contents]).into())
    }

    /// `subscriptions/listen` (2026-07-28): updates of the fixture's resources. rmcp sends the
    /// acknowledgment, tagged with the subscription id, and keeps the stream open until the
    /// client closes it; the resources never change, so no update follows. The lists never
    /// change either, and no `listChanged` is advertised.
    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        let known = |uri: &&String| {
            [STATIC_TEXT_URI, STATIC_BINARY_URI, WATCHED_URI].contains(&uri.as_str())
                || template_id(uri).is_some()
        };
        let uris = requested
            .resource_subscriptions
            .iter()
            .flatten()
            .filter(known);
        Some(
            SubscriptionFilter::builder()
                .resource_subscriptions(uris.cloned())
                .build(),
        )
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.subscriptions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(request.uri);
        Ok(())
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.subscriptions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&request.uri);
        Ok(())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let arg = |name: &str, description: &str| {
            PromptArgument::new(name)
                .with_description(description)
                .with_required(true)
        };
        Ok(ListPromptsResult::with_all_items(
            vec![
                Prompt::new(
                    "test_simple_prompt",
                    Some("A simple prompt without arguments"),
                    None,
                ),
                Prompt::new(
                    "test_prompt_with_arguments",
                    Some("A prompt with two required arguments"),
                    Some(vec![
                        arg("arg1", "First test argument"),
                        arg("arg2", "Second test argument"),
                    ]),
                ),
                Prompt::new(
                    "test_prompt_with_embedded_resource",
                    Some("A prompt that embeds a resource"),
                    Some(vec![arg("resourceUri", "URI of the resource to embed")]),
                ),
                Prompt::new(
                    "test_prompt_with_image",
                    Some("A prompt with an image"),
                    None,
                ),
            ]
            .into_iter()
            .chain(stateless(&context).then(mrtr::prompt))
            .collect(),
        ))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        if request.name == mrtr::PROMPT {
            if !stateless(&context) {
                return Err(ErrorData::invalid_request(
                    format!(
                        "{} answers with an input_required round, which needs protocol \
                         2026-07-28 or later; this session negotiated an earlier one",
                        mrtr::PROMPT
                    ),
                    None,
                ));
            }
            return mrtr::get_prompt(&self.seal, &request, &context);
        }
        let argument = |name: &str| -> Result<String, ErrorData> {
            request
                .arguments
                .as_ref()
                .and_then(|a| a.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    ErrorData::invalid_params(format!("missing argument {name:?}"), None)
                })
        };
        let messages = match request.name.as_str() {
            "test_simple_prompt" => vec![PromptMessage::new_text(
                Role::User,
                "This is a simple prompt for testing.",
            )],
            "test_prompt_with_arguments" => {
                let (arg1, arg2) = (argument("arg1")?, argument("arg2")?);
                vec![PromptMessage::new_text(
                    Role::User,
                    format!("Prompt with arguments: arg1='{arg1}', arg2='{arg2}'"),
                )]
            }
            "test_prompt_with_embedded_resource" => vec![
                PromptMessage::new(
                    Role::User,
                    ContentBlock::resource(ResourceContents::text(
                        "Embedded resource content for testing.",
                        argument("resourceUri")?,
                    )),
                ),
                PromptMessage::new_text(Role::User, "Please process the embedded resource above."),
            ],
            "test_prompt_with_image" => vec![
                PromptMessage::new(Role::User, ContentBlock::image(PNG_BASE64, "image/png")),
                PromptMessage::new_text(Role::User, "Please analyze the image above."),
            ],
            other => {
                return Err(ErrorData::invalid_params(
                    format!("no fixture prompt {other:?}"),
                    None,
                ));
            }
        };
        Ok(GetPromptResult::new(messages).into())
    }
}

/// The fixtures over Streamable HTTP at `/mcp`: stateful sessions for `initialize` (the session
/// tools need the client's answer in the same session), stand-alone requests for 2026-07-28,
/// no bearer layer, and the same Host/Origin allow-lists as the real server (loopback and the
/// public URL). Every instance shares one random `requestState` key.
pub(crate) fn router(public_url: &str, shutdown: &CancellationToken) -> Router {
    let (allowed_hosts, allowed_origins) = http::allow_lists(&[], &[], public_url);
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(true)
        .with_allowed_hosts(allowed_hosts)
        .with_allowed_origins(allowed_origins)
        .with_cancellation_token(shutdown.child_token());
    let seal = Arc::new(StateSeal::random());
    let mcp = StreamableHttpService::new(
        move || Ok(ConformanceFixtures::new(seal.clone())),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    Router::new().nest_service("/mcp", mcp)
}

/// Serves [`router`] until Ctrl-C or SIGTERM, through the real server's serving loop.
#[cfg_attr(test, allow(dead_code))]
async fn serve(bind: &str, public_url: Option<String>) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let local = listener.local_addr()?;
    let public_url = public_url.unwrap_or_else(|| format!("http://{local}"));
    let shutdown = CancellationToken::new();
    let app = router(&public_url, &shutdown);
    tracing::warn!(addr = %local, "serving the MCP conformance fixtures (test only, no Cognito tools)");
    http::run(listener, app, shutdown, Duration::from_secs(5)).await
}

/// Serve the MCP conformance suite's fixtures over Streamable HTTP (test only).
#[derive(Debug, Parser)]
#[cfg_attr(test, allow(dead_code))]
struct Args {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    bind: String,
    /// The URL clients reach this server at (default http://BIND).
    #[arg(long)]
    public_url: Option<String>,
}

#[cfg_attr(test, allow(dead_code))]
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    serve(&args.bind, args.public_url).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The elicitation schemas survive rmcp's typed model unchanged (the suite inspects them).
    #[test]
    fn elicitation_schemas_round_trip() {
        for schema in [contact_schema(), sep1034_schema(), sep1330_schema()] {
            let params: ElicitRequestParams = model(json!({
                "mode": "form",
                "message": "m",
                "requestedSchema": schema,
            }))
            .expect("a valid elicitation request");
            let back = serde_json::to_value(&params).expect("serializes");
            assert_eq!(back["requestedSchema"], schema);
        }
    }

    #[test]
    fn the_tools_have_descriptions_and_unique_names() {
        let tools: Vec<Tool> = tools().into_iter().chain(mrtr::tools()).collect();
        let names: BTreeSet<_> = tools.iter().map(|t| t.name.clone()).collect();
        assert_eq!(names.len(), tools.len());
        assert!(tools.iter().all(|t| t.description.is_some()));
    }

    #[test]
    fn each_wire_lists_the_tools_it_can_call() {
        let names = |stateless| -> BTreeSet<String> {
            listed_tools(stateless)
                .into_iter()
                .map(|t| t.name.to_string())
                .collect()
        };
        let (session, stateless) = (names(false), names(true));
        for tool in SESSION_TOOLS {
            assert!(
                session.contains(*tool) && !stateless.contains(*tool),
                "{tool}"
            );
        }
        for tool in mrtr::tools() {
            let tool = tool.name.to_string();
            assert!(
                stateless.contains(&tool) && !session.contains(&tool),
                "{tool}"
            );
        }
        for tool in [
            "test_simple_text",
            "test_logging_tool",
            "test_mcp_param_header",
        ] {
            assert!(session.contains(tool) && stateless.contains(tool), "{tool}");
        }
    }

    #[test]
    fn template_ids() {
        assert_eq!(template_id("test://template/123/data"), Some("123"));
        assert_eq!(template_id("test://template//data"), None);
        assert_eq!(template_id("test://template/1/2/data"), None);
        assert_eq!(template_id("test://static-text"), None);
    }
}
