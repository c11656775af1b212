//! App clients: listed with how they were made and when, deleted one at a time, and the
//! dynamically registered ones pruned in bulk.
//!
//! With Cognito's dynamic client registration every MCP client that registers becomes an app
//! client of the pool (`ClientType` `DCR`), counting toward the pool's app-client quota. The
//! SDK does not model `ClientType` yet, so listing and describing go through
//! [`json_api`](crate::json_api); deleting is the SDK's DeleteUserPoolClient.

use std::time::{Duration, SystemTime};

use futures_util::StreamExt as _;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::Subject;
use crate::model::{AppClient, AppClientPage, json_date};
use crate::ops::bulk::{BulkLimits, BulkPlan, Change};
use crate::{AdminError, CognitoAdmin, ItemOutcome, Operation, validate};

/// How many DescribeUserPoolClient calls a listing keeps in flight (the pacer sets the rate).
const DESCRIBE_CONCURRENCY: usize = 4;

/// The most days `older_than_days` takes (ten years).
pub const MAX_PRUNE_DAYS: u32 = 3650;

/// Which app clients to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    /// Registered by an application through dynamic client registration (Cognito's
    /// `ClientType` `DCR`).
    Dynamic,
    /// Created by an administrator (`REGULAR`).
    Regular,
}

impl ClientKind {
    fn client_type(self) -> &'static str {
        match self {
            Self::Dynamic => "DCR",
            Self::Regular => "REGULAR",
        }
    }
}

/// Input of `list_user_pool_clients`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListUserPoolClients {
    /// Clients per page, 1 to 60. Default: 60.
    #[serde(default)]
    #[schemars(range(min = 1, max = 60))]
    pub limit: Option<i32>,
    /// The `pagination_token` of the previous page.
    #[serde(default)]
    pub pagination_token: Option<String>,
    /// Only `dynamic` (registered by applications) or only `regular` clients. Default: both.
    #[serde(default)]
    pub kind: Option<ClientKind>,
}

/// Input of `delete_user_pool_client`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteUserPoolClient {
    /// The app client id, as `list_user_pool_clients` shows it.
    pub client_id: String,
}

/// Input of `prune_dynamic_clients`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PruneDynamicClients {
    /// Delete dynamically registered clients created more than this many days ago (0 to
    /// 3650; 0 takes every one created before now).
    #[schemars(range(min = 0, max = 3650))]
    pub older_than_days: u32,
    /// Report what would be deleted without deleting. Default: true, so the first call is
    /// always a preview; pass false to delete.
    #[serde(default = "yes")]
    pub dry_run: bool,
}

fn yes() -> bool {
    true
}

fn system_time(v: &Value) -> Option<SystemTime> {
    let secs = v.as_f64().filter(|s| s.is_finite() && *s >= 0.0)?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs_f64(secs))
}

/// Whether a client created at `created` is older than `days` at `now`. A client whose
/// creation time is unknown is never old.
pub(crate) fn is_older(created: Option<SystemTime>, now: SystemTime, days: u32) -> bool {
    let age = Duration::from_secs(u64::from(days) * 86_400);
    created.is_some_and(|c| now.duration_since(c).is_ok_and(|d| d > age || days == 0))
}

/// One client as DescribeUserPoolClient shows it.
struct Described {
    client: AppClient,
    created_at: Option<SystemTime>,
}

impl CognitoAdmin {
    /// Lists one page of the pool's app clients (ListUserPoolClients), each described
    /// (DescribeUserPoolClient): whether an application registered it, and when it was
    /// created and last changed.
    pub async fn list_user_pool_clients(
        &self,
        req: &ListUserPoolClients,
    ) -> Result<AppClientPage, AdminError> {
        let limit = req.limit.unwrap_or(validate::MAX_PAGE);
        validate::page_limit("limit", limit)?;
        let (ids, next) = self
            .list_client_ids(limit, req.pagination_token.as_deref(), req.kind)
            .await?;
        let mut clients = Vec::with_capacity(ids.len());
        let described: Vec<Result<Described, AdminError>> = futures_util::stream::iter(ids)
            .map(|(id, name)| async move {
                match self.describe_client(&id).await {
                    // Deleted between the list and the describe: shown as listed.
                    Err(AdminError::ResourceNotFound { .. }) => Ok(Described {
                        client: AppClient::listed(id, name),
                        created_at: None,
                    }),
                    other => other,
                }
            })
            .buffered(DESCRIBE_CONCURRENCY)
            .collect()
            .await;
        for d in described {
            clients.push(d?.client);
        }
        Ok(AppClientPage {
            count: clients.len(),
            clients,
            pagination_token: next,
        })
    }

