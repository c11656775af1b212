//! The tool catalogue: every tool and every fact about it, one row each (`table.rs`).
//! Annotations, read-only mode, allow/deny lists, scopes, confirmations, the consent page's
//! scope text, the docs' tables, the privilege table and the IAM policy all read these rows.

use cognito_admin::Operation as Op;

mod table;
pub(crate) use table::TOOLS;

/// What a tool does to the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Changes nothing.
    Read,
    /// Adds without overwriting or removing (create, add to group, enable).
    Additive,
    /// Overwrites or removes (delete, disable, set password, sign out).
    Destructive,
}

/// The level of access a tool needs; the scope is `{resource_server}/{level}`. A write at any
/// level also needs every scope its target group, or its target user's groups, grant
/// (`cognito_admin::privilege`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
    Admin,
}

/// What a tool's writes touch, whose privilege the caller must hold (checked inside
/// cognito-admin's write operations, `cognito_admin::privilege`), and what a confirmation
/// names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// Nothing whose privilege counts (reads).
    None,
    /// The pool's own settings: no group's privilege counts; a confirmation names the pool.
    Pool,
    /// A user (or, in bulk, each user): the caller must hold every scope the user's groups
    /// grant.
    User,
    /// A group (memberships, creating a user in groups, creating or deleting a group): the
    /// caller must hold every scope the group grants.
    Group,
    /// An app client, or a CIMD policy mapping URLs to one: no group's privilege counts (the
    /// tool's own access level does); a confirmation names the `client_id` or `policy_id`.
    Client,
}

/// When a tool asks a person to confirm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConfirmMode {
    /// Every call.
    Always,
    /// Never.
    Never,
    /// Bulk calls changing more than `safety.bulk_confirm_threshold` users.
    OverThreshold,
}

impl ConfirmMode {
    /// The mode a `safety.confirm.TOOL` value names.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "always" => Some(Self::Always),
            "never" => Some(Self::Never),
            "over_threshold" => Some(Self::OverThreshold),
            _ => None,
        }
    }
}

/// One tool: one row of [`TOOLS`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct ToolSpec {
    /// The tool name (snake_case).
    pub(crate) name: &'static str,
    /// A short human title.
    pub(crate) title: &'static str,
    /// What it does to the pool.
    pub(crate) effect: Effect,
    /// Whether calling it twice with the same input has no further effect.
    pub(crate) idempotent: bool,
    /// The level of access it needs by default (`tool_scopes` in the config overrides the
    /// scope).
    pub(crate) access: Access,
    /// What its writes touch.
    pub(crate) target: Target,
    /// Whether it works on many users in one call (planned, paced, with progress).
    pub(crate) bulk: bool,
    /// When it asks a person to confirm, unless `safety.confirm` says otherwise.
    pub(crate) confirm: ConfirmMode,
    /// What confirming it says will happen. `{target}` is the quoted user or group, `{pool}`
    /// the pool id; in bulk tools `{n}` is the number of users changing and `{group}` the
    /// quoted group. Empty: "{title} for {target}."
    pub(crate) confirm_text: &'static str,
    /// Whether it may make Cognito message people outside the pool's admins (an invitation, a
    /// reset code, a verification code): MCP's `openWorldHint`.
    pub(crate) sends_messages: bool,
    /// A sign-in check: off unless `[sign_in] enabled = true`.
    pub(crate) sign_in: bool,
    /// Any verified caller may call it, whatever their scopes (`whoami`).
    pub(crate) open: bool,
    /// Every AWS operation it may call.
    pub(crate) operations: &'static [Op],
}

impl ToolSpec {
    /// A row with the defaults: idempotent, read or write access by effect, no target, no
    /// confirmation, no messages, always on.
    const fn new(name: &'static str, title: &'static str, effect: Effect) -> Self {
        Self {
            name,
            title,
            effect,
            idempotent: true,
            access: match effect {
                Effect::Read => Access::Read,
                _ => Access::Write,
            },
            target: Target::None,
            bulk: false,
            confirm: ConfirmMode::Never,
            confirm_text: "",
            sends_messages: false,
            sign_in: false,
            open: false,
            operations: &[],
        }
    }

    const fn not_idempotent(mut self) -> Self {
        self.idempotent = false;
        self
    }

    const fn admin(mut self) -> Self {
        self.access = Access::Admin;
        self
    }

    const fn target(mut self, target: Target) -> Self {
        self.target = target;
        self
    }

    /// A bulk tool: a write confirms over the threshold, saying `text`.
    const fn bulk(mut self, text: &'static str) -> Self {
        self.bulk = true;
        self.confirm_text = text;
        if !matches!(self.effect, Effect::Read) {
            self.confirm = ConfirmMode::OverThreshold;
        }
        self
    }

    /// Every call confirms, saying `text`.
    const fn confirm_always(mut self, text: &'static str) -> Self {
        self.confirm = ConfirmMode::Always;
        self.confirm_text = text;
        self
    }

    const fn sends_messages(mut self) -> Self {
        self.sends_messages = true;
        self
    }

    const fn sign_in(mut self) -> Self {
        self.sign_in = true;
        self
    }

    const fn open(mut self) -> Self {
        self.open = true;
        self
    }

    const fn ops(mut self, operations: &'static [Op]) -> Self {
        self.operations = operations;
        self
    }

    /// Whether the tool changes nothing.
    pub(crate) fn is_read(&self) -> bool {
        self.effect == Effect::Read
    }

    /// What confirming a call on `target` (a user, group or the pool) says will happen.
    pub(crate) fn single_effect(&self, target: &str) -> String {
        if self.confirm_text.is_empty() || self.bulk {
            return format!("{} for {target:?}.", self.title);
        }
        self.confirm_text
            .replace("{target}", &format!("{target:?}"))
            .replace("{pool}", target)
    }

