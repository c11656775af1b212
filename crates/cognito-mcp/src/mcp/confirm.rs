//! Confirmations for destructive work: a person says yes before it happens.
//!
//! Which calls need it comes from the catalogue ([`ToolSpec::confirm`]) and
//! `safety.confirm`. How the person is asked depends on the client:
//! - a client on protocol 2026-07-28 or later that can elicit gets an `input_required` result
//!   asking for the confirmation; it retries the call with the answer and the `requestState`,
//!   which is keyed, bound to the caller, tool, arguments and target, expires and counts once
//!   ([`crate::mcp::confirm_state`]); a state that fails any of these is refused, never asked again;
//! - an older client that can elicit is sent `elicitation/create` and the call waits for the
//!   answer;
//! - any other client must repeat the call with `confirm` set to the exact target (the
//!   username, the group, or `N users`); otherwise the call is refused with an error that says
//!   so. That second call is the agent's own deliberate step, not proof that a person agreed:
//!   with `safety.confirm.require_person = true` it is not accepted, and such clients are
//!   refused.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::RoleServer;
use rmcp::model::{
    ElicitRequestParams, ElicitResult, ElicitationAction, InputRequest, InputRequests,
    InputRequiredResult, InputResponses, ProtocolVersion, Request,
};
use rmcp::service::RequestContext;
use serde_json::{Value, json};

use crate::aws::LazyAdmin;
use crate::catalog::{ConfirmMode, Target, ToolSpec};
use crate::config::SafetySettings;
use crate::mcp::confirm_state::{Binding, ConfirmStates};
use crate::mcp::error::ToolError;
use crate::mcp::refusal::Refusal;

/// The argument every tool that may need confirming accepts.
pub(crate) const CONFIRM_ARG: &str = "confirm";
/// The key of the confirmation in `inputRequests` / `inputResponses`.
const INPUT_KEY: &str = "confirm";
/// How long a person has to answer an `elicitation/create` request.
const ELICIT_TIMEOUT: Duration = Duration::from_secs(600);

/// What the pipeline's intake learned about the call, for the tool and the audit record.
#[derive(Debug, Clone)]
pub(crate) struct CallState {
    /// The caller (the audit actor), whom an `input_required` state is bound to.
    pub(crate) actor: String,
    /// The `confirm` argument, taken out of the arguments.
    pub(crate) confirm: Option<String>,
    /// The arguments without `confirm`.
    pub(crate) arguments: Value,
    /// Answers to an earlier `input_required` result.
    pub(crate) responses: Option<InputResponses>,
    /// The `requestState` echoed back with them.
    pub(crate) request_state: Option<String>,
    /// What the call reports to the audit record.
    pub(crate) notes: Arc<Mutex<Notes>>,
}

/// Extra facts for the audit record.
#[derive(Debug, Clone, Default)]
pub(crate) struct Notes {
    /// How the call was confirmed: `elicitation` or `argument`.
    pub(crate) confirmed_by: Option<&'static str>,
    /// A summary of a bulk call (counts per outcome).
    pub(crate) summary: Option<Value>,
}

impl CallState {
    pub(crate) fn note(&self, f: impl FnOnce(&mut Notes)) {
        f(&mut self.notes.lock().unwrap_or_else(|p| p.into_inner()));
    }
}

/// What is to be confirmed.
#[derive(Debug)]
pub(crate) struct Ask {
    /// The exact target, as `confirm` must name it.
    pub(crate) target: String,
    /// What will happen, in words, for the person.
    pub(crate) effect: String,
}

fn elicit_params(spec: &ToolSpec, ask: &Ask) -> Result<ElicitRequestParams, ToolError> {
    serde_json::from_value(json!({
        "mode": "form",
        "message": format!("{}\n\nConfirm `{}` on {}?", ask.effect, spec.name, ask.target),
        "requestedSchema": {
            "type": "object",
            "properties": {
                "confirm": {
                    "type": "boolean",
                    "title": format!("Yes, {} {}", spec.title.to_lowercase(), ask.target),
                    "description": ask.effect,
                }
            },
            "required": ["confirm"],
        },
    }))
    .map_err(|e| ToolError::internal(format!("cannot build the confirmation request: {e}")))
}

