//! [`Principal`] and [`ScopePolicy`]: who is calling, and what their groups let them do.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::Serialize;

use crate::Claims;

/// Maps Cognito groups to scopes, and decides what a verified token may do.
///
/// **A user's privilege is at most what their groups grant.** Cognito puts into an access
/// token every scope its app client allows and the sign-in request asks for, whoever signs in
/// (the user holds the hosted-UI URL and can edit its `scope`), so a token's `scope` says
/// nothing about the user. It can only narrow what the groups grant:
///
/// - a user token carrying none of the server's scopes ([`Self::known_scopes`]) is narrowed by
///   nothing: its privilege is its groups' (an AdminInitiateAuth token, which carries only
///   `aws.cognito.signin.user.admin`, is one);
/// - a user token carrying some of them gets its groups' scopes intersected with those;
/// - a token without a user (client credentials: no `username`) gets its scopes only when its
///   app client is listed with [`Self::machine_client`], and only the scopes listed for it.
///
/// The default, for resource-server identifier `mcp`: `Admins` → `mcp/admin`, `mcp/write`,
/// `mcp/read`; `Developers` → `mcp/write`, `mcp/read`; `ReadOnly` → `mcp/read`; no machine
/// clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopePolicy {
    groups: BTreeMap<String, BTreeSet<String>>,
    machine_clients: BTreeMap<String, BTreeSet<String>>,
    resource_scopes: BTreeSet<String>,
    /// [`Self::known_scopes`], kept up to date by every builder method: read on every request.
    known: BTreeSet<String>,
}

impl Default for ScopePolicy {
    fn default() -> Self {
        Self::standard("mcp")
    }
}

impl ScopePolicy {
    /// No group grants anything and no machine client is listed: every caller has no scope.
    pub fn empty() -> Self {
        Self {
            groups: BTreeMap::new(),
            machine_clients: BTreeMap::new(),
            resource_scopes: BTreeSet::new(),
            known: BTreeSet::new(),
        }
    }

    /// Rebuilds [`Self::known_scopes`] from what the groups, machine clients and resource
    /// scopes name now.
    fn with_known_updated(mut self) -> Self {
        self.known = self
            .groups
            .values()
            .chain(self.machine_clients.values())
            .flatten()
            .chain(&self.resource_scopes)
            .cloned()
            .collect();
        self
    }

    /// The standard mapping for the resource-server identifier `resource_server`.
    pub fn standard(resource_server: &str) -> Self {
        let s = |name: &str| format!("{resource_server}/{name}");
        Self::empty()
            .grant("Admins", [s("admin"), s("write"), s("read")])
            .grant("Developers", [s("write"), s("read")])
            .grant("ReadOnly", [s("read")])
    }

    /// Members of `group` get `scopes` (added to what the group already grants).
    pub fn grant<I, S>(mut self, group: impl Into<String>, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.groups
            .entry(group.into())
            .or_default()
            .extend(scopes.into_iter().map(Into::into));
        self.with_known_updated()
    }

    /// Replaces what `group` grants.
    pub fn set(
        mut self,
        group: impl Into<String>,
        scopes: impl IntoIterator<Item = String>,
    ) -> Self {
        self.groups
            .insert(group.into(), scopes.into_iter().collect());
        self.with_known_updated()
    }

    /// Lists `client_id` as a machine client (client credentials, no user): its tokens get
    /// the scopes they carry, within `scopes`. This widens privilege on purpose: without it,
    /// a token without a user has no scope at all.
    pub fn machine_client<I, S>(mut self, client_id: impl Into<String>, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.machine_clients
            .entry(client_id.into())
            .or_default()
            .extend(scopes.into_iter().map(Into::into));
        self.with_known_updated()
    }

