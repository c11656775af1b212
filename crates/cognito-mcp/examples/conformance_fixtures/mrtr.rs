//! The fixtures' multi round-trip tools and prompt (SEP-2322, protocol 2026-07-28 and later).
//!
//! Instead of sending `elicitation/create`, `sampling/createMessage` or `roots/list` to the
//! client inside the call, which a 2026-07-28 server must not do, each answers with an
//! `input_required` result naming what it needs (`inputRequests`); the client calls again with
//! the answers (`inputResponses`) and the `requestState` it was given, if any. The suite's
//! input-required-result-* scenarios name and describe each
//! (`test_input_required_result_elicitation`, ..., the prompt
//! `test_input_required_result_prompt`); its server-stateless scenario calls
//! `test_missing_capability` and `test_streaming_elicitation`.
//!
//! Every one of them keeps these rules:
//! - it asks only through the capabilities the request declares (its `_meta`): one that needs a
//!   capability the client lacks fails with -32021 (MissingRequiredClientCapability) naming it,
//!   and `test_input_required_result_capabilities` asks through the declared ones only;
//! - an answer must be what was asked for (an `ElicitResult` for an elicitation, a
//!   `CreateMessageResult` for sampling, a `ListRootsResult` for roots), else -32602; a missing
//!   answer is asked for again; answers to keys it did not ask are ignored;
//! - a tool that issues a `requestState` seals it ([`StateSeal`]) and wants it back with every
//!   retry: a retry without it, or with a changed, foreign or expired one, is -32602.

use std::collections::BTreeMap;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ClientCapabilities, ContentBlock,
    CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams, ElicitResult,
    ElicitationAction, GetPromptRequestParams, GetPromptResponse, GetPromptResult, InputRequest,
    InputRequests, InputRequiredResult, InputResponses, ListRootsResult, Prompt, PromptMessage,
    Request, RequestNoParam, Role, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};
use serde_json::{Map, Value, json};

use super::request_state::StateSeal;
use super::{model, no_arguments, text_result};

/// The prompt that asks for its context through an `input_required` round.
pub(crate) const PROMPT: &str = "test_input_required_result_prompt";

/// The multi round-trip tools, as the suite's scenarios name and describe them.
pub(crate) fn tools() -> Vec<Tool> {
    [
        (
            "test_input_required_result_elicitation",
            "Asks the user's name in an input_required round (elicitation), then greets them",
        ),
        (
            "test_input_required_result_sampling",
            "Asks the client's LLM for the capital of France in an input_required round (sampling)",
        ),
        (
            "test_input_required_result_list_roots",
            "Asks for the client's roots in an input_required round (roots/list)",
        ),
        (
            "test_input_required_result_request_state",
            "One input_required confirmation round with a sealed requestState; answers state-ok \
             once the echoed state verifies",
        ),
        (
            "test_input_required_result_multiple_inputs",
            "Asks for a name, a greeting and the roots in one input_required round \
             (elicitation, sampling and roots/list), with a sealed requestState",
        ),
        (
            "test_input_required_result_multi_round",
            "Two input_required rounds (a name, then a favorite color), each with a new sealed \
             requestState",
        ),
        (
            "test_input_required_result_tampered_state",
            "One input_required round with an HMAC-sealed requestState; a changed state is \
             refused with -32602",
        ),
        (
            "test_input_required_result_capabilities",
            "Asks through the capabilities the request declares only (elicitation, sampling, \
             roots)",
        ),
        (
            "test_missing_capability",
            "Needs sampling: fails with -32021 unless the request declares the sampling \
             capability, else asks the client's LLM in an input_required round",
        ),
        (
            "test_streaming_elicitation",
            "Asks the user's name as an input_required result on its response stream, never as \
             an elicitation/create request on it",
        ),
    ]
    .into_iter()
    .map(|(name, description)| Tool::new(name, description, no_arguments()))
    .collect()
}

/// Whether `name` is one of [`tools`].
pub(crate) fn is_tool(name: &str) -> bool {
    tools().iter().any(|t| t.name == name)
}

/// The prompt of the non-tool-request scenario.
pub(crate) fn prompt() -> Prompt {
    Prompt::new(
        PROMPT,
        Some("Asks the user for the context to use, in an input_required round"),
        None,
    )
}

