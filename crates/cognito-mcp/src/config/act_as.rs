//! `[aws] act_as`: whose AWS credentials sign the admin tools' calls to Cognito.

use cognito_mcp_auth::AuthMode;
use serde::Deserialize;

use super::{Problem, non_empty};

/// `[aws]`: `act_as`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AwsFile {
    act_as: Option<String>,
}

/// Whose credentials the tools call Cognito with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum ActAs {
    /// The server's own (its role, its environment's credentials): the default.
    #[default]
    Server,
    /// The caller's: temporary credentials from `[identity_pool]` for the signed-in user, so
    /// IAM decides what each person (by the role their groups map to) may do, and CloudTrail
    /// names them.
    Caller,
}

impl ActAs {
    /// The value as written.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Server => "server",
            Self::Caller => "caller",
        }
    }
}

/// Reads `COGNITO_MCP_ACT_AS` over `aws.act_as`.
pub(super) fn resolve(
    file: AwsFile,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ActAs, Problem> {
    let (v, from) = match non_empty(env("COGNITO_MCP_ACT_AS")) {
        Some(v) => (v, "COGNITO_MCP_ACT_AS"),
        None => match non_empty(file.act_as) {
            Some(v) => (v, "aws.act_as"),
            None => return Ok(ActAs::Server),
        },
    };
    match v.as_str() {
        "server" => Ok(ActAs::Server),
        "caller" => Ok(ActAs::Caller),
        _ => Err(Problem::new(format!(
            "{from} is {v:?}; set it to \"server\" (the server's own AWS credentials, the \
             default) or \"caller\" (each caller's, from [identity_pool])"
        ))),
    }
}

/// What is wrong with acting as the caller under `auth`: it needs an identity pool, and a
/// mode in which the server holds the callers' Cognito ID tokens.
pub(super) fn problems(act_as: ActAs, auth: &cognito_mcp_auth::AuthConfig) -> Vec<Problem> {
    let mut out = Vec::new();
    if act_as != ActAs::Caller {
        return out;
    }
    if auth.identity_pool.is_none() {
        out.push(Problem::new(
            "aws.act_as is \"caller\" but no identity pool is configured: set [identity_pool] \
             id (or COGNITO_IDENTITY_POOL_ID) to the identity pool whose roles callers act \
             with",
        ));
    }
    if auth.mode != AuthMode::Proxy {
        out.push(Problem::new(format!(
            "aws.act_as is \"caller\" but auth.mode is \"{}\": identity pools take the user's \
             Cognito ID token, and only proxy mode (with the hosted UI or the sign-in page) \
             holds one; in JWT and native modes clients send access tokens only, which \
             identity pools do not take. Set auth.mode = \"proxy\", or act_as = \"server\"",
            auth.mode.name()
        )));
    }
    out
}