    /// Adds scopes the server checks (a tool's or a method's) to [`Self::known_scopes`], so a
    /// token narrowed to one of them is narrowed, even when no group grants it.
    pub fn resource_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.resource_scopes
            .extend(scopes.into_iter().map(Into::into));
        self.with_known_updated()
    }

    /// The groups and what they grant.
    pub fn groups(&self) -> &BTreeMap<String, BTreeSet<String>> {
        &self.groups
    }

    /// The machine clients and the scopes each may hold.
    pub fn machine_clients(&self) -> &BTreeMap<String, BTreeSet<String>> {
        &self.machine_clients
    }

    /// The server's own scopes: every scope a group or machine client grants, and those added
    /// with [`Self::resource_scopes`]. Only these narrow a user token.
    pub fn known_scopes(&self) -> &BTreeSet<String> {
        &self.known
    }

    /// What `groups` grant together.
    pub fn granted_to<'a, I>(&self, groups: I) -> BTreeSet<String>
    where
        I: IntoIterator<Item = &'a String>,
    {
        groups
            .into_iter()
            .filter_map(|g| self.groups.get(g))
            .flatten()
            .cloned()
            .collect()
    }

    /// The scopes of the server's a user token carries (empty: the token narrows nothing).
    pub fn narrowing<'a>(&self, claims: &'a Claims) -> Vec<&'a str> {
        claims
            .scopes
            .iter()
            .map(String::as_str)
            .filter(|s| self.known.contains(*s))
            .collect()
    }

    /// The effective scopes of `claims`, by the rule of [`ScopePolicy`]: a user's groups'
    /// scopes, narrowed by the server's scopes the token carries; a machine client's listed
    /// scopes that its token carries; nothing for an unlisted token without a user.
    pub fn effective_scopes(&self, claims: &Claims) -> BTreeSet<String> {
        if claims.username.is_none() {
            return match self.machine_clients.get(&claims.client_id) {
                Some(listed) => claims
                    .scopes
                    .iter()
                    .filter(|s| listed.contains(*s))
                    .cloned()
                    .collect(),
                None => BTreeSet::new(),
            };
        }
        let mut granted = self.granted_to(&claims.groups);
        let narrowing = self.narrowing(claims);
        if !narrowing.is_empty() {
            granted.retain(|s| narrowing.contains(&s.as_str()));
        }
        granted
    }

    /// The principal for verified `claims`.
    pub fn principal(&self, claims: Arc<Claims>) -> Principal {
        let scopes = Arc::new(self.effective_scopes(&claims));
        Principal { claims, scopes }
    }
}

/// A verified caller: their token's claims and their effective scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    claims: Arc<Claims>,
    // Shared: a principal is cloned into each request's handler.
    scopes: Arc<BTreeSet<String>>,
}

/// A serializable summary of a [`Principal`] (no token).
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct PrincipalSummary {
    /// The subject.
    pub sub: String,
    /// The username, if any (client-credentials tokens have none).
    pub username: Option<String>,
    /// Cognito groups.
    pub groups: Vec<String>,
    /// Effective scopes: what the groups grant, narrowed by the token's own scopes.
    pub scopes: Vec<String>,
    /// The app client.
    pub client_id: String,
    /// Token expiry, seconds since the epoch.
    pub expires_at: u64,
}

impl Principal {
    /// The principal of a token whose scopes were already capped by the user's groups when it
    /// was issued (the authorization server's own tokens): exactly the token's scopes.
    pub fn as_granted(claims: Arc<Claims>) -> Self {
        let scopes = Arc::new(claims.scopes.iter().cloned().collect());
        Self { claims, scopes }
    }

    /// The verified claims.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// The subject (`sub`).
    pub fn sub(&self) -> &str {
        &self.claims.sub
    }

    /// The username, if any.
    pub fn username(&self) -> Option<&str> {
        self.claims.username.as_deref()
    }

    /// The Cognito groups.
    pub fn groups(&self) -> &[String] {
        &self.claims.groups
    }

    /// The effective scopes.
    pub fn scopes(&self) -> &BTreeSet<String> {
        &self.scopes
    }

