//! The protected-resource side of MCP authorization: RFC 9728 metadata, bearer verification,
//! `WWW-Authenticate` challenges, 401 and 403 `insufficient_scope`.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cognito_jwt::{CognitoVerifier, Principal, ScopePolicy, VerifyError};

use crate::authz::AuthorizationServer;
use crate::caller::{AwsSource, Session};
use crate::identity_pool::IdentityPool;
use http::{HeaderValue, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde::Deserialize;
use serde_json::{Value, json};

/// The OIDC scope that asks for refresh tokens: an authorization server's, never a resource's.
const OFFLINE_ACCESS: &str = "offline_access";

/// Default cap on a request body the layer reads to find the tool being called: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// Which scope a JSON-RPC call needs: `(method, tool name for tools/call)` to a scope, or
/// `None` when any verified caller may make it.
pub type ScopeRule = Arc<dyn Fn(&str, Option<&str>) -> Option<String> + Send + Sync>;

/// An MCP endpoint protected by Cognito bearer tokens.
///
/// Cheap to clone. [`ProtectedResource::routes`] serves the metadata;
/// [`ProtectedResource::layer`] guards the MCP endpoint.
#[derive(Clone)]
pub struct ProtectedResource {
    inner: Arc<Inner>,
}

struct Inner {
    cognito: Option<CognitoVerifier>,
    own: Option<AuthorizationServer>,
    policy: ScopePolicy,
    resource: String,
    metadata_path: String,
    metadata_url: String,
    authorization_servers: Vec<String>,
    scopes_supported: Vec<String>,
    challenge_scope: Option<String>,
    scope_rule: Option<ScopeRule>,
    max_body_bytes: usize,
    resource_name: Option<String>,
    identity_pool: Option<IdentityPool>,
}

impl std::fmt::Debug for ProtectedResource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProtectedResource")
            .field("resource", &self.inner.resource)
            .finish_non_exhaustive()
    }
}

/// Configures a [`ProtectedResource`].
pub struct ProtectedResourceBuilder {
    cognito: Option<CognitoVerifier>,
    own: Option<AuthorizationServer>,
    resource: String,
    policy: ScopePolicy,
    authorization_servers: Vec<String>,
    scopes_supported: Vec<String>,
    challenge_scope: Option<String>,
    scope_rule: Option<ScopeRule>,
    max_body_bytes: usize,
    resource_name: Option<String>,
    identity_pool: Option<IdentityPool>,
}

impl std::fmt::Debug for ProtectedResourceBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProtectedResourceBuilder")
            .field("resource", &self.resource)
            .finish_non_exhaustive()
    }
}

impl ProtectedResourceBuilder {
    /// Accept Cognito access tokens checked by `verifier` (its app-client allowlist says whose);
    /// their principal's scopes are what its groups grant, narrowed by the server's scopes the
    /// token carries ([`Self::scope_policy`]; a token's own scopes never widen a user).
    pub fn cognito(mut self, verifier: CognitoVerifier) -> Self {
        self.cognito = Some(verifier);
        self
    }

    /// Accept the tokens `server` issues (its own key, this resource as audience, not revoked),
    /// and list it as the authorization server. Their principal's scopes are exactly the
    /// token's: the server already capped them by the user's groups.
    pub fn authorization_server_tokens(mut self, server: AuthorizationServer) -> Self {
        self.own = Some(server);
        self
    }

    /// Let each request's [`Caller`](crate::Caller) turn into AWS credentials from `pool`
    /// ([`Caller::aws_credentials`](crate::Caller::aws_credentials)): callers holding this
    /// server's own tokens by their sign-in's Cognito ID token; callers with a Cognito access
    /// token get a clear error, since identity pools do not take access tokens.
    pub fn identity_pool(mut self, pool: IdentityPool) -> Self {
        self.identity_pool = Some(pool);
        self
    }