    /// What confirming a bulk call changing `n` users (of `group`, if any) says will happen.
    pub(crate) fn bulk_effect(&self, n: usize, group: Option<&str>) -> String {
        let mut text = self.confirm_text.replace("{n}", &n.to_string());
        if let Some(g) = group {
            text = text.replace("{group}", &format!("{g:?}"));
        }
        text
    }
}

impl Access {
    /// Every level, lowest first.
    pub(crate) const ALL: [Access; 3] = [Access::Read, Access::Write, Access::Admin];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Admin => "admin",
        }
    }

    /// What the level allows, in words: the consent page, `whoami` and the docs say this.
    pub(crate) fn allows(self) -> &'static str {
        match self {
            Self::Read => "read users, groups, app clients and the pool's settings",
            Self::Write => {
                "create users and groups, and change users' attributes, passwords and group \
                 memberships, only for users and groups that hold no scope you lack"
            }
            Self::Admin => {
                "delete, disable, enable and sign out users, delete groups, delete app clients, \
                 manage CIMD policies, change MFA, test sign-ins and read the audit, only for \
                 users and groups that hold no scope you lack"
            }
        }
    }
}

/// The tool named `name`.
pub(crate) fn find(name: &str) -> Option<&'static ToolSpec> {
    TOOLS.iter().find(|t| t.name == name)
}

/// Every tool name, comma separated, for error messages.
pub(crate) fn names() -> String {
    TOOLS.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for t in TOOLS {
            assert!(seen.insert(t.name), "duplicate {}", t.name);
            assert!(
                t.name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{}",
                t.name
            );
        }
    }

    #[test]
    fn read_tools_call_only_read_operations() {
        for t in TOOLS.iter().filter(|t| t.is_read()) {
            for op in t.operations {
                assert!(op.is_read(), "{} is read-only but calls {op}", t.name);
            }
        }
    }

    #[test]
    fn reading_the_audit_needs_admin_though_it_changes_nothing() {
        let t = find("read_audit").expect("tool");
        assert!(t.is_read() && t.idempotent && t.operations.is_empty());
        assert_eq!(t.access, Access::Admin);
        assert_eq!(find("list_users").expect("tool").access, Access::Read);
    }

    #[test]
    fn tools_changing_a_user_read_its_groups_and_only_they_do() {
        for t in TOOLS.iter().filter(|t| !t.is_read()) {
            assert_eq!(
                t.target == Target::User,
                t.operations.contains(&Op::AdminListGroupsForUser),
                "{}",
                t.name
            );
        }
        for t in TOOLS.iter().filter(|t| t.is_read()) {
            assert_eq!(t.target, Target::None, "{}", t.name);
        }
    }

    #[test]
    fn rows_are_consistent() {
        for t in TOOLS {
            // Only writes confirm, and what they say is written down.
            if t.confirm != ConfirmMode::Never {
                assert!(!t.is_read() && !t.confirm_text.is_empty(), "{}", t.name);
            }
            assert_eq!(
                t.confirm == ConfirmMode::OverThreshold,
                t.bulk && t.confirm != ConfirmMode::Always && !t.is_read(),
                "{}",
                t.name
            );
            assert!(!t.bulk || t.confirm_text.contains("{n}"), "{}", t.name);
            assert!(!t.open || t.is_read(), "{} is open but writes", t.name);
            assert!(!t.sign_in || t.access == Access::Admin, "{}", t.name);
        }
    }

    /// The backticked tool names of the list item of docs/tools.md that starts with `prefix`.
    fn documented(prefix: &str) -> Vec<String> {
        let text = include_str!("../../../../docs/tools.md");
        let start = text.find(prefix).expect("the list is in docs/tools.md");
        let rest = &text[start + prefix.len()..];
        let end = ["\n- ", "\n\n"]
            .iter()
            .filter_map(|sep| rest.find(sep))
            .min()
            .unwrap_or(rest.len());
        let mut names: Vec<String> = rest[..end]
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|n| find(n).is_some())
            .map(str::to_owned)
            .collect();
        names.sort();
        names
    }

    #[test]
    fn tools_md_lists_the_confirmations_of_the_catalogue() {
        let of = |mode: ConfirmMode| {
            let mut names: Vec<String> = TOOLS
                .iter()
                .filter(|t| t.confirm == mode)
                .map(|t| t.name.to_owned())
                .collect();
            names.sort();
            names
        };
        assert_eq!(documented("- **always:**"), of(ConfirmMode::Always));
        assert_eq!(
            documented("- **past `safety.bulk_confirm_threshold` (10) changes:**"),
            of(ConfirmMode::OverThreshold)
        );
    }

    #[test]
    fn confirmation_texts_name_the_target() {
        let delete = find("delete_user").expect("tool");
        assert_eq!(
            delete.single_effect("alice"),
            "Delete the user \"alice\" permanently; this cannot be undone."
        );
        let enable = find("enable_user").expect("tool");
        assert_eq!(enable.single_effect("bob"), "Enable a user for \"bob\".");
        let mfa = find("set_user_pool_mfa_config").expect("tool");
        assert_eq!(
            mfa.single_effect("us-east-1_x"),
            "Change the MFA configuration of the pool us-east-1_x."
        );
        let add = find("add_users_to_group").expect("tool");
        assert_eq!(
            add.bulk_effect(3, Some("staff")),
            "Add 3 users to the group \"staff\""
        );
    }

    #[test]
    fn write_tools_call_a_write_operation() {
        for t in TOOLS.iter().filter(|t| !t.is_read()) {
            assert!(
                t.operations.iter().any(|op| !op.is_read()),
                "{} changes nothing",
                t.name
            );
        }
    }
}
