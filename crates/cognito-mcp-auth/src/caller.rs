//! [`Caller`]: the verified caller of a request, with scope and group guards.

use std::ops::Deref;

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use cognito_jwt::Principal;
use http::request::Parts;
use http::{Extensions, StatusCode};

use crate::AuthorizationServer;
use crate::identity_pool::{AwsCredentials, CredentialsError, IdentityPool};

/// The verified caller of a request: the [`Principal`] the [`CognitoAuth`](crate::CognitoAuth)
/// layer put in the request extensions. It dereferences to the principal: `sub()`,
/// `username()`, `groups()`, `scopes()`, `custom("tenant")`, `claims()`.
///
/// Get it in an axum handler as an extractor, in an rmcp tool as a parameter (cargo feature
/// `rmcp`), or from any request's extensions with [`Caller::from_extensions`]. Guard a call
/// with [`Caller::require_scope`] or [`Caller::require_group`].
///
/// ```
/// use cognito_mcp_auth::Caller;
///
/// async fn delete_everything(caller: Caller) -> Result<String, cognito_mcp_auth::Forbidden> {
///     caller.require_group("Admins")?;
///     Ok(format!("deleted, {}", caller.username().unwrap_or(caller.sub())))
/// }
/// let app: axum::Router = axum::Router::new()
///     .route("/admin/delete", axum::routing::post(delete_everything));
/// ```
#[derive(Debug, Clone)]
pub struct Caller {
    principal: Principal,
    aws: Option<AwsSource>,
}

impl PartialEq for Caller {
    fn eq(&self, other: &Self) -> bool {
        self.principal == other.principal
    }
}

impl Eq for Caller {}

impl Deref for Caller {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.principal
    }
}

/// What the layer records beside the principal when an identity pool is configured: where
/// the caller's Cognito ID token is, if anywhere.
#[derive(Clone)]
pub(crate) struct AwsSource {
    pub(crate) pool: IdentityPool,
    pub(crate) session: Session,
}

/// Where a caller's Cognito ID token is.
#[derive(Clone)]
pub(crate) enum Session {
    /// With the sign-in (family) `sid` of the authorization server's own token.
    Family {
        server: AuthorizationServer,
        sid: String,
    },
    /// Nowhere: the caller presented a Cognito access token (JWT mode).
    AccessToken,
}

impl std::fmt::Debug for AwsSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsSource")
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

impl Caller {
    /// A caller with no identity pool behind it.
    pub fn new(principal: Principal) -> Self {
        Self {
            principal,
            aws: None,
        }
    }

    /// The verified principal.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The caller recorded in `extensions`: the request's own, or, for an rmcp service over
    /// Streamable HTTP, those of the [`http::request::Parts`] it stores.
    ///
    /// ```
    /// let extensions = http::Extensions::new();
    /// assert!(cognito_mcp_auth::Caller::from_extensions(&extensions).is_none());
    /// ```
    pub fn from_extensions(extensions: &Extensions) -> Option<Self> {
        let own = extensions.get::<Principal>().map(|p| (p, extensions));
        let (principal, at) = own.or_else(|| {
            let parts = &extensions.get::<Parts>()?.extensions;
            parts.get::<Principal>().map(|p| (p, parts))
        })?;
        Some(Self {
            principal: principal.clone(),
            aws: at.get::<AwsSource>().cloned(),
        })
    }

    /// Temporary AWS credentials for this caller from the configured identity pool
    /// (`[identity_pool] id`): their Cognito ID token, exchanged by GetId and
    /// GetCredentialsForIdentity (the enhanced flow; the role is the one the pool's mapping
    /// picks, for example from the user's groups). Cached until five minutes before they
    /// expire; never logged.
    ///
    /// The server must hold the caller's ID token: in proxy mode and with the sign-in page it
    /// does (the upstream sign-in gave it one, kept with the sign-in, sealed at rest like the
    /// upstream refresh token). In JWT mode clients send only access tokens, which identity
    /// pools do not take: [`CredentialsError::NoIdToken`].
    pub async fn aws_credentials(&self) -> Result<AwsCredentials, CredentialsError> {
        let aws = self.aws.as_ref().ok_or(CredentialsError::NotConfigured)?;
        let id_token = match &aws.session {
            Session::AccessToken => return Err(CredentialsError::NoIdToken),
            Session::Family { server, sid } => server
                .upstream_id_token(sid)
                .await
                .map_err(|e| CredentialsError::Unavailable(format!("the session store: {e}")))?
                .ok_or_else(|| {
                    CredentialsError::NoSession(
                        "the sign-in has ended, or Cognito gave no ID token (scope openid)"
                            .to_owned(),
                    )
                })?,
        };
        aws.pool.credentials_for(&id_token).await
    }

    /// `Ok` when the caller holds `scope`, else [`Forbidden`] naming it.
    pub fn require_scope(&self, scope: &str) -> Result<&Self, Forbidden> {
        if self.has_scope(scope) {
            Ok(self)
        } else {
            Err(Forbidden {
                needs: Requirement::Scope(scope.to_owned()),
                actor: self.actor(),
            })
        }
    }