    /// The group-to-scope mapping. Default: [`ScopePolicy::default`].
    pub fn scope_policy(mut self, policy: ScopePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// An authorization server to list in the metadata. Default: the verifier's issuer.
    pub fn authorization_server(mut self, url: impl Into<String>) -> Self {
        self.authorization_servers.push(url.into());
        self
    }

    /// The scopes to list in the metadata (`scopes_supported`). Default: none listed.
    /// `offline_access` is never listed: refresh tokens are the authorization server's
    /// business, not a resource's requirement (MCP 2026-07-28, SEP-2207).
    pub fn scopes_supported(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.scopes_supported = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The scope a 401 challenge asks for (`scope=` in `WWW-Authenticate`). Default: none.
    ///
    /// The challenge and the answers agree: every request to the endpoint needs this scope,
    /// and a verified caller without it gets 403 `insufficient_scope` naming it.
    pub fn challenge_scope(mut self, scope: impl Into<String>) -> Self {
        self.challenge_scope = Some(scope.into());
        self
    }

    /// Which scope each JSON-RPC call needs; a caller without it gets 403
    /// `insufficient_scope`. Default: every verified caller may make every call.
    pub fn scope_rule(
        mut self,
        rule: impl Fn(&str, Option<&str>) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.scope_rule = Some(Arc::new(rule));
        self
    }

    /// Largest request body read to find the called tool. Default: 1 MiB.
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// A human-readable name for the metadata's `resource_name`. Default: none.
    pub fn resource_name(mut self, name: impl Into<String>) -> Self {
        self.resource_name = Some(name.into());
        self
    }

    /// Builds it. Fails when it would accept no token at all.
    pub fn build(self) -> Result<ProtectedResource, NoTokenSource> {
        let resource = self.resource.trim_end_matches('/').to_owned();
        let (origin, path) = split_origin(&resource);
        let metadata_path = format!("/.well-known/oauth-protected-resource{path}");
        let metadata_url = format!("{origin}{metadata_path}");
        let authorization_servers = if !self.authorization_servers.is_empty() {
            self.authorization_servers
        } else if let Some(own) = &self.own {
            vec![own.issuer().to_owned()]
        } else if let Some(c) = &self.cognito {
            vec![c.issuer().to_owned()]
        } else {
            return Err(NoTokenSource);
        };
        Ok(ProtectedResource {
            inner: Arc::new(Inner {
                cognito: self.cognito,
                own: self.own,
                policy: self.policy,
                resource,
                metadata_path,
                metadata_url,
                authorization_servers,
                scopes_supported: self
                    .scopes_supported
                    .into_iter()
                    .filter(|s| s != OFFLINE_ACCESS)
                    .collect(),
                challenge_scope: self.challenge_scope,
                scope_rule: self.scope_rule,
                max_body_bytes: self.max_body_bytes,
                identity_pool: self.identity_pool,
                resource_name: self.resource_name,
            }),
        })
    }
}

/// A [`ProtectedResource`] was built with neither Cognito tokens nor an authorization server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the protected resource accepts no token: give it a Cognito verifier or an authorization server"
)]
pub struct NoTokenSource;

/// The `iss` of a token, read without verifying it (to pick the verifier).
fn peek_issuer(token: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Iss {
        iss: Option<String>,
    }
    cognito_idp::peek_payload::<Iss>(token)?.iss
}

/// `https://host:port/path` into (`https://host:port`, `/path`).
fn split_origin(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => url.split_at(after_scheme + i),
        None => (url, ""),
    }
}

#[derive(Deserialize)]
struct RpcCall {
    method: Option<String>,
    #[serde(default)]
    params: Option<RpcParams>,
}

#[derive(Deserialize)]
struct RpcParams {
    name: Option<String>,
}

/// Escapes a value for a quoted-string in `WWW-Authenticate`.
/// How long a client should wait before retrying a request refused for a transient reason.
const RETRY_AFTER_SECS: u32 = 2;

