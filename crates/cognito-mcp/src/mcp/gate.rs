//! The gate, the pipeline's first stage: whether a tool may run for a caller, decided before
//! anything runs. The tool policy (read-only, allow and deny lists, sign-in checks) and, over
//! HTTP, the caller's effective scopes decide the tool; what each Cognito group grants decides
//! the caller's privilege over the groups and users the call changes.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use cognito_admin::privilege::Privilege;
use cognito_jwt::Principal;

use crate::catalog::ToolSpec;
use crate::mcp::refusal::Refusal;
use crate::policy::{ToolPolicy, ToolScopes};
use crate::scopes::{self, ScopeRow};

/// What each Cognito group grants (`auth.groups`).
pub(crate) type Grants = Arc<BTreeMap<String, BTreeSet<String>>>;

/// The gate's rules.
#[derive(Debug)]
pub(crate) struct Gate {
    policy: ToolPolicy,
    scopes: Arc<ToolScopes>,
    /// What each scope allows (`whoami` shows the caller's rows): built once, since the
    /// scopes do not change while the server runs.
    scope_table: Vec<ScopeRow>,
    grants: Grants,
}

/// A call the gate lets through.
#[derive(Debug)]
pub(crate) struct Pass {
    /// The privilege the call's writes act with: what the caller holds, checked by
    /// `cognito-admin` against what each target group and user holds. `None` over stdio,
    /// where the operator who started the server is the caller.
    pub(crate) privilege: Option<Arc<Privilege>>,
}

impl Gate {
    /// The tool policy alone, as over stdio.
    pub(crate) fn new(policy: ToolPolicy) -> Self {
        let scopes = Arc::new(ToolScopes::new("mcp", Default::default()));
        Self {
            policy,
            scope_table: scopes::table(scopes.resource_server(), &scopes),
            scopes,
            grants: Default::default(),
        }
    }

    /// Over HTTP: the scope each tool needs (the same object the bearer check's 403 uses), and
    /// what each group grants.
    pub(crate) fn with_auth(&mut self, scopes: Arc<ToolScopes>, grants: Grants) {
        self.scope_table = scopes::table(scopes.resource_server(), &scopes);
        self.scopes = scopes;
        self.grants = grants;
    }

    /// What each scope allows, lowest level first: [`scopes::table`] of the gate's tool scopes.
    pub(crate) fn scope_table(&self) -> &[ScopeRow] {
        &self.scope_table
    }

    /// Whether `spec` may run for `principal`; builds no message, since listing tools is on the
    /// hot path.
    pub(crate) fn allows(&self, spec: &ToolSpec, principal: Option<&Principal>) -> bool {
        self.policy.allows(spec)
            && principal.is_none_or(|p| self.scopes.required(spec).is_none_or(|s| p.has_scope(s)))
    }

    /// Lets the call through with its privilege, or says why not.
    pub(crate) fn check(
        &self,
        spec: &ToolSpec,
        principal: Option<&Principal>,
    ) -> Result<Pass, Refusal> {
        if let Some(reason) = self.policy.refusal(spec) {
            return Err(Refusal::ToolDisabled { reason });
        }
        let Some(p) = principal else {
            return Ok(Pass { privilege: None });
        };
        if let Some(needed) = self.scopes.required(spec)
            && !p.has_scope(needed)
        {
            return Err(Refusal::InsufficientScope {
                tool: spec.name,
                needed: needed.to_owned(),
                held: p.scopes().iter().cloned().collect(),
            });
        }
        Ok(Pass {
            privilege: Some(Arc::new(Privilege::new(
                p.scopes().clone(),
                self.grants.clone(),
            ))),
        })
    }
}
