//! Protected principals: users and groups no operation of this crate changes, such as
//! break-glass administrators.
//!
//! Every write operation checks its users and groups against the list before any AWS call
//! that changes something, so the rule holds on every path: single tools, bulk tools and group
//! membership alike. Users are matched without regard to case, by any name Cognito accepts for
//! them: the configured name, and the username, `sub`, email, phone number and preferred
//! username of the user it resolves to (looked up with AdminGetUser, cached for five minutes).
//! Groups are matched exactly, as Cognito does.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::{AdminError, CognitoAdmin};

/// How long the resolved names of protected users are trusted.
pub const ALIAS_TTL: Duration = Duration::from_secs(300);

/// The users and groups no operation may change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Protected {
    /// Users, by username or any alias (email, phone number, `sub`).
    pub users: Vec<String>,
    /// Groups, by exact name.
    pub groups: Vec<String>,
}

impl Protected {
    /// A list of `users` and `groups`.
    pub fn new(users: Vec<String>, groups: Vec<String>) -> Self {
        Self { users, groups }
    }

    /// Whether nothing is protected.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.groups.is_empty()
    }
}

/// The names the protected users answer to, lowercased, and when they were read.
#[derive(Debug, Default)]
pub(crate) struct Aliases {
    names: HashSet<String>,
    read_at: Option<Instant>,
}

impl CognitoAdmin {
    /// The protected users and groups.
    pub fn protected(&self) -> &Protected {
        &self.inner.protected
    }

    /// Refuses with [`AdminError::Protected`] when `group` is protected; `field` names the input.
    pub fn check_group_writable(&self, field: &str, group: &str) -> Result<(), AdminError> {
        if self.inner.protected.groups.iter().any(|g| g == group) {
            return Err(AdminError::Protected {
                field: field.to_owned(),
                kind: "group",
                name: group.to_owned(),
            });
        }
        Ok(())
    }

    /// Refuses with [`AdminError::Protected`] when `username` names a protected user, by any
    /// of their names; `field` names the input. The first check (and one every five minutes)
    /// resolves the protected users with AdminGetUser; if that fails for a reason other than
    /// the user not existing, the write is refused rather than let through unchecked.
    pub async fn check_user_writable(&self, field: &str, username: &str) -> Result<(), AdminError> {
        let protected = &self.inner.protected.users;
        if protected.is_empty() {
            return Ok(());
        }
        let wanted = username.to_lowercase();
        let refuse = || AdminError::Protected {
            field: field.to_owned(),
            kind: "user",
            name: username.to_owned(),
        };
        if protected.iter().any(|p| p.to_lowercase() == wanted) {
            return Err(refuse());
        }
        let mut aliases = self.inner.aliases.lock().await;
        if aliases.read_at.is_none_or(|at| at.elapsed() >= ALIAS_TTL) {
            let mut names = HashSet::new();
            for p in protected {
                match self.admin_get_user(p).await {
                    Ok(user) => names.extend(user.names()),
                    Err(AdminError::UserNotFound { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            *aliases = Aliases {
                names,
                read_at: Some(Instant::now()),
            };
        }
        if aliases.names.contains(&wanted) {
            return Err(refuse());
        }
        Ok(())
    }
}