fn declined(spec: &ToolSpec, ask: &Ask) -> ToolError {
    Refusal::Declined {
        tool: spec.name,
        target: ask.target.clone(),
    }
    .into()
}

/// Whether an elicitation answer is a yes.
fn accepted(result: &ElicitResult) -> bool {
    result.action == ElicitationAction::Accept
        && result
            .content
            .as_ref()
            .and_then(|c| c.get("confirm"))
            .and_then(Value::as_bool)
            == Some(true)
}

/// The confirmation stage: which calls need a person's yes, and getting it.
#[derive(Debug)]
pub(crate) struct Confirmer {
    safety: SafetySettings,
    /// The key and the used nonces of `input_required` confirmation states.
    states: ConfirmStates,
}

impl Confirmer {
    /// Confirmations by `safety`, with states keyed by a random key of this process until
    /// [`Confirmer::with_states`] sets the configured one.
    pub(crate) fn new(safety: SafetySettings) -> Self {
        Self {
            safety,
            states: ConfirmStates::random(),
        }
    }

    /// States keyed as `serve` configured ([`crate::mcp::confirm_state`]).
    pub(crate) fn with_states(&mut self, states: ConfirmStates) {
        self.states = states;
    }

    /// Whether a call of `spec` changing `changes` users needs a person's yes.
    pub(crate) fn needs(&self, spec: &ToolSpec, changes: usize) -> bool {
        match self.safety.confirm_mode(spec) {
            ConfirmMode::Always => changes > 0,
            ConfirmMode::Never => false,
            ConfirmMode::OverThreshold => changes > self.safety.bulk_confirm_threshold,
        }
    }

    /// Confirms a single-target tool (delete_user, disable_user, ...) before it runs, when
    /// its confirmation mode asks for it. Protected names, and targets beyond the caller's
    /// privilege, are refused first, so no one is asked to confirm what would be refused
    /// anyway. Arguments without a valid target are left to the tool, which rejects them.
    pub(crate) async fn single(
        &self,
        admin: &LazyAdmin,
        spec: &ToolSpec,
        context: &RequestContext<RoleServer>,
        call: &CallState,
    ) -> Result<(), ToolError> {
        if spec.bulk || !self.needs(spec, 1) {
            return Ok(());
        }
        let arg = |k: &str| call.arguments.get(k).and_then(Value::as_str);
        let valid_user =
            arg("username").filter(|u| cognito_admin::validate::username("username", u).is_ok());
        let valid_group =
            arg("group").filter(|g| cognito_admin::validate::group_name("group", g).is_ok());
        let (target, effect) = if let Some(username) = valid_user {
            let admin = admin.get().await;
            admin.check_user_writable("username", username).await?;
            admin.check_user_privilege("username", username).await?;
            (username.to_owned(), spec.single_effect(username))
        } else if let Some(group) = valid_group {
            let admin = admin.get().await;
            admin.check_group_writable("group", group)?;
            admin.check_group_privilege("group", group)?;
            (group.to_owned(), spec.single_effect(group))
        } else if spec.target == Target::Client {
            let admin = admin.get().await;
            if let Some(client) = arg("client_id")
                .filter(|c| cognito_admin::validate::client_id("client_id", c).is_ok())
            {
                admin.check_client_writable("client_id", client)?;
                (client.to_owned(), spec.single_effect(client))
            } else if let Some(policy) = arg("policy_id").filter(|p| !p.is_empty()) {
                (policy.to_owned(), spec.single_effect(policy))
            } else {
                return Ok(());
            }
        } else if spec.target == Target::Pool {
            let pool = admin.pool_id().to_owned();
            let effect = spec.single_effect(&pool);
            (pool, effect)
        } else {
            return Ok(());
        };
        self.ask(spec, context, call, &Ask { target, effect }).await
    }

