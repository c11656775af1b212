//! The acting caller's privilege, checked against what each write touches: no caller gives
//! anyone (themselves included) a privilege they do not hold, and no caller takes over an
//! account that holds more privilege than they do.
//!
//! A [`Privilege`] is the scopes the caller holds and the scopes each group grants. Run a unit
//! of work inside [`acting_as`], and every write operation of this crate on the same task
//! checks its targets:
//!
//! - a membership change into or out of a group, creating a user in a group, and creating or
//!   deleting a group need every scope that group grants;
//! - a change to a user (password set or reset, sign-out, attributes, MFA, enabling,
//!   disabling, deleting, sign-in checks) needs every scope the user's groups grant, read
//!   fresh with AdminListGroupsForUser at the time of the call.
//!
//! Bulk operations check every item. Outside [`acting_as`] nothing is checked: that is the
//! local operator over stdio, who holds the server's own AWS credentials anyway.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;

use crate::{AdminError, CognitoAdmin};

/// What the acting caller holds, and what each group grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Privilege {
    held: BTreeSet<String>,
    grants: Arc<BTreeMap<String, BTreeSet<String>>>,
}

impl Privilege {
    /// A caller holding `held`, where each group grants the scopes `grants` maps it to (groups
    /// it does not name grant nothing).
    pub fn new(held: BTreeSet<String>, grants: Arc<BTreeMap<String, BTreeSet<String>>>) -> Self {
        Self { held, grants }
    }

    /// The scopes the caller holds.
    pub fn held(&self) -> &BTreeSet<String> {
        &self.held
    }

    /// The scopes `groups` grant together that the caller does not hold, sorted.
    pub fn missing_for<'a, I>(&self, groups: I) -> Vec<String>
    where
        I: IntoIterator<Item = &'a str>,
    {
        let missing: BTreeSet<&String> = groups
            .into_iter()
            .filter_map(|g| self.grants.get(g))
            .flatten()
            .filter(|s| !self.held.contains(*s))
            .collect();
        missing.into_iter().cloned().collect()
    }
}

tokio::task_local! {
    static ACTING: Arc<Privilege>;
}

/// Runs `fut` with `privilege` as the acting caller's: every write it makes on this task
/// checks its targets against it.
pub async fn acting_as<F: Future>(privilege: Arc<Privilege>, fut: F) -> F::Output {
    ACTING.scope(privilege, fut).await
}

/// Whether a caller's privilege is being checked on this task.
pub(crate) fn is_acting() -> bool {
    ACTING.try_with(|_| ()).is_ok()
}

/// The acting caller's privilege, if any.
fn acting() -> Option<Arc<Privilege>> {
    ACTING.try_with(Arc::clone).ok()
}

impl CognitoAdmin {
    /// Refuses with [`AdminError::InsufficientPrivilege`] when the acting caller lacks a scope
    /// `group` grants; `field` names the input.
    pub fn check_group_privilege(&self, field: &str, group: &str) -> Result<(), AdminError> {
        let Some(p) = acting() else { return Ok(()) };
        refuse_if_missing(field, "group", group, p.missing_for([group]))
    }

    /// Refuses with [`AdminError::InsufficientPrivilege`] when `username`'s groups grant a
    /// scope the acting caller lacks; `field` names the input. The groups are read now
    /// (AdminListGroupsForUser); a user that does not exist holds nothing. When the groups
    /// cannot be read, the write is refused rather than let through unchecked.
    pub async fn check_user_privilege(
        &self,
        field: &str,
        username: &str,
    ) -> Result<(), AdminError> {
        let Some(p) = acting() else { return Ok(()) };
        let groups = match self.groups_for_user_all(username).await {
            Ok(groups) => groups,
            Err(AdminError::UserNotFound { .. }) => return Ok(()),
            Err(e) => return Err(e),
        };
        refuse_if_missing(
            field,
            "user",
            username,
            p.missing_for(groups.iter().map(String::as_str)),
        )
    }
}

fn refuse_if_missing(
    field: &str,
    kind: &'static str,
    name: &str,
    missing: Vec<String>,
) -> Result<(), AdminError> {
    if missing.is_empty() {
        return Ok(());
    }
    Err(AdminError::InsufficientPrivilege {
        field: field.to_owned(),
        kind,
        name: name.to_owned(),
        missing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn privilege(held: &[&str]) -> Privilege {
        let grants = BTreeMap::from([
            (
                "Admins".to_owned(),
                ["mcp/admin", "mcp/write", "mcp/read"]
                    .map(String::from)
                    .into(),
            ),
            (
                "Developers".to_owned(),
                ["mcp/write", "mcp/read"].map(String::from).into(),
            ),
            ("ReadOnly".to_owned(), ["mcp/read"].map(String::from).into()),
        ]);
        Privilege::new(
            held.iter().map(|s| s.to_string()).collect(),
            Arc::new(grants),
        )
    }

    #[test]
    fn a_developer_lacks_what_admins_grant() {
        let p = privilege(&["mcp/read", "mcp/write"]);
        assert_eq!(p.missing_for(["Admins"]), ["mcp/admin"]);
        assert!(p.missing_for(["Developers", "ReadOnly"]).is_empty());
        assert!(p.missing_for(["Unmapped"]).is_empty());
        assert!(p.missing_for([]).is_empty());
    }

    #[test]
    fn missing_scopes_of_several_groups_are_merged_and_sorted() {
        let p = privilege(&[]);
        assert_eq!(
            p.missing_for(["ReadOnly", "Admins"]),
            ["mcp/admin", "mcp/read", "mcp/write"]
        );
    }

    #[tokio::test]
    async fn outside_acting_as_nothing_is_checked() {
        assert!(acting().is_none());
        let p = Arc::new(privilege(&["mcp/read"]));
        let seen = acting_as(p.clone(), async { acting() }).await;
        assert_eq!(seen, Some(p));
        assert!(acting().is_none());
    }
}