/// The answer to a token that cannot be checked now ([`VerifyError::is_transient`]): 503 with
/// `Retry-After`, and no `WWW-Authenticate` challenge, so that a client keeps its token and
/// retries instead of starting a new sign-in.
fn unavailable(e: &VerifyError) -> Response {
    let body = json!({"error": "temporarily_unavailable", "error_description": e.to_string()});
    let mut resp = (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    resp
}

fn quoted(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .map(|c| if c == '"' || c == '\\' { '\'' } else { c })
        .collect()
}

impl ProtectedResource {
    /// A builder for the MCP endpoint at `resource_url` (its public URL, e.g.
    /// `https://mcp.example.com/mcp`). Say which tokens it accepts with
    /// [`ProtectedResourceBuilder::cognito`] and/or
    /// [`ProtectedResourceBuilder::authorization_server_tokens`].
    pub fn builder(resource_url: impl Into<String>) -> ProtectedResourceBuilder {
        ProtectedResourceBuilder {
            cognito: None,
            own: None,
            identity_pool: None,
            resource: resource_url.into(),
            policy: ScopePolicy::default(),
            authorization_servers: Vec::new(),
            scopes_supported: Vec::new(),
            challenge_scope: None,
            scope_rule: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            resource_name: None,
        }
    }

    /// The protected resource's URL.
    pub fn resource(&self) -> &str {
        &self.inner.resource
    }

    /// The metadata document's URL.
    pub fn metadata_url(&self) -> &str {
        &self.inner.metadata_url
    }

    /// The verifier of Cognito tokens, if they are accepted.
    pub fn cognito_verifier(&self) -> Option<&CognitoVerifier> {
        self.inner.cognito.as_ref()
    }

    /// The authorization server whose tokens are accepted, if any.
    pub fn authorization_server(&self) -> Option<&AuthorizationServer> {
        self.inner.own.as_ref()
    }

    /// Verifies a bearer token and makes its principal: the authorization server's own tokens
    /// (not revoked, scopes as granted), else Cognito access tokens (scopes by group policy).
    pub async fn verify_token(&self, token: &str) -> Result<Principal, VerifyError> {
        let i = &self.inner;
        if let Some(own) = &i.own {
            let ours = i.cognito.is_none() || peek_issuer(token).as_deref() == Some(own.issuer());
            if ours {
                let claims = own.verifier().verify(token).await?;
                own.check_revoked(&claims).await?;
                return Ok(Principal::as_granted(claims));
            }
        }
        match &i.cognito {
            Some(v) => Ok(i.policy.principal(v.verify(token).await?)),
            None => Err(VerifyError::MissingClaim("iss")),
        }
    }

    /// The group-to-scope mapping.
    pub fn scope_policy(&self) -> &ScopePolicy {
        &self.inner.policy
    }

    /// The RFC 9728 metadata document.
    pub fn metadata(&self) -> Value {
        let i = &self.inner;
        let mut doc = json!({
            "resource": i.resource,
            "authorization_servers": i.authorization_servers,
            "bearer_methods_supported": ["header"],
        });
        if !i.scopes_supported.is_empty() {
            doc["scopes_supported"] = json!(i.scopes_supported);
        }
        if let Some(name) = &i.resource_name {
            doc["resource_name"] = json!(name);
        }
        doc
    }

    /// The metadata routes: the path-aware form (`/.well-known/oauth-protected-resource/mcp`)
    /// and the root form.
    pub fn routes<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let doc = Arc::new(self.metadata());
        let serve = move || {
            let doc = doc.clone();
            async move { axum::Json((*doc).clone()) }
        };
        let mut router =
            Router::new().route("/.well-known/oauth-protected-resource", get(serve.clone()));
        if self.inner.metadata_path != "/.well-known/oauth-protected-resource" {
            router = router.route(&self.inner.metadata_path, get(serve));
        }
        router
    }

    /// The tower layer that guards the MCP endpoint: every request it wraps.
    pub fn layer(&self) -> BearerLayer {
        BearerLayer {
            resource: self.clone(),
            only_path: None,
        }
    }

    /// A layer that guards requests to `path` and below and lets other paths through, so it
    /// can wrap a whole app. The path is the original one (axum's `OriginalUri`) when the layer
    /// sits inside a nested router.
    pub fn layer_for_path(&self, path: impl Into<String>) -> BearerLayer {
        BearerLayer {
            resource: self.clone(),
            only_path: Some(Arc::from(path.into())),
        }
    }

    fn challenge(&self, error: Option<(&str, &str)>, scope: Option<&str>) -> String {
        let mut parts = Vec::new();
        if let Some((code, description)) = error {
            parts.push(format!("error=\"{code}\""));
            parts.push(format!("error_description=\"{}\"", quoted(description)));
        }
        // Never offline_access in a challenge (SEP-2207): a resource does not require it.
        let scope = scope.or(self.inner.challenge_scope.as_deref()).map(|s| {
            s.split_whitespace()
                .filter(|w| *w != OFFLINE_ACCESS)
                .collect::<Vec<_>>()
                .join(" ")
        });
        if let Some(scope) = scope.filter(|s| !s.is_empty()) {
            parts.push(format!("scope=\"{}\"", quoted(&scope)));
        }
        parts.push(format!("resource_metadata=\"{}\"", self.inner.metadata_url));
        format!("Bearer {}", parts.join(", "))
    }

    fn reject(
        &self,
        status: StatusCode,
        error: Option<(&str, &str)>,
        scope: Option<&str>,
    ) -> Response {
        let challenge = self.challenge(error, scope);
        let body = match error {
            Some((code, description)) => json!({"error": code, "error_description": description}),
            None => {
                json!({"error": "unauthorized", "error_description": "a bearer token is required"})
            }
        };
        let mut resp = (status, axum::Json(body)).into_response();
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        resp
    }

    /// Verifies the request's bearer token and, for calls the scope rule names, the scope.
    /// On success the request carries the caller's [`Principal`] in its extensions.
    pub async fn authorize(&self, req: Request<Body>) -> Result<Request<Body>, Response> {
        let mut values = req.headers().get_all(header::AUTHORIZATION).iter();
        let token = match (values.next(), values.next()) {
            (None, _) => return Err(self.reject(StatusCode::UNAUTHORIZED, None, None)),
            (Some(_), Some(_)) => {
                return Err(self.reject(
                    StatusCode::BAD_REQUEST,
                    Some(("invalid_request", "more than one Authorization header")),
                    None,
                ));
            }
            (Some(v), None) => {
                let v = v.to_str().unwrap_or("");
                match v.split_once(' ') {
                    Some((scheme, t))
                        if scheme.eq_ignore_ascii_case("bearer") && !t.trim().is_empty() =>
                    {
                        t.trim().to_owned()
                    }
                    _ => {
                        return Err(self.reject(
                            StatusCode::UNAUTHORIZED,
                            Some((
                                "invalid_token",
                                "the Authorization header is not `Bearer <token>`",
                            )),
                            None,
                        ));
                    }
                }
            }
        };
        let principal = match self.verify_token(&token).await {
            Ok(p) => {
                metrics::counter!("cognito_mcp_token_verifications_total", "outcome" => "ok")
                    .increment(1);
                p
            }
            Err(e) => {
                metrics::counter!("cognito_mcp_token_verifications_total", "outcome" => e.code())
                    .increment(1);
                tracing::debug!(reason = e.code(), "bearer token rejected");
                if e.is_transient() {
                    return Err(unavailable(&e));
                }
                return Err(self.reject(
                    StatusCode::UNAUTHORIZED,
                    Some(("invalid_token", &e.to_string())),
                    None,
                ));
            }
        };
        if let Some(baseline) = &self.inner.challenge_scope
            && !principal.has_scope(baseline)
        {
            return Err(self.reject(
                StatusCode::FORBIDDEN,
                Some((
                    "insufficient_scope",
                    &format!(
                        "this endpoint needs the scope {baseline}; {}",
                        self.why_not(&principal)
                    ),
                )),
                Some(baseline),
            ));
        }
        let (mut parts, body) = req.into_parts();
        let body = match (&self.inner.scope_rule, &parts.method) {
            (Some(rule), &Method::POST) => {
                let bytes = match http_body_util::Limited::new(body, self.inner.max_body_bytes)
                    .collect()
                    .await
                {
                    Ok(b) => b.to_bytes(),
                    Err(_) => {
                        return Err((
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "the request body is too large",
                        )
                            .into_response());
                    }
                };
                if let Some(needed) = self.needed_scope(rule, &bytes, &principal) {
                    let (method, scope) = needed;
                    return Err(self.reject(
                        StatusCode::FORBIDDEN,
                        Some((
                            "insufficient_scope",
                            &format!(
                                "{method} needs the scope {scope}; {}",
                                self.why_not(&principal)
                            ),
                        )),
                        Some(&scope),
                    ));
                }
                Body::from(bytes)
            }
            _ => body,
        };
        if let Some(aws) = self.aws_source(&principal) {
            parts.extensions.insert(aws);
        }
        parts.extensions.insert(principal);
        Ok(Request::from_parts(parts, body))
    }

    /// Where the caller `p`'s Cognito ID token is, for an identity pool: with the sign-in of
    /// this server's own token (its `sid`), or nowhere (a Cognito access token).
    fn aws_source(&self, p: &Principal) -> Option<AwsSource> {
        let i = &self.inner;
        let pool = i.identity_pool.clone()?;
        let claims = p.claims();
        let session = match (&i.own, &claims.sid) {
            (Some(own), Some(sid)) if claims.iss == own.issuer() => Session::Family {
                server: own.clone(),
                sid: sid.clone(),
            },
            _ => Session::AccessToken,
        };
        Some(AwsSource { pool, session })
    }

    /// Where `p`'s scopes came from, in words (the privilege rule applied to this caller), for a
    /// refusal: what fixes it.
    fn why_not(&self, p: &Principal) -> String {
        let (policy, proxy) = (&self.inner.policy, self.inner.own.is_some());
        let held = if p.scopes().is_empty() {
            "no scope".to_owned()
        } else {
            p.scopes().iter().cloned().collect::<Vec<_>>().join(", ")
        };
        let c = p.claims();
        if c.username.is_none() {
            return if policy.machine_clients().contains_key(&c.client_id) {
                format!(
                    "this machine client's token holds {held} (auth.machine_clients.{} lists what it may hold)",
                    c.client_id
                )
            } else {
                format!(
                    "a token without a user (client credentials) gets a scope only when its app \
                     client is listed in auth.machine_clients, and {} is not",
                    c.client_id
                )
            };
        }
        let groups = if c.groups.is_empty() {
            "you are in no group".to_owned()
        } else {
            format!("your groups are {}", c.groups.join(", "))
        };
        let narrowed = if proxy {
            " (what your groups grant, within what this client asked for at sign-in)".to_owned()
        } else if policy.narrowing(c).is_empty() {
            String::new()
        } else {
            " (what your groups grant, narrowed to the scopes your token carries)".to_owned()
        };
        format!(
            "{groups}, so you hold {held}{narrowed}. Privilege comes only from Cognito groups: ask \
             an administrator to add you to a group that grants the scope, then sign in again"
        )
    }

    /// The first call in `body` the principal lacks a scope for: (description, scope).
    fn needed_scope(
        &self,
        rule: &ScopeRule,
        body: &[u8],
        principal: &Principal,
    ) -> Option<(String, String)> {
        // One call (the common case) parses straight into RpcCall; a batch is an array of them.
        let calls: Vec<RpcCall> = match serde_json::from_slice::<RpcCall>(body) {
            Ok(call) => vec![call],
            Err(_) => match serde_json::from_slice::<Vec<Value>>(body) {
                Ok(items) => items
                    .into_iter()
                    .filter_map(|v| serde_json::from_value(v).ok())
                    .collect(),
                // Not JSON-RPC: the MCP service answers with a parse error; nothing runs.
                Err(_) => Vec::new(),
            },
        };
        for call in calls {
            let Some(method) = call.method else { continue };
            let tool = call.params.as_ref().and_then(|p| p.name.as_deref());
            if let Some(scope) = rule(&method, tool)
                && !principal.has_scope(&scope)
            {
                let what = match tool {
                    Some(t) if method == "tools/call" => format!("the tool {t}"),
                    _ => method.clone(),
                };
                return Some((what, scope));
            }
        }
        None
    }
}

