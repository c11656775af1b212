//! What a tool call runs with: the pipeline's stages (gate, confirmer, auditor) and what the
//! tools act with (the Cognito client, the bulk limits, the sign-in checks' app client and the
//! token verifier). The tools (`tools/`) are methods of [`State`], and the server
//! (`mcp/server.rs`) holds one, shared by every request.

use cognito_jwt::CognitoVerifier;

use crate::aws::LazyAdmin;
use crate::config::SignInSettings;
use crate::mcp::act_as::Acting;
use crate::mcp::audit::Auditor;
use crate::mcp::confirm::Confirmer;
use crate::mcp::gate::Gate;

/// The stages and the tools' means.
pub(crate) struct State {
    pub(crate) admin: LazyAdmin,
    pub(crate) bulk: cognito_admin::BulkLimits,
    /// The pipeline's stages: whether a call may run, a person's yes, the audit record.
    pub(crate) gate: Gate,
    pub(crate) confirmer: Confirmer,
    pub(crate) auditor: Auditor,
    /// Whose AWS credentials the call's Cognito requests are signed with.
    pub(crate) acting: Acting,
    /// The verifier `verify_token` uses.
    pub(crate) verifier: Option<CognitoVerifier>,
    /// The sign-in checks' app client and whether they return raw tokens (`tools/mfa.rs`).
    pub(crate) sign_in: SignInSettings,
}
