//! Bulk operations: many users in one call, in two steps.
//!
//! 1. **Plan**: check every item (input, protected names, the pool's state) and decide what it
//!    needs: a change, a skip (already so), or a failure (with why). Nothing is written.
//! 2. **Run** ([`CognitoAdmin::run_bulk`]): make the changes, a few at a time, each request
//!    paced by the client's [`Pacer`](crate::pace::Pacer), reporting progress and stopping
//!    when asked.
//!
//! A plan's [`BulkPlan::preview`] is the dry run. Between the two steps a caller can ask a
//! person to confirm [`BulkPlan::changes`]. Each item ends as exactly one [`ItemOutcome`], so
//! nothing fails silently, and a second run of the same call skips what the first one did.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use futures_util::StreamExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Subject, finish};
use crate::filter::Filter;
use crate::model::user_from_sdk;
use crate::{AdminError, CognitoAdmin, CreateUser, ListUsers, Operation, User, validate};

/// The default cap on items per bulk call.
pub const DEFAULT_MAX_ITEMS: usize = 500;
/// The default number of requests a bulk run keeps in flight (the pacer sets the rate).
pub const DEFAULT_CONCURRENCY: usize = 8;

/// Input of `create_users`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUsers {
    /// The users to create, each like `create_user`'s input (username, email, attributes,
    /// temporary_password, suppress_invitation, groups).
    pub users: Vec<CreateUser>,
    /// Groups to add every new user to, on top of each user's own `groups`.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Report what would happen (which users exist already, which inputs are invalid)
    /// without writing anything. Default: false.
    #[serde(default)]
    pub dry_run: bool,
}

/// Input of `disable_users` and `enable_users`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UsersChange {
    /// Usernames (or aliases such as emails). Give this or `filter`.
    #[serde(default)]
    pub usernames: Option<Vec<String>>,
    /// Instead of `usernames`: every user matching this `list_users` filter, e.g.
    /// `email ^= "contractor"`.
    #[serde(default)]
    pub filter: Option<String>,
    /// Report what would happen without writing anything. Default: false.
    #[serde(default)]
    pub dry_run: bool,
}

/// Input of `add_users_to_group` and `remove_users_from_group`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupMembersChange {
    /// The group.
    pub group: String,
    /// Usernames (or aliases such as emails). Give this or `filter`.
    #[serde(default)]
    pub usernames: Option<Vec<String>>,
    /// Instead of `usernames`: every user matching this `list_users` filter.
    #[serde(default)]
    pub filter: Option<String>,
    /// Report what would happen without writing anything. Default: false.
    #[serde(default)]
    pub dry_run: bool,
}

/// How one item ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ItemOutcome {
    /// The change was made (user created, added, removed, disabled, enabled).
    Done,
    /// Nothing to do: it was already so (the user exists, is a member, is disabled, ...).
    Skipped,
    /// It failed; `reason` says why and `code` is the error code.
    Failed,
    /// Dry run: the change would be made.
    WouldChange,
    /// The run was cancelled before this item started; nothing was sent for it.
    NotAttempted,
}

impl ItemOutcome {
    fn key(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Skipped => "skipped",
            Self::Failed => "failed",
            Self::WouldChange => "would_change",
            Self::NotAttempted => "not_attempted",
        }
    }
}

/// One item of a bulk report.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct BulkItem {
    /// The user, as given (bulk work on users).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The app client (bulk work on app clients: `prune_dynamic_clients`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// How it ended.
    pub outcome: ItemOutcome,
    /// What was (or would be) done, or why not.
    pub detail: String,
    /// The error code, for failures (`invalid_input`, `user_not_found`, `protected`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// For failures: whether the same item may succeed if run again unchanged.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub retryable: bool,
}

