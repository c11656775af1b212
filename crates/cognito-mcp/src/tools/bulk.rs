//! The bulk tools: plan, confirm when the change is big enough, then run with progress
//! notifications and cancellation.

use cognito_admin::{BulkPlan, BulkReport, CreateUsers, GroupMembersChange, UsersChange};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::service::RequestContext;
use rmcp::{Json, RoleServer, tool, tool_router};
use serde_json::json;

use crate::catalog;
use crate::mcp::confirm::{Ask, CallState};
use crate::mcp::error::ToolError;
use crate::mcp::progress::McpProgress;
use crate::mcp::state::State;

/// "alice, bob, carol and 34 more".
fn some_of(users: &[&str]) -> String {
    const SHOWN: usize = 5;
    let mut text = users
        .iter()
        .take(SHOWN)
        .map(|u| format!("{u:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    if users.len() > SHOWN {
        text.push_str(&format!(" and {} more", users.len() - SHOWN));
    }
    text
}

impl State {
    /// The dry run, or confirmation (when needed) and the run. The catalogue says what the
    /// change does; `group` is the group it changes, if any.
    pub(super) async fn finish_bulk(
        &self,
        tool: &'static str,
        mut plan: BulkPlan,
        dry_run: bool,
        group: Option<&str>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<BulkReport>, ToolError> {
        let spec = catalog::find(tool).expect("bulk tools are in the catalogue");
        let call = ctx.extensions.get::<std::sync::Arc<CallState>>().cloned();
        let report = if dry_run {
            plan.preview()
        } else {
            let mut changes = plan.changes();
            if self.confirmer.needs(spec, changes) && plan.may_skip_existing() {
                // Ask about what would change: users that exist already are left as they are.
                self.admin
                    .get()
                    .await
                    .skip_existing(&mut plan, false, self.bulk)
                    .await;
                changes = plan.changes();
            }
            if self.confirmer.needs(spec, changes) {
                let ask = Ask {
                    target: format!("{changes} {}", plan.noun()),
                    effect: format!(
                        "{}: {}.",
                        spec.bulk_effect(changes, group),
                        some_of(&plan.changed_users())
                    ),
                };
                let call = call
                    .clone()
                    .ok_or_else(|| ToolError::internal("the call's state is missing".into()))?;
                self.confirmer.ask(spec, &ctx, &call, &ask).await?;
            }
            let (observer, relay) =
                McpProgress::start(ctx.peer.clone(), ctx.meta.get_progress_token(), ctx.ct);
            let admin = self.admin.get().await;
            let report = admin.run_bulk(plan, self.bulk, &observer).await;
            // Every progress notification goes out before the result (the relay ends when
            // the observer's sender is dropped, or when the client cancels).
            observer.finish(relay).await;
            report
        };
        if let Some(call) = call {
            call.note(|n| {
                n.summary = Some(json!({
                    "dry_run": report.dry_run,
                    "total": report.total,
                    "counts": report.counts,
                    "cancelled": report.cancelled,
                    "throttled": report.throttled,
                }))
            });
        }
        Ok(Json(report))
    }
}

#[tool_router(router = bulk_router, vis = "pub(crate)")]
impl State {
    #[tool(
        description = "Create many users in one call (up to the server's cap, 500 by \
        default), each like create_user's input, optionally all in `groups`. Requests are paced \
        to Cognito's quotas and reported as progress; the result lists every user: done, \
        skipped (exists already), or failed with why. Safe to repeat: a second run skips what \
        exists. dry_run reports what would happen without writing."
    )]
    async fn create_users(
        &self,
        Parameters(req): Parameters<CreateUsers>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<BulkReport>, ToolError> {
        let plan = self
            .admin
            .get()
            .await
            .plan_create_users(&req, self.bulk)
            .await?;
        self.finish_bulk("create_users", plan, req.dry_run, None, ctx)
            .await
    }

    #[tool(
        description = "Add many users to a group: a list of usernames, or every user a \
        list_users filter matches. Members already in the group are skipped; each user is \
        reported. dry_run reports what would happen without writing."
    )]
    async fn add_users_to_group(
        &self,
        Parameters(req): Parameters<GroupMembersChange>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<BulkReport>, ToolError> {
        let plan = self
            .admin
            .get()
            .await
            .plan_membership(&req, true, self.bulk)
            .await?;
        self.finish_bulk(
            "add_users_to_group",
            plan,
            req.dry_run,
            Some(&req.group),
            ctx,
        )
        .await
    }

    #[tool(
        description = "Remove many users from a group: a list of usernames, or every user a \
        list_users filter matches. Users not in the group are skipped; each user is reported. \
        dry_run reports what would happen without writing."
    )]
    async fn remove_users_from_group(
        &self,
        Parameters(req): Parameters<GroupMembersChange>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<BulkReport>, ToolError> {
        let plan = self
            .admin
            .get()
            .await
            .plan_membership(&req, false, self.bulk)
            .await?;
        self.finish_bulk(
            "remove_users_from_group",
            plan,
            req.dry_run,
            Some(&req.group),
            ctx,
        )
        .await
    }

    #[tool(
        description = "Disable many users (they can no longer sign in): a list of usernames, \
        or every user a list_users filter matches, such as email ^= \"contractor\". Users \
        already disabled are skipped; each user is reported. Reversible with enable_users. \
        dry_run reports what would happen without writing."
    )]
    async fn disable_users(
        &self,
        Parameters(req): Parameters<UsersChange>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<BulkReport>, ToolError> {
        let plan = self
            .admin
            .get()
            .await
            .plan_set_enabled(&req, false, self.bulk)
            .await?;
        self.finish_bulk("disable_users", plan, req.dry_run, None, ctx)
            .await
    }

    #[tool(
        description = "Enable many users: a list of usernames, or every user a list_users \
        filter matches. Users already enabled are skipped; each user is reported. dry_run \
        reports what would happen without writing."
    )]
    async fn enable_users(
        &self,
        Parameters(req): Parameters<UsersChange>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<BulkReport>, ToolError> {
        let plan = self
            .admin
            .get()
            .await
            .plan_set_enabled(&req, true, self.bulk)
            .await?;
        self.finish_bulk("enable_users", plan, req.dry_run, None, ctx)
            .await
    }
}
