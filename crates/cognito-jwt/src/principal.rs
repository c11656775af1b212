//! [`Principal`] and [`ScopePolicy`]: who is calling, and what their groups let them do.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::Serialize;

use crate::Claims;

/// Maps Cognito groups to scopes.
///
/// The default, for resource-server identifier `mcp`: `Admins` → `mcp/admin`, `mcp/write`,
/// `mcp/read`; `Developers` → `mcp/write`, `mcp/read`; `ReadOnly` → `mcp/read`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopePolicy {
    groups: BTreeMap<String, BTreeSet<String>>,
}

impl Default for ScopePolicy {
    fn default() -> Self {
        Self::standard("mcp")
    }
}

impl ScopePolicy {
    /// No group grants anything: only the token's own `scope` counts.
    pub fn empty() -> Self {
        Self {
            groups: BTreeMap::new(),
        }
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
        self
    }

    /// Replaces what `group` grants.
    pub fn set(
        mut self,
        group: impl Into<String>,
        scopes: impl IntoIterator<Item = String>,
    ) -> Self {
        self.groups
            .insert(group.into(), scopes.into_iter().collect());
        self
    }

    /// The groups and what they grant.
    pub fn groups(&self) -> &BTreeMap<String, BTreeSet<String>> {
        &self.groups
    }

    /// The effective scopes of `claims`: the token's `scope` plus its groups' scopes.
    pub fn effective_scopes(&self, claims: &Claims) -> BTreeSet<String> {
        let mut out: BTreeSet<String> = claims.scopes.iter().cloned().collect();
        for g in &claims.groups {
            if let Some(granted) = self.groups.get(g) {
                out.extend(granted.iter().cloned());
            }
        }
        out
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
    /// Effective scopes.
    pub scopes: Vec<String>,
    /// The app client.
    pub client_id: String,
    /// Token expiry, seconds since the epoch.
    pub expires_at: u64,
}

impl Principal {
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