/// What a bulk call did, item by item.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct BulkReport {
    /// The operation: `create_users`, `add_users_to_group`, ...
    pub action: String,
    /// Whether this was a dry run (nothing written).
    pub dry_run: bool,
    /// Items in the call.
    pub total: usize,
    /// How many items ended each way (`done`, `skipped`, `failed`, `would_change`,
    /// `not_attempted`).
    pub counts: BTreeMap<String, usize>,
    /// Whether the run was cancelled; `not_attempted` items were never sent.
    pub cancelled: bool,
    /// Throttling answers Cognito gave during the call (each retried by the SDK).
    pub throttled: u32,
    /// Wall-clock time, in milliseconds.
    pub elapsed_ms: u64,
    /// What to do next, when something is left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// Every item, in input order.
    pub items: Vec<BulkItem>,
}

/// Watches a bulk run: progress and cancellation.
pub trait BulkObserver: Send + Sync {
    /// `done` of `total` changes are finished; `message` says what just happened.
    fn progress(&self, done: usize, total: usize, message: &str) {
        let _ = (done, total, message);
    }

    /// Whether to stop: no new item starts once this is true (those in flight finish).
    fn is_cancelled(&self) -> bool {
        false
    }
}

/// An observer that reports nothing and never cancels.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unobserved;

impl BulkObserver for Unobserved {}

/// How a bulk run proceeds.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct BulkLimits {
    /// The most items one call may hold.
    pub max_items: usize,
    /// Requests kept in flight at once.
    pub concurrency: usize,
}

impl BulkLimits {
    /// `max_items` per call, `concurrency` requests in flight.
    pub fn new(max_items: usize, concurrency: usize) -> Self {
        Self {
            max_items: max_items.max(1),
            concurrency: concurrency.max(1),
        }
    }
}

impl Default for BulkLimits {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_ITEMS, DEFAULT_CONCURRENCY)
    }
}

/// A change one item needs.
#[derive(Debug, Clone)]
pub(crate) enum Change {
    Create {
        req: Box<CreateUser>,
        attrs: BTreeMap<String, String>,
        groups: Vec<String>,
    },
    AddToGroup(String),
    RemoveFromGroup(String),
    Disable,
    Enable,
    /// Delete an app client (the item's name is its id).
    DeleteClient,
}

/// What the plan decided for one item.
#[derive(Debug, Clone)]
enum Step {
    Change(Change),
    Settled(ItemOutcome, String, Option<(String, bool)>),
}

#[derive(Debug, Clone)]
struct PlannedItem {
    username: String,
    step: Step,
    /// What the change does, in words (for previews and reports).
    effect: String,
}

/// What a bulk call will do, item by item, before anything is written.
#[derive(Debug, Clone)]
pub struct BulkPlan {
    action: &'static str,
    /// Whether the items are app clients rather than users.
    clients: bool,
    items: Vec<PlannedItem>,
    started: Instant,
    throttled_before: u32,
}

impl BulkPlan {
    pub(crate) fn new(action: &'static str) -> Self {
        Self::of(action, false)
    }

    /// A plan whose items are app clients.
    pub(crate) fn for_clients(action: &'static str) -> Self {
        Self::of(action, true)
    }

    fn of(action: &'static str, clients: bool) -> Self {
        Self {
            action,
            clients,
            items: Vec::new(),
            started: Instant::now(),
            throttled_before: crate::calls::throttled(),
        }
    }

    pub(crate) fn settle(
        &mut self,
        username: &str,
        outcome: ItemOutcome,
        detail: impl Into<String>,
    ) {
        self.items.push(PlannedItem {
            username: username.to_owned(),
            step: Step::Settled(outcome, detail.into(), None),
            effect: String::new(),
        });
    }

    pub(crate) fn fail(&mut self, username: &str, e: &AdminError) {
        self.items.push(PlannedItem {
            username: username.to_owned(),
            step: Step::Settled(
                ItemOutcome::Failed,
                failure_text(e),
                Some((e.code().to_owned(), e.is_retryable())),
            ),
            effect: String::new(),
        });
    }

    pub(crate) fn change(&mut self, username: &str, change: Change, effect: String) {
        self.items.push(PlannedItem {
            username: username.to_owned(),
            step: Step::Change(change),
            effect,
        });
    }