/// A kind of request a round may ask the client for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Elicitation,
    Sampling,
    Roots,
}

impl Kind {
    /// The client capability it needs.
    fn capability(self) -> &'static str {
        match self {
            Kind::Elicitation => "elicitation",
            Kind::Sampling => "sampling",
            Kind::Roots => "roots",
        }
    }

    fn declared(self, capabilities: &ClientCapabilities) -> bool {
        match self {
            Kind::Elicitation => capabilities.elicitation.is_some(),
            Kind::Sampling => capabilities.sampling.is_some(),
            Kind::Roots => capabilities.roots.is_some(),
        }
    }
}

/// One thing a round asks the client for, under its key in `inputRequests`.
#[derive(Debug)]
struct Ask {
    key: &'static str,
    kind: Kind,
    request: InputRequest,
}

/// An `elicitation/create` form asking for `schema`.
fn elicit(key: &'static str, message: &str, schema: Value) -> Result<Ask, ErrorData> {
    let params: ElicitRequestParams = model(json!({
        "mode": "form",
        "message": message,
        "requestedSchema": schema,
    }))?;
    Ok(Ask {
        key,
        kind: Kind::Elicitation,
        request: InputRequest::Elicitation(Request::new(params)),
    })
}

/// An elicitation of one string field.
fn elicit_string(key: &'static str, message: &str, field: &str) -> Result<Ask, ErrorData> {
    elicit(
        key,
        message,
        json!({
            "type": "object",
            "properties": { field: { "type": "string" } },
            "required": [field]
        }),
    )
}

/// A `sampling/createMessage` request for `prompt`.
fn sample(key: &'static str, prompt: &str, max_tokens: u32) -> Result<Ask, ErrorData> {
    let params: CreateMessageRequestParams = model(json!({
        "messages": [{ "role": "user", "content": { "type": "text", "text": prompt } }],
        "maxTokens": max_tokens
    }))?;
    Ok(Ask {
        key,
        kind: Kind::Sampling,
        request: InputRequest::CreateMessage(Request::new(params)),
    })
}

/// A `roots/list` request.
fn list_roots(key: &'static str) -> Ask {
    Ask {
        key,
        kind: Kind::Roots,
        request: InputRequest::ListRoots(RequestNoParam {
            method: Default::default(),
            extensions: Default::default(),
        }),
    }
}

/// An answer, parsed as the result of what was asked.
#[derive(Debug)]
enum Answer {
    Elicit(ElicitResult),
    Sample(CreateMessageResult),
    Roots(ListRootsResult),
}

fn malformed(key: &str, what: &str, detail: impl std::fmt::Display) -> ErrorData {
    ErrorData::invalid_params(
        format!("inputResponses.{key} is not {what}: {detail}"),
        None,
    )
}

impl Answer {
    fn parse(kind: Kind, key: &str, value: &Value) -> Result<Self, ErrorData> {
        fn typed<T: serde::de::DeserializeOwned>(
            key: &str,
            what: &str,
            value: &Value,
        ) -> Result<T, ErrorData> {
            if !value.is_object() {
                return Err(malformed(key, what, format!("{value} is not an object")));
            }
            serde_json::from_value(value.clone()).map_err(|e| malformed(key, what, e))
        }
        Ok(match kind {
            Kind::Elicitation => Answer::Elicit(typed(key, "an ElicitResult", value)?),
            Kind::Sampling => {
                let result: CreateMessageResult = typed(key, "a CreateMessageResult", value)?;
                result
                    .validate()
                    .map_err(|e| malformed(key, "a CreateMessageResult", e))?;
                Answer::Sample(result)
            }
            Kind::Roots => Answer::Roots(typed(key, "a ListRootsResult", value)?),
        })
    }

    /// The accepted elicitation's `field`; `None` when the user declined or cancelled.
    fn accepted(&self, key: &str, field: &str) -> Result<Option<&Value>, ErrorData> {
        let Answer::Elicit(result) = self else {
            return Err(malformed(key, "an ElicitResult", "another kind of result"));
        };
        if result.action != ElicitationAction::Accept {
            return Ok(None);
        }
        result
            .content
            .as_ref()
            .and_then(|c| c.get(field))
            .map(Some)
            .ok_or_else(|| {
                malformed(
                    key,
                    "an accepted form",
                    format!("its content has no `{field}`"),
                )
            })
    }

