//! Protected principals: users and groups no operation of this crate changes, such as
//! break-glass administrators.
//!
//! Every write operation checks its users and groups against the list before any AWS call
//! that changes something, so the rule holds on every path: single tools, bulk tools and group
//! membership alike. Groups are matched exactly, as Cognito does. Users are matched by
//! identity, without regard to case:
//!
//! - Each `protected_users` entry is resolved to users: by AdminGetUser (a username, or an
//!   alias the pool signs in with), else by ListUsers on `email`, `phone_number`,
//!   `preferred_username` and `sub`. The usernames found are remembered for the life of the
//!   process: a username never changes, so the user stays protected whatever their email or
//!   phone number becomes. Resolution is refreshed every [`ALIAS_TTL`]: entries again (a user
//!   who has since taken the alias is added), and each remembered user by username (their
//!   current names are learned; a deleted one stays remembered, so a new user created later
//!   under the same username is protected too).
//! - A write names a user `N`. It is refused when `N` is an entry or a name the protected
//!   users were last seen with. Otherwise the user `N` resolves to is read (one AdminGetUser):
//!   the write is refused when that user is a remembered one, or when one of their names is an
//!   entry (they took a protected alias since the last refresh). So an alias changed a moment
//!   ago protects at once, with no window until the next refresh.
//! - When a read fails for a reason other than the user not existing, the write is refused
//!   rather than let through unchecked.
//! - An entry that resolves to no user protects nobody yet (only that exact name):
//!   [`CognitoAdmin::resolve_protected`] reports it, for `check` and the server's startup
//!   warning.

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
    /// App clients, by exact client id: `delete_user_pool_client` and
    /// `prune_dynamic_clients` leave them.
    pub clients: Vec<String>,
}

impl Protected {
    /// A list of `users` and `groups`.
    pub fn new(users: Vec<String>, groups: Vec<String>) -> Self {
        Self {
            users,
            groups,
            clients: Vec::new(),
        }
    }

    /// This list, also protecting the app clients `clients`.
    pub fn with_clients(mut self, clients: impl IntoIterator<Item = String>) -> Self {
        for c in clients {
            if !self.clients.contains(&c) {
                self.clients.push(c);
            }
        }
        self
    }

    /// Whether nothing is protected.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.groups.is_empty() && self.clients.is_empty()
    }
}

/// What the protected users resolved to, and when.
#[derive(Debug, Default)]
pub(crate) struct Aliases {
    /// The usernames (lowercased) of every user an entry has resolved to in this process.
    identities: HashSet<String>,
    /// Every name those users were last seen with, lowercased.
    names: HashSet<String>,
    /// How each entry resolved at the last refresh.
    resolutions: Vec<Resolution>,
    read_at: Option<Instant>,
}

/// How one `protected_users` entry resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Resolution {
    /// The entry, as configured.
    pub entry: String,
    /// The usernames of the users it names now; empty when it names no user.
    pub usernames: Vec<String>,
}

/// The attributes an entry is searched by when AdminGetUser does not know it.
const SEARCHED: [&str; 4] = ["email", "phone_number", "preferred_username", "sub"];

impl CognitoAdmin {
    /// The protected users and groups.
    pub fn protected(&self) -> &Protected {
        &self.inner.protected
    }

    /// Resolves the protected users now (whatever the age of the last resolution) and says how
    /// each entry resolved, for `check` and a startup warning.
    pub async fn resolve_protected(&self) -> Result<Vec<Resolution>, AdminError> {
        let mut aliases = self.inner.aliases.lock().await;
        self.refresh_protected(&mut aliases).await?;
        Ok(aliases.resolutions.clone())
    }