    /// What the items are, in the plural: `users` or `app clients`.
    pub fn noun(&self) -> &'static str {
        if self.clients { "app clients" } else { "users" }
    }

    /// The operation (`create_users`, ...).
    pub fn action(&self) -> &str {
        self.action
    }

    /// How many items need a change (what a confirmation is about).
    pub fn changes(&self) -> usize {
        self.items
            .iter()
            .filter(|i| matches!(i.step, Step::Change(_)))
            .count()
    }

    /// Whether some planned change creates a user that may exist already
    /// ([`CognitoAdmin::skip_existing`] finds out).
    pub fn may_skip_existing(&self) -> bool {
        self.items
            .iter()
            .any(|i| matches!(i.step, Step::Change(Change::Create { .. })))
    }

    /// The users that would change, in input order.
    pub fn changed_users(&self) -> Vec<&str> {
        self.items
            .iter()
            .filter(|i| matches!(i.step, Step::Change(_)))
            .map(|i| i.username.as_str())
            .collect()
    }

    /// The dry run: every item as it would end, nothing written.
    pub fn preview(&self) -> BulkReport {
        let items = self
            .items
            .iter()
            .map(|i| match &i.step {
                Step::Change(_) => item(&i.username, ItemOutcome::WouldChange, &i.effect, None),
                Step::Settled(o, d, code) => item(&i.username, *o, d, code.clone()),
            })
            .collect();
        self.report(items, true, false)
    }

    fn report(&self, mut items: Vec<BulkItem>, dry_run: bool, cancelled: bool) -> BulkReport {
        if self.clients {
            for i in &mut items {
                i.client_id = i.username.take();
            }
        }
        let mut counts = BTreeMap::new();
        for i in &items {
            *counts.entry(i.outcome.key().to_owned()).or_insert(0) += 1;
        }
        let failed = counts.get("failed").copied().unwrap_or(0);
        let left = counts.get("not_attempted").copied().unwrap_or(0);
        let next = if left > 0 {
            Some(format!(
                "{} not attempted: call {} again with the same input; what was done is skipped.",
                items_were(left),
                self.action
            ))
        } else if failed > 0 && !dry_run {
            Some(format!(
                "{} failed: fix what each failed item's detail names, then call {} again with \
                 the same input; what was done is skipped.",
                items_were(failed).replace(" were", "").replace(" was", ""),
                self.action
            ))
        } else if dry_run && counts.contains_key("would_change") {
            Some(format!(
                "Call {} again without dry_run to make the changes.",
                self.action
            ))
        } else {
            None
        };
        BulkReport {
            action: self.action.to_owned(),
            dry_run,
            total: items.len(),
            counts,
            cancelled,
            throttled: crate::calls::throttled().saturating_sub(self.throttled_before),
            elapsed_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            next,
            items,
        }
    }
}

fn item(
    username: &str,
    outcome: ItemOutcome,
    detail: &str,
    code: Option<(String, bool)>,
) -> BulkItem {
    let (code, retryable) = match code {
        Some((c, r)) => (Some(c), r),
        None => (None, false),
    };
    BulkItem {
        username: Some(username.to_owned()),
        client_id: None,
        outcome,
        detail: detail.to_owned(),
        code,
        retryable,
    }
}

/// "1 item was", "3 items were".
fn items_were(n: usize) -> String {
    if n == 1 {
        "1 item was".to_owned()
    } else {
        format!("{n} items were")
    }
}

/// An error as an item's detail: what went wrong and how to fix it.
fn failure_text(e: &AdminError) -> String {
    format!("{e}. {}", e.hint())
}

impl CognitoAdmin {
    fn check_count(field: &str, n: usize, limits: BulkLimits) -> Result<(), AdminError> {
        if n == 0 {
            return Err(validate::Invalid::new(
                field,
                "is empty",
                "at least one item",
                "[\"alice@example.com\"]",
            )
            .into());
        }
        if n > limits.max_items {
            return Err(validate::Invalid::new(
                field,
                format!("holds {n} items, more than this server's cap"),
                format!(
                    "at most {} items per call (bulk.max_items in the config); split the work \
                     into calls of {} or fewer",
                    limits.max_items, limits.max_items
                ),
                format!("the first {} items, then the rest", limits.max_items),
            )
            .into());
        }
        Ok(())
    }