    /// Gets a person's yes for `ask`, by the best means the client has; `Ok` means go on.
    pub(crate) async fn ask(
        &self,
        spec: &ToolSpec,
        ctx: &RequestContext<RoleServer>,
        call: &CallState,
        ask: &Ask,
    ) -> Result<(), ToolError> {
        let can_elicit = ctx
            .client_capabilities()
            .is_some_and(|c| c.elicitation.is_some());
        let stateless_rounds = ctx
            .protocol_version()
            .is_some_and(|v| v >= ProtocolVersion::V_2026_07_28);
        if can_elicit && stateless_rounds {
            let binding = Binding {
                actor: &call.actor,
                tool: spec.name,
                arguments: &call.arguments,
                target: &ask.target,
            };
            let states = &self.states;
            let Some(state) = call.request_state.as_deref() else {
                let mut requests = InputRequests::new();
                requests.insert(
                    INPUT_KEY.into(),
                    InputRequest::Elicitation(Request::new(elicit_params(spec, ask)?)),
                );
                return Err(ToolError::InputRequired(Box::new(
                    InputRequiredResult::new(Some(requests), Some(states.issue(&binding))).into(),
                )));
            };
            states
                .redeem(state, &binding)
                .map_err(|error| Refusal::ConfirmationState {
                    tool: spec.name,
                    target: ask.target.clone(),
                    error,
                })?;
            let answer = call.responses.as_ref().and_then(|r| r.get(INPUT_KEY));
            let result: Option<ElicitResult> =
                answer.and_then(|a| serde_json::from_value(a.clone()).ok());
            return match result {
                Some(result) if accepted(&result) => {
                    call.note(|n| n.confirmed_by = Some("elicitation"));
                    Ok(())
                }
                _ => Err(declined(spec, ask)),
            };
        }
        if !can_elicit && self.safety.require_person {
            return Err(Refusal::PersonRequired {
                tool: spec.name,
                target: ask.target.clone(),
            }
            .into());
        }
        if can_elicit {
            let result = ctx
                .peer
                .create_elicitation_with_timeout(elicit_params(spec, ask)?, Some(ELICIT_TIMEOUT))
                .await
                .map_err(|e| ToolError::Failed {
                    code: "confirmation_failed",
                    retryable: true,
                    text: format!(
                        "Error (confirmation_failed): could not ask the person to confirm `{}` \
                         on {}: {e}; nothing was changed.\nHow to fix: call again when they \
                         can answer.",
                        spec.name, ask.target
                    ),
                })?;
            return if accepted(&result) {
                call.note(|n| n.confirmed_by = Some("elicitation"));
                Ok(())
            } else {
                Err(declined(spec, ask))
            };
        }
        match call.confirm.as_deref() {
            Some(given) if given == ask.target => {
                call.note(|n| n.confirmed_by = Some("argument"));
                Ok(())
            }
            given => {
                let problem = match given {
                    None => "this client cannot ask the person directly (no MCP elicitation), \
                             and the call has no `confirm`"
                        .to_owned(),
                    Some(g) => format!(
                        "`confirm` is {g:?}, but this call's target is {:?}",
                        ask.target
                    ),
                };
                Err(Refusal::ConfirmationRequired {
                    tool: spec.name,
                    effect: ask.effect.clone(),
                    target: ask.target.clone(),
                    problem,
                }
                .into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_accepted_true_is_a_yes() {
        let parse = |v: Value| serde_json::from_value::<ElicitResult>(v).expect("result");
        assert!(accepted(&parse(
            json!({"action": "accept", "content": {"confirm": true}})
        )));
        assert!(!accepted(&parse(
            json!({"action": "accept", "content": {"confirm": false}})
        )));
        assert!(!accepted(&parse(json!({"action": "accept"}))));
        assert!(!accepted(&parse(json!({"action": "decline"}))));
        assert!(!accepted(&parse(
            json!({"action": "cancel", "content": {"confirm": true}})
        )));
    }
}