    /// The users `entry` names: the one AdminGetUser finds, else those ListUsers finds by an
    /// alias attribute.
    async fn users_named(&self, entry: &str) -> Result<Vec<crate::User>, AdminError> {
        match self.admin_get_user(entry).await {
            Ok(user) => return Ok(vec![user]),
            Err(AdminError::UserNotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        let mut found = Vec::new();
        for attribute in SEARCHED {
            let filter = crate::Filter {
                attribute: attribute.to_owned(),
                op: crate::FilterOp::Equals,
                value: entry.to_owned(),
            };
            let page = self
                .list_users(&crate::ListUsers {
                    filter: Some(filter.to_string()),
                    all_pages: true,
                    max_users: Some(100),
                    ..Default::default()
                })
                .await?;
            found.extend(page.users);
        }
        Ok(found)
    }

    /// Resolves every entry and re-reads every remembered user.
    async fn refresh_protected(&self, aliases: &mut Aliases) -> Result<(), AdminError> {
        let mut identities = aliases.identities.clone();
        let mut names = HashSet::new();
        let mut resolutions = Vec::new();
        let mut seen = HashSet::new();
        for entry in &self.inner.protected.users {
            let users = self.users_named(entry).await?;
            let mut usernames = Vec::new();
            for user in users {
                let id = user.username.to_lowercase();
                identities.insert(id.clone());
                names.extend(user.names());
                seen.insert(id);
                usernames.push(user.username);
            }
            resolutions.push(Resolution {
                entry: entry.clone(),
                usernames,
            });
        }
        for id in &identities {
            names.insert(id.clone());
            if seen.contains(id) {
                continue;
            }
            match self.admin_get_user(id).await {
                Ok(user) => names.extend(user.names()),
                // Deleted: the username stays protected.
                Err(AdminError::UserNotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        *aliases = Aliases {
            identities,
            names,
            resolutions,
            read_at: Some(Instant::now()),
        };
        Ok(())
    }

    /// Whether `username` names a protected user (see the module docs).
    async fn is_protected_user(&self, username: &str) -> Result<bool, AdminError> {
        let wanted = username.to_lowercase();
        let entries: HashSet<String> = self
            .inner
            .protected
            .users
            .iter()
            .map(|p| p.to_lowercase())
            .collect();
        if entries.contains(&wanted) {
            return Ok(true);
        }
        {
            let mut aliases = self.inner.aliases.lock().await;
            if aliases.read_at.is_none_or(|at| at.elapsed() >= ALIAS_TTL) {
                self.refresh_protected(&mut aliases).await?;
            }
            if aliases.names.contains(&wanted) {
                return Ok(true);
            }
        }
        // Not a name they were last seen with: read whom it names now.
        let user = match self.admin_get_user(username).await {
            Ok(user) => user,
            Err(AdminError::UserNotFound { .. }) => return Ok(false),
            Err(e) => return Err(e),
        };
        let id = user.username.to_lowercase();
        let mut aliases = self.inner.aliases.lock().await;
        let protected =
            aliases.identities.contains(&id) || user.names().any(|n| entries.contains(&n));
        if protected {
            aliases.identities.insert(id);
            aliases.names.extend(user.names());
            aliases.names.insert(wanted);
        }
        Ok(protected)
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

    /// Refuses with [`AdminError::Protected`] when the app client `client_id` is protected;
    /// `field` names the input.
    pub fn check_client_writable(&self, field: &str, client_id: &str) -> Result<(), AdminError> {
        if self.inner.protected.clients.iter().any(|c| c == client_id) {
            return Err(AdminError::Protected {
                field: field.to_owned(),
                kind: "client",
                name: client_id.to_owned(),
            });
        }
        Ok(())
    }

    /// Refuses with [`AdminError::Protected`] when `username` names a protected user, by any
    /// of their names, now or since the server started; `field` names the input. While users
    /// are protected, a write to a name they were not last seen with costs one AdminGetUser
    /// (see the module docs); a lookup that fails for a reason other than the user not
    /// existing refuses the write rather than let it through unchecked.
    pub async fn check_user_writable(&self, field: &str, username: &str) -> Result<(), AdminError> {
        if self.inner.protected.users.is_empty() {
            return Ok(());
        }
        if self.is_protected_user(username).await? {
            return Err(AdminError::Protected {
                field: field.to_owned(),
                kind: "user",
                name: username.to_owned(),
            });
        }
        Ok(())
    }
}