    /// The users a selection names: each given name (deduplicated), or every user matching
    /// the filter (with their state).
    async fn select(
        &self,
        usernames: Option<&Vec<String>>,
        filter: Option<&String>,
        limits: BulkLimits,
    ) -> Result<Selected, AdminError> {
        match (usernames, filter) {
            (Some(_), Some(_)) | (None, None) => Err(validate::Invalid::new(
                "usernames",
                "and `filter` are both given, or both missing",
                "exactly one of them: a list of usernames, or one list_users filter",
                "{\"filter\": \"email ^= \\\"contractor\\\"\"}",
            )
            .into()),
            (Some(names), None) => {
                Self::check_count("usernames", names.len(), limits)?;
                for (i, n) in names.iter().enumerate() {
                    validate::username(&format!("usernames[{i}]"), n)?;
                }
                Ok(Selected::Names(names.clone()))
            }
            (None, Some(filter)) => {
                Filter::parse("filter", filter)?;
                let cap = u32::try_from(limits.max_items + 1).unwrap_or(u32::MAX);
                let page = self
                    .list_users(&ListUsers {
                        filter: Some(filter.clone()),
                        all_pages: true,
                        max_users: Some(cap.min(crate::MAX_USERS_CAP)),
                        ..ListUsers::default()
                    })
                    .await?;
                if let Some(why) = page.incomplete {
                    return Err(AdminError::Incomplete {
                        completed: "nothing was changed".into(),
                        source: Box::new(
                            validate::Invalid::new(
                                "filter",
                                format!("could not be listed whole ({why})"),
                                "a filter that lists completely; retry in a moment",
                                filter.clone(),
                            )
                            .into(),
                        ),
                    });
                }
                if page.users.len() > limits.max_items {
                    return Err(validate::Invalid::new(
                        "filter",
                        format!("matches more than {} users", limits.max_items),
                        format!(
                            "a narrower filter matching at most {} users (bulk.max_items), e.g. \
                             a longer prefix",
                            limits.max_items
                        ),
                        format!("{filter} with a longer value"),
                    )
                    .into());
                }
                if page.users.is_empty() {
                    return Err(validate::Invalid::new(
                        "filter",
                        "matches no user",
                        "a filter that matches the users meant; try it with list_users first",
                        "email ^= \"contractor\"",
                    )
                    .into());
                }
                Ok(Selected::Users(page.users))
            }
        }
    }

    /// Plans `create_users`. With `check_existing` (a dry run) each user is looked up, so
    /// the preview says which exist; otherwise AdminCreateUser's answer says it at run time.
    pub async fn plan_create_users(
        &self,
        req: &CreateUsers,
        limits: BulkLimits,
    ) -> Result<BulkPlan, AdminError> {
        Self::check_count("users", req.users.len(), limits)?;
        for (i, g) in req.groups.iter().enumerate() {
            validate::group_name(&format!("groups[{i}]"), g)?;
            self.check_group_writable(&format!("groups[{i}]"), g)?;
            self.check_group_privilege(&format!("groups[{i}]"), g)?;
        }
        let mut plan = BulkPlan::new("create_users");
        let mut seen = HashSet::new();
        for u in &req.users {
            if !seen.insert(u.username.to_lowercase()) {
                plan.items.push(PlannedItem {
                    username: u.username.clone(),
                    step: Step::Settled(
                        ItemOutcome::Failed,
                        "this username appears earlier in the same call; give each user once"
                            .into(),
                        Some(("duplicate".into(), false)),
                    ),
                    effect: String::new(),
                });
                continue;
            }
            match self.checked_create(u).await {
                Err(e) => plan.fail(&u.username, &e),
                Ok(attrs) => {
                    let mut groups = u.groups.clone();
                    for g in &req.groups {
                        if !groups.contains(g) {
                            groups.push(g.clone());
                        }
                    }
                    let effect = if groups.is_empty() {
                        "create the user".to_owned()
                    } else {
                        format!("create the user in {}", groups.join(", "))
                    };
                    plan.change(
                        &u.username,
                        Change::Create {
                            req: Box::new(u.clone()),
                            attrs,
                            groups,
                        },
                        effect,
                    );
                }
            }
        }
        if req.dry_run {
            self.skip_existing(&mut plan, true, limits).await;
        }
        Ok(plan)
    }