    /// The accepted elicitation's string `field`.
    fn accepted_string(&self, key: &str, field: &str) -> Result<Option<String>, ErrorData> {
        self.accepted(key, field)?
            .map(|v| {
                v.as_str().map(str::to_owned).ok_or_else(|| {
                    malformed(
                        key,
                        "an accepted form",
                        format!("`{field}` is not a string"),
                    )
                })
            })
            .transpose()
    }

    /// The text of a sampling answer.
    fn text(&self) -> String {
        let Answer::Sample(result) = self else {
            return String::new();
        };
        let content = serde_json::to_value(&result.message.content).unwrap_or_default();
        let blocks = match content {
            Value::Array(blocks) => blocks,
            block => vec![block],
        };
        blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The roots of a roots answer, as `uri (name)`.
    fn roots(&self) -> String {
        let Answer::Roots(result) = self else {
            return String::new();
        };
        if result.roots.is_empty() {
            return "none".to_owned();
        }
        result
            .roots
            .iter()
            .map(|r| match &r.name {
                Some(name) => format!("{} ({name})", r.uri),
                None => r.uri.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What a round came to: every answer, or the requests still unanswered.
#[derive(Debug)]
enum Round {
    Answered(BTreeMap<&'static str, Answer>),
    Missing(InputRequests),
}

/// Matches `responses` to `asks`: each present answer is parsed (a malformed one fails the
/// call), each absent one is asked again, and keys that were not asked are ignored.
fn gather(asks: Vec<Ask>, responses: &InputResponses) -> Result<Round, ErrorData> {
    let mut answers = BTreeMap::new();
    let mut missing = InputRequests::new();
    for ask in asks {
        match responses.get(ask.key) {
            Some(value) => {
                answers.insert(ask.key, Answer::parse(ask.kind, ask.key, value)?);
            }
            None => {
                missing.insert(ask.key.to_owned(), ask.request);
            }
        }
    }
    Ok(if missing.is_empty() {
        Round::Answered(answers)
    } else {
        Round::Missing(missing)
    })
}

fn input_required(requests: InputRequests, state: Option<String>) -> InputRequiredResult {
    InputRequiredResult::new(Some(requests), state)
}

/// A call of one of these tools or of the prompt: its name, answers and state.
struct Call<'a> {
    seal: &'a StateSeal,
    name: &'a str,
    responses: InputResponses,
    state: Option<&'a str>,
    context: &'a RequestContext<RoleServer>,
}

impl Call<'_> {
    /// The client's capabilities on this request.
    fn capabilities(&self) -> ClientCapabilities {
        self.context.client_capabilities().unwrap_or_default()
    }

    /// Fails with -32021, naming every capability `asks` need that the client did not declare.
    fn require(&self, asks: &[Ask]) -> Result<(), ErrorData> {
        let declared = self.capabilities();
        let missing: Map<String, Value> = asks
            .iter()
            .filter(|a| !a.kind.declared(&declared))
            .map(|a| (a.kind.capability().to_owned(), json!({})))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let required: ClientCapabilities = model(Value::Object(missing))?;
        Err(ErrorData::missing_required_client_capability(required))
    }

    /// The payload of the retry's `requestState`, verified; `None` on a first call. A retry
    /// (one with `inputResponses`) must bring back the state it was given.
    fn state(&self) -> Result<Option<Value>, ErrorData> {
        match self.state {
            Some(state) => self.seal.open(self.name, state).map(Some),
            None if self.responses.is_empty() => Ok(None),
            None => Err(ErrorData::invalid_params(
                format!(
                    "{} was called again with inputResponses but without the requestState it \
                     gave; send that requestState back with the answers",
                    self.name
                ),
                None,
            )),
        }
    }

    fn seal(&self, payload: &Value) -> String {
        self.seal.seal(self.name, payload)
    }
}

fn declined(what: &str) -> CallToolResponse {
    CallToolResult::error(vec![ContentBlock::text(format!(
        "The user declined to give {what}."
    ))])
    .into()
}

fn name_ask() -> Result<Ask, ErrorData> {
    elicit_string("user_name", "What is your name?", "name")
}

/// Runs the multi round-trip tool `request` names (one of [`tools`]).
pub(crate) fn call_tool(
    seal: &StateSeal,
    request: &CallToolRequestParams,
    context: &RequestContext<RoleServer>,
) -> Result<CallToolResponse, ErrorData> {
    let call = Call {
        seal,
        name: request.name.as_ref(),
        responses: request.input_responses.clone().unwrap_or_default(),
        state: request.request_state.as_deref(),
        context,
    };
    match call.name {
        "test_input_required_result_elicitation" | "test_streaming_elicitation" => greet(&call),
        "test_input_required_result_sampling" => {
            let ask = sample("capital_question", "What is the capital of France?", 100)?;
            llm(&call, ask)
        }
        "test_missing_capability" => llm(&call, sample("greeting", "Say hello.", 50)?),
        "test_input_required_result_list_roots" => {
            let asks = vec![list_roots("client_roots")];
            call.require(&asks)?;
            Ok(match gather(asks, &call.responses)? {
                Round::Missing(missing) => input_required(missing, None).into(),
                Round::Answered(answers) => {
                    text_result(format!("Client roots: {}", answers["client_roots"].roots()))
                }
            })
        }
        "test_input_required_result_request_state"
        | "test_input_required_result_tampered_state" => confirm(&call),
        "test_input_required_result_multiple_inputs" => multiple_inputs(&call),
        "test_input_required_result_multi_round" => multi_round(&call),
        "test_input_required_result_capabilities" => declared_only(&call),
        other => Err(ErrorData::invalid_params(
            format!("no multi round-trip tool {other:?}"),
            None,
        )),
    }
}

/// Asks the user's name, then greets them.
fn greet(call: &Call<'_>) -> Result<CallToolResponse, ErrorData> {
    let asks = vec![name_ask()?];
    call.require(&asks)?;
    Ok(match gather(asks, &call.responses)? {
        Round::Missing(missing) => input_required(missing, None).into(),
        Round::Answered(answers) => {
            match answers["user_name"].accepted_string("user_name", "name")? {
                Some(name) => text_result(format!("Hello, {name}!")),
                None => declined("a name"),
            }
        }
    })
}

/// Asks the client's LLM `ask`, then reports its answer.
fn llm(call: &Call<'_>, ask: Ask) -> Result<CallToolResponse, ErrorData> {
    let key = ask.key;
    let asks = vec![ask];
    call.require(&asks)?;
    Ok(match gather(asks, &call.responses)? {
        Round::Missing(missing) => input_required(missing, None).into(),
        Round::Answered(answers) => text_result(format!("LLM response: {}", answers[key].text())),
    })
}

/// One confirmation round whose sealed state must come back intact.
fn confirm(call: &Call<'_>) -> Result<CallToolResponse, ErrorData> {
    let asks = vec![elicit(
        "confirm",
        "Please confirm",
        json!({
            "type": "object",
            "properties": { "ok": { "type": "boolean" } },
            "required": ["ok"]
        }),
    )?];
    call.require(&asks)?;
    let payload = json!({ "round": "confirm" });
    let Some(state) = call.state()? else {
        let requests = asks.into_iter().map(|a| (a.key.to_owned(), a.request));
        return Ok(input_required(requests.collect(), Some(call.seal(&payload))).into());
    };
    if state != payload {
        return Err(ErrorData::invalid_params(
            "the requestState is not one of this tool's rounds",
            None,
        ));
    }
    Ok(match gather(asks, &call.responses)? {
        Round::Missing(missing) => input_required(missing, Some(call.seal(&payload))).into(),
        Round::Answered(answers) => {
            let ok = answers["confirm"]
                .accepted("confirm", "ok")?
                .map(|v| {
                    v.as_bool().ok_or_else(|| {
                        malformed("confirm", "an accepted form", "`ok` is not a boolean")
                    })
                })
                .transpose()?;
            let outcome = match ok {
                Some(true) => "confirmed",
                Some(false) => "not confirmed",
                None => "declined",
            };
            text_result(format!(
                "state-ok: the requestState passed its integrity check; the user {outcome}."
            ))
        }
    })
}

/// Three kinds of request in one round; answers given so far ride in the sealed state, so a
/// retry that answers some of them is asked for the rest only.
fn multiple_inputs(call: &Call<'_>) -> Result<CallToolResponse, ErrorData> {
    let asks = vec![
        name_ask()?,
        sample("greeting", "Generate a greeting", 50)?,
        list_roots("client_roots"),
    ];
    call.require(&asks)?;
    let keys: Vec<&'static str> = asks.iter().map(|a| a.key).collect();
    let carried = call
        .state()?
        .and_then(|payload| payload.get("answers").cloned())
        .and_then(|answers| serde_json::from_value::<InputResponses>(answers).ok())
        .unwrap_or_default();
    let mut responses = carried;
    responses.extend(call.responses.clone());
    Ok(match gather(asks, &responses)? {
        Round::Missing(missing) => {
            let answered: InputResponses = responses
                .into_iter()
                .filter(|(key, _)| keys.contains(&key.as_str()) && !missing.contains_key(key))
                .collect();
            let state = call.seal(&json!({ "answers": answered }));
            input_required(missing, Some(state)).into()
        }
        Round::Answered(answers) => {
            let name = answers["user_name"]
                .accepted_string("user_name", "name")?
                .unwrap_or_else(|| "(name declined)".to_owned());
            text_result(format!(
                "{} {name}! Your roots: {}",
                answers["greeting"].text(),
                answers["client_roots"].roots()
            ))
        }
    })
}

/// A name in round one, a color in round two; the name rides in round two's state.
fn multi_round(call: &Call<'_>) -> Result<CallToolResponse, ErrorData> {
    let step1 = || elicit_string("step1", "Step 1: What is your name?", "name");
    let step2 = || elicit_string("step2", "Step 2: What is your favorite color?", "color");
    call.require(&[step1()?])?;
    let ask = |ask: Ask, payload: Value| -> CallToolResponse {
        let requests = InputRequests::from([(ask.key.to_owned(), ask.request)]);
        input_required(requests, Some(call.seal(&payload))).into()
    };
    let Some(state) = call.state()? else {
        return Ok(ask(step1()?, json!({ "step": 1 })));
    };
    let step = state["step"].as_u64();
    let name = state["name"].as_str().map(str::to_owned);
    match (step, name) {
        (Some(1), _) => Ok(match gather(vec![step1()?], &call.responses)? {
            Round::Missing(_) => ask(step1()?, state),
            Round::Answered(answers) => match answers["step1"].accepted_string("step1", "name")? {
                Some(name) => ask(step2()?, json!({ "step": 2, "name": name })),
                None => declined("a name"),
            },
        }),
        (Some(2), Some(name)) => Ok(match gather(vec![step2()?], &call.responses)? {
            Round::Missing(_) => ask(step2()?, state),
            Round::Answered(answers) => match answers["step2"].accepted_string("step2", "color")? {
                Some(color) => text_result(format!("{name}'s favorite color is {color}.")),
                None => declined("a favorite color"),
            },
        }),
        _ => Err(ErrorData::invalid_params(
            "the requestState is not one of this tool's rounds",
            None,
        )),
    }
}

/// Asks through each capability the request declares, and through no other.
fn declared_only(call: &Call<'_>) -> Result<CallToolResponse, ErrorData> {
    let declared = call.capabilities();
    let asks: Vec<Ask> = [
        name_ask()?,
        sample("capital_question", "What is the capital of France?", 100)?,
        list_roots("client_roots"),
    ]
    .into_iter()
    .filter(|a| a.kind.declared(&declared))
    .collect();
    if asks.is_empty() {
        return Ok(text_result(
            "The request declares none of the elicitation, sampling and roots capabilities, so \
             there is nothing to ask.",
        ));
    }
    Ok(match gather(asks, &call.responses)? {
        Round::Missing(missing) => input_required(missing, None).into(),
        Round::Answered(answers) => {
            let keys: Vec<&str> = answers.keys().copied().collect();
            text_result(format!(
                "Asked through the declared capabilities only; answered: {}",
                keys.join(", ")
            ))
        }
    })
}

/// `prompts/get` of [`PROMPT`]: asks for the context, then returns the prompt with it.
pub(crate) fn get_prompt(
    seal: &StateSeal,
    request: &GetPromptRequestParams,
    context: &RequestContext<RoleServer>,
) -> Result<GetPromptResponse, ErrorData> {
    let call = Call {
        seal,
        name: PROMPT,
        responses: request.input_responses.clone().unwrap_or_default(),
        state: request.request_state.as_deref(),
        context,
    };
    let asks = vec![elicit_string(
        "user_context",
        "What context should the prompt use?",
        "context",
    )?];
    call.require(&asks)?;
    Ok(match gather(asks, &call.responses)? {
        Round::Missing(missing) => input_required(missing, None).into(),
        Round::Answered(answers) => {
            let text = match answers["user_context"].accepted_string("user_context", "context")? {
                Some(context) => format!("Answer with this context in mind: {context}"),
                None => "Answer without any particular context.".to_owned(),
            };
            GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)]).into()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn responses(value: Value) -> InputResponses {
        serde_json::from_value(value).expect("responses")
    }

    #[test]
    fn gather_asks_again_for_what_is_missing_and_ignores_extra_keys() {
        let asks = || vec![name_ask().expect("ask"), list_roots("client_roots")];
        let Round::Missing(missing) =
            gather(asks(), &responses(json!({ "wrong_key": {} }))).expect("round")
        else {
            panic!("nothing was answered");
        };
        assert_eq!(missing.len(), 2);
        let answered = responses(json!({
            "user_name": { "action": "accept", "content": { "name": "Alice" } },
            "client_roots": { "roots": [{ "uri": "file:///r", "name": "R" }] },
            "extra": 1
        }));
        let Round::Answered(answers) = gather(asks(), &answered).expect("round") else {
            panic!("everything was answered");
        };
        assert_eq!(
            answers["user_name"]
                .accepted_string("user_name", "name")
                .expect("valid"),
            Some("Alice".to_owned())
        );
        assert_eq!(answers["client_roots"].roots(), "file:///r (R)");
    }

    #[test]
    fn malformed_answers_are_invalid_params() {
        for bad in [
            json!({ "user_name": 12345 }),
            json!({ "user_name": { "action": "maybe" } }),
        ] {
            let e = gather(vec![name_ask().expect("ask")], &responses(bad)).expect_err("refused");
            assert_eq!(e.code, rmcp::model::ErrorCode::INVALID_PARAMS);
        }
        let answer = Answer::parse(
            Kind::Elicitation,
            "user_name",
            &json!({ "action": "accept", "content": { "name": 3 } }),
        )
        .expect("an ElicitResult");
        assert!(answer.accepted_string("user_name", "name").is_err());
        let declined = Answer::parse(Kind::Elicitation, "k", &json!({ "action": "decline" }))
            .expect("an ElicitResult");
        assert_eq!(declined.accepted_string("k", "name").expect("valid"), None);
    }

    #[test]
    fn input_requests_serialize_as_the_scenarios_describe() {
        let requests: InputRequests = [
            name_ask().expect("ask"),
            sample("greeting", "Generate a greeting", 50).expect("ask"),
            list_roots("client_roots"),
        ]
        .into_iter()
        .map(|a| (a.key.to_owned(), a.request))
        .collect();
        let wire = serde_json::to_value(input_required(requests, None)).expect("serializes");
        assert_eq!(wire["resultType"], "input_required");
        assert_eq!(
            wire["inputRequests"]["user_name"]["method"],
            "elicitation/create"
        );
        assert_eq!(
            wire["inputRequests"]["user_name"]["params"]["requestedSchema"]["required"],
            json!(["name"])
        );
        assert_eq!(
            wire["inputRequests"]["greeting"]["method"],
            "sampling/createMessage"
        );
        assert_eq!(wire["inputRequests"]["greeting"]["params"]["maxTokens"], 50);
        assert_eq!(
            wire["inputRequests"]["client_roots"]["method"],
            "roots/list"
        );
    }

    #[test]
    fn a_missing_capability_is_named_in_the_error() {
        let caps: ClientCapabilities = model(json!({ "sampling": {} })).expect("capabilities");
        assert!(Kind::Sampling.declared(&caps));
        assert!(!Kind::Elicitation.declared(&caps));
        assert!(!Kind::Roots.declared(&caps));
        let error = ErrorData::missing_required_client_capability(
            model(json!({ "sampling": {} })).expect("capabilities"),
        );
        assert_eq!(
            error.data.expect("data")["requiredCapabilities"],
            json!({ "sampling": {} })
        );
    }
}