    /// Whether the principal holds `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(scope)
    }

    /// Whether the principal is in `group`.
    pub fn in_group(&self, group: &str) -> bool {
        self.claims.groups.iter().any(|g| g == group)
    }

    /// A custom attribute (`custom:NAME` without the prefix).
    pub fn custom(&self, name: &str) -> Option<&str> {
        self.claims.custom.get(name).map(String::as_str)
    }

    /// A short identity for logs and audit: `sub (username) via client_id`.
    pub fn actor(&self) -> String {
        match &self.claims.username {
            Some(u) => format!("{} ({u}) via {}", self.claims.sub, self.claims.client_id),
            None => format!("{} via {}", self.claims.sub, self.claims.client_id),
        }
    }

    /// A serializable summary.
    pub fn summary(&self) -> PrincipalSummary {
        PrincipalSummary {
            sub: self.claims.sub.clone(),
            username: self.claims.username.clone(),
            groups: self.claims.groups.clone(),
            scopes: self.scopes.iter().cloned().collect(),
            client_id: self.claims.client_id.clone(),
            expires_at: self.claims.exp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TokenUse;
    use serde_json::json;

    fn claims(username: Option<&str>, groups: &[&str], scope: &str) -> Claims {
        let mut v = json!({
            "sub": "s-1", "iss": "https://issuer", "token_use": "access",
            "client_id": "app", "cognito:groups": groups, "scope": scope, "exp": 4_000_000_000u64,
        });
        if let Some(u) = username {
            v["username"] = json!(u);
        }
        let map = v.as_object().expect("object").clone();
        Claims::from_payload(&map, TokenUse::Access).expect("claims")
    }

    fn scopes(p: &ScopePolicy, c: &Claims) -> Vec<String> {
        p.effective_scopes(c).into_iter().collect()
    }

    #[test]
    fn token_scopes_never_widen_a_user_in_no_group_fails() {
        // The hosted-UI attack: a user in no group edits the sign-in URL to ask for mcp/admin,
        // and Cognito grants it because the app client allows it.
        let c = claims(Some("mallory"), &[], "openid mcp/admin mcp/write mcp/read");
        assert!(scopes(&ScopePolicy::default(), &c).is_empty());
    }

    #[test]
    fn token_scopes_never_widen_a_developer_fails() {
        let c = claims(Some("dev"), &["Developers"], "mcp/admin mcp/write mcp/read");
        assert_eq!(
            scopes(&ScopePolicy::default(), &c),
            ["mcp/read", "mcp/write"]
        );
    }

    #[test]
    fn a_token_without_the_servers_scopes_gets_its_groups() {
        let c = claims(Some("ada"), &["Admins"], "aws.cognito.signin.user.admin");
        assert_eq!(
            scopes(&ScopePolicy::default(), &c),
            ["mcp/admin", "mcp/read", "mcp/write"]
        );
        let c = claims(Some("ada"), &["Admins"], "");
        assert_eq!(scopes(&ScopePolicy::default(), &c).len(), 3);
    }

    #[test]
    fn the_servers_scopes_on_a_token_narrow_its_groups() {
        let c = claims(Some("ada"), &["Admins"], "openid mcp/read");
        assert_eq!(scopes(&ScopePolicy::default(), &c), ["mcp/read"]);
    }

    #[test]
    fn a_tool_scope_no_group_grants_still_narrows() {
        let p = ScopePolicy::default().resource_scopes(["mcp/special"]);
        let c = claims(Some("ada"), &["Admins"], "mcp/special");
        assert!(scopes(&p, &c).is_empty());
        // Without it, the scope is foreign and narrows nothing.
        assert_eq!(scopes(&ScopePolicy::default(), &c).len(), 3);
    }

    #[test]
    fn a_token_without_a_user_from_an_unlisted_client_fails() {
        let c = claims(None, &[], "mcp/read mcp/write mcp/admin");
        assert!(scopes(&ScopePolicy::default(), &c).is_empty());
    }

    #[test]
    fn a_listed_machine_client_gets_only_its_listed_scopes() {
        let p = ScopePolicy::default().machine_client("app", ["mcp/read", "mcp/write"]);
        let c = claims(None, &[], "mcp/read mcp/write mcp/admin");
        assert_eq!(scopes(&p, &c), ["mcp/read", "mcp/write"]);
        let c = claims(None, &[], "mcp/read");
        assert_eq!(scopes(&p, &c), ["mcp/read"]);
        // Forged groups on a machine token grant nothing.
        let c = claims(None, &["Admins"], "");
        assert!(scopes(&p, &c).is_empty());
    }

    #[test]
    fn as_granted_keeps_exactly_the_tokens_scopes() {
        let c = claims(Some("ada"), &[], "openid mcp/read");
        let p = Principal::as_granted(Arc::new(c));
        assert_eq!(
            p.scopes().iter().collect::<Vec<_>>(),
            ["mcp/read", "openid"]
        );
    }
}
