//! The bulk tools: plan, confirm when the change is big enough, then run with progress
//! notifications and cancellation.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use cognito_admin::{
    BulkObserver, BulkPlan, BulkReport, CreateUsers, GroupMembersChange, UsersChange,
};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::service::RequestContext;
use rmcp::{Json, Peer, RoleServer, tool, tool_router};
use serde_json::json;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::catalog;
use crate::confirm::{Ask, CallState};
use crate::server::CognitoMcp;
use crate::tool_error::ToolError;

/// Progress notifications are sent at most this often (and always for the last item).
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Relays a bulk run's progress to the client as `notifications/progress`, in order, and
/// tells the run when the client cancelled the request.
struct McpProgress {
    tx: Option<mpsc::UnboundedSender<(usize, usize, String)>>,
    last: Mutex<Option<Instant>>,
    ct: CancellationToken,
}

impl McpProgress {
    /// Starts relaying to `peer` when the request carries a progress token.
    fn start(
        peer: Peer<RoleServer>,
        token: Option<ProgressToken>,
        ct: CancellationToken,
    ) -> (Self, Option<tokio::task::JoinHandle<()>>) {
        let Some(token) = token else {
            return (
                Self {
                    tx: None,
                    last: Mutex::new(None),
                    ct,
                },
                None,
            );
        };
        let (tx, mut rx) = mpsc::unbounded_channel::<(usize, usize, String)>();
        let relay = tokio::spawn(async move {
            while let Some((done, total, message)) = rx.recv().await {
                let mut p = ProgressNotificationParam::new(token.clone(), done as f64);
                p.total = Some(total as f64);
                p.message = Some(message);
                if peer.notify_progress(p).await.is_err() {
                    break;
                }
            }
        });
        (
            Self {
                tx: Some(tx),
                last: Mutex::new(None),
                ct,
            },
            Some(relay),
        )
    }
}

impl BulkObserver for McpProgress {
    fn progress(&self, done: usize, total: usize, message: &str) {
        let Some(tx) = &self.tx else { return };
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if done < total && last.is_some_and(|at| at.elapsed() < PROGRESS_EVERY) {
            return;
        }
        *last = Some(Instant::now());
        let _ = tx.send((done, total, message.to_owned()));
    }

    fn is_cancelled(&self) -> bool {
        self.ct.is_cancelled()
    }
}

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

impl CognitoMcp {
    /// The dry run, or confirmation (when needed) and the run. The catalogue says what the
    /// change does; `group` is the group it changes, if any.
    async fn finish_bulk(
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
            if self.needs_confirm(spec, changes) && plan.may_skip_existing() {
                // Ask about what would change: users that exist already are left as they are.
                self.admin
                    .get()
                    .await
                    .skip_existing(&mut plan, false, self.bulk)
                    .await;
                changes = plan.changes();
            }
            if self.needs_confirm(spec, changes) {
                let ask = Ask {
                    target: format!("{changes} users"),
                    effect: format!(
                        "{}: {}.",
                        spec.bulk_effect(changes, group),
                        some_of(&plan.changed_users())
                    ),
                };
                let call = call
                    .clone()
                    .ok_or_else(|| ToolError::internal("the call's state is missing".into()))?;
                self.confirm(spec, &ctx, &call, &ask).await?;
            }
            let (observer, relay) =
                McpProgress::start(ctx.peer.clone(), ctx.meta.get_progress_token(), ctx.ct);
            let admin = self.admin.get().await;
            let report = admin.run_bulk(plan, self.bulk, &observer).await;
            drop(observer);
            if let Some(relay) = relay {
                // Every progress notification goes out before the result.
                let _ = tokio::time::timeout(Duration::from_secs(5), relay).await;
            }
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
impl CognitoMcp {
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