/// The tower layer of [`ProtectedResource::layer`].
#[derive(Debug, Clone)]
pub struct BearerLayer {
    resource: ProtectedResource,
    only_path: Option<Arc<str>>,
}

impl<S> tower::Layer<S> for BearerLayer {
    type Service = BearerService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        BearerService {
            resource: self.resource.clone(),
            only_path: self.only_path.clone(),
            inner,
        }
    }
}

/// The service of [`BearerLayer`].
#[derive(Debug, Clone)]
pub struct BearerService<S> {
    resource: ProtectedResource,
    only_path: Option<Arc<str>>,
    inner: S,
}

impl<S, B> tower::Service<Request<Body>> for BearerService<S>
where
    S: tower::Service<Request<Body>, Response = http::Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let resource = self.resource.clone();
        // The clone that was polled ready is the one that serves this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if let Some(guarded) = &self.only_path {
            let path = req
                .extensions()
                .get::<axum::extract::OriginalUri>()
                .map_or_else(|| req.uri().path(), |u| u.path());
            let below = path
                .strip_prefix(&**guarded)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
            if !below {
                return Box::pin(async move { inner.call(req).await.map(|r| r.map(Body::new)) });
            }
        }
        Box::pin(async move {
            match resource.authorize(req).await {
                Ok(req) => inner.call(req).await.map(|r| r.map(Body::new)),
                Err(resp) => Ok(resp),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offline_access_is_never_listed_or_challenged() {
        // MCP 2026-07-28 (SEP-2207): a protected resource SHOULD NOT put offline_access in its
        // metadata's scopes_supported or a challenge's scope; clients find it at the
        // authorization server. Without the filter both would carry it.
        let r = ProtectedResource::builder("https://mcp.example.com/mcp")
            .authorization_server("https://as.example.com")
            .scopes_supported(["mcp/read", "offline_access"])
            .build()
            .expect("builds");
        assert_eq!(r.metadata()["scopes_supported"], json!(["mcp/read"]));
        let c = r.challenge(None, Some("mcp/read offline_access"));
        assert!(c.contains("scope=\"mcp/read\""), "{c}");
        assert!(!r.challenge(None, Some("offline_access")).contains("scope="));
    }

    #[test]
    fn origins_split() {
        assert_eq!(
            split_origin("https://h.example:8443/mcp"),
            ("https://h.example:8443", "/mcp")
        );
        assert_eq!(
            split_origin("http://127.0.0.1:9"),
            ("http://127.0.0.1:9", "")
        );
        assert_eq!(split_origin("https://h/a/b"), ("https://h", "/a/b"));
    }

    #[test]
    fn quoting_drops_quotes_and_controls() {
        assert_eq!(quoted("a\"b\\c\nd"), "a'b'cd");
    }
}