    /// Looks up the users a `create_users` plan would create: those that exist already
    /// become skips, so a dry run, or a confirmation, counts only what would change. A plan
    /// that creates no users is left as it is.
    pub async fn skip_existing(&self, plan: &mut BulkPlan, dry_run: bool, limits: BulkLimits) {
        if !plan.may_skip_existing() {
            return;
        }
        let exists = if dry_run {
            "the user exists already: it would be left as it is"
        } else {
            "the user exists already: left as it is"
        };
        let lookups: Vec<(usize, String)> = plan
            .items
            .iter()
            .enumerate()
            .filter(|(_, i)| matches!(i.step, Step::Change(_)))
            .map(|(n, i)| (n, i.username.clone()))
            .collect();
        let found: Vec<(usize, Result<(), AdminError>)> = futures_util::stream::iter(lookups)
            .map(|(n, username)| async move {
                let r = self.admin_get_user(&username).await.map(|_| ());
                (n, r)
            })
            .buffer_unordered(limits.concurrency)
            .collect()
            .await;
        for (n, r) in found {
            let i = &mut plan.items[n];
            match r {
                Ok(()) => i.step = Step::Settled(ItemOutcome::Skipped, exists.into(), None),
                Err(AdminError::UserNotFound { .. }) => {}
                Err(e) => {
                    i.step = Step::Settled(
                        ItemOutcome::Failed,
                        failure_text(&e),
                        Some((e.code().to_owned(), e.is_retryable())),
                    )
                }
            }
        }
    }

    /// Plans `disable_users` (`enable = false`) or `enable_users`: users already in that
    /// state are skipped.
    pub async fn plan_set_enabled(
        &self,
        req: &UsersChange,
        enable: bool,
        limits: BulkLimits,
    ) -> Result<BulkPlan, AdminError> {
        let selected = self
            .select(req.usernames.as_ref(), req.filter.as_ref(), limits)
            .await?;
        let action = if enable {
            "enable_users"
        } else {
            "disable_users"
        };
        let mut plan = BulkPlan::new(action);
        let users: Vec<(String, Result<User, AdminError>)> = match selected {
            Selected::Users(users) => users
                .into_iter()
                .map(|u| (u.username.clone(), Ok(u)))
                .collect(),
            Selected::Names(names) => {
                let mut seen = HashSet::new();
                let names: Vec<String> = names
                    .into_iter()
                    .filter(|n| seen.insert(n.to_lowercase()))
                    .collect();
                futures_util::stream::iter(names)
                    .map(|n| async move {
                        let r = self.admin_get_user(&n).await;
                        (n, r)
                    })
                    .buffered(limits.concurrency)
                    .collect()
                    .await
            }
        };
        // Each user's groups must grant nothing the acting caller lacks, read concurrently.
        let privilege: HashMap<String, Result<(), AdminError>> = if crate::privilege::is_acting() {
            let names: Vec<String> = users
                .iter()
                .filter(|(_, u)| u.is_ok())
                .map(|(n, _)| n.clone())
                .collect();
            futures_util::stream::iter(names)
                .map(|n| async move {
                    let r = self.check_user_privilege("usernames", &n).await;
                    (n, r)
                })
                .buffered(limits.concurrency)
                .collect()
                .await
        } else {
            HashMap::new()
        };
        for (name, state) in users {
            let user = match state {
                Err(e) => {
                    plan.fail(&name, &e);
                    continue;
                }
                Ok(u) => u,
            };
            if let Err(e) = self.check_user_writable("usernames", &name).await {
                plan.fail(&name, &e);
            } else if let Some(Err(e)) = privilege.get(&name) {
                plan.fail(&name, e);
            } else if user.enabled == enable {
                plan.settle(
                    &name,
                    ItemOutcome::Skipped,
                    if enable {
                        "already enabled"
                    } else {
                        "already disabled"
                    },
                );
            } else if enable {
                plan.change(&name, Change::Enable, "enable the user".into());
            } else {
                plan.change(
                    &name,
                    Change::Disable,
                    "disable the user: they can no longer sign in".into(),
                );
            }
        }
        Ok(plan)
    }