    /// Whether `client_id` is an app client of the pool (one DescribeUserPoolClient; none
    /// for a value that cannot be a client id).
    pub async fn client_exists(&self, client_id: &str) -> Result<bool, AdminError> {
        if validate::client_id("client_id", client_id).is_err() {
            return Ok(false);
        }
        match self.describe_client(client_id).await {
            Ok(_) => Ok(true),
            Err(AdminError::ResourceNotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// One page of ListUserPoolClients: (id, name) pairs and the next token.
    async fn list_client_ids(
        &self,
        limit: i32,
        token: Option<&str>,
        kind: Option<ClientKind>,
    ) -> Result<(Vec<(String, Option<String>)>, Option<String>), AdminError> {
        let mut body = json!({"UserPoolId": self.pool_id(), "MaxResults": limit});
        if let Some(t) = token {
            body["NextToken"] = json!(t);
        }
        if let Some(k) = kind {
            body["ClientType"] = json!(k.client_type());
        }
        let out = self
            .call_json(Operation::ListUserPoolClients, Subject::None, body)
            .await?;
        let ids = out["UserPoolClients"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|c| {
                        let id = c["ClientId"].as_str()?.to_owned();
                        Some((id, c["ClientName"].as_str().map(str::to_owned)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let next = out["NextToken"]
            .as_str()
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        Ok((ids, next))
    }

    async fn describe_client(&self, client_id: &str) -> Result<Described, AdminError> {
        let out = self
            .call_json(
                Operation::DescribeUserPoolClient,
                Subject::None,
                json!({"UserPoolId": self.pool_id(), "ClientId": client_id}),
            )
            .await?;
        let c = &out["UserPoolClient"];
        Ok(Described {
            client: AppClient {
                client_id: client_id.to_owned(),
                client_name: c["ClientName"].as_str().map(str::to_owned),
                dynamic: c["ClientType"].as_str() == Some("DCR"),
                created: json_date(&c["CreationDate"]),
                last_modified: json_date(&c["LastModifiedDate"]),
            },
            created_at: system_time(&c["CreationDate"]),
        })
    }

    /// Deletes the app client `client_id` (DeleteUserPoolClient), unless it is protected.
    /// Applications using it can no longer sign in; its tokens stop refreshing.
    pub async fn delete_user_pool_client(&self, client_id: &str) -> Result<(), AdminError> {
        validate::client_id("client_id", client_id)?;
        self.check_client_writable("client_id", client_id)?;
        crate::error::finish(
            Operation::DeleteUserPoolClient,
            Subject::None,
            self.client()
                .delete_user_pool_client()
                .user_pool_id(self.pool_id())
                .client_id(client_id)
                .send()
                .await,
        )?;
        Ok(())
    }

    /// Plans `prune_dynamic_clients`: every dynamically registered client (up to
    /// `limits.max_items`), described; those created more than `older_than_days` before `now`
    /// and not protected are to be deleted, the rest are left (skipped, with why).
    pub async fn plan_prune_dynamic_clients(
        &self,
        req: &PruneDynamicClients,
        now: SystemTime,
        limits: BulkLimits,
    ) -> Result<BulkPlan, AdminError> {
        if req.older_than_days > MAX_PRUNE_DAYS {
            return Err(validate::Invalid::new(
                "older_than_days",
                format!("is {}, more than ten years", req.older_than_days),
                format!("0 to {MAX_PRUNE_DAYS} days"),
                "30",
            )
            .into());
        }
        let mut ids = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = limits.max_items.saturating_sub(ids.len()).min(60) as i32;
            if page == 0 {
                break;
            }
            let (more, next) = self
                .list_client_ids(page, token.as_deref(), Some(ClientKind::Dynamic))
                .await?;
            ids.extend(more.into_iter().map(|(id, _)| id));
            match next {
                Some(t) if token.as_deref() != Some(t.as_str()) => token = Some(t),
                _ => break,
            }
        }
        let described: Vec<(String, Result<Described, AdminError>)> =
            futures_util::stream::iter(ids)
                .map(|id| async move {
                    let d = self.describe_client(&id).await;
                    (id, d)
                })
                .buffered(DESCRIBE_CONCURRENCY)
                .collect()
                .await;
        let mut plan = BulkPlan::for_clients("prune_dynamic_clients");
        let days = req.older_than_days;
        for (id, d) in described {
            let d = match d {
                Ok(d) => d,
                Err(AdminError::ResourceNotFound { .. }) => {
                    plan.settle(&id, ItemOutcome::Skipped, "deleted already");
                    continue;
                }
                Err(e) => {
                    plan.fail(&id, &e);
                    continue;
                }
            };
            let created = d.client.created.as_deref().unwrap_or("at an unknown time");
            if !d.client.dynamic {
                plan.settle(&id, ItemOutcome::Skipped, "not a registered client: left");
            } else if self.check_client_writable("client_id", &id).is_err() {
                plan.settle(
                    &id,
                    ItemOutcome::Skipped,
                    "protected (safety.protected_clients, or the server's own): left",
                );
            } else if !is_older(d.created_at, now, days) {
                plan.settle(
                    &id,
                    ItemOutcome::Skipped,
                    format!("created {created}, within {days} days: left"),
                );
            } else {
                plan.change(
                    &id,
                    Change::DeleteClient,
                    format!(
                        "delete {:?} (registered {created})",
                        d.client.client_name.as_deref().unwrap_or("")
                    ),
                );
            }
        }
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    const DAY: u64 = 86_400;

    #[test]
    fn a_client_is_old_only_past_the_whole_number_of_days() {
        let now = at(100 * DAY);
        assert!(
            !is_older(Some(at(100 * DAY - 30 * DAY)), now, 30),
            "exactly 30 days"
        );
        assert!(is_older(Some(at(100 * DAY - 30 * DAY - 1)), now, 30));
        assert!(!is_older(Some(at(100 * DAY - DAY)), now, 30));
    }

    #[test]
    fn zero_days_takes_every_client_made_before_now_and_none_made_after() {
        let now = at(10 * DAY);
        assert!(is_older(Some(at(10 * DAY - 1)), now, 0));
        assert!(is_older(Some(now), now, 0), "made this very second");
        assert!(
            !is_older(Some(at(10 * DAY + 5)), now, 0),
            "clock skew: from the future"
        );
    }

    #[test]
    fn a_client_of_unknown_age_is_never_old() {
        assert!(!is_older(None, at(10 * DAY), 0));
    }

    #[test]
    fn json_dates_read_as_epoch_seconds() {
        assert_eq!(
            json_date(&json!(1_700_000_000.5)).as_deref(),
            Some("2023-11-14T22:13:20.5Z")
        );
        assert_eq!(json_date(&json!("yesterday")), None);
        assert_eq!(system_time(&json!(-5)), None);
    }
}