    /// `Ok` when the caller is in the Cognito group `group`, else [`Forbidden`] naming it.
    pub fn require_group(&self, group: &str) -> Result<&Self, Forbidden> {
        if self.in_group(group) {
            Ok(self)
        } else {
            Err(Forbidden {
                needs: Requirement::Group(group.to_owned()),
                actor: self.actor(),
            })
        }
    }
}

/// What a guard asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Requirement {
    /// An OAuth scope.
    Scope(String),
    /// Membership of a Cognito group.
    Group(String),
}

/// A guard refused the caller. As an axum response it is 403 (with `WWW-Authenticate:
/// Bearer error="insufficient_scope"` for a scope); in an rmcp tool it is a tool error (cargo
/// feature `rmcp`); its message says what the caller lacks and who can grant it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct Forbidden {
    needs: Requirement,
    actor: String,
}

impl Forbidden {
    /// What the caller lacks.
    pub fn requirement(&self) -> &Requirement {
        &self.needs
    }

    /// The message: what is missing and how to get it.
    pub fn message(&self) -> String {
        match &self.needs {
            Requirement::Scope(s) => format!(
                "this needs the scope {s}, which the caller ({}) does not hold; sign in as a \
                 user whose Cognito groups grant {s}, or ask for {s} when authorizing",
                self.actor
            ),
            Requirement::Group(g) => format!(
                "this needs membership of the Cognito group {g}, which the caller ({}) does not \
                 have; an administrator can add the user to {g}",
                self.actor
            ),
        }
    }
}

impl IntoResponse for Forbidden {
    fn into_response(self) -> Response {
        let mut response = (StatusCode::FORBIDDEN, self.message()).into_response();
        if let Requirement::Scope(scope) = &self.needs
            && let Ok(v) = http::HeaderValue::from_str(&format!(
                "Bearer error=\"insufficient_scope\", scope=\"{scope}\""
            ))
        {
            response
                .headers_mut()
                .insert(http::header::WWW_AUTHENTICATE, v);
        }
        response
    }
}

/// No verified caller: the [`CognitoAuth`](crate::CognitoAuth) layer is not in front of this
/// route. Answers 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "no verified caller: put CognitoAuth::layer() in front of this route so requests carry a \
     checked bearer token"
)]
pub struct NoCaller;

impl IntoResponse for NoCaller {
    fn into_response(self) -> Response {
        (StatusCode::UNAUTHORIZED, self.to_string()).into_response()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = NoCaller;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, NoCaller> {
        Self::from_extensions(&parts.extensions).ok_or(NoCaller)
    }
}

#[cfg(feature = "rmcp")]
mod rmcp_support {
    use rmcp::handler::server::common::{AsRequestContext, FromContextPart};
    use rmcp::model::{ContentBlock, IntoContents};

    use super::{Caller, Forbidden, NoCaller};

    impl Caller {
        /// The caller of an rmcp request served over Streamable HTTP, from its context's
        /// extensions (`context.extensions` of a `RequestContext`); `None` over stdio or
        /// without the layer.
        pub fn from_mcp_extensions(extensions: &rmcp::model::Extensions) -> Option<Self> {
            extensions
                .get::<http::request::Parts>()
                .and_then(|parts| Self::from_extensions(&parts.extensions))
        }
    }

    impl crate::CognitoAuth {
        /// The answer to `tools/list` for the caller of an rmcp request: the tools of `tools`
        /// the caller may call ([`CognitoAuth::allows`](crate::CognitoAuth::allows)); none
        /// without a verified caller.
        pub fn list_tools(
            &self,
            extensions: &rmcp::model::Extensions,
            tools: Vec<rmcp::model::Tool>,
        ) -> rmcp::model::ListToolsResult {
            let caller = Caller::from_mcp_extensions(extensions);
            rmcp::model::ListToolsResult::with_all_items(
                tools
                    .into_iter()
                    .filter(|t| caller.as_ref().is_some_and(|c| self.allows(c, &t.name)))
                    .collect(),
            )
        }
    }

    /// In an rmcp tool: `async fn my_tool(&self, caller: Caller, ...)`.
    impl<C: AsRequestContext> FromContextPart<C> for Caller {
        fn from_context_part(context: &mut C) -> Result<Self, rmcp::ErrorData> {
            Caller::from_mcp_extensions(&context.as_request_context().extensions)
                .ok_or_else(|| NoCaller.into())
        }
    }

    impl From<NoCaller> for rmcp::ErrorData {
        fn from(e: NoCaller) -> Self {
            rmcp::ErrorData::invalid_request(e.to_string(), None)
        }
    }

    /// A tool returning `Result<_, Forbidden>` answers a refusal as a tool error the model
    /// can read.
    impl IntoContents for Forbidden {
        fn into_contents(self) -> Vec<ContentBlock> {
            vec![ContentBlock::text(self.message())]
        }
    }

    /// `?` in a tool returning `Result<_, rmcp::ErrorData>`: a JSON-RPC error (invalid
    /// request) with the requirement in its data.
    impl From<Forbidden> for rmcp::ErrorData {
        fn from(e: Forbidden) -> Self {
            let data = match e.requirement() {
                super::Requirement::Scope(s) => serde_json::json!({"required_scope": s}),
                super::Requirement::Group(g) => serde_json::json!({"required_group": g}),
            };
            rmcp::ErrorData::invalid_request(e.message(), Some(data))
        }
    }
}