    /// Plans `add_users_to_group` (`add = true`) or `remove_users_from_group`: members are
    /// read first (ListUsersInGroup), so users already in (or out of) the group are skipped.
    pub async fn plan_membership(
        &self,
        req: &GroupMembersChange,
        add: bool,
        limits: BulkLimits,
    ) -> Result<BulkPlan, AdminError> {
        validate::group_name("group", &req.group)?;
        self.check_group_writable("group", &req.group)?;
        self.check_group_privilege("group", &req.group)?;
        let selected = self
            .select(req.usernames.as_ref(), req.filter.as_ref(), limits)
            .await?;
        let members = self.member_names(&req.group).await?;
        let action = if add {
            "add_users_to_group"
        } else {
            "remove_users_from_group"
        };
        let mut plan = BulkPlan::new(action);
        let names: Vec<(String, Vec<String>)> = match selected {
            Selected::Users(users) => users
                .iter()
                .map(|u| (u.username.clone(), u.names().collect()))
                .collect(),
            Selected::Names(names) => {
                let mut seen = HashSet::new();
                names
                    .into_iter()
                    .filter(|n| seen.insert(n.to_lowercase()))
                    .map(|n| {
                        let lower = n.to_lowercase();
                        (n, vec![lower])
                    })
                    .collect()
            }
        };
        for (name, aliases) in names {
            if let Err(e) = self.check_user_writable("usernames", &name).await {
                plan.fail(&name, &e);
                continue;
            }
            let member = aliases.iter().any(|a| members.contains(a));
            match (add, member) {
                (true, true) => plan.settle(
                    &name,
                    ItemOutcome::Skipped,
                    format!("already in {}", req.group),
                ),
                (false, false) => {
                    plan.settle(&name, ItemOutcome::Skipped, format!("not in {}", req.group))
                }
                (true, false) => plan.change(
                    &name,
                    Change::AddToGroup(req.group.clone()),
                    format!("add to {}", req.group),
                ),
                (false, true) => plan.change(
                    &name,
                    Change::RemoveFromGroup(req.group.clone()),
                    format!("remove from {}", req.group),
                ),
            }
        }
        Ok(plan)
    }

    /// Every name the members of `group` answer to, lowercased.
    async fn member_names(&self, group: &str) -> Result<HashSet<String>, AdminError> {
        let mut names = HashSet::new();
        let mut token: Option<String> = None;
        let mut seen = HashSet::new();
        loop {
            let out = finish(
                Operation::ListUsersInGroup,
                Subject::Group(group),
                self.client()
                    .list_users_in_group()
                    .user_pool_id(self.pool_id())
                    .group_name(group)
                    .limit(validate::MAX_PAGE)
                    .set_next_token(token.clone())
                    .send()
                    .await,
            )?;
            for u in out.users() {
                names.extend(user_from_sdk(u).names().collect::<Vec<_>>());
            }
            token = out
                .next_token()
                .map(str::to_owned)
                .filter(|t| !t.is_empty());
            match &token {
                Some(t) if seen.insert(t.clone()) => {}
                _ => break,
            }
        }
        Ok(names)
    }

