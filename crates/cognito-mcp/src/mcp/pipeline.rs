//! The call pipeline every tool call goes through, one stage after another:
//!
//! 1. intake: the `confirm` argument taken out, the call's state shared with the tool, the
//!    secrets to scrub, and the arguments as the audit may record them ([`crate::mcp::scrub`]);
//! 2. gate: the tool policy and the caller's scopes, and the privilege the writes act with
//!    ([`crate::mcp::gate`]);
//! 3. confirm: a person's yes for single-target destructive tools ([`crate::mcp::confirm`];
//!    bulk tools ask about what their plan would change, from the tool);
//! 4. run: the tool, its AWS calls recorded ([`cognito_admin::calls::collect`]);
//! 5. outcome: the answer scrubbed and classified ([`crate::mcp::outcome`]); at 2026-07-28, a
//!    refusal for a capability the client lacks becomes the protocol's error for it;
//! 6. audit: one record ([`crate::mcp::audit`]).
//!
//! Each stage is a value the server holds; this file only runs them in order.

use std::sync::Arc;

use cognito_admin::audit::AuditOutcome;
use cognito_admin::calls;
use cognito_admin::privilege::acting_as;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::{IntoCallToolResult, ToolCallContext};
use rmcp::model::{CallToolRequestParams, CallToolResponse, ProtocolVersion};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};
use serde_json::Value;

use crate::catalog;
use crate::mcp::confirm::{CONFIRM_ARG, CallState};
use crate::mcp::principal_of;
use crate::mcp::scrub::{audit_arguments, secret_values};
use crate::mcp::state::State;
use crate::mcp::{error, outcome};

/// Runs one `tools/call` through every stage.
pub(crate) async fn call_tool(
    state: &State,
    router: &ToolRouter<State>,
    mut request: CallToolRequestParams,
    mut context: RequestContext<RoleServer>,
) -> Result<CallToolResponse, ErrorData> {
    // Intake.
    let principal = principal_of(&context.extensions);
    let stateless = context
        .protocol_version()
        .is_some_and(|v| v >= ProtocolVersion::V_2026_07_28);
    let actor = state.auditor.actor_for(principal.as_ref());
    let confirm = request
        .arguments
        .as_mut()
        .and_then(|a| a.remove(CONFIRM_ARG));
    // Shared with the tool through the request's extensions, without copying the arguments.
    let call = Arc::new(CallState {
        actor: actor.clone(),
        confirm: confirm.as_ref().and_then(Value::as_str).map(str::to_owned),
        arguments: Value::Object(request.arguments.clone().unwrap_or_default()),
        responses: request.input_responses.clone(),
        request_state: request.request_state.clone(),
        notes: Default::default(),
    });
    context.extensions.insert(call.clone());
    let mut secrets = Vec::new();
    secret_values(&call.arguments, &mut secrets);
    let route = router.get(&request.name);
    let known = route
        .and_then(|t| t.input_schema.get("properties"))
        .and_then(Value::as_object);
    let entry = state.auditor.begin(
        actor,
        &request.name,
        audit_arguments(&call.arguments, known),
    );
    let Some(spec) = catalog::find(&request.name) else {
        state
            .auditor
            .write(entry.finish(AuditOutcome::Error, Some("unknown_tool".into()), &[]));
        return Err(ErrorData::invalid_params(
            format!(
                "unknown tool {:?}; the tools are: {}",
                request.name,
                catalog::names()
            ),
            None,
        ));
    };

    // Gate.
    let pass = match state.gate.check(spec, principal.as_ref()) {
        Ok(pass) => pass,
        Err(refusal) => {
            state
                .auditor
                .write(entry.finish(refusal.outcome(), Some(refusal.code().into()), &[]));
            return Ok(error::refused(&refusal).into());
        }
    };

    // Act as: the caller's own AWS credentials, when the server acts as its callers (for a
    // tool that calls AWS at all: whoami, verify_token and read_audit need none).
    let acting = match state
        .acting
        .credentials(&context.extensions, !spec.operations.is_empty())
        .await
    {
        Ok(c) => c,
        Err(refusal) => {
            state
                .auditor
                .write(entry.finish(refusal.outcome(), Some(refusal.code().into()), &[]));
            return Ok(error::refused(&refusal).into());
        }
    };

    // Confirm and run. Boxed: the tool futures are large, and the privilege scope wraps them
    // once more.
    let work = Box::pin(async {
        if let Err(e) = state
            .confirmer
            .single(&state.admin, spec, &context, &call)
            .await
        {
            return e.into_call_tool_result();
        }
        let ctx = ToolCallContext::new(state, request, context);
        router.call(ctx).await
    });
    let work = async {
        match pass.privilege {
            Some(p) => acting_as(p, work).await,
            None => work.await,
        }
    };
    let (answer, aws_calls) = calls::collect(crate::aws::as_caller(acting, work)).await;

    // Outcome and audit.
    // The tool is done with the notes: take them, no copy.
    let notes = std::mem::take(&mut *call.notes.lock().unwrap_or_else(|p| p.into_inner()));
    let settled = match outcome::settle(answer, &secrets, &notes) {
        Ok(settled) => settled,
        Err(e) => {
            state.auditor.write(entry.finish(
                AuditOutcome::Error,
                Some("internal_error".into()),
                &aws_calls,
            ));
            return Err(e);
        }
    };
    let capability = stateless
        .then(|| outcome::missing_capability(&settled))
        .flatten();
    let mut record = entry.finish(settled.outcome, settled.error, &aws_calls);
    record.confirmed_by = notes.confirmed_by.map(str::to_owned);
    record.summary = notes.summary;
    state.auditor.write(record);
    match capability {
        Some(e) => Err(e),
        None => Ok(settled.response),
    }
}
