//! Who is calling (`whoami`) and what a token says (`verify_token`).

use cognito_jwt::TokenUse;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::Extensions;
use rmcp::{Json, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalog;
use crate::mcp::error::ToolError;
use crate::mcp::principal_of;
use crate::mcp::state::State;

/// Who is calling (`whoami`).
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct WhoAmI {
    /// `http` (a verified Cognito token) or `stdio` (the local user, trusted without a token).
    transport: String,
    /// The identity the audit trail records.
    actor: String,
    /// The token's subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    /// The username (client-credentials tokens have none).
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    /// Cognito groups.
    groups: Vec<String>,
    /// Effective scopes: what the caller's groups grant, narrowed by the server's scopes their
    /// token carries (a token's own scopes never add to them).
    scopes: Vec<String>,
    /// What each scope held allows, and the tools needing it. A write also needs every scope
    /// its target group, or its target user's groups, grant.
    allows: Vec<crate::scopes::ScopeRow>,
    /// The app client the token was issued to.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    /// When the token expires, seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<u64>,
    /// The tools this caller may call.
    tools: Vec<String>,
}

/// Which kind of token `verify_token` expects.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TokenKind {
    /// An access token (`token_use` = `access`).
    #[default]
    Access,
    /// An id token (`token_use` = `id`).
    Id,
}

/// Input of `verify_token`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VerifyTokenInput {
    /// The JWT to check. It is never echoed or logged.
    token: cognito_admin::Secret,
    /// `access` (default) or `id`.
    #[serde(default)]
    token_use: TokenKind,
}

/// The claims of a valid token.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct TokenClaims {
    /// `access` or `id`.
    token_use: String,
    /// Subject.
    sub: String,
    /// Username, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    /// App client.
    client_id: String,
    /// Cognito groups.
    groups: Vec<String>,
    /// Scopes of the token itself.
    scopes: Vec<String>,
    /// Email (id tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    /// Custom attributes, without the `custom:` prefix.
    custom: std::collections::BTreeMap<String, String>,
    /// Expiry, seconds since the epoch.
    exp: u64,
    /// Issued at.
    #[serde(skip_serializing_if = "Option::is_none")]
    iat: Option<u64>,
}

/// The verdict of `verify_token`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct TokenVerdict {
    /// Whether the token passed every check.
    valid: bool,
    /// The rule that rejected it (`expired`, `bad_signature`, `wrong_issuer`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    reason_code: Option<String>,
    /// The rejection in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    /// The claims, when valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    claims: Option<TokenClaims>,
}

#[tool_router(router = identity_router, vis = "pub(crate)")]
impl State {
    #[tool(
        description = "Who am I: the caller's identity as this server sees it: subject, \
        username, groups, effective scopes, app client, token expiry, and the tools they may call."
    )]
    async fn whoami(&self, ext: Extensions) -> Result<Json<WhoAmI>, ToolError> {
        let principal = principal_of(&ext);
        let tools = catalog::TOOLS
            .iter()
            .filter(|t| self.gate.allows(t, principal.as_ref()))
            .map(|t| t.name.to_owned())
            .collect();
        let allows = self
            .gate
            .scope_table()
            .iter()
            .filter(|row| principal.as_ref().is_none_or(|p| p.has_scope(&row.scope)))
            .cloned()
            .collect();
        Ok(Json(match &principal {
            Some(p) => WhoAmI {
                transport: "http".into(),
                actor: p.actor(),
                sub: Some(p.sub().to_owned()),
                username: p.username().map(str::to_owned),
                groups: p.groups().to_vec(),
                scopes: p.scopes().iter().cloned().collect(),
                client_id: Some(p.claims().client_id.clone()),
                expires_at: Some(p.claims().exp),
                allows,
                tools,
            },
            None => WhoAmI {
                transport: "stdio".into(),
                actor: self.auditor.local_actor().to_owned(),
                sub: None,
                username: None,
                groups: Vec::new(),
                scopes: Vec::new(),
                client_id: None,
                expires_at: None,
                allows,
                tools,
            },
        }))
    }

    #[tool(
        description = "Verify a Cognito JWT (access by default, or id) against this pool: \
        signature, issuer, token_use, app client and time. Returns the claims, or the exact rule \
        that rejected it. The token is never echoed."
    )]
    async fn verify_token(
        &self,
        Parameters(req): Parameters<VerifyTokenInput>,
    ) -> Result<Json<TokenVerdict>, ToolError> {
        let Some(verifier) = &self.verifier else {
            return Err(ToolError::Admin(cognito_admin::AdminError::Invalid(cognito_admin::validate::Invalid {
                field: "token".into(),
                problem: "cannot be checked: this server has no app client id to check tokens against".into(),
                requirement: "the operator sets COGNITO_CLIENT_ID, or auth.client_ids (in proxy mode, auth.client_ids only)".into(),
                example: "COGNITO_CLIENT_ID=1example23456789".into(),
            })));
        };
        let kind = match req.token_use {
            TokenKind::Access => TokenUse::Access,
            TokenKind::Id => TokenUse::Id,
        };
        Ok(Json(
            match verifier.verify_as(req.token.expose(), kind).await {
                Ok(c) => TokenVerdict {
                    valid: true,
                    reason_code: None,
                    reason: None,
                    claims: Some(TokenClaims {
                        token_use: c.token_use.as_str().to_owned(),
                        sub: c.sub.clone(),
                        username: c.username.clone(),
                        client_id: c.client_id.clone(),
                        groups: c.groups.clone(),
                        scopes: c.scopes.clone(),
                        email: c.email.clone(),
                        custom: c.custom.clone(),
                        exp: c.exp,
                        iat: c.iat,
                    }),
                },
                Err(e) => TokenVerdict {
                    valid: false,
                    reason_code: Some(e.code().to_owned()),
                    reason: Some(e.to_string()),
                    claims: None,
                },
            },
        ))
    }
}