    /// Runs a plan: each change is made once, `limits.concurrency` at a time (the pacer sets
    /// the rate); `observer` hears of each finished change and can stop the run. Items not
    /// started when it stops are reported `not_attempted`.
    pub async fn run_bulk(
        &self,
        plan: BulkPlan,
        limits: BulkLimits,
        observer: &dyn BulkObserver,
    ) -> BulkReport {
        let total = plan.changes();
        let done = std::sync::atomic::AtomicUsize::new(0);
        let work: Vec<(usize, String, Change)> = plan
            .items
            .iter()
            .enumerate()
            .filter_map(|(n, i)| match &i.step {
                Step::Change(c) => Some((n, i.username.clone(), c.clone())),
                Step::Settled(..) => None,
            })
            .collect();
        let mut results: Vec<Option<BulkItem>> = plan
            .items
            .iter()
            .map(|i| match &i.step {
                Step::Settled(o, d, code) => Some(item(&i.username, *o, d, code.clone())),
                Step::Change(_) => None,
            })
            .collect();
        let mut cancelled = false;
        let finished: Vec<(usize, BulkItem)> = futures_util::stream::iter(work)
            .map(|(n, username, change)| {
                let done = &done;
                async move {
                    if observer.is_cancelled() {
                        return (
                            n,
                            item(
                                &username,
                                ItemOutcome::NotAttempted,
                                "not attempted: the call was cancelled first",
                                None,
                            ),
                        );
                    }
                    let result = self.apply(&username, &change).await;
                    let finished = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    let it = match result {
                        Ok(it) => it,
                        Err(e) => item(
                            &username,
                            ItemOutcome::Failed,
                            &failure_text(&e),
                            Some((e.code().to_owned(), e.is_retryable())),
                        ),
                    };
                    observer.progress(
                        finished,
                        total,
                        &format!("{}: {} ({})", username, it.outcome.key(), it.detail),
                    );
                    (n, it)
                }
            })
            .buffer_unordered(limits.concurrency)
            .collect()
            .await;
        for (n, it) in finished {
            cancelled |= it.outcome == ItemOutcome::NotAttempted;
            results[n] = Some(it);
        }
        let items = results
            .into_iter()
            .map(|i| i.expect("every item is settled or run"))
            .collect();
        plan.report(items, false, cancelled)
    }

    /// Makes one change.
    async fn apply(&self, username: &str, change: &Change) -> Result<BulkItem, AdminError> {
        let ok = |detail: String| item(username, ItemOutcome::Done, &detail, None);
        match change {
            Change::Create { req, attrs, groups } => {
                match self.send_create(req, attrs.clone()).await {
                    Err(AdminError::UsernameExists { .. }) => {
                        return Ok(item(
                            username,
                            ItemOutcome::Skipped,
                            "the user exists already: left as it is",
                            None,
                        ));
                    }
                    Err(e) => return Err(e),
                    Ok(_) => {}
                }
                let mut added = Vec::new();
                for g in groups {
                    if let Err(e) = self.add_user_to_group(username, g).await {
                        let mut done = "created".to_owned();
                        if !added.is_empty() {
                            done.push_str(&format!(" and added to {}", added.join(", ")));
                        }
                        return Ok(item(
                            username,
                            ItemOutcome::Failed,
                            &format!(
                                "{done}, but adding to {g:?} failed: {}; call \
                                 add_users_to_group for {g:?} with this user",
                                failure_text(&e)
                            ),
                            Some((e.code().to_owned(), e.is_retryable())),
                        ));
                    }
                    added.push(g.clone());
                }
                Ok(ok(if added.is_empty() {
                    "created".into()
                } else {
                    format!("created, in {}", added.join(", "))
                }))
            }
            Change::AddToGroup(g) => {
                self.add_user_to_group(username, g).await?;
                Ok(ok(format!("added to {g}")))
            }
            Change::RemoveFromGroup(g) => {
                self.remove_user_from_group(username, g).await?;
                Ok(ok(format!("removed from {g}")))
            }
            Change::Disable => {
                self.disable_user(username).await?;
                Ok(ok("disabled".into()))
            }
            Change::Enable => {
                self.enable_user(username).await?;
                Ok(ok("enabled".into()))
            }
            Change::DeleteClient => {
                self.delete_user_pool_client(username).await?;
                Ok(ok("deleted".into()))
            }
        }
    }
}

/// The users a selection resolved to.
#[derive(Debug)]
enum Selected {
    /// Given by name: their state is still to be read.
    Names(Vec<String>),
    /// Listed by a filter, with their state.
    Users(Vec<User>),
}
